"""The built-in connectors, each against a real peer: an SMTP server (aiosmtpd), an HTTP
receiver of our own that checks signatures, RabbitMQ, a folder; and the registry."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from email import policy
from importlib.metadata import EntryPoint

import pytest

from connectors.amqp import AmqpConnector
from connectors.base import Connector
from connectors.email import EmailConnector
from connectors.filedrop import FiledropConnector
from connectors.registry import GROUP, ConnectorRegistry, RegistryError, load_types
from connectors.testing import RecordingConnector
from connectors.webhook import WebhookConnector, signature, verify
from definitions.folders import load_site_file
from definitions.site import Secret
from engine.outbox import Delivery, DeliveryFailed

from ..conftest import missing_service
from .receivers import SECRET, WebhookReceiver, free_port, site_with

SENDER = "Mairie de Valbois-sur-Loire <ne-pas-repondre@valbois-sur-loire.fr>"
AMQP_URL = os.environ.get("GUICHET_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")


# -- helpers ----------------------------------------------------------------------------------


def envelope(event_id: str | None = None, **data) -> dict:
    """A case event as engine.notifications.event_envelope builds it."""
    event_id = event_id or str(uuid.uuid4())
    return {
        "specversion": "1.0",
        "id": event_id,
        "type": "fr.guichet.case.a_delivrer",
        "source": "guichet/procedures/acte-naissance",
        "subject": "AN-2026-000001",
        "time": "2026-03-02T08:00:00+00:00",
        "datacontenttype": "application/json",
        "data": {
            "procedure": "acte-naissance",
            "version": 1,
            "reference": "AN-2026-000001",
            "state": "a_delivrer",
            "department": "etat-civil",
            "submitted_at": "2026-03-02T08:00:00+00:00",
            "answers": {"nom": "Martin", "prenoms": "Léa Camille", "nombre_exemplaires": 2},
            "attachments": [],
            **data,
        },
    }


def send(payload: dict, connector: str = "c", attempt: int = 1) -> Delivery:
    return Delivery(payload["id"], connector, "send", None, payload, attempt)


def notification(to: list[str], subject: str, text: str, event_id: str | None = None) -> Delivery:
    payload = {
        "to": to,
        "subject": subject,
        "text": text,
        "reference": "AN-2026-000001",
        "procedure": "acte-naissance",
    }
    return Delivery(event_id or str(uuid.uuid4()), "mail", "notify", "citizen", payload, 1)


# -- a real SMTP server -----------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: bytes | None
    tls: bool

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.content, policy=policy.default)


class MailHandler:
    """An aiosmtpd handler that keeps what it accepts and can be told to refuse."""

    def __init__(self):
        self.received: list[Received] = []
        self.rcpt_answer: str | None = None  # e.g. "451 4.7.1 greylisted"
        self.data_answer: str | None = None  # e.g. "550 5.7.1 refused"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_answer:
            return self.data_answer
        login = session.auth_data.login if session.authenticated else None
        tls = server.transport.get_extra_info("cipher") is not None
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, login, tls)
        )
        return "250 2.0.0 Message accepted for delivery"


SMTP_LOGIN, SMTP_PASSWORD = "guichet@valbois-sur-loire.fr", "test-smtp-password"


def authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_LOGIN.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@pytest.fixture
def smtp_server():
    """Start aiosmtpd servers on free ports: ``smtp_server(**controller_options)``."""
    from aiosmtpd.controller import Controller

    started = []

    def start(**options):
        handler = MailHandler()
        port = free_port()
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, server_hostname="smtp.test", **options
        )
        controller.start()
        started.append(controller)
        return handler, port

    yield start
    for controller in started:
        controller.stop()


def smtp_connector(port: int, **settings) -> EmailConnector:
    return EmailConnector(
        "mail",
        {
            "from": SENDER,
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "timeout": 5,
            **settings,
        },
    )


def content(part) -> str:
    """A text part's content, with the SMTP line endings made plain."""
    return part.get_content().replace("\r\n", "\n")


def parts(message) -> dict[str, list]:
    """The leaf parts of a message by content type."""
    found: dict[str, list] = {}
    for part in message.walk():
        if not part.is_multipart():
            found.setdefault(part.get_content_type(), []).append(part)
    return found


# -- email ------------------------------------------------------------------------------------


