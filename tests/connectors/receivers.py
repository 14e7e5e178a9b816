"""What the connector tests share: a small site config, a free port, and a real webhook
receiver that checks every request like a careful department would."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from connectors.webhook import verify
from definitions.model import Text
from definitions.site import ConnectorConfig, Site

SECRET = "test-webhook-secret"


def free_port() -> int:
    """A TCP port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_with(**connectors: dict) -> Site:
    """A small site config whose connectors are given as {name: {type: ..., settings...}}."""
    return Site(
        authority=Text({"fr": "Ville de Valbois-sur-Loire"}),
        languages=("fr",),
        departments={},
        connectors={
            name: ConnectorConfig(
                name, settings["type"], {k: v for k, v in settings.items() if k != "type"}
            )
            for name, settings in connectors.items()
        },
    )


class WebhookReceiver:
    """A department's HTTP endpoint. It checks every request like a careful receiver would
    (signature, timestamp, idempotency key) and answers as it is told:
    ``mode`` = ok (200) | fail (``fail_status``) | reject (400 + ``answer``) | hang."""

    def __init__(self, secret: str = SECRET, port: int | None = None):
        self.secret = secret
        self.port = port or free_port()
        self.mode = "ok"
        self.fail_status = 503
        self.answer = "le champ « reference » est obligatoire"
        self.requests: list[dict] = []  # every request seen: headers, body, verified
        self.accepted: Counter = Counter()  # event id -> times answered 2xx
        self.problems: list[str] = []  # what a careful receiver would refuse
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/guichet/demandes"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like most receivers
            disable_nagle_algorithm = True  # headers and body go in two writes

            def setup(self):
                super().setup()
                with receiver.lock:
                    receiver.connections.add(self.connection)

            def finish(self):
                with receiver.lock:
                    receiver.connections.discard(self.connection)
                super().finish()

            def do_POST(self):  # noqa: N802
                receiver.handle(self)

            def log_message(self, *args):
                pass

        self.connections: set[socket.socket] = set()
        self.release.clear()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.release.set()
            self.server.shutdown()
            self.server.server_close()
            with self.lock:  # kept-alive connections go down with the server
                for connection in self.connections:
                    try:
                        connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
            self.thread.join(5)
            self.server = None

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        headers = {k.lower(): v for k, v in request.headers.items()}
        timestamp = headers.get("x-guichet-timestamp", "")
        verified = verify(self.secret, timestamp, body, headers.get("x-guichet-signature", ""))
        key = headers.get("idempotency-key")
        problems = []
        if not verified:
            problems.append("bad signature")
        try:
            event_id = json.loads(body)["id"]
        except (ValueError, KeyError, TypeError):
            event_id = None
            problems.append("the body is not an event")
        if key is None or key != event_id or headers.get("x-guichet-event-id") != event_id:
            problems.append(f"idempotency key {key!r} is not the event id {event_id!r}")
        if headers.get("content-type") != "application/json":
            problems.append(f"content type {headers.get('content-type')!r}")
        mode = self.mode
        with self.lock:
            self.requests.append(
                {"headers": headers, "body": body, "verified": verified, "mode": mode}
            )
            self.problems += problems
        if problems:
            status, answer = 401, "; ".join(problems)
        elif mode == "ok":
            status, answer = 200, "ok"
            with self.lock:
                self.accepted[key] += 1
        elif mode == "fail":
            status, answer = self.fail_status, "service indisponible"
        elif mode == "reject":
            status, answer = 400, self.answer
        else:  # hang
            self.release.wait(10)
            status, answer = 504, "too late"
        data = answer.encode("utf-8")
        try:
            request.send_response(status)
            request.send_header("Content-Type", "text/plain; charset=utf-8")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout)
