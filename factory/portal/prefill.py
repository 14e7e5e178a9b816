""" "Tell us once" from public sources: when the field a lookup reads (``from:``) is
answered, the source is asked and the target answers are filled in.

A source that is down, slow or finds nothing never blocks filing: the citizen types the
values, and the page says so. Each filled answer is recorded on the case
(``Case.prefilled``: the source, its type, when, and keyed digests of the lookup's key and
of the value given, never the values themselves), which agents read on the case page.
Lookups are cached briefly per draft (``connectors.prefill.sources``), logged without
personal data, and limited per browser session (``PREFILL_LOOKUPS`` in
``PREFILL_LOOKUP_WINDOW_SECONDS``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, flash, session, url_for
from flask_babel import gettext as _
from jsonschema import Draft202012Validator

from connectors.prefill.base import LookupFailed
from definitions import fieldtypes
from definitions.model import Field, Page, PrefillLookup, Procedure
from engine.models import Case

from ..answers import answer_digest
from ..language import text
from ..services import services
from ..wording import prefill_source_word

SESSION_KEY = "prefill_lookups"


@dataclass(frozen=True)
class Lookup:
    """One lookup to make: a source, the fields that make its key, the targets it fills."""

    source: str
    origins: tuple[str, ...]
    targets: tuple[tuple[Field, str], ...]  # (field, value key)


def lookups(procedure: Procedure) -> list[Lookup]:
    """The procedure's lookups, one per source and key."""
    found: dict[tuple[str, tuple[str, ...]], list[tuple[Field, str]]] = {}
    for field in procedure.form.fields:
        if isinstance(field.prefill, PrefillLookup):
            key = (field.prefill.source, field.prefill.origins)
            found.setdefault(key, []).append((field, field.prefill.value))
    return [Lookup(source, origins, tuple(t)) for (source, origins), t in found.items()]


digest = answer_digest


def _key(lookup: Lookup, answers: Mapping[str, Any]):
    values = [answers.get(name) for name in lookup.origins]
    if any(v in (None, "", [], {}) for v in values):
        return None
    return values[0] if len(values) == 1 else tuple(values)


def pending(
    procedure: Procedure, page: Page, case: Case, answers: Mapping[str, Any] | None = None
) -> list[Lookup]:
    """The lookups a page's answers (by default the draft's) call for: a field of the page
    makes their key, the key is complete, and it is not the one the targets were last
    filled from."""
    answers = case.answers if answers is None else answers
    on_page = {f.id for f in page.fields}
    recorded = case.prefilled or {}
    result = []
    for lookup in lookups(procedure):
        if not lookup.origins or not on_page & set(lookup.origins):
            continue
        key = _key(lookup, answers)
        if key is None:
            continue
        marks = [recorded.get(field.id) for field, _ in lookup.targets]
        if all(mark and mark.get("key") == digest(key) for mark in marks):
            continue
        result.append(lookup)
    return result


def _allowed() -> bool:
    """Whether this browser session may make one more lookup now (and count it)."""
    limit = int(current_app.config["PREFILL_LOOKUPS"])
    window = float(current_app.config["PREFILL_LOOKUP_WINDOW_SECONDS"])
    now = time.time()
    recent = [t for t in session.get(SESSION_KEY, []) if now - t < window]
    if len(recent) >= limit:
        session[SESSION_KEY] = recent
        return False
    session[SESSION_KEY] = [*recent, now]
    return True


def allowed() -> bool:
    return _allowed()


def run(
    procedure: Procedure, case: Case, todo: list[Lookup], identity: Mapping[str, Any] | None = None
) -> set[str]:
    """Make the lookups, fill their targets in the draft's answers, record where they came
    from, and flash what happened in words. Returns the ids of the fields filled."""
    filled: set[str] = set()
    sources = services().prefill
    for lookup in todo:
        key = _key(lookup, case.answers) if lookup.origins else None
        labels = [text(field.label) for field, _ in lookup.targets]
        where = prefill_source_word(lookup.source)
        if not _allowed():
            flash(_too_many(labels), "warning")
            continue
        try:
            answer = sources.lookup(lookup.source, key, identity or {}, scope=case.id)
        except LookupFailed:
            flash(_failed(labels, where), "warning")
            continue
        if not answer:
            flash(_nothing(labels, where), "warning")
            continue
        done, unfit = _fill(case, lookup, key, answer)
        filled |= done
        if done:
            names = [text(f.label) for f, _ in lookup.targets if f.id in done]
            flash(
                _(
                    "Filled in from %(source)s: %(fields)s. Check these answers: you may "
                    "correct them.",
                    source=where,
                    fields=_(", ").join(names),
                ),
                "success",
            )
        if unfit:
            missing = [text(f.label) for f, _ in lookup.targets if f.id in unfit]
            flash(_nothing(missing, where), "warning")
    return filled