def test_a_notification_arrives_by_smtp_with_a_text_and_an_html_part(smtp_server):
    handler, port = smtp_server()
    text = "Bonjour Léa,\n\nVotre demande AN-2026-000001 est reçue.\nRéférence <à garder> & co."
    delivery = notification(
        ["lea.martin@example.org", "etat-civil@valbois-sur-loire.fr"],
        "Votre demande AN-2026-000001 est reçue",
        text,
    )

    smtp_connector(port).deliver(delivery)

    [received] = handler.received
    assert received.mail_from == "ne-pas-repondre@valbois-sur-loire.fr"
    assert received.rcpt_tos == ["lea.martin@example.org", "etat-civil@valbois-sur-loire.fr"]
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "lea.martin@example.org, etat-civil@valbois-sur-loire.fr"
    assert message["Subject"] == "Votre demande AN-2026-000001 est reçue"
    assert message["X-Guichet-Event-Id"] == delivery.event_id
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    found = parts(message)
    assert set(found) == {"text/plain", "text/html"}
    assert content(found["text/plain"][0]).rstrip("\n") == text
    html = content(found["text/html"][0])
    assert "Bonjour Léa," in html
    assert "Référence &lt;à garder&gt; &amp; co." in html
    assert "<à garder>" not in html


def test_a_case_delivery_carries_the_event_as_a_json_attachment(smtp_server):
    handler, port = smtp_server()
    payload = envelope()
    connector = smtp_connector(port, to=["domaine-public@valbois-sur-loire.fr"])

    connector.deliver(send(payload, "relais-smtp"))

    [received] = handler.received
    assert received.rcpt_tos == ["domaine-public@valbois-sur-loire.fr"]
    message = received.message
    assert message["From"] == SENDER
    assert message["To"] == "domaine-public@valbois-sur-loire.fr"
    assert "AN-2026-000001" in message["Subject"]
    assert "acte-naissance" in message["Subject"]
    assert message["X-Guichet-Event-Id"] == payload["id"]
    found = parts(message)
    assert "Léa Camille" in found["text/plain"][0].get_content()
    assert "Léa Camille" in found["text/html"][0].get_content()
    [attachment] = found["application/json"]
    assert attachment.get_filename() == f"{payload['id']}.json"
    assert attachment.get_content_disposition() == "attachment"
    assert json.loads(attachment.get_content()) == payload


def test_a_case_delivery_without_recipients_is_a_dead_letter():
    connector = EmailConnector("mail", {"from": SENDER, "folder": "unused"})
    with pytest.raises(DeliveryFailed) as failed:
        connector.deliver(send(envelope()))
    assert failed.value.retryable is False
    assert "'to'" in str(failed.value)


def test_the_message_id_is_stable_across_retries_and_carries_the_event_id(smtp_server):
    # "The event id is the Message-ID's left part, for deduplication" (connectors/email.py):
    # a message sent again after a lost answer must be recognisable as the same message.
    handler, port = smtp_server()
    delivery = notification(["lea.martin@example.org"], "Reçu", "Bonjour")
    connector = smtp_connector(port)
    connector.deliver(delivery)
    connector.deliver(replace(delivery, attempt=2))

    first, second = (r.message["Message-ID"] for r in handler.received)
    assert first == second
    assert first.strip("<>").split("@")[0] == delivery.event_id


def test_login_on_the_mail_server(smtp_server):
    handler, port = smtp_server(authenticator=authenticator, auth_require_tls=False)
    connector = smtp_connector(port, username=SMTP_LOGIN, password=SMTP_PASSWORD)

    connector.deliver(notification(["lea.martin@example.org"], "Reçu", "Bonjour"))

    [received] = handler.received
    assert received.login == SMTP_LOGIN.encode()


def test_a_wrong_password_is_not_retried(smtp_server):
    handler, port = smtp_server(authenticator=authenticator, auth_require_tls=False)
    connector = smtp_connector(port, username=SMTP_LOGIN, password="wrong")

    with pytest.raises(DeliveryFailed) as failed:
        connector.deliver(notification(["lea.martin@example.org"], "Reçu", "Bonjour"))
    assert failed.value.retryable is False
    assert "535" in str(failed.value)
    assert handler.received == []


