"""The ``description`` of every part of the shipped JSON Schemas, as msgids.

The checker says what a value should be with these descriptions ("'robot' is not an actor
(…)"); they are listed here so that the extraction command finds them and the French
catalogue translates them (:mod:`definitions.schemas` renders them with the message they
fill). A field type's own settings mark theirs with ``N_`` where they are written.
``tests/definitions/test_problem_texts.py`` checks that this list and the schemas agree.
"""

from __future__ import annotations

from .texts import N_

DESCRIPTIONS = (
    N_("An HTML autocomplete token."),
    N_("a date bound (YYYY-MM-DD, 'today', or 'today+30d' / 'today-18y' with d, w, m or y)"),
    N_(
        "a deadline ({days: N, fire: TRANSITION} or {days: N, remind: agents|citizen}) or a "
        "list of them"
    ),
    N_(
        "a department (a slug, {role: NAME} in a reusable workflow, or a routing rule {by: "
        "FIELD, map: {VALUE: SLUG}, default: SLUG})"
    ),
    N_("a department slug or {role: NAME}"),
    N_("a duration such as '16 days', '2 months' or '3 working days'"),
    N_("a field id in snake_case (lower-case letters, digits and '_', starting with a letter)"),
    N_("a field id, or FIELD.KEY inside a structured field"),
    N_(
        "a prefill source (identity.CLAIM from the login identity, profile.KEY from the saved "
        "profile, or {source: NAME, from: FIELD, value: KEY} from a prefill source of the site "
        "config)"
    ),
    N_("prefill sources by name, each {type: TYPE, url: …} with its type's settings"),
    N_("the map of location fields: a tile URL template ({z}/{x}/{y}) and its attribution"),
    N_("a procedure slug (lower-case letters, digits and '-'), unique in the catalogue"),
    N_("a size (a number of bytes, or 500KB, 5MB, 1GB; Ko, Mo, Go also read)"),
    N_("a slug (lower-case letters, digits, '-' and '_')"),
    N_("a state id or a list of state ids"),
    N_("a text (a plain string, or a map of language code to text)"),
    N_("a workflow ({initial, states, transitions, clock}) or {use: NAME, roles: {ROLE: SLUG}}"),
    N_(
        "an action (notify: citizen|agents with subject and body, send: CONNECTOR, set: "
        "{FIELD: VALUE}, or document: TEMPLATE with name and to)"
    ),
    N_("an actor (agent, supervisor, citizen or {department: SLUG})"),
    N_("an actor (agent, supervisor, citizen, timer, or {department: SLUG})"),
    N_("an expression in the Jinja2 expression syntax"),
    N_("an identifier (a letter, then letters, digits, '-' or '_')"),
    N_("an option key (letters, digits, '-' and '_')"),
    N_("option keys (stored) mapped to their labels (shown)"),
    N_("the IANA time zone of the authority (default Europe/Paris)"),
    N_("the fields every procedure using this workflow must have"),
    N_("this workflow's name (its file name), or the whole workflow"),
    N_("path or URL of the authority's logo"),
    N_("the authority's phone number"),
    N_("the authority's postal address, as printed on receipts"),
    N_("the legal basis of the processing (GDPR article 6)"),
    N_("what the authority's silence at expiry means in law"),
    N_("the identity providers citizens and agents sign in with (FranceConnect, ProConnect)"),
    N_(
        "an OpenID Connect provider: its issuer (discovery at /.well-known/openid-configuration), "
        "the client id and secret (env:NAME) it gave, the scopes asked"
    ),
    N_("renders templates/NAME.html (beside the procedure files) into a PDF kept on the case"),
    N_("the document's name, a {{ }} text"),
    N_("attach the document to the citizen's next notification"),
    N_("the department's e-mail address, for agents' notifications and on receipts"),
    N_("the department's postal address, as printed on receipts (the authority's when absent)"),
    N_("the department's phone number, as printed on receipts (the authority's when absent)"),
)
