"""The words people read for the engine's vocabulary: a state's label, a department's name,
and what the history's events, actors, timers and channels, the accounts' kinds, the
outbox's statuses and the audit log's actions are called, for agents and for citizens.

One vocabulary each: a page or a mail that names one of these reads it here, never as the
id the engine stores."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from .language import text
from .services import services

#: What agents read in a case's history (events, actors, timers) and for its channel.
STAFF_WORDS = {
    "submitted": _l("Filed"),
    "transition": _l("Action"),
    "set": _l("Answer updated"),
    "assigned": _l("Assigned"),
    "migrated": _l("Moved to a new version of the procedure"),
    "citizen": _l("the citizen"),
    "agent": _l("an agent"),
    "supervisor": _l("a supervisor"),
    "administrator": _l("an administrator"),
    "timer": _l("a deadline"),
    "system": _l("the system"),
    "fire": _l("deadline"),
    "remind": _l("reminder"),
    "clock_expiry": _l("legal deadline"),
    "clock_alert": _l("alert before the legal deadline"),
    "online": _l("Online"),
    "counter": _l("Counter"),
    "phone": _l("Phone"),
    "mail": _l("Mail"),
    "api": _l("API"),  # the channel, and the actor kind of an API client
}

#: What an API client's scopes let it do, as administrators read them beside the scope.
API_SCOPE_WORDS = {
    "cases:read": _l("read the cases of its departments"),
    "cases:write": _l("move cases along, write to citizens, attach documents, file requests"),
    "documents:read": _l("download the cases' files"),
    "procedures:read": _l("read the procedures and their versions"),
    "events:read": _l("follow the events feed"),
}

#: What citizens read in their request's history; a transition reads as the state it reached.
CITIZEN_EVENTS = {
    "submitted": _l("Request filed"),
    "set": _l("Request updated"),
    "migrated": _l("Request moved to the new version of the procedure"),
}


#: Where prefilled answers come from, by prefill source type (connectors.prefill).
PREFILL_SOURCE_WORDS = {
    "recherche-entreprises": _l("the national directory of companies and associations (Sirene)"),
    "api-entreprise": _l("the Sirene register, through API Entreprise"),
    "api-particulier": _l("the CAF or the MSA, through API Particulier"),
    "ban": _l("the national address base (BAN)"),
}


def prefill_source_word(name: str) -> str:
    """Where the prefill source ``name`` of the site config takes its answers, in words."""
    site = services().runtime.site
    config = site.prefill_sources.get(name) if site else None
    if config is not None and config.type in PREFILL_SOURCE_WORDS:
        return str(PREFILL_SOURCE_WORDS[config.type])
    return name


#: What each kind of account is (engine.models.ACCOUNT_KINDS).
ACCOUNT_KIND_WORDS = {
    "citizen": _l("Citizen"),
    "agent": _l("Agent"),
    "supervisor": _l("Supervisor"),
    "administrator": _l("Administrator"),
}

#: Where a message of the outbox stands (engine.outbox, engine.worker).
OUTBOX_STATUS_WORDS = {
    "pending": _l("Waiting"),
    "running": _l("Being delivered"),
    "delivered": _l("Delivered"),
    "dead": _l("Failed for good"),
}

#: What the audit log's actions are (factory.audit callers).
AUDIT_ACTION_WORDS = {
    "account.create": _l("Account created"),
    "account.memberships": _l("Departments changed"),
    "account.deactivate": _l("Account deactivated"),
    "account.reactivate": _l("Account reactivated"),
    "assign": _l("Case assigned"),
    "download": _l("File downloaded"),
    "file_on_behalf": _l("Filed on behalf of a citizen"),
    "message": _l("Message sent"),
    "note": _l("Internal note"),
    "outbox.replay": _l("Deliveries replayed"),
    "procedure.check": _l("Procedure checked"),
    "procedure.publish": _l("Procedure published"),
    "procedure.publish_refused": _l("Publication refused"),
    "procedure.withdraw": _l("Procedure withdrawn"),
    "procedure.restore": _l("Procedure restored"),
    "read": _l("Case read"),
    "retention_purge": _l("Closed requests anonymised"),
    "legal_hold_set": _l("Legal hold set"),
    "legal_hold_lifted": _l("Legal hold lifted"),
    "personal_data_export": _l("Personal data exported"),
    "account_deleted": _l("Account deleted by its holder"),
    "transition": _l("Action on a case"),
    "api_client.create": _l("API client created"),
    "api_client.revoke": _l("API client revoked"),
    "api.list": _l("Cases listed through the API"),
    "api.read": _l("Case read through the API"),
    "api.download": _l("File downloaded through the API"),
    "api.transition": _l("Action on a case through the API"),
    "api.message": _l("Message sent through the API"),
    "api.attach": _l("Document attached through the API"),
    "api.file": _l("Case filed through the API"),
    "api.events": _l("Events read through the API"),
    "api.procedures": _l("Procedures listed through the API"),
    "api.procedure": _l("Procedure version read through the API"),
}


def _word(words, key) -> str:
    return str(words[key]) if key in words else str(key)


def account_kind(kind: str) -> str:
    """An account's kind in words ("Agent", "Citizen")."""
    return _word(ACCOUNT_KIND_WORDS, kind)


def api_scope(scope: str) -> str:
    return _word(API_SCOPE_WORDS, scope)


def outbox_status(status: str) -> str:
    """An outbox message's status in words ("Failed for good" for ``dead``)."""
    return _word(OUTBOX_STATUS_WORDS, status)


def audit_action(action: str) -> str:
    """An audit log action in words."""
    return _word(AUDIT_ACTION_WORDS, action)


def department_name(key: str | None, missing: str = "") -> str:
    """A department's name from the site config in the reader's language; the key itself
    for a department the site does not declare."""
    if not key:
        return missing
    site = services().runtime.site
    if site is not None and key in site.departments:
        return text(site.departments[key].name) or key
    return key


def department_names() -> dict[str, str]:
    """Every department of the site config by its name in the reader's language."""
    site = services().runtime.site
    return {key: department_name(key) for key in site.departments} if site else {}


def state_label(workflow, state_id: str | None, missing: str = "") -> str:
    """A state's label in the reader's language; ``missing`` when there is no state yet (a
    draft), the id itself for a state the workflow does not have."""
    if not state_id:
        return missing
    try:
        return text(workflow.state(state_id).label) or state_id
    except KeyError:
        return state_id


def staff_word(key: str) -> str:
    """Agents' word for an event kind, an actor kind, a timer kind or a channel."""
    return _word(STAFF_WORDS, key)


def citizen_event(kind: str) -> str:
    """Citizens' words for a history event other than a transition."""
    return _word(CITIZEN_EVENTS, kind)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        staff_word=staff_word,
        citizen_event=citizen_event,
        account_kind=account_kind,
        outbox_status=outbox_status,
        api_scope=api_scope,
        audit_action=audit_action,
        department_name=department_name,
    )
