"""The address search of an address field with ``search:`` (a ``ban`` prefill source),
as JSON for the page's combobox (``factory/static/address-search.js``).

A GET with no side effects (so no CSRF token is needed), for a draft this browser may
fill and one of its address fields only: never an open proxy. Limited per remote address
(``ADDRESS_SEARCH_RATE_LIMIT``) and counted with the session's lookups; the query is never
logged.
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, request

from connectors.prefill.base import LookupFailed

from ..access import draft_case
from ..extensions import limiter
from ..services import services
from . import prefill
from .filing import bp, compiled_of

#: The longest query taken, in characters.
MAX_QUERY = 200


@bp.route("/brouillons/<int:case_id>/adresses/<field_id>")
@limiter.limit(lambda: current_app.config["ADDRESS_SEARCH_RATE_LIMIT"])
def address_search(case_id: int, field_id: str):
    case = draft_case(case_id)
    procedure = compiled_of(case).procedure
    field = next((f for f in procedure.form.fields if f.id == field_id), None)
    name = field.settings.get("search") if field is not None and field.type == "address" else None
    source = services().prefill.get(name) if name else None
    if source is None or not callable(getattr(source, "search", None)):
        abort(404)
    query = " ".join(request.args.get("q", "").split())
    if len(query) > MAX_QUERY:
        abort(400)
    if len(query) < 3:
        return _json([])
    if not prefill.allowed():
        return _json([], "too_many"), 429
    try:
        found = source.search(query)
    except LookupFailed:
        return _json([], "unavailable"), 503
    keys = ("label", "street", "postcode", "city", "lat", "lon")
    return _json([{k: item[k] for k in keys} for item in found])


def _json(results: list, error: str | None = None):
    """The answer, as a JSON download: a browser opening the URL never renders it."""
    response = jsonify(results=results, **({"error": error} if error else {}))
    response.headers["Content-Disposition"] = "attachment; filename=adresses.json"
    return response
