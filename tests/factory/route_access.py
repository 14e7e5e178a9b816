"""Who may use each route of the application: the table ``test_access.py`` walks and
``test_route_security.py`` reads. A new route adds its line to ``ACCESS``."""

from __future__ import annotations

from .route_world import ACTORS

OK = "ok"  # what the route answers when it works (200, or its own codes below)
LOGIN = "login"  # 302 to the sign-in page
AWAY = "away"  # 302 elsewhere: a signed-in person goes where they work
HIDDEN = frozenset({404})
FORBIDDEN = frozenset({403})
#: OK, but a case outside the actor's departments is left untouched
UNTOUCHED = "untouched"


def access(*outcomes) -> dict:
    """One outcome per actor, in the order of ACTORS."""
    return dict(zip(ACTORS, outcomes, strict=True))


#: citizen_a owns the cases, the draft and their documents; the cases belong to etat-civil,
#: the department of the agent and the supervisor; the other agent works in voirie.
EVERYONE = access(OK, OK, OK, OK, OK, OK, OK)
SIGNED_OUT = access(OK, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY)
#: a forged e-mail token opens nothing
NOBODY = access(HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
#: the tracking link is the key: whoever holds it reaches the case
LINK_HOLDERS = EVERYONE
SIGNED_IN = access(LOGIN, OK, OK, OK, OK, OK, OK)
CITIZENS = access(LOGIN, OK, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
OWNER = access(HIDDEN, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
OWNER_SIGN_IN = access(LOGIN, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)
#: starting a procedure is for citizens and visitors; staff file on behalf instead
FILERS = access(OK, OK, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
STAFF = access(LOGIN, HIDDEN, HIDDEN, OK, OK, OK, OK)
STAFF_CASE = access(LOGIN, HIDDEN, HIDDEN, OK, HIDDEN, OK, HIDDEN)
STAFF_BULK = access(LOGIN, HIDDEN, HIDDEN, OK, UNTOUCHED, OK, UNTOUCHED)
#: what belongs to the agent alone (their saved filter): anyone else's is a 404
AGENT_OWN = access(LOGIN, HIDDEN, HIDDEN, OK, HIDDEN, HIDDEN, HIDDEN)
ADMIN = access(LOGIN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, OK)
#: a signed-in citizen links FranceConnect; the walk's site declares no identity provider,
#: so the provider's routes are not found (tests/factory/test_identity.py walks them with one)
CITIZEN_LINK = access(LOGIN, HIDDEN, HIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
#: back from the provider's sign-out: everyone goes on to the catalogue
BACK_AWAY = access(AWAY, AWAY, AWAY, AWAY, AWAY, AWAY, AWAY)
#: a supervisor's act on a case of their department; its agents see the case, may not act
SUPERVISOR_CASE = access(LOGIN, HIDDEN, HIDDEN, FORBIDDEN, HIDDEN, OK, HIDDEN)
#: staff who work on departments' requests (administrators work on none)
DEPARTMENT_STAFF = access(LOGIN, HIDDEN, HIDDEN, OK, OK, OK, HIDDEN)
#: the REST API reads no session cookie: whoever is signed in, without a bearer token the
#: answer is a 401 (who may use it with a token is in API_ACCESS)
UNAUTHENTICATED = frozenset({401})
TOKEN_ONLY = access(*[UNAUTHENTICATED] * 7)

#: route name: (who may GET it, who may POST it); None: the route does not take the method
ACCESS = {
    "portal.catalogue": (EVERYONE, None),
    "portal.accessibility": (EVERYONE, None),
    "portal.privacy": (EVERYONE, None),
    # probes and metrics: the test client comes from 127.0.0.1, an allowed network
    "ops.healthz": (EVERYONE, None),
    "ops.readyz": (EVERYONE, None),
    "ops.metrics": (EVERYONE, None),
    "portal.legal_notice": (EVERYONE, None),
    "auth.login": (SIGNED_OUT, EVERYONE),
    "auth.logout": (None, EVERYONE),
    "auth.password": (SIGNED_IN, SIGNED_IN),
    "auth.signup": (EVERYONE, EVERYONE),
    "auth.forgot": (EVERYONE, EVERYONE),
    "auth.confirm": (NOBODY, None),
    # GET with a forged token; POST with a real one (the link is the key)
    "auth.reset": (NOBODY, LINK_HOLDERS),
    "auth.franceconnect_start": (None, NOBODY),
    "auth.proconnect_start": (None, NOBODY),
    "auth.franceconnect_callback": (NOBODY, None),
    "auth.proconnect_callback": (NOBODY, None),
    "auth.franceconnect_link": (None, CITIZEN_LINK),
    "auth.logged_out": (BACK_AWAY, None),
    "filing.start": (EVERYONE, None),
    "filing.begin": (None, FILERS),
    "filing.resume": (OWNER, None),
    "filing.resume_link": (NOBODY, None),
    "filing.page": (OWNER, OWNER),
    "filing.address_search": (OWNER, None),
    "filing.review": (OWNER, None),
    "filing.delete_draft": (OWNER, OWNER),
    "filing.submit": (None, OWNER),
    "filing.receipt": (OWNER, None),
    "filing.citizen_action": (OWNER, OWNER),
    "filing.citizen_action_token": (LINK_HOLDERS, LINK_HOLDERS),
    "space.requests": (CITIZENS, None),
    "space.notifications": (CITIZENS, None),
    "space.profile": (SIGNED_IN, SIGNED_IN),
    "space.my_data": (CITIZENS, None),
    "space.my_data_json": (CITIZENS, None),
    "space.delete_account": (CITIZENS, CITIZENS),
    "space.case": (OWNER_SIGN_IN, None),
    "space.attachment": (OWNER, None),
    "space.receipt_pdf": (OWNER, None),
    "space.document": (OWNER, None),
    # the world's cases have no legal clock: no implicit decision, no certificate to anyone
    "space.certificate_pdf": (NOBODY, None),
    "space.message": (None, OWNER),
    "space.reminder": (None, OWNER),
    "space.satisfaction": (None, OWNER),
    "space.tracking": (LINK_HOLDERS, None),
    "space.attachment_token": (LINK_HOLDERS, None),
    "space.receipt_pdf_token": (LINK_HOLDERS, None),
    "space.document_token": (LINK_HOLDERS, None),
    "space.certificate_pdf_token": (NOBODY, None),
    "space.message_token": (None, LINK_HOLDERS),
    "space.reminder_token": (None, LINK_HOLDERS),
    "space.satisfaction_token": (None, LINK_HOLDERS),
    "backoffice.inbox": (STAFF, None),
    "backoffice.case": (STAFF_CASE, None),
    "backoffice.attachment": (STAFF_CASE, None),
    "backoffice.document": (STAFF_CASE, None),
    "backoffice.transition": (STAFF_CASE, STAFF_CASE),
    "backoffice.note": (None, STAFF_CASE),
    "backoffice.message": (None, STAFF_CASE),
    "backoffice.assign": (None, STAFF_CASE),
    "backoffice.legal_hold": (None, SUPERVISOR_CASE),
    "backoffice.lift_legal_hold": (None, SUPERVISOR_CASE),
    "backoffice.personal_data_export": (DEPARTMENT_STAFF, DEPARTMENT_STAFF),
    "backoffice.on_behalf": (STAFF, STAFF),
    "backoffice.bulk": (None, STAFF_BULK),
    "dashboards.index": (STAFF, None),
    "dashboards.dashboard": (STAFF, None),
    "exports.csv": (STAFF, None),
    "exports.xlsx": (STAFF, None),
    "backoffice.take": (None, STAFF_BULK),
    "backoffice.save_filter": (None, STAFF),
    "backoffice.delete_filter": (None, AGENT_OWN),
    "console.compare_versions": (ADMIN, None),
    "console.test_version": (ADMIN, ADMIN),
    "console.migration": (ADMIN, ADMIN),
    "console.new_procedure": (ADMIN, ADMIN),
    "console.duplicate": (None, ADMIN),
    "console.procedure_schema": (ADMIN, None),
    "console.check_api": (None, ADMIN),
    "console.index": (ADMIN, None),
    "console.procedures": (ADMIN, None),
    "console.procedure": (ADMIN, None),
    "console.new_version": (ADMIN, ADMIN),
    "console.withdraw": (None, ADMIN),
    "console.restore": (None, ADMIN),
    "console.outbox": (ADMIN, None),
    "console.replay_dead": (None, ADMIN),
    "console.audit_log": (ADMIN, None),
    "console.users": (ADMIN, None),
    "console.new_user": (ADMIN, ADMIN),
    "console.user": (ADMIN, ADMIN),
    "console.activation": (None, ADMIN),
    "console.api_client_list": (ADMIN, ADMIN),
    "console.revoke_api_client": (None, ADMIN),
    "api.openapi": (EVERYONE, None),
    "api.documentation": (EVERYONE, None),
    "api.list_procedures": (TOKEN_ONLY, None),
    "api.read_procedure_version": (TOKEN_ONLY, None),
    "api.list_cases": (TOKEN_ONLY, None),
    "api.read_case": (TOKEN_ONLY, None),
    "api.download_attachment": (TOKEN_ONLY, None),
    "api.list_events": (TOKEN_ONLY, None),
    "api.fire_transition": (None, TOKEN_ONLY),
    "api.post_message": (None, TOKEN_ONLY),
    "api.attach_document": (None, TOKEN_ONLY),
    "api.file_case": (None, TOKEN_ONLY),
}

#: The REST API's clients of the route world (``route_world.API_CLIENTS``): etat-civil's
#: system (every scope, as an agent), voirie's (every scope), and a reader of etat-civil's
#: cases only (``cases:read``).
API_CLIENT_NAMES = ("etat-civil", "voirie", "lecteur")


def api_access(*outcomes) -> dict:
    return dict(zip(API_CLIENT_NAMES, outcomes, strict=True))


#: the world's cases are etat-civil's: voirie's client never learns they exist
API_CASE = api_access(OK, HIDDEN, OK)
API_CASE_DOCUMENTS = api_access(OK, HIDDEN, FORBIDDEN)
API_CASE_WRITE = api_access(OK, HIDDEN, FORBIDDEN)
#: filing: a procedure of etat-civil is not voirie's to file
API_FILE = api_access(OK, FORBIDDEN, FORBIDDEN)
API_SCOPED = api_access(OK, OK, FORBIDDEN)
API_LISTS = api_access(OK, OK, OK)

#: API route name: (who may GET it, who may POST it), by the client whose token is sent
API_ACCESS = {
    "api.list_procedures": (API_SCOPED, None),
    "api.read_procedure_version": (API_SCOPED, None),
    "api.list_cases": (API_LISTS, None),
    "api.read_case": (API_CASE, None),
    "api.download_attachment": (API_CASE_DOCUMENTS, None),
    "api.list_events": (API_SCOPED, None),
    "api.fire_transition": (None, API_CASE_WRITE),
    "api.post_message": (None, API_CASE_WRITE),
    "api.attach_document": (None, API_CASE_WRITE),
    "api.file_case": (None, API_FILE),
}
#: what a GET answers when it works, when it is not 200
GET_OK = {
    "console.index": {302},  # the index opens the procedures
    "filing.resume": {302},  # the draft opens at its page
}