@pytest.mark.parametrize(
    ("where", "answer", "retryable"),
    [
        ("data", "550 5.7.1 Message refused by policy", False),
        ("data", "554 5.6.0 Message content rejected", False),
        ("data", "451 4.3.0 Local problem, try again later", True),
        ("data", "452 4.3.1 Insufficient system storage", True),
        ("rcpt", "550 5.1.1 No such user here", False),
        # greylisting: every recipient refused for now, which is the most common 4xx
        ("rcpt", "451 4.7.1 Greylisted, please try again later", True),
    ],
)
def test_mail_server_refusals(smtp_server, where, answer, retryable):
    handler, port = smtp_server()
    setattr(handler, f"{where}_answer", answer)

    with pytest.raises(DeliveryFailed) as failed:
        smtp_connector(port).deliver(notification(["lea.martin@example.org"], "Reçu", "Bonjour"))

    assert failed.value.retryable is retryable, str(failed.value)
    assert answer.split()[0] in str(failed.value)


def test_a_mail_server_that_is_not_listening_is_retried():
    port = free_port()
    with pytest.raises(DeliveryFailed) as failed:
        smtp_connector(port).deliver(notification(["lea.martin@example.org"], "Reçu", "Bonjour"))
    assert failed.value.retryable is True
    assert f"127.0.0.1:{port}" in str(failed.value)


# STARTTLS and SMTPS: a certificate of our own, trusted by the connector for the test only.


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def server_tls(certificate):
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def trust_certificate(monkeypatch, certificate):
    """The connector's default SSL context also trusts the test certificate."""
    import ssl

    original = ssl.create_default_context

    def trusting(*args, **kwargs):
        context = original(*args, **kwargs)
        context.load_verify_locations(cafile=str(certificate[0]))
        return context

    monkeypatch.setattr("connectors.email.ssl.create_default_context", trusting)


def test_starttls_then_login(smtp_server, server_tls, trust_certificate):
    handler, port = smtp_server(
        tls_context=server_tls, require_starttls=True, authenticator=authenticator
    )
    connector = smtp_connector(
        port, security="starttls", username=SMTP_LOGIN, password=SMTP_PASSWORD
    )

    connector.deliver(notification(["lea.martin@example.org"], "Reçu", "Bonjour"))

    [received] = handler.received
    assert received.tls is True
    assert received.login == SMTP_LOGIN.encode()


def test_smtps_then_login(smtp_server, server_tls, trust_certificate):
    # aiosmtpd only counts STARTTLS as TLS when offering AUTH: on SMTPS, allow it explicitly
    handler, port = smtp_server(
        ssl_context=server_tls, authenticator=authenticator, auth_require_tls=False
    )
    connector = smtp_connector(port, security="ssl", username=SMTP_LOGIN, password=SMTP_PASSWORD)

    connector.deliver(notification(["lea.martin@example.org"], "Reçu", "Bonjour"))

    [received] = handler.received
    assert received.tls is True
    assert received.login == SMTP_LOGIN.encode()


def test_an_untrusted_certificate_is_refused(smtp_server, server_tls):
    handler, port = smtp_server(tls_context=server_tls, require_starttls=True)
    with pytest.raises(DeliveryFailed) as failed:
        smtp_connector(port, security="starttls").deliver(
            notification(["lea.martin@example.org"], "Reçu", "Bonjour")
        )
    assert "certificate" in str(failed.value).lower()
    assert handler.received == []


def test_the_folder_mode_writes_eml_files_that_parse_back(tmp_path):
    folder = tmp_path / "var" / "mail"
    connector = EmailConnector(
        "mail", {"from": SENDER, "folder": str(folder), "to": ["etat-civil@example.org"]}
    )
    note = notification(["lea.martin@example.org"], "Votre demande est reçue", "Bonjour Léa,")
    payload = envelope()

    connector.deliver(note)
    connector.deliver(send(payload))
    connector.deliver(send(payload, attempt=2))  # a retry rewrites the same file

    assert sorted(os.listdir(folder)) == sorted([f"{note.event_id}.eml", f"{payload['id']}.eml"])
    with (folder / f"{note.event_id}.eml").open("rb") as stream:
        message = email.message_from_binary_file(stream, policy=policy.default)
    assert message["From"] == SENDER
    assert message["To"] == "lea.martin@example.org"
    assert message["Subject"] == "Votre demande est reçue"
    assert message["X-Guichet-Event-Id"] == note.event_id
    assert parts(message)["text/plain"][0].get_content().strip() == "Bonjour Léa,"
    assert set(parts(message)) == {"text/plain", "text/html"}

    message = email.message_from_bytes(
        (folder / f"{payload['id']}.eml").read_bytes(), policy=policy.default
    )
    assert message["X-Guichet-Event-Id"] == payload["id"]
    assert json.loads(parts(message)["application/json"][0].get_content()) == payload