def _fill(case: Case, lookup: Lookup, key, answer: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """Fill the targets the citizen has not answered themselves: (the fields filled, the
    fields the answer has no fitting value for)."""
    answers = dict(case.answers)
    recorded = dict(case.prefilled or {})
    now = services().clock.now().astimezone(dt.UTC).isoformat(timespec="seconds")
    source = services().prefill.get(lookup.source)
    done: set[str] = set()
    unfit: set[str] = set()
    for field, name in lookup.targets:
        value = as_answer(field, answer.get(name))
        if value is None:
            unfit.add(field.id)
            continue
        current = answers.get(field.id)
        mark = recorded.get(field.id)
        typed = current not in (None, "") and not (mark and mark.get("value") == digest(current))
        if typed:
            continue  # the citizen's own answer stays
        answers[field.id] = value
        recorded[field.id] = {
            "source": lookup.source,
            "type": source.type if source else "",
            "at": now,
            "key": digest(key) if key is not None else None,
            "value": digest(value),
        }
        done.add(field.id)
    case.answers = answers
    case.prefilled = recorded
    return done, unfit


def as_answer(field: Field, value: Any) -> Any:
    """A source's value as an answer of ``field``, or ``None`` when it does not fit."""
    if value is None or value == "":
        return None
    kind = field.type
    if isinstance(value, dict) and kind != "address" and kind != "location":
        value = ", ".join(str(v) for v in value.values() if v)
    if kind in ("integer",) and isinstance(value, int | float | str):
        try:
            value = int(value)
        except ValueError:
            return None
    elif kind in ("text", "textarea", "siret", "email", "phone") and not isinstance(value, str):
        value = str(value) if not isinstance(value, bool) else None
    elif kind == "address" and isinstance(value, dict):
        value = {k: v for k, v in value.items() if v}
    elif kind == "boolean":
        value = bool(value)
    if isinstance(value, str) and field.max_length:
        value = value[: field.max_length].strip()
    if value is None:
        return None
    try:
        value = fieldtypes.registry[kind].normalise(field, value)
        schema = fieldtypes.value_schema(field)
    except (KeyError, ValueError, TypeError):
        return None
    return value if Draft202012Validator(schema).is_valid(value) else None


def _too_many(labels: list[str]) -> str:
    return _(
        "We cannot fetch more information for now: please type %(fields)s yourself.",
        fields=_(", ").join(labels),
    )


def _failed(labels: list[str], where: str) -> str:
    return _(
        "We could not reach %(source)s just now: please type %(fields)s yourself. Nothing "
        "is lost, and you can go on.",
        source=where,
        fields=_(", ").join(labels),
    )


def _nothing(labels: list[str], where: str) -> str:
    return _(
        "%(source)s has nothing for this number: please type %(fields)s yourself.",
        source=where,
        fields=_(", ").join(labels),
    )


def mentions(procedure: Procedure, page: Page) -> list[dict[str, Any]]:
    """What the page must say of the sources whose terms require it (API Particulier): the
    source in words, what it fills, and the purpose the authority gave."""
    site = services().runtime.site
    result = []
    on_page = {f.id for f in page.fields}
    for lookup in lookups(procedure):
        config = site.prefill_sources.get(lookup.source) if site else None
        source = services().prefill.get(lookup.source)
        if config is None or source is None or not getattr(source, "needs_mention", False):
            continue
        if not on_page & ({f.id for f, _ in lookup.targets} | set(lookup.origins)):
            continue
        result.append(
            {
                "source": prefill_source_word(lookup.source),
                "fields": [text(f.label) for f, _ in lookup.targets],
                "purpose": str(config.settings.get("purpose", "")),
            }
        )
    return result


def identity_of(account) -> dict[str, Any]:
    """The pivot identity's claims of an account signed in with FranceConnect, if any."""
    from engine.models import ExternalIdentity

    from ..services import db

    if account is None:
        return {}
    row = (
        db()
        .query(ExternalIdentity)
        .filter_by(account_id=account.id, provider="franceconnect")
        .order_by(ExternalIdentity.last_seen_at.desc())
        .first()
    )
    return dict(row.claims or {}) if row else {}


def at_start(procedure: Procedure, case: Case, account) -> None:
    """The lookups without a key, from the FranceConnect identity, when a draft starts;
    without that identity nothing is asked (the citizen types the values)."""
    todo = [lookup for lookup in lookups(procedure) if not lookup.origins]
    if not todo:
        return
    identity = identity_of(account)
    if identity:
        run(procedure, case, todo, identity)


def location_maps(page: Page) -> list[dict[str, str]]:
    """The page's location fields, with the map's tiles of the site config (none without
    ``map:``), and the field's bounds as ``south,west,north,east``."""
    site = services().runtime.site
    if site is None or site.map is None:
        return []
    found = []
    for field in page.fields:
        if field.type == "location":
            b = field.bounds
            found.append(
                {
                    "field": field.id,
                    "tiles": site.map.tiles,
                    "attribution": site.map.attribution,
                    "bounds": f"{b.south},{b.west},{b.north},{b.east}" if b else "",
                }
            )
    return found


def address_searches(case: Case, page: Page) -> dict[str, dict[str, str]]:
    """The page's address fields with a search: the URL of each one's JSON search, and the
    page's location field, whose latitude and longitude the chosen address fills."""
    sources = services().prefill
    point = next((f.id for f in page.fields if f.type == "location"), "")
    found = {}
    for field in page.fields:
        name = field.settings.get("search") if field.type == "address" else None
        source = sources.get(name) if name else None
        if source is not None and callable(getattr(source, "search", None)):
            url = url_for("filing.address_search", case_id=case.id, field_id=field.id)
            found[field.id] = {"url": url, "location": point}
    return found
