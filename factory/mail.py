"""Mail to one person, outside any case (confirmation, password reset, resume links)."""

from __future__ import annotations

from flask import current_app
from limits import parse_many

from engine.outbox import enqueue

from .extensions import limiter
from .services import db, services


def send_mail(to: str, subject: str, text: str) -> bool:
    """A mail to one person, through the outbox (delivered after the commit); whether it is
    sent. One address gets at most ``MAIL_RECIPIENT_RATE_LIMIT`` of them, whoever asks."""
    state = services()
    connector = state.runtime.mail_connector
    if connector is None:
        current_app.logger.warning("no e-mail connector: mail to %s not sent", to)
        return False
    if not _recipient_may_get_mail(to):
        current_app.logger.warning("too many mails to one address: one not sent")
        return False
    enqueue(
        db(),
        case=None,
        kind="notify",
        connector=connector,
        audience="citizen",
        payload={"to": [to], "subject": subject, "text": text},
        now=state.clock.now(),
    )
    return True


def _recipient_may_get_mail(to: str) -> bool:
    if not (limiter.enabled and current_app.config.get("RATELIMIT_ENABLED", True)):
        return True
    items = parse_many(current_app.config["MAIL_RECIPIENT_RATE_LIMIT"])
    address = to.strip().lower()
    if not all(limiter.limiter.test(item, "mail-recipient", address) for item in items):
        return False
    for item in items:
        limiter.limiter.hit(item, "mail-recipient", address)
    return True
