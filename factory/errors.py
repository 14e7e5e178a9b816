"""Errors as people read them: the error pages in the site's look, with a sentence that
says what to do, and the one mapping of engine errors to HTTP statuses and French messages.

A view that runs one engine operation calls :func:`attempt`: the operation, the commit, and
on a refusal the rollback and the message, in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, flash, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import Conflict, EngineError, InvalidValues, NotFound, PublishError, Refused
from engine.storage import StorageError

from .services import db

MESSAGES = {
    400: (
        _l("The request could not be understood"),
        _l("Go back to the previous page and try again."),
    ),
    403: (_l("Access refused"), _l("This page is not open to your account.")),
    404: (
        _l("Page not found"),
        _l("Check the address, or go back to the list of online procedures."),
    ),
    405: (_l("Action not allowed"), _l("Go back to the previous page and try again.")),
    409: (
        _l("Someone else changed this request"),
        _l("Reload the page to see what changed, then try again."),
    ),
    413: (_l("The file is too large"), _l("Send a smaller file, or several smaller files.")),
    429: (_l("Too many attempts"), _l("Wait a few minutes, then try again.")),
    503: (
        _l("This document cannot be produced right now"),
        _l("Try again in a few minutes; your request is not affected."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Your answers are saved. Try again in a few minutes."),
    ),
}


#: The HTTP status of each engine error a view lets through, most specific first.
STATUS: dict[type[EngineError], int] = {
    NotFound: 404,
    InvalidValues: 422,
    Refused: 409,
    Conflict: 409,
    PublishError: 422,
    EngineError: 400,
}

#: A message for an engine error: a text, or a function of the error giving one.
Message = Any
Messages = Mapping[type[EngineError] | tuple[type[EngineError], ...], Message]


def status_of(error: EngineError) -> int:
    return next(code for kind, code in STATUS.items() if isinstance(error, kind))


def message_for(error: EngineError, messages: Messages) -> str | None:
    """The message ``messages`` gives for ``error`` (the first key it is an instance of)."""
    for kind, message in messages.items():
        if isinstance(error, kind):
            return message(error) if callable(message) else str(message)
    return None


def attempt(
    operation: Callable[[], Any],
    messages: Messages,
    *,
    commit: Callable[[], None] | None = None,
) -> EngineError | None:
    """Run one engine operation and commit (``commit``, or the request's session).

    On an engine error that ``messages`` names, roll back, flash its message and return the
    error; any other error is rolled back and raised (:data:`STATUS` answers it). ``None``
    when the operation is done and committed."""
    session = db()
    try:
        operation()
        (commit or session.commit)()
    except EngineError as error:
        session.rollback()
        message = message_for(error, messages)
        if message is None:
            raise
        flash(message, "error")
        return error
    return None


def http_error_page(error: HTTPException):
    """The error page of an HTTP error."""
    title, advice = MESSAGES.get(error.code, MESSAGES[400])
    return render_template("error.html", code=error.code, title=title, advice=advice), error.code


def init_app(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def _engine(error: EngineError):
        db().rollback()
        code = status_of(error)
        title, advice = MESSAGES.get(code, MESSAGES[400])
        return render_template("error.html", code=code, title=title, advice=advice), code

    @app.errorhandler(StorageError)
    def _storage(error: StorageError):
        # the object store (or the disk) refused the files: nothing was committed
        db().rollback()
        app.logger.warning("files could not be stored: %s", error)
        title, advice = MESSAGES[500]
        return render_template("error.html", code=503, title=title, advice=advice), 503

    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_template(
            "error.html",
            code=400,
            title=_l("The form has expired"),
            advice=_l(
                "For your security, forms expire. Go back, reload the page and send it again."
            ),
        ), 400

    app.register_error_handler(HTTPException, http_error_page)

    if app.testing or app.debug:
        return  # let tests and the debugger see the exception

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unexpected error")
        title, advice = MESSAGES[500]
        return render_template("error.html", code=500, title=title, advice=advice), 500