def test_the_folder_mode_reports_an_unwritable_folder(tmp_path):
    blocker = tmp_path / "mail"
    blocker.write_text("a file where the folder should be")
    connector = EmailConnector("mail", {"from": SENDER, "folder": str(blocker / "sub")})
    with pytest.raises(DeliveryFailed) as failed:
        connector.deliver(notification(["lea.martin@example.org"], "Reçu", "Bonjour"))
    assert "cannot write" in str(failed.value)


@pytest.fixture
def receiver():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def make_webhook():
    made = []

    def make(url: str, **settings) -> WebhookConnector:
        connector = WebhookConnector("hook", {"url": url, "secret": SECRET, **settings})
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


# -- webhook ----------------------------------------------------------------------------------


def test_a_webhook_delivery_is_signed_and_carries_the_idempotency_key(receiver, make_webhook):
    payload = envelope()
    make_webhook(receiver.url).deliver(send(payload, "hook"))

    [request] = receiver.requests
    assert receiver.problems == []
    assert request["verified"] is True
    assert request["headers"]["idempotency-key"] == payload["id"]
    assert request["headers"]["x-guichet-event-id"] == payload["id"]
    assert request["headers"]["x-guichet-signature"].startswith("sha256=")
    assert abs(int(request["headers"]["x-guichet-timestamp"]) - time.time()) < 60
    assert json.loads(request["body"]) == payload
    assert receiver.accepted == Counter({payload["id"]: 1})


def test_a_webhook_retry_sends_the_same_event_and_key(receiver, make_webhook):
    payload = envelope()
    connector = make_webhook(receiver.url)
    receiver.mode = "fail"
    with pytest.raises(DeliveryFailed) as failed:
        connector.deliver(send(payload, "hook"))
    assert failed.value.retryable is True
    receiver.mode = "ok"
    connector.deliver(send(payload, "hook", attempt=2))

    first, second = receiver.requests
    assert receiver.problems == []
    assert first["body"] == second["body"]
    assert first["headers"]["idempotency-key"] == second["headers"]["idempotency-key"]
    assert receiver.accepted == Counter({payload["id"]: 1})


def test_the_webhook_sends_the_configured_headers(receiver, make_webhook):
    connector = make_webhook(receiver.url, headers={"Authorization": "Bearer jeton-etat-civil"})
    connector.deliver(send(envelope(), "hook"))
    [request] = receiver.requests
    assert request["headers"]["authorization"] == "Bearer jeton-etat-civil"
    assert receiver.problems == []


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408, 429])
def test_webhook_answers_that_are_retried(receiver, make_webhook, status):
    receiver.mode, receiver.fail_status = "fail", status
    with pytest.raises(DeliveryFailed) as failed:
        make_webhook(receiver.url).deliver(send(envelope(), "hook"))
    assert failed.value.retryable is True
    assert str(status) in str(failed.value)


def test_a_400_is_a_dead_letter_that_keeps_the_receivers_answer(receiver, make_webhook):
    receiver.mode = "reject"
    with pytest.raises(DeliveryFailed) as failed:
        make_webhook(receiver.url).deliver(send(envelope(), "hook"))
    assert failed.value.retryable is False
    assert "400" in str(failed.value)
    assert "le champ « reference » est obligatoire" in str(failed.value)


def test_a_receiver_that_refuses_the_signature_is_not_retried(receiver, make_webhook):
    with pytest.raises(DeliveryFailed) as failed:
        make_webhook(receiver.url, secret="not-the-receivers-secret").deliver(
            send(envelope(), "hook")
        )
    assert failed.value.retryable is False
    assert "401" in str(failed.value) and "bad signature" in str(failed.value)


def test_a_receiver_that_hangs_times_out_and_is_retried(receiver, make_webhook):
    receiver.mode = "hang"  # answers 504 after 10 s, unless the client gave up before
    with pytest.raises(DeliveryFailed) as failed:
        make_webhook(receiver.url, timeout=0.5).deliver(send(envelope(), "hook"))
    assert failed.value.retryable is True
    # the receiver's URL (its port may hold the digits 504) is not the answer
    said = str(failed.value).replace(receiver.url, "RECEIVER")
    assert "timed out" in said and "504" not in said
    assert len(receiver.requests) == 1


def test_a_receiver_that_is_not_listening_is_retried(make_webhook):
    url = f"http://127.0.0.1:{free_port()}/api"
    with pytest.raises(DeliveryFailed) as failed:
        make_webhook(url).deliver(send(envelope(), "hook"))
    assert failed.value.retryable is True
    assert url in str(failed.value)


