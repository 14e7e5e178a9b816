"""Security headers on every answer, and staff sessions that expire when idle."""

from __future__ import annotations

import re
import time

from flask import Flask, Response, request, session
from flask_login import current_user, logout_user

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


#: Pages that are the same for every visitor: shown to someone who is not signed in, a
#: browser or a shared cache may keep them. Every other answer (personal space, filing,
#: tracking link, account pages, back office, console, errors) is sent with ``no-store``.
PUBLIC_ENDPOINTS = frozenset(
    {
        "portal.catalogue",
        "portal.accessibility",
        "portal.privacy",
        "portal.legal_notice",
        "filing.start",
    }
)


def may_be_stored() -> bool:
    """Static files, and public pages read by a visitor who is not signed in (unless the
    answer changes their session: a message shown once, a new form token)."""
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.endswith(".static"):
        return True
    return (
        endpoint in PUBLIC_ENDPOINTS
        and request.method in ("GET", "HEAD")
        and not current_user.is_authenticated
        and not session.modified
    )


def content_security_policy(site) -> str:
    """The policy, with the origin of the map's tiles (``map: {tiles}``) among the images,
    and the identity providers' origins in ``form-action``: the sign-in and sign-out buttons
    post here and are redirected there, and browsers apply ``form-action`` to the
    redirections that follow a form."""
    from urllib.parse import urlsplit

    policy = CONTENT_SECURITY_POLICY
    tiles = site.map.tiles if site is not None and site.map is not None else ""
    match = re.match(r"^(https?://[^/{}]+)/", tiles)
    if match:
        policy = policy.replace("img-src 'self' data:", f"img-src 'self' data: {match.group(1)}", 1)
    providers = site.identity.values() if site is not None else ()
    origins = sorted({"{0.scheme}://{0.netloc}".format(urlsplit(p.issuer)) for p in providers})
    if origins:
        policy = policy.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))
    return policy


def init_app(app: Flask) -> None:
    policy = content_security_policy(app.extensions["guichet"].runtime.site)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(self), camera=(), microphone=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not may_be_stored():
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.before_request
    def _staff_idle_timeout() -> None:
        if not current_user.is_authenticated or not current_user.is_staff:
            return
        now = time.time()
        limit = app.config["STAFF_IDLE_TIMEOUT"].total_seconds()
        last = session.get("seen", now)
        if now - last > limit:
            logout_user()
            session.clear()
            return
        session["seen"] = now
