"""``webhook``: the event POSTed as JSON, signed with HMAC-SHA256.

Headers: ``X-Guichet-Event-Id`` and ``Idempotency-Key`` (the event id, for the receiver to
deduplicate), ``X-Guichet-Timestamp`` (Unix seconds) and ``X-Guichet-Signature``:
``sha256=`` + hex HMAC-SHA256, keyed with the secret, of ``"{timestamp}.{body}"``.
A 2xx answer delivers; 5xx, 408, 429 and network errors are retried; any other 4xx is a
dead letter that keeps the receiver's answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from .base import Connector, Delivery, DeliveryFailed

RETRYABLE_STATUSES = {408, 425, 429}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """What a receiver does: check the signature and that the timestamp is recent."""
    now = time.time() if now is None else now
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > tolerance:
        return False
    if not header.isascii():
        return False
    return hmac.compare_digest(signature(secret, timestamp, body).encode(), header.encode())


class WebhookConnector(Connector):
    type = "webhook"
    settings_schema = {
        "type": "object",
        "required": ["url", "secret"],
        "additionalProperties": False,
        "properties": {
            "url": {"type": "string", "pattern": "^https?://"},
            "secret": {
                "type": "string",
                "minLength": 1,
                "description": "HMAC key; write it env:NAME",
            },
            "timeout": {"type": "number", "exclusiveMinimum": 0},
            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }

    def __init__(
        self, name, settings, *, storage=None, transport: httpx.BaseTransport | None = None
    ):
        super().__init__(name, settings, storage=storage)
        self.client = httpx.Client(
            timeout=settings.get("timeout", 10),
            transport=transport,
            headers=settings.get("headers", {}),
        )

    def deliver(self, delivery: Delivery) -> None:
        body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Guichet-Event-Id": delivery.event_id,
            "Idempotency-Key": delivery.event_id,
            "X-Guichet-Timestamp": timestamp,
            "X-Guichet-Signature": signature(self.settings["secret"], timestamp, body),
        }
        try:
            response = self.client.post(self.settings["url"], content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"cannot reach {self.settings['url']}: {error}") from error
        if response.is_success:
            return
        answer = response.text[:500]
        retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES
        raise DeliveryFailed(
            f"{self.settings['url']} answered {response.status_code}: {answer}", retryable=retryable
        )

    def close(self) -> None:
        self.client.close()