def test_a_tampered_request_fails_verification(receiver, make_webhook):
    make_webhook(receiver.url).deliver(send(envelope(), "hook"))
    [request] = receiver.requests
    body, headers = request["body"], request["headers"]
    timestamp, header = headers["x-guichet-timestamp"], headers["x-guichet-signature"]

    assert verify(SECRET, timestamp, body, header) is True
    tampered = body.replace(b"Martin", b"Marten")
    assert tampered != body
    assert verify(SECRET, timestamp, tampered, header) is False
    assert verify("another-secret", timestamp, body, header) is False
    assert verify(SECRET, str(int(timestamp) + 1), body, header) is False  # replayed header
    # a captured request replayed later is refused, even with a valid signature
    assert verify(SECRET, timestamp, body, header, now=int(timestamp) + 301) is False
    old = str(int(time.time()) - 3600)
    assert verify(SECRET, old, body, signature(SECRET, old, body)) is False


@pytest.mark.parametrize(
    ("timestamp", "header"),
    [
        ("²", "sha256=00"),  # a digit for str.isdigit(), not for int()
        (None, "sha256=é"),  # not ASCII: hmac.compare_digest raises TypeError on str
        ("", ""),
        ("abc", "sha256=00"),
    ],
)
def test_verify_says_no_to_malformed_headers_instead_of_raising(timestamp, header):
    # HTTP header values arrive as ISO-8859-1 text: a receiver must not crash on them.
    body = b'{"id":"x"}'
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    assert verify(SECRET, timestamp, body, header) is False


# -- amqp -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broker():
    """A connection to RabbitMQ, or a skip."""
    pika = pytest.importorskip("pika")
    try:
        connection = pika.BlockingConnection(
            pika.URLParameters(f"{AMQP_URL}?connection_attempts=1&socket_timeout=3")
        )
    except Exception as error:  # noqa: BLE001 - any failure means: no broker here
        missing_service(f"RabbitMQ is not reachable at {AMQP_URL}: {error!r}")
    yield connection
    if connection.is_open:
        connection.close()


@pytest.fixture
def exchange(broker):
    """A durable topic exchange with a queue bound to ``guichet.dossiers``: (name, channel,
    queue)."""
    channel = broker.channel()
    name = f"guichet-test-{uuid.uuid4()}"
    channel.exchange_declare(name, exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, name, routing_key="guichet.dossiers")
    yield name, channel, queue
    if channel.is_open:
        channel.exchange_delete(name)
        channel.close()


@pytest.fixture
def make_amqp():
    made = []

    def make(**settings) -> AmqpConnector:
        connector = AmqpConnector("bus-finances", {"url": AMQP_URL, **settings})
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


def test_an_amqp_delivery_is_a_persistent_json_message_with_the_event_id(exchange, make_amqp):
    name, channel, queue = exchange
    connector = make_amqp(exchange=name, routing_key="guichet.dossiers")
    payloads = [envelope() for _ in range(3)]
    for payload in payloads:
        connector.deliver(send(payload, "bus-finances"))

    for payload in payloads:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        assert method is not None, "the message did not reach the queue"
        assert method.exchange == name and method.routing_key == "guichet.dossiers"
        assert json.loads(body.decode("utf-8")) == payload
        assert properties.message_id == payload["id"]
        assert properties.delivery_mode == 2  # persistent
        assert properties.content_type == "application/json"
        assert properties.type == payload["type"]
    assert channel.basic_get(queue, auto_ack=True)[0] is None


def test_an_unroutable_message_is_a_dead_letter(exchange, make_amqp):
    name, channel, queue = exchange
    connector = make_amqp(exchange=name, routing_key="nobody.listens.here")
    with pytest.raises(DeliveryFailed) as failed:
        connector.deliver(send(envelope(), "bus-finances"))
    assert failed.value.retryable is False
    assert name in str(failed.value)
    assert channel.basic_get(queue, auto_ack=True)[0] is None

    # the connection is still good for the next delivery
    good = make_amqp(exchange=name, routing_key="guichet.dossiers")
    good.deliver(send(envelope(), "bus-finances"))
    assert channel.basic_get(queue, auto_ack=True)[0] is not None


