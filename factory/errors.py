"""Error pages in the site's look, with a sentence that says what to do."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

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
    500: (
        _l("Something went wrong on our side"),
        _l("Your answers are saved. Try again in a few minutes."),
    ),
}


def init_app(app: Flask) -> None:
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

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        title, advice = MESSAGES.get(error.code, MESSAGES[400])
        return render_template(
            "error.html", code=error.code, title=title, advice=advice
        ), error.code

    if app.testing or app.debug:
        return  # let tests and the debugger see the exception

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unexpected error")
        title, advice = MESSAGES[500]
        return render_template("error.html", code=500, title=title, advice=advice), 500
