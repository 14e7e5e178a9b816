"""``email``: notifications and case deliveries by mail (SMTP, or a folder of .eml files).

With ``folder`` set, messages are written there (the embedded default: no mail server
needed); otherwise they go through SMTP with STARTTLS or SSL and a login. Each message
carries a plain-text and an HTML part; a notification carries the case's documents it goes
with (PDFs, from ``payload["attachments"]``: the worker reads them at delivery), and a case
delivery (``send``) carries the event as a JSON attachment. The event id is the
Message-ID's left part, for deduplication.
"""

from __future__ import annotations

import base64
import html
import json
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from .base import Connector, Delivery, DeliveryFailed
from .filedrop import write_atomically

#: A web address in a text (up to a space or what ends a sentence or quotes it).
_LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def html_paragraph(text: str) -> str:
    """A paragraph of a plain-text mail as HTML: escaped, line breaks kept, web addresses
    as links."""
    pieces, end = [], 0
    for match in _LINK.finditer(text):
        pieces.append(html.escape(text[end : match.start()]))
        url = html.escape(match.group())
        pieces.append(f'<a href="{url}">{url}</a>')
        end = match.end()
    pieces.append(html.escape(text[end:]))
    return "<p>" + "".join(pieces).replace("\n", "<br>") + "</p>"


class EmailConnector(Connector):
    type = "email"
    settings_schema = {
        "type": "object",
        "required": ["from"],
        "additionalProperties": False,
        "properties": {
            "from": {"type": "string", "minLength": 3},
            "folder": {
                "type": "string",
                "minLength": 1,
                "description": "write .eml files here instead of using SMTP",
            },
            "host": {"type": "string", "minLength": 1},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "security": {"enum": ["starttls", "ssl", "none"]},
            "username": {"type": "string"},
            "password": {"type": "string"},
            "timeout": {"type": "number", "exclusiveMinimum": 0},
            "to": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "description": "recipients of case deliveries (send actions)",
            },
        },
        "anyOf": [{"required": ["folder"]}, {"required": ["host"]}],
    }

    def message(self, delivery: Delivery) -> EmailMessage:
        payload = delivery.payload
        message = EmailMessage()
        message["From"] = self.settings["from"]
        message["Date"] = formatdate(localtime=False)
        # the same Message-ID on every attempt, so that mail systems drop duplicates
        message["Message-ID"] = f"<{delivery.event_id}@guichet>"
        message["X-Guichet-Event-Id"] = delivery.event_id
        if delivery.kind == "notify":
            recipients = payload.get("to") or []
            subject, text = payload.get("subject", ""), payload.get("text", "")
        else:
            recipients = self.settings.get("to") or []
            data = payload.get("data", {})
            subject = f"[{data.get('reference')}] {data.get('procedure')} — {data.get('state')}"
            text = "\n".join(f"{key} : {value}" for key, value in data.get("answers", {}).items())
        if not recipients:
            raise DeliveryFailed(
                f"the mail connector {self.name!r} has no recipient for this "
                "message (set 'to' in its settings for case deliveries)",
                retryable=False,
            )
        message["To"] = ", ".join(recipients)
        # on one line, without doubled spaces; no-break spaces stay
        message["Subject"] = re.sub(r"[ \t\r\n\f\v]+", " ", str(subject)).strip()
        message.set_content(text)
        paragraphs = "".join(html_paragraph(p) for p in text.split("\n\n") if p.strip())
        message.add_alternative(
            f'<!doctype html><html lang="fr"><body>{paragraphs}</body></html>', subtype="html"
        )
        for attached in payload.get("attachments", []) if delivery.kind == "notify" else []:
            # documents of the case the notification carries (engine.documents)
            maintype, _, subtype = attached.get("content_type", "application/pdf").partition("/")
            message.add_attachment(
                base64.b64decode(attached["content"]),
                maintype=maintype,
                subtype=subtype,
                filename=attached["filename"],
            )
        if delivery.kind == "send":
            message.add_attachment(
                json.dumps(payload, ensure_ascii=False, indent=2).encode(),
                maintype="application",
                subtype="json",
                filename=f"{delivery.event_id}.json",
            )
        return message

    def deliver(self, delivery: Delivery) -> None:
        message = self.message(delivery)
        if "folder" in self.settings:
            folder = Path(self.settings["folder"])
            try:
                folder.mkdir(parents=True, exist_ok=True)
                write_atomically(folder / f"{delivery.event_id}.eml", bytes(message))
            except OSError as error:
                raise DeliveryFailed(f"cannot write into {folder}: {error.strerror}") from error
            return
        self.send_smtp(message)

    def send_smtp(self, message: EmailMessage) -> None:
        host = self.settings["host"]
        security = self.settings.get("security", "starttls")
        port = self.settings.get("port", {"ssl": 465, "starttls": 587}.get(security, 25))
        timeout = self.settings.get("timeout", 30)
        context = ssl.create_default_context()
        try:
            if security == "ssl":
                client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            else:
                client = smtplib.SMTP(host, port, timeout=timeout)
            with client:
                if security == "starttls":
                    client.starttls(context=context)
                if self.settings.get("username"):
                    client.login(self.settings["username"], self.settings.get("password", ""))
                client.send_message(message)
        except smtplib.SMTPResponseException as error:
            # 5xx: the server refuses this message for good; 4xx: try again later
            raise DeliveryFailed(
                f"the mail server answered {error.smtp_code}: {error.smtp_error!r}",
                retryable=error.smtp_code < 500,
            ) from error
        except smtplib.SMTPRecipientsRefused as error:
            # 4xx for every recipient (greylisting, a full mailbox): try again later
            codes = [code for code, _ in error.recipients.values()]
            raise DeliveryFailed(
                f"the mail server refused the recipients: {error.recipients}",
                retryable=bool(codes) and all(code < 500 for code in codes),
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"cannot reach the mail server {host}:{port}: {error}") from error
