"""Errors of the REST API as RFC 9457 problem details (``application/problem+json``), with
a French ``title`` and ``detail``: what went wrong and what to do.

:class:`ApiProblem` is raised by the API's views; the engine's errors and HTTP errors are
turned into problems by the blueprint's error handlers (:func:`init_blueprint`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, json, request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, EngineError, InvalidValues, NotFound, Refused

from ..errors import http_error_page
from ..services import db

MEDIA_TYPE = "application/problem+json"
#: Where the types of problem are described (relative to the API's root).
TYPE_BASE = "/api/v1/problems/"

#: status -> (type, title, detail) for the problems any route may answer.
PROBLEMS: dict[int, tuple[str, Any, Any]] = {
    400: (
        "bad-request",
        _l("The request could not be understood"),
        _l("Check the parameters and the body against the OpenAPI document."),
    ),
    401: (
        "unauthorized",
        _l("Authentication required"),
        _l("Send a valid, unrevoked client token as “Authorization: Bearer TOKEN”."),
    ),
    403: (
        "forbidden",
        _l("Scope missing"),
        _l("This client's token does not carry the scope this operation needs."),
    ),
    404: (
        "not-found",
        _l("Not found"),
        _l("Nothing here for this client: check the address and the client's departments."),
    ),
    405: (
        "method-not-allowed",
        _l("Method not allowed"),
        _l("This address does not take this method: see the OpenAPI document."),
    ),
    406: (
        "not-acceptable",
        _l("Format not available"),
        _l("The API answers in JSON only."),
    ),
    409: (
        "refused",
        _l("Action refused"),
        _l("The case is not in a state where this can be done by this client."),
    ),
    412: (
        "stale-version",
        _l("The case has changed"),
        _l("The case changed since the version sent in If-Match: read it again, then retry."),
    ),
    413: ("too-large", _l("Too large"), _l("Send a smaller file or body.")),
    415: (
        "unsupported-media-type",
        _l("Unsupported content type"),
        _l("Send JSON (application/json), or a file as multipart/form-data where asked."),
    ),
    422: (
        "invalid",
        _l("Invalid values"),
        _l("Some values are missing or not valid: see “errors”."),
    ),
    428: (
        "precondition-required",
        _l("If-Match required"),
        _l("Send the case's version in If-Match (its ETag) to change it."),
    ),
    429: (
        "rate-limited",
        _l("Too many requests"),
        _l("This client sent too many requests: wait a moment, then try again."),
    ),
    500: (
        "server-error",
        _l("Something went wrong on our side"),
        _l("Try again in a few minutes; if it lasts, tell the authority."),
    ),
}


class ApiProblem(Exception):
    """A problem the API answers: a status, optionally its own title and detail, and
    members of the problem object beyond the standard ones (``extra``)."""

    def __init__(
        self,
        status: int,
        detail: Any = None,
        *,
        title: Any = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(status, detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.headers = headers or {}
        self.extra = extra


def problem(
    status: int,
    detail: Any = None,
    *,
    title: Any = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The answer for a problem of ``status``, in French."""
    kind, default_title, default_detail = PROBLEMS.get(status, PROBLEMS[400])
    language = current_app.config["LANGUAGES"][0]
    with force_locale(language):
        body = {
            "type": TYPE_BASE + kind,
            "title": str(title or default_title),
            "status": status,
            "detail": str(detail or default_detail),
            **extra,
        }
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers["Content-Language"] = language
    response.headers.update(headers or {})
    return response


ENGINE_DETAILS = {
    NotFound: _l("No such transition or object for this case."),
    InvalidValues: _l("The form's values are missing or not valid: see “errors”."),
    Refused: _l("This action is not possible now for this client (%(reason)s)."),
    Conflict: _l("Someone changed the case at the same time: read it again, then retry."),
}


def from_engine(error: EngineError) -> Response:
    db().rollback()
    if isinstance(error, InvalidValues):
        errors = [{"field": e.field, "message": str(e.message)} for e in error.errors]
        return problem(422, ENGINE_DETAILS[InvalidValues], errors=errors)
    if isinstance(error, NotFound):
        return problem(404, ENGINE_DETAILS[NotFound])
    if isinstance(error, Refused):
        language = current_app.config["LANGUAGES"][0]
        with force_locale(language):
            detail = str(ENGINE_DETAILS[Refused]) % {"reason": error.reason}
        return problem(409, detail, reason=error.reason)
    if isinstance(error, Conflict):
        return problem(409, ENGINE_DETAILS[Conflict], title=_l("The case has changed"))
    return problem(400)


def under_api(path: str) -> bool:
    return path == "/api/v1" or path.startswith("/api/v1/")


def init_blueprint(bp: Blueprint) -> None:
    bp.register_error_handler(
        ApiProblem,
        lambda e: problem(e.status, e.detail, title=e.title, headers=e.headers, **e.extra),
    )
    bp.register_error_handler(EngineError, from_engine)

    # an address under /api/v1/ that no route takes (or not with this method, or refused
    # before routing, as a NUL character is) is the API's too: a problem, not the site's
    # error page. (A handler by class wins over these by code: the CSRF page stays.)
    for code in (400, 404, 405, 413):

        @bp.app_errorhandler(code)
        def _unrouted(error: HTTPException):
            if not under_api(request.path):
                return http_error_page(error)
            return _http(error)

    @bp.errorhandler(HTTPException)
    def _http(error: HTTPException):
        db().rollback()
        headers = {}
        if error.code == 405 and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return problem(error.code or 400, headers=headers)
