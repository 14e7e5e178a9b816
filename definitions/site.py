"""The site config (``guichet.yaml``): the authority, its languages, departments, connectors,
prefill sources and the map's tiles.

Secrets are never written in the file: a value ``env:NAME`` is read from the environment
when the config loads. An unset variable is a problem; a value is never printed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator

from .loader import Document
from .model import Text
from .reader import Reader
from .schemas import a_connector, a_prefill_source, structural_problems, suggestion
from .texts import N_, joined

DEFAULT_TIMEZONE = "Europe/Paris"


class Secret:
    """A value read from the environment; its repr and str never show it."""

    __slots__ = ("variable", "_value")

    def __init__(self, variable: str, value: str):
        self.variable = variable
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(env:{self.variable})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.variable == self.variable

    def __hash__(self) -> int:
        return hash(self.variable)


@dataclass(frozen=True, slots=True)
class Department:
    id: str
    name: Text
    email: str | None = None
    #: printed on receipts, with ``phone``; the authority's are used when absent
    address: Text | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectorConfig:
    """A connector instance: its type and settings (secrets as :class:`Secret`)."""

    name: str
    type: str
    settings: Mapping[str, Any]

    def resolved(self) -> dict[str, Any]:
        """The settings with secrets revealed, for the connector itself only."""
        return _reveal(dict(self.settings))


@dataclass(frozen=True, slots=True)
class PrefillSourceConfig:
    """A prefill source instance: its type and settings (secrets as :class:`Secret`), and
    what its type gives (``keys``: key -> kind), takes as a key (``from_types``: field
    types) and whether it answers from the signed-in identity; ``keys`` is ``None`` when
    the site was read without the installed types."""

    name: str
    type: str
    settings: Mapping[str, Any]
    keys: Mapping[str, str] | None = None
    from_types: tuple[str, ...] = ()
    from_identity: bool = False
    from_count: int = 1
    #: whether it suggests addresses as one types (an address field's ``search:``)
    searches: bool = False

    def resolved(self) -> dict[str, Any]:
        """The settings with secrets revealed, for the source itself only."""
        return _reveal(dict(self.settings))


@dataclass(frozen=True, slots=True)
class MapConfig:
    """The map of ``location`` fields: a tile URL template and its attribution."""

    tiles: str
    attribution: str = ""


def _reveal(value: Any) -> Any:
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, dict | MappingProxyType):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_reveal(v) for v in value]
    return value


#: The identity providers the site config may declare, and who signs in with each.
IDENTITY_PROVIDERS = ("franceconnect", "proconnect")

#: The scopes asked when the site config lists none: FranceConnect's pivot identity and the
#: e-mail address; ProConnect's agent identity.
DEFAULT_SCOPES = {
    "franceconnect": (
        "openid",
        "given_name",
        "family_name",
        "birthdate",
        "birthplace",
        "birthcountry",
        "gender",
        "email",
        "preferred_username",
    ),
    "proconnect": ("openid", "email", "given_name", "usual_name", "uid", "siret", "idp_id"),
}

#: Hosts on which an ``http://`` issuer is accepted (development and tests).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True, slots=True)
class IdentityProvider:
    """An OpenID Connect provider of the site config (``identity:``)."""

    name: str  # franceconnect | proconnect
    issuer: str
    client_id: str
    client_secret: Secret | str
    scopes: tuple[str, ...]

    def secret(self) -> str:
        """The client secret, revealed for the token request only."""
        return _reveal(self.client_secret)


@dataclass(frozen=True, slots=True)
class LegalNotice:
    """The legal notice (LCEN article 6): who publishes the service, who directs the
    publication, who hosts it."""

    publisher: Text
    director: Text
    host: Text


@dataclass(frozen=True, slots=True)
class DataProtectionOfficer:
    email: str
    name: Text | None = None
    address: Text | None = None


#: The accessibility statuses a statement may declare (RGAA): full, partial, none.
ACCESSIBILITY_STATUSES = ("full", "partial", "none")


@dataclass(frozen=True, slots=True)
class Accessibility:
    """The accessibility statement (RGAA; law 2005-102, article 47)."""

    status: str
    audit_date: str | None = None
    audited_pages: tuple[Text, ...] = ()
    non_conformities: tuple[Text, ...] = ()
    derogations: tuple[Text, ...] = ()
    contact: Text | None = None
    plan: Text | None = None


@dataclass(frozen=True, slots=True)
class Site:
    authority: Text
    languages: tuple[str, ...]
    departments: Mapping[str, Department]
    connectors: Mapping[str, ConnectorConfig]
    timezone: str = DEFAULT_TIMEZONE
    source_file: str = ""
    identity: Mapping[str, IdentityProvider] = field(default_factory=lambda: MappingProxyType({}))
    #: the authority's postal address, phone number and logo (receipts, documents, legal pages)
    address: Text | None = None
    phone: Text | None = None
    logo: str | None = None
    legal_notice: LegalNotice | None = None
    dpo: DataProtectionOfficer | None = None
    accessibility: Accessibility | None = None
    #: what the legal pages need and the file does not say: ``guichet check --site``
    #: reports these; the site still loads without them
    legal_problems: tuple = ()

    prefill_sources: Mapping[str, PrefillSourceConfig] = field(
        default_factory=lambda: MappingProxyType({})
    )
    map: MapConfig | None = None

    def contact(self, department: str | None) -> tuple[Text | None, str | None, str | None]:
        """The postal address, phone and e-mail of ``department`` (the service in charge of
        a case), each the authority's when the department gives none."""
        known = self.departments.get(department) if department else None
        address = (known.address if known else None) or self.address
        phone = (known.phone if known else None) or (str(self.phone) if self.phone else None)
        return address, phone, known.email if known else None