def test_an_unknown_exchange_fails_then_the_connector_recovers(exchange, make_amqp):
    _, channel, queue = exchange
    missing = f"guichet-missing-{uuid.uuid4()}"
    connector = make_amqp(exchange=missing, routing_key="guichet.dossiers")
    with pytest.raises(DeliveryFailed) as failed:
        connector.deliver(send(envelope(), "bus-finances"))
    assert failed.value.retryable is False
    assert "NOT_FOUND" in str(failed.value) and missing in str(failed.value)

    # the department creates its exchange; the replayed delivery goes through
    channel.exchange_declare(missing, exchange_type="topic", durable=True)
    try:
        channel.queue_bind(queue, missing, routing_key="guichet.dossiers")
        payload = envelope()
        connector.deliver(send(payload, "bus-finances"))
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        assert method is not None and properties.message_id == payload["id"]
    finally:
        channel.exchange_delete(missing)


def test_a_broker_on_the_wrong_port_is_retried_without_leaking_the_password(make_amqp):
    connector = make_amqp(
        url=f"amqp://guichet:hunter2-secret@127.0.0.1:{free_port()}/", exchange="finances"
    )
    with pytest.raises(DeliveryFailed) as failed:
        connector.deliver(send(envelope(), "bus-finances"))
    assert failed.value.retryable is True
    assert "hunter2" not in str(failed.value)


# -- filedrop ---------------------------------------------------------------------------------


def test_filedrop_writes_the_event_as_json(tmp_path):
    folder = tmp_path / "depots" / "ged"
    payload = envelope()
    FiledropConnector("depot-ged", {"path": str(folder)}).deliver(send(payload))

    assert os.listdir(folder) == [f"{payload['id']}.json"]
    assert json.loads((folder / f"{payload['id']}.json").read_text("utf-8")) == payload


def test_filedrop_the_same_event_twice_makes_one_file(tmp_path):
    connector = FiledropConnector("depot-ged", {"path": str(tmp_path)})
    payload = envelope()
    connector.deliver(send(payload))
    connector.deliver(send(payload, attempt=2))
    assert os.listdir(tmp_path) == [f"{payload['id']}.json"]


def test_filedrop_files_are_readable_like_any_written_file(tmp_path):
    # The system picking files up (the GED, the Enfance software) usually runs as another
    # user: the file must get the usual permissions (0666 minus the umask), not 0600.
    umask = os.umask(0)
    os.umask(umask)
    payload = envelope()
    FiledropConnector("depot-ged", {"path": str(tmp_path)}).deliver(send(payload))
    mode = (tmp_path / f"{payload['id']}.json").stat().st_mode & 0o777
    assert mode == 0o666 & ~umask, oct(mode)


def test_a_reader_never_sees_a_partial_file(tmp_path):
    """A pick-up process polls the folder while big events are written: every *.json it
    sees parses, and no temporary file is left behind."""
    connector = FiledropConnector("depot-ged", {"path": str(tmp_path)})
    big = envelope(answers={"texte": "é" * 400_000})
    ids = [str(uuid.uuid4()) for _ in range(15)]
    done = threading.Event()
    seen, broken = Counter(), []

    def pick_up():
        while not done.is_set():
            for name in os.listdir(tmp_path):
                if not name.endswith(".json"):
                    continue
                try:
                    data = (tmp_path / name).read_bytes()
                except FileNotFoundError:
                    continue
                try:
                    json.loads(data)
                    seen[name] += 1
                except ValueError:
                    broken.append((name, len(data)))

    reader = threading.Thread(target=pick_up)
    reader.start()
    try:
        for round_ in range(2):  # written, then written again (a retry)
            for event_id in ids:
                connector.deliver(send({**big, "id": event_id}, attempt=round_ + 1))
    finally:
        done.set()
        reader.join()

    assert broken == []
    assert seen, "the reader saw nothing: the test proves nothing"
    assert sorted(os.listdir(tmp_path)) == sorted(f"{i}.json" for i in ids)


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("connectors.filedrop.os.fsync", disk_full)
    with pytest.raises(DeliveryFailed) as failed:
        FiledropConnector("depot-ged", {"path": str(tmp_path)}).deliver(send(envelope()))
    assert failed.value.retryable is True
    assert "No space left on device" in str(failed.value)
    assert os.listdir(tmp_path) == []


