"""The REST API for the departments' own systems, at ``/api/v1/`` (issue 15).

JSON in and out, validated by spectree against Pydantic models, described by an OpenAPI
3.1 document (``/api/v1/openapi.json``) and a readable page (``/api/v1/``). Clients hold a
bearer token (``engine.api_clients``); the session cookie is never read here, so the
blueprint is exempt from CSRF. Errors are RFC 9457 problem details in French. Every read
and write is in the audit log; each client has its own rate limit; CORS is off unless
``API_CORS_ORIGINS`` names origins.

- :mod:`.clients`: the bearer token, scopes, the audit of a client's acts;
- :mod:`.problems`: problem details;
- :mod:`.spec`: spectree and the OpenAPI document;
- :mod:`.procedures`, :mod:`.cases`, :mod:`.events`: the operations.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from ..extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")

from . import cases, clients, events, problems, procedures, spec  # noqa: E402

problems.init_blueprint(bp)
bp.before_request(clients.authenticate)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document (public)."""
    return current_app.json.response(spec.document())


#: What each operation does, for the page people read (the document's summaries are in
#: English, for programmers' tools).
OPERATION_TITLES = {
    "list_procedures": _l("The procedures and their published versions"),
    "read_procedure_version": _l("One version of a procedure: the JSON Schema of its answers"),
    "list_cases": _l("The cases of the client's departments"),
    "file_case": _l("File a case on behalf of a citizen"),
    "read_case": _l("One case: answers, state, history, documents"),
    "download_attachment": _l("Download a document of a case"),
    "fire_transition": _l("Fire a transition (the case's version in If-Match)"),
    "post_message": _l("Write to the citizen"),
    "attach_document": _l("Attach a document to a case"),
    "list_events": _l("The events of the client's departments, from a cursor"),
}


@bp.get("/")
def documentation():
    """The API described for people, in French, from the OpenAPI document (public)."""
    document = spec.document()
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "title": OPERATION_TITLES.get(operation["operationId"], operation["summary"]),
            **operation,
        }
        for path, methods in sorted(document["paths"].items())
        for method, operation in methods.items()
    ]
    return render_template("api/documentation.html", operations=operations, document=document)


@bp.after_request
def _cors(response):
    origins = current_app.config.get("API_CORS_ORIGINS") or ()
    origin = request.headers.get("Origin")
    if origin and origin in origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = (
            "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key"
        )
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        response.headers.add("Vary", "Origin")
    return response


# token-authenticated: no CSRF token (a browser never sends the Authorization header by
# itself); each client (each token) has its own rate limit
csrf.exempt(bp)
limiter.limit(clients.rate_limit, key_func=clients.rate_limit_key)(bp)

blueprints = (bp,)

__all__ = ["bp", "blueprints", "cases", "events", "procedures"]