def read_site(
    document: Document,
    environ: Mapping[str, str] | None = None,
    connector_schemas: Mapping[str, Mapping[str, Any]] | None = None,
    prefill_types: Mapping[str, Mapping[str, Any]] | None = None,
):
    """Check a loaded site config. Returns ``(site or None, problems)``.

    ``connector_schemas`` maps each known connector type to the JSON Schema of its settings;
    when given, every connector instance is checked against its type's schema.
    ``prefill_types`` maps each known prefill source type to its description (``settings``,
    ``keys``, ``from_types``, ``from_identity``: ``connectors.prefill.registry.descriptions``);
    when given, every prefill source is checked against it, and procedures against its keys.
    """
    environ = os.environ if environ is None else environ
    if not isinstance(document.data, dict):
        return None, [
            document.problem((), N_("a site config is a mapping (authority, departments…)"))
        ]
    problems = structural_problems(document, "site")
    if problems:
        return None, problems
    data = document.data
    reader = Reader(document)
    languages = tuple(data.get("languages", ["fr"]))
    departments: dict[str, Department] = {}
    first: dict[str, int] = {}
    for index, item in enumerate(data["departments"]):
        if item["id"] in departments:
            line = document.where(("departments", first[item["id"]], "id"))[0]
            reader.error(
                ("departments", index, "id"),
                N_("the department %(name)s is declared twice (first at line %(line)s)"),
                name=repr(item["id"]),
                line=line,
            )
            continue
        first[item["id"]] = index
        where = ("departments", index)
        departments[item["id"]] = Department(
            item["id"],
            reader.text((*where, "name"), item["name"]),
            item.get("email"),
            reader.text((*where, "address"), item["address"]) if "address" in item else None,
            item.get("phone"),
        )
    connectors = {}
    for name, settings in data.get("connectors", {}).items():
        if connector_schemas is not None:
            check_connector(reader, name, settings, connector_schemas)
        resolved = _resolve_secrets(reader, ("connectors", name), settings, environ)
        connectors[name] = ConnectorConfig(name, settings["type"], MappingProxyType(resolved))
    sources = {}
    for name, settings in data.get("prefill_sources", {}).items():
        description = None
        if prefill_types is not None:
            schemas = {k: v["settings"] for k, v in prefill_types.items()}
            check_instance(reader, ("prefill_sources", name), settings, schemas, PREFILL_WORDS)
            description = prefill_types.get(settings["type"])
        resolved = _resolve_secrets(reader, ("prefill_sources", name), settings, environ)
        sources[name] = PrefillSourceConfig(
            name,
            settings["type"],
            MappingProxyType(resolved),
            MappingProxyType(dict(description["keys"])) if description else None,
            tuple(description["from_types"]) if description else (),
            bool(description["from_identity"]) if description else False,
            int(description.get("from_count", 1)) if description else 1,
            bool(description.get("searches")) if description else False,
        )
    map_config = None
    if "map" in data:
        map_config = MapConfig(data["map"]["tiles"], data["map"].get("attribution", ""))
    timezone = data.get("timezone", DEFAULT_TIMEZONE)
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except (KeyError, ValueError, OSError):
        reader.error(
            ("timezone",),
            N_("%(name)s is not a known time zone, such as Europe/Paris"),
            name=repr(timezone),
        )
    identity = {
        name: _identity_provider(reader, name, settings, environ)
        for name, settings in data.get("identity", {}).items()
    }
    site = Site(
        authority=reader.text(("authority",), data["authority"]),
        languages=languages,
        departments=MappingProxyType(departments),
        connectors=MappingProxyType(connectors),
        timezone=timezone,
        source_file=document.file,
        identity=MappingProxyType(identity),
        address=reader.text(("address",), data.get("address")),
        phone=reader.text(("phone",), data.get("phone")),
        logo=data.get("logo") if isinstance(data.get("logo"), str) else None,
        legal_notice=_legal_notice(reader, data.get("legal_notice")),
        dpo=_dpo(reader, data.get("dpo")),
        accessibility=_accessibility(reader, data.get("accessibility")),
        legal_problems=tuple(legal_problems(document)),
        prefill_sources=MappingProxyType(sources),
        map=map_config,
    )
    return site, reader.problems


