"""What Guichet holds about a person, for people: the engine's export
(:func:`engine.personal_data.export`) as a JSON download, or as a readable document
(``personal_data_document.html``), shared by the personal space and the back office."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from engine.models import ProcedureVersion

from .answers import answer_rows
from .formatting import format_moment
from .language import text
from .services import db, services
from .wording import CITIZEN_EVENTS, citizen_event, department_name, staff_word, state_label


@dataclass(frozen=True)
class Request:
    """One request of the export, in words."""

    reference: str
    title: str
    department: str
    state: str
    draft: bool
    filed: str
    closed: str
    anonymised: str
    retention_days: int | None
    sections: list  # (page title, answer rows)
    files: list[dict]
    history: list[tuple[str, str]]  # (when, what)
    messages: list[tuple[str, str, str]]  # (when, from whom, body)
    reminders: list[tuple[str, str]]
    satisfaction: dict | None


def _moment(value: str | None) -> str:
    return format_moment(dt.datetime.fromisoformat(value)) if value else ""


def readable(data: dict[str, Any]) -> list[Request]:
    """The export's requests in words: titles, states, answers by page, the history."""
    session = db()
    catalogue = services().runtime.catalogue
    found = []
    for item in data["requests"]:
        version_id = session.scalar(
            sa.select(ProcedureVersion.id).where(
                ProcedureVersion.slug == item["procedure"],
                ProcedureVersion.version == item["version"],
            )
        )
        procedure = catalogue.compiled(session, version_id).procedure
        sections = []
        for page in procedure.form.pages:
            rows = answer_rows(page.fields, item["answers"])
            if rows and any(f.id in item["answers"] for f, _value, _items in rows):
                sections.append((text(page.title), rows))
        history = []
        for event in item["history"]:
            if event["transition"]:
                try:
                    what = text(procedure.workflow.transition(event["transition"]).label)
                except KeyError:
                    what = event["transition"]
            else:
                kind = event["event"]
                what = citizen_event(kind) if kind in CITIZEN_EVENTS else staff_word(kind)
            if event["to_state"]:
                what += " → " + state_label(procedure.workflow, event["to_state"])
            history.append((_moment(event["at"]), what))
        found.append(
            Request(
                reference=item["reference"] or "",
                title=text(procedure.title),
                department=department_name(item["department"]),
                state=state_label(procedure.workflow, item["state"]),
                draft=item["draft"],
                filed=_moment(item["submitted_at"]),
                closed=_moment(item["closed_at"]),
                anonymised=_moment(item["anonymised_at"]),
                retention_days=item["retention_days"],
                sections=sections,
                files=[
                    {"filename": f["filename"], "added": _moment(f["added_at"])}
                    for f in item["files"]
                ]
                + [  # what the workflow wrote (an arrêté, a decision)
                    {"filename": d["filename"], "added": _moment(d["written_at"])}
                    for d in item.get("documents", ())
                ],
                history=history,
                messages=[
                    (_moment(m["at"]), staff_word(m["from"]), m["body"]) for m in item["messages"]
                ],
                reminders=[(_moment(r["at"]), r["comment"]) for r in item["reminders"]],
                satisfaction=item["satisfaction"],
            )
        )
    return found


#: The profile's keys (the personal space's profile page) in words.
PROFILE_LABELS = {
    "given_name": _l("Given names"),
    "family_name": _l("Family name"),
    "phone": _l("Phone"),
    "birthdate": _l("Date of birth"),
}


def document(data: dict[str, Any]) -> dict[str, Any]:
    """What the readable document shows: the export with dates, labels and states in
    words."""
    account = data["account"]
    return {
        "produced": _moment(data["generated_at"]),
        "email": data["email"],
        "account_withheld": data["account_withheld"],
        "account": None
        if account is None
        else {
            "name": account["name"],
            "email": account["email"],
            "created": _moment(account["created_at"]),
            "profile": [
                (str(PROFILE_LABELS.get(key, key)), value)
                for key, value in account["profile"].items()
            ],
            "prefill_consent": account["prefill_consent"],
            "identities": [
                (i["provider"], ", ".join(str(v) for v in i["claims"].values()))
                for i in account["identities"]
            ],
        },
        "requests": readable(data),
        "notifications": [(_moment(n["at"]), n["subject"]) for n in data["notifications"]],
    }


def json_download(data: dict[str, Any]):
    """The export as a JSON file, always downloaded."""
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="donnees-personnelles.json"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
