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


@dataclass(frozen=True, slots=True)
class Site:
    authority: Text
    languages: tuple[str, ...]
    departments: Mapping[str, Department]
    connectors: Mapping[str, ConnectorConfig]
    timezone: str = DEFAULT_TIMEZONE
    source_file: str = ""
    prefill_sources: Mapping[str, PrefillSourceConfig] = field(
        default_factory=lambda: MappingProxyType({})
    )
    map: MapConfig | None = None


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
        departments[item["id"]] = Department(
            item["id"], reader.text(("departments", index, "name"), item["name"]), item.get("email")
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
    site = Site(
        authority=reader.text(("authority",), data["authority"]),
        languages=languages,
        departments=MappingProxyType(departments),
        connectors=MappingProxyType(connectors),
        timezone=timezone,
        source_file=document.file,
        prefill_sources=MappingProxyType(sources),
        map=map_config,
    )
    return site, reader.problems


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