def _identity_provider(reader: Reader, name: str, settings, environ) -> IdentityProvider:
    """One provider of ``identity:``: its issuer must be https (http only on a loopback
    address, for development), and its scopes must ask for ``openid`` and ``email`` (an
    account is reached by its e-mail address)."""
    path = ("identity", name)
    issuer = settings["issuer"].rstrip("/")
    if not secure_issuer(issuer):
        reader.error(
            (*path, "issuer"),
            N_(
                "the issuer %(url)s must be an https:// address (http:// only on 127.0.0.1 "
                "or localhost, for development)"
            ),
            url=repr(settings["issuer"]),
        )
    scopes = tuple(settings.get("scopes", DEFAULT_SCOPES[name]))
    for needed in ("openid", "email"):
        if needed not in scopes:
            reader.error(
                (*path, "scopes"), N_("the scopes must include %(scope)s"), scope=repr(needed)
            )
    secret = _resolve_secrets(reader, (*path, "client_secret"), settings["client_secret"], environ)
    return IdentityProvider(name, issuer, settings["client_id"], secret, scopes)


def secure_issuer(url: str) -> bool:
    """An ``https://`` address, or ``http://`` on a loopback host."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme == "https" and parts.netloc:
        return True
    if parts.scheme != "http":
        return False
    host = parts.netloc.rsplit("@", 1)[-1]
    host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return host in LOOPBACK_HOSTS


def _legal_notice(reader: Reader, value: Mapping[str, Any] | None) -> LegalNotice | None:
    if value is None:
        return None
    return LegalNotice(
        *(
            reader.text(("legal_notice", key), value[key])
            for key in ("publisher", "director", "host")
        )
    )


def _dpo(reader: Reader, value: Mapping[str, Any] | None) -> DataProtectionOfficer | None:
    if value is None:
        return None
    email = value["email"]
    return DataProtectionOfficer(
        email if isinstance(email, str) else str(next(iter(email.values()))),
        reader.text(("dpo", "name"), value.get("name")),
        reader.text(("dpo", "address"), value.get("address")),
    )


def _accessibility(reader: Reader, value: Mapping[str, Any] | None) -> Accessibility | None:
    if value is None:
        return None

    def texts(key: str) -> tuple[Text, ...]:
        return tuple(
            reader.text(("accessibility", key, i), item)
            for i, item in enumerate(value.get(key, ()))
        )

    audit_date = value.get("audit_date")
    return Accessibility(
        status=value["status"],
        audit_date=audit_date if isinstance(audit_date, str) else None,
        audited_pages=texts("audited_pages"),
        non_conformities=texts("non_conformities"),
        derogations=texts("derogations"),
        contact=reader.text(("accessibility", "contact"), value.get("contact")),
        plan=reader.text(("accessibility", "plan"), value.get("plan")),
    )


def legal_problems(document: Document) -> list:
    """What the legal pages need that the site config does not say: the authority's
    address, the legal notice (LCEN article 6), the data protection officer (GDPR article
    37, compulsory for public authorities), and an accessibility statement with what the
    RGAA requires of it (the audit's date and pages unless nothing was audited, the
    non-conformities when partially compliant, a contact, the multi-year plan)."""
    data = document.data
    found = []
    for key, msgid in (
        ("address", N_("the legal pages need the authority's postal address (address)")),
        (
            "legal_notice",
            N_("the legal notice needs legal_notice (publisher, director and host)"),
        ),
        ("dpo", N_("the personal-data pages need the data protection officer (dpo: email)")),
        (
            "accessibility",
            N_("the accessibility statement needs accessibility (status: full, partial or none)"),
        ),
    ):
        if data.get(key) in (None, "", {}):
            found.append(document.problem((), msgid))
    statement = data.get("accessibility")
    if isinstance(statement, dict):
        audited = statement.get("status") in ("full", "partial")
        required = [("contact", True), ("plan", True), ("audit_date", audited)]
        required.append(("audited_pages", audited))
        required.append(("non_conformities", statement.get("status") == "partial"))
        for key, needed in required:
            if needed and statement.get(key) in (None, "", [], {}):
                found.append(
                    document.problem(
                        ("accessibility",),
                        N_("the accessibility statement needs %(name)s for the status %(status)s"),
                        name=repr(key),
                        status=repr(statement.get("status")),
                    )
                )
    return found


@dataclass(frozen=True, slots=True)
class _Words:
    """How the messages about one kind of instance (connectors, prefill sources) name it."""

    unknown_type: str
    a_kind: Any
    other: str


CONNECTOR_WORDS = _Words(
    N_("unknown connector type %(type)s%(hint)s"),
    a_connector,
    N_("%(message)s (%(type)s connector setting)"),
)
PREFILL_WORDS = _Words(
    N_("unknown prefill source type %(type)s%(hint)s"),
    a_prefill_source,
    N_("%(message)s (%(type)s prefill source setting)"),
)


def check_connector(
    reader: Reader, name: str, settings: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]]
) -> None:
    """Check a connector instance's settings against its type's JSON Schema."""
    check_instance(reader, ("connectors", name), settings, schemas, CONNECTOR_WORDS)


def check_instance(
    reader: Reader,
    path: tuple,
    settings: Mapping[str, Any],
    schemas: Mapping[str, Mapping[str, Any]],
    words: _Words,
) -> None:
    """Check an instance's settings (at ``path``) against its type's JSON Schema."""
    kind = settings["type"]
    a_connector = words.a_kind
    if kind not in schemas:
        reader.error(
            (*path, "type"),
            words.unknown_type,
            type=repr(kind),
            hint=suggestion(kind, schemas),
        )
        return
    schema = schemas[kind]
    known = set(schema.get("properties", {})) | {"type"}
    values = {k: v for k, v in settings.items() if k != "type"}
    for error in Draft202012Validator(schema).iter_errors(values):
        where = (*path, *error.absolute_path)
        if error.validator == "additionalProperties":
            for key in sorted(set(error.instance) - known):
                reader.error(
                    (*where, key),
                    N_("unknown setting %(name)s for %(connector)s%(hint)s"),
                    key=True,
                    name=repr(key),
                    connector=a_connector(kind),
                    hint=suggestion(key, known - {"type"}),
                )
        elif error.validator == "required":
            missing = error.message.split("'")[1]
            msgid = N_("%(connector)s needs %(what)s")
            reader.error(where, msgid, connector=a_connector(kind), what=repr(missing))
        elif error.validator == "anyOf" and not error.absolute_path:
            names = [repr(r["required"][0]) for r in error.validator_value]
            options = joined(names, N_("%(first)s or %(rest)s"))
            reader.error(
                where, N_("%(connector)s needs %(what)s"), connector=a_connector(kind), what=options
            )
        else:
            reader.error(where, words.other, message=error.message, type=kind)


def _resolve_secrets(reader: Reader, path, value: Any, environ) -> Any:
    if isinstance(value, dict):
        return {k: _resolve_secrets(reader, (*path, k), v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_secrets(reader, (*path, i), v, environ) for i, v in enumerate(value)]
    if isinstance(value, str) and value.startswith("env:"):
        variable = value[4:]
        if not variable:
            reader.error(
                path, N_("env: must name an environment variable, e.g. env:REGISTRY_SECRET")
            )
        elif variable not in environ:
            reader.error(path, N_("the environment variable %(name)s is not set"), name=variable)
        else:
            return Secret(variable, environ[variable])
    return value