def test_filedrop_copies_the_attachments(tmp_path):
    storage, folder = tmp_path / "storage", tmp_path / "ged"
    storage.mkdir()
    (storage / "att-1").write_bytes(b"%PDF-1.7 carte d'identite")
    payload = envelope(
        attachments=[
            {
                "id": "att-1",
                "field": "piece_identite",
                "filename": "cni.pdf",
                "content_type": "application/pdf",
                "size": 25,
                "sha256": "x",
            }
        ]
    )
    connector = FiledropConnector(
        "depot-ged", {"path": str(folder), "attachments": True}, storage=storage
    )
    connector.deliver(send(payload))

    assert sorted(os.listdir(folder)) == sorted([f"{payload['id']}.json", f"{payload['id']}-att-1"])
    assert (folder / f"{payload['id']}-att-1").read_bytes() == b"%PDF-1.7 carte d'identite"


def test_filedrop_shows_no_event_whose_attachments_could_not_be_copied(tmp_path):
    # The pick-up process takes <event id>.json as soon as it appears: the attachments it
    # lists must already be there, and a delivery that fails must not leave the event behind.
    storage, folder = tmp_path / "storage", tmp_path / "ged"
    (storage / "att-1").mkdir(parents=True)  # unreadable as a file
    payload = envelope(
        attachments=[
            {
                "id": "att-1",
                "field": "piece_identite",
                "filename": "cni.pdf",
                "content_type": "application/pdf",
                "size": 25,
                "sha256": "x",
            }
        ]
    )
    connector = FiledropConnector(
        "depot-ged", {"path": str(folder), "attachments": True}, storage=storage
    )
    with pytest.raises(DeliveryFailed):
        connector.deliver(send(payload))
    assert os.listdir(folder) == [], "no event without its attachments, no temporary file"


def test_filedrop_reports_an_unwritable_folder(tmp_path):
    blocker = tmp_path / "ged"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(DeliveryFailed) as failed:
        FiledropConnector("depot-ged", {"path": str(blocker)}).deliver(send(envelope()))
    assert "cannot write" in str(failed.value)


# -- registry ---------------------------------------------------------------------------------


class DuplicateEmail(Connector):
    type = "email"


class Fax(Connector):
    type = "fax"


class NotAConnector:
    type = "nothing"


def entry(name: str, target: str) -> EntryPoint:
    return EntryPoint(name=name, value=f"{__name__}:{target}", group=GROUP)


def test_load_types_finds_the_built_ins_through_entry_points():
    types = load_types()
    assert types["email"] is EmailConnector
    assert types["webhook"] is WebhookConnector
    assert types["amqp"] is AmqpConnector
    assert types["filedrop"] is FiledropConnector
    assert types["recorder"] is RecordingConnector


def test_load_types_takes_the_given_entry_points():
    assert load_types([entry("fax", "Fax")]) == {"fax": Fax}


def test_two_types_with_one_name_fail_naming_both():
    built_in = EntryPoint(name="email", value="connectors.email:EmailConnector", group=GROUP)
    with pytest.raises(RegistryError) as refused:
        load_types([built_in, entry("mail2", "DuplicateEmail")])
    message = str(refused.value)
    assert "'email'" in message
    assert "connectors.email:EmailConnector" in message
    assert f"{__name__}:DuplicateEmail" in message


def test_an_entry_point_that_is_not_a_connector_fails():
    with pytest.raises(RegistryError) as refused:
        load_types([entry("nothing", "NotAConnector")])
    assert f"{__name__}:NotAConnector" in str(refused.value)


def test_the_example_site_connectors_all_start(runtime):
    registry = ConnectorRegistry(runtime.site)
    try:
        assert set(registry.instances) == {
            "mail",
            "relais-smtp",
            "logiciel-etat-civil",
            "gmao-voirie",
            "bus-finances",
            "depot-ged",
        }
        # secrets are revealed to the connectors themselves
        assert registry.instances["logiciel-etat-civil"].settings["secret"] == SECRET
        assert registry.instances["bus-finances"].settings["url"].startswith("amqp://guest:")
    finally:
        registry.close()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"type": "webhook", "url": "https://x.example.org"}, "needs 'secret'"),
        ({"type": "webhook", "url": "ftp://x.example.org", "secret": "s"}, "url"),
        ({"type": "filedrop", "pth": "var/depots"}, "unknown setting 'pth'"),
        ({"type": "email", "from": SENDER}, "'hook'"),  # neither folder nor host
        ({"type": "amqp", "url": "amqp://x", "exchange": "e", "port": 5672}, "'port'"),
        ({"type": "telex", "to": "x"}, "unknown connector type 'telex'"),
    ],
)
def test_a_connector_with_bad_settings_fails_at_start(settings, expected):
    with pytest.raises(RegistryError) as refused:
        ConnectorRegistry(site_with(hook=settings))
    assert "'hook'" in str(refused.value)
    assert expected in str(refused.value)


