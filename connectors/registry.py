"""The registry of connector types (entry-point group ``guichet.connectors``) and of the
connector instances a site config declares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from jsonschema import Draft202012Validator

from definitions.schemas import a_or_an, suggestion
from definitions.site import Secret, Site

from .base import Connector, Delivery, DeliveryFailed

GROUP = "guichet.connectors"


class RegistryError(Exception):
    """The connector types or instances cannot be set up; the message says why."""


def plugin_types(
    group: str, base: type, what: str, found: Iterable[EntryPoint] | None = None
) -> dict[str, type]:
    """The classes of entry-point ``group``, by their ``type`` name: each must be a
    subclass of ``base``, and two of one name fail, naming both (``what`` names them in
    the message: "connector types")."""
    types: dict[str, type] = {}
    origins: dict[str, str] = {}
    for entry in found if found is not None else entry_points(group=group):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise RegistryError(
                f"{entry.value} (entry point {entry.name!r}) is not a {base.__name__}"
            )
        if cls.type in types:
            raise RegistryError(
                f"two {what} are named {cls.type!r}: {origins[cls.type]} and {entry.value}"
            )
        types[cls.type] = cls
        origins[cls.type] = entry.value
    return types


def load_types(found: Iterable[EntryPoint] | None = None) -> dict[str, type[Connector]]:
    """Connector types from the entry points; two types with one name fail, naming both."""
    return plugin_types(GROUP, Connector, "connector types", found)


def settings_schemas() -> dict[str, dict]:
    """The settings schema of every installed connector type, by type name."""
    return {name: cls.settings_schema for name, cls in load_types().items()}


def settings_problems(
    types: Mapping[str, type[Connector]], kind: str, settings: Mapping[str, Any]
) -> list[tuple[tuple, str]]:
    """(path, message) pairs: what is wrong with a connector instance's settings."""
    if kind not in types:
        return [(("type",), f"unknown connector type {kind!r}{suggestion(kind, types)}")]
    schema = types[kind].settings_schema
    values = {k: _masked(v) for k, v in settings.items() if k != "type"}
    problems = []
    for error in Draft202012Validator(schema).iter_errors(values):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(schema.get("properties", {})))
            for name in extra:
                problems.append(
                    (
                        (name,),
                        f"unknown setting {name!r} for {a_or_an(kind)} connector"
                        f"{suggestion(name, schema.get('properties', {}))}",
                    )
                )
        elif error.validator == "required":
            missing = error.message.split("'")[1]
            problems.append((path, f"{a_or_an(kind)} connector needs {missing!r}"))
        elif error.validator == "anyOf" and not path:
            options = " or ".join(repr(r["required"][0]) for r in error.validator_value)
            problems.append((path, f"{a_or_an(kind)} connector needs {options}"))
        else:
            problems.append((path, f"{'.'.join(map(str, path)) or 'settings'}: {error.message}"))
    return problems


def _masked(value: Any) -> Any:
    """Settings with every secret replaced by a placeholder, at any depth: a message about
    a setting never shows a secret."""
    if isinstance(value, Secret):
        return "<secret>"
    if isinstance(value, Mapping):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    return value


class ConnectorRegistry:
    """The site's connector instances, ready to deliver."""

    def __init__(
        self, site: Site | None, types: Mapping[str, type[Connector]] | None = None, *, storage=None
    ):
        self.types = dict(types) if types is not None else load_types()
        self.instances: dict[str, Connector] = {}
        problems = []
        for name, config in (site.connectors if site else {}).items():
            found = settings_problems(self.types, config.type, config.settings)
            problems += [f"connector {name!r}: {message}" for _, message in found]
            if not found:
                settings = {k: v for k, v in config.resolved().items() if k != "type"}
                self.instances[name] = self.types[config.type](name, settings, storage=storage)
        if problems:
            raise RegistryError("; ".join(problems))

    def deliver(self, delivery: Delivery) -> None:
        connector = self.instances.get(delivery.connector)
        if connector is None:
            raise DeliveryFailed(
                f"no connector {delivery.connector!r} in the site config", retryable=False
            )
        connector.deliver(delivery)

    def close(self) -> None:
        for connector in self.instances.values():
            connector.close()
