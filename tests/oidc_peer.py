"""The OpenID Connect provider of tests/peers/oidc (oidc-provider on Node.js), started on
127.0.0.1 as FranceConnect or as ProConnect, and a browser-less way through its pages."""

from __future__ import annotations

import json
import re
import select
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from .conftest import missing_service

PEER = Path(__file__).resolve().parent / "peers" / "oidc"
CLIENT_ID = "guichet"
CLIENT_SECRET = "guichet-test-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Peer:
    kind: str
    issuer: str
    process: subprocess.Popen

    def mode(self, **mode) -> None:
        """Alter the provider's next answers (see provider.mjs): acr=..., id_token=..."""
        request = urllib.request.Request(  # noqa: S310 (the provider on 127.0.0.1)
            self.issuer + "/_test/mode",
            data=json.dumps(mode).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            assert response.status == 200

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


def start_peer(kind: str, redirect_uris: list[str], post_logout_uris: list[str]) -> Peer:
    """Start the provider, or skip (fail under CI) when Node.js or its packages are missing."""
    node = shutil.which("node")
    if node is None:
        missing_service("Node.js is not installed (the OpenID Connect provider runs on it)")
    if not (PEER / "node_modules" / "oidc-provider").is_dir():
        missing_service(
            "tests/peers/oidc/node_modules is missing: run (cd tests/peers/oidc && npm ci)"
        )
    port = free_port()
    command = [node, "provider.mjs", "--as", kind, "--port", str(port)]
    command += [item for uri in redirect_uris for item in ("--redirect-uri", uri)]
    command += [item for uri in post_logout_uris for item in ("--post-logout-redirect-uri", uri)]
    process = subprocess.Popen(  # noqa: S603 (our own script)
        command, cwd=PEER, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if line.startswith("ready "):
                return Peer(kind, line.split()[1], process)
            if not line and process.poll() is not None:
                break
    process.kill()
    process.wait()
    errors = process.stderr.read()[-2000:]
    process.stdout.close()
    process.stderr.close()
    raise AssertionError(f"the provider did not start: {errors}")


def through_provider(http, url: str, person: str) -> str:
    """Follow the provider's redirections and its login page (signing ``person`` in, consent
    given) from ``url`` until it sends the browser back to Guichet; return that address."""
    issuer = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    for _ in range(10):
        response = http.get(url)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if not url.startswith(issuer):
                return url
            continue
        assert response.status_code == 200, response.text
        form = re.search(r'<form method="post" action="([^"]+)"', response.text)
        assert form, response.text
        response = http.post(urljoin(url, form.group(1)), data={"login": person})
        assert response.is_redirect, response.text
        url = urljoin(url, response.headers["Location"])
        if not url.startswith(issuer):
            return url
    raise AssertionError("the provider never sent the browser back")


def end_provider_session(http, url: str) -> str:
    """At the provider's end_session_endpoint, confirm signing out; return where the
    provider sends the browser back."""
    response = http.get(url)
    assert response.status_code == 200, response.text
    form = re.search(r'<form[^>]*action="([^"]+)"', response.text)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', response.text)
    assert form and xsrf, response.text
    response = http.post(
        urljoin(url, form.group(1)), data={"xsrf": xsrf.group(1), "logout": "yes"}
    )
    assert response.is_redirect, response.text
    return urljoin(url, response.headers["Location"])