def test_every_bad_connector_is_reported_at_once():
    with pytest.raises(RegistryError) as refused:
        ConnectorRegistry(
            site_with(
                one={"type": "webhook", "url": "https://x.example.org"},
                two={"type": "filedrop"},
                good={"type": "filedrop", "path": "var"},
            )
        )
    assert "'one'" in str(refused.value) and "'two'" in str(refused.value)
    assert "'good'" not in str(refused.value)


def test_a_secret_is_never_shown_in_a_settings_problem():
    settings = {
        "type": "webhook",
        "url": "https://x.example.org",
        "secret": "s",
        "timeout": Secret("HOOK_TIMEOUT", "not-a-number-and-private"),
    }
    with pytest.raises(RegistryError) as refused:
        ConnectorRegistry(site_with(hook=settings))
    assert "not-a-number-and-private" not in str(refused.value)


def test_an_unknown_connector_name_is_a_dead_letter():
    registry = ConnectorRegistry(site_with(depot={"type": "recorder"}))
    with pytest.raises(DeliveryFailed) as failed:
        registry.deliver(send(envelope(), "nobody"))
    assert failed.value.retryable is False
    assert "'nobody'" in str(failed.value)


def test_the_registry_delivers_through_the_named_instance(tmp_path):
    registry = ConnectorRegistry(
        site_with(
            depot={"type": "filedrop", "path": str(tmp_path / "a")},
            autre={"type": "filedrop", "path": str(tmp_path / "b")},
        )
    )
    payload = envelope()
    registry.deliver(send(payload, "autre"))
    assert os.listdir(tmp_path) == ["b"]
    assert os.listdir(tmp_path / "b") == [f"{payload['id']}.json"]


def test_a_webhook_header_read_from_the_environment(tmp_path, receiver):
    # A receiver protected by a token: the token is a secret (env:NAME) inside `headers`.
    # The site config accepts it, so the registry must start with it and send it.
    site_file = tmp_path / "guichet.yaml"
    site_file.write_text(
        "authority: Ville de Valbois-sur-Loire\n"
        "departments:\n"
        "  - id: etat-civil\n"
        "    name: État civil\n"
        "connectors:\n"
        "  logiciel-etat-civil:\n"
        "    type: webhook\n"
        f"    url: {receiver.url}\n"
        "    secret: env:GUICHET_WEBHOOK_SECRET\n"
        "    headers:\n"
        "      Authorization: env:ETAT_CIVIL_TOKEN\n",
        "utf-8",
    )
    environ = {"GUICHET_WEBHOOK_SECRET": SECRET, "ETAT_CIVIL_TOKEN": "Bearer jeton-secret"}
    schemas = {name: cls.settings_schema for name, cls in load_types().items()}
    site, problems = load_site_file(site_file, environ, schemas)
    assert problems == []

    registry = ConnectorRegistry(site)
    try:
        registry.deliver(send(envelope(), "logiciel-etat-civil"))
    finally:
        registry.close()
    [request] = receiver.requests
    assert request["verified"] is True
    assert request["headers"]["authorization"] == "Bearer jeton-secret"


def test_a_mail_has_clickable_links_escaped_and_a_subject_on_one_line(tmp_path):
    folder = tmp_path / "mail"
    connector = EmailConnector("mail", {"from": SENDER, "folder": str(folder)})
    text = (
        "Bonjour <Léa> & co,\n\n"
        "Suivez votre demande\u00a0: https://guichet.example.org/suivi/a?b=1&c=2.\n"
        "Ou (https://guichet.example.org/aide)"
    )
    note = notification(["lea.martin@example.org"], "Demande  AN-1\n  reçue\u00a0: oui", text)
    connector.deliver(note)
    message = email.message_from_bytes(
        (folder / f"{note.event_id}.eml").read_bytes(), policy=policy.default
    )
    assert message["Subject"] == "Demande AN-1 reçue\u00a0: oui"
    page = parts(message)["text/html"][0].get_content()
    assert "<p>Bonjour &lt;Léa&gt; &amp; co,</p>" in page
    link = "https://guichet.example.org/suivi/a?b=1&amp;c=2"
    assert f'<a href="{link}">{link}</a>.<br>' in page  # the full stop is not in the link
    aide = "https://guichet.example.org/aide"
    assert f'(<a href="{aide}">{aide}</a>)' in page
