"""The typed, immutable model of a checked procedure.

Everything here is built by :mod:`definitions.procedures` from a file that passed every
check, so code that reads these objects can trust them (an id that a transition names
exists, a field that an expression reads is there, and so on).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .expressions import Expression, HtmlTemplate, Template

EMPTY: Mapping[str, Any] = MappingProxyType({})


def empty_mapping() -> Mapping[str, Any]:
    return EMPTY


@dataclass(frozen=True, slots=True)
class Text:
    """A text in one or more languages; ``str()`` gives the first one."""

    values: Mapping[str, str]

    def get(self, language: str | None = None, fallback: str | None = None) -> str:
        if language and language in self.values:
            return self.values[language]
        if fallback and fallback in self.values:
            return self.values[fallback]
        return next(iter(self.values.values()))

    def __str__(self) -> str:
        return self.get()


@dataclass(frozen=True, slots=True)
class LocalizedTemplate:
    """A ``{{ … }}`` text in one or more languages."""

    templates: Mapping[str, Template]

    def render(
        self, context: Mapping[str, Any], language: str | None = None, timezone: str | None = None
    ) -> str:
        """The text in ``language`` (else in the first language given), its values formatted
        in the language of the text, moments in the site's ``timezone``."""
        if not language or language not in self.templates:
            language = next(iter(self.templates))
        return self.templates[language].render(context, language, timezone)


@dataclass(frozen=True, slots=True)
class Bounds:
    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True, slots=True)
class PrefillLookup:
    """``prefill: {source:, from:, value:}``: the answer is looked up in a prefill source of
    the site config, keyed by the answer of the field ``from_`` (or by the signed-in
    identity when there is none), and ``value`` names the key of the source's answer."""

    source: str
    value: str
    #: the field whose answer is the key, or the fields whose answers make it, in order
    from_: str | tuple[str, ...] | None = None

    @property
    def origins(self) -> tuple[str, ...]:
        if self.from_ is None:
            return ()
        return (self.from_,) if isinstance(self.from_, str) else tuple(self.from_)


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a form page, of a group, or of a transition's form."""

    id: str
    type: str
    label: Text | None = None
    hint: Text | None = None
    required: bool = False
    visible_if: Expression | None = None
    #: ``identity.CLAIM`` / ``profile.KEY``, or a lookup in a prefill source
    prefill: str | PrefillLookup | None = None
    default: Any = None
    autocomplete: str | None = None
    # type-specific settings
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: Text | None = None
    region: str = "FR"
    min: Any = None
    max: Any = None
    unit: Text | None = None
    options: Mapping[str, Text] = field(default_factory=empty_mapping)
    widget: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    accept: tuple[str, ...] = ()
    max_size: int | None = None
    multiple: bool = False
    bounds: Bounds | None = None
    fields: tuple[Field, ...] = ()
    item_label: Text | None = None
    text: Text | None = None
    #: Settings of a plug-in type that no attribute above holds, as written.
    settings: Mapping[str, Any] = field(default_factory=empty_mapping)

    @property
    def stores_value(self) -> bool:
        from .fieldtypes import registry

        kind = registry.get(self.type)
        return kind.stores_value if kind is not None else True


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    title: Text
    fields: tuple[Field, ...]
    when: Expression | None = None
    intro: Text | None = None


@dataclass(frozen=True, slots=True)
class Form:
    pages: tuple[Page, ...]
    review: bool = False

    @property
    def fields(self) -> tuple[Field, ...]:
        """Every top-level field, page after page."""
        return tuple(f for page in self.pages for f in page.fields)


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """Picks a department from an answer: ``by`` is a field id, or ``field.key``."""

    by: tuple[str, ...]
    map: Mapping[str, str]
    default: str | None

    def route(self, answers: Mapping[str, Any]) -> str | None:
        value: Any = answers
        for step in self.by:
            value = value.get(step) if isinstance(value, Mapping) else None
        return self.map.get(str(value) if value is not None else "", self.default)


@dataclass(frozen=True, slots=True)
class Deadline:
    days: int
    working_days: bool = False
    fire: str | None = None
    remind: str | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """``notify`` (target citizen|agents), ``send`` (target: connector), ``set``, or
    ``document`` (target: the template's name; ``name`` the document's, ``to`` citizen when
    it goes with the citizen's next notification)."""

    kind: str
    target: str | None = None
    subject: LocalizedTemplate | None = None
    body: LocalizedTemplate | None = None
    values: Mapping[str, Any] = field(default_factory=empty_mapping)
    template: HtmlTemplate | None = None
    name: LocalizedTemplate | None = None
    to: str | None = None


@dataclass(frozen=True, slots=True)
class State:
    id: str
    label: Text
    department: str | RoutingRule | None = None
    owner: str | None = None
    final: bool = False
    deadlines: tuple[Deadline, ...] = ()
    on_enter: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Transition:
    id: str
    sources: tuple[str, ...]
    target: str
    actor: str  # agent | supervisor | citizen | timer | department
    actor_department: str | None = None
    label: Text | None = None
    guard: Expression | None = None
    form: tuple[Field, ...] = ()
    on_fire: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Clock:
    """The legal clock: ``days`` or ``months`` from ``starts_in``, paused in ``pauses_in``."""

    starts_in: str
    fire: str
    days: int | None = None
    months: int | None = None
    working_days: bool = False
    pauses_in: tuple[str, ...] = ()
    on_resume: str = "continue"
    alert_before_days: int | None = None
    #: What the authority's silence at expiry means in law (CRPA L231-1, L231-4):
    #: ``acceptance``, ``rejection`` or ``none`` (no implicit decision).
    silence: str = "acceptance"


@dataclass(frozen=True, slots=True)
class Workflow:
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    clock: Clock | None = None
    name: str | None = None  # the reusable workflow it comes from, if any
    _states: Mapping[str, State] = field(default_factory=empty_mapping, repr=False, compare=False)
    _transitions: Mapping[str, Transition] = field(
        default_factory=empty_mapping, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_states", MappingProxyType({s.id: s for s in self.states}))
        object.__setattr__(
            self, "_transitions", MappingProxyType({t.id: t for t in self.transitions})
        )

    def state(self, state_id: str) -> State:
        return self._states[state_id]

    def transition(self, transition_id: str) -> Transition:
        return self._transitions[transition_id]

    def transitions_from(self, state_id: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if state_id in t.sources)

    @property
    def templates(self) -> tuple[str, ...]:
        """The document templates its ``document:`` actions render, by name."""
        actions = [a for s in self.states for a in s.on_enter]
        actions += [a for t in self.transitions for a in t.on_fire]
        return tuple(sorted({a.target for a in actions if a.kind == "document" and a.target}))


@dataclass(frozen=True, slots=True)
class Procedure:
    """One version of one procedure, checked and compiled."""

    slug: str
    version: int
    title: Text
    department: str
    form: Form
    workflow: Workflow
    login: str = "optional"
    reference: str = "{procedure}-{year}-{seq:06d}"
    summary: Text | None = None
    category: Text | None = None
    estimated_minutes: int | None = None
    retention_days: int | None = None
    #: The legal basis of the processing (GDPR article 6), ``public_task`` by default.
    legal_basis: str = "public_task"
    source: str = ""
    source_file: str = ""
    source_hash: str = ""
    answers_schema: Mapping[str, Any] = field(
        default_factory=empty_mapping, repr=False, compare=False
    )
    _fields: Mapping[str, Field] = field(default_factory=empty_mapping, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fields", MappingProxyType({f.id: f for f in self.form.fields}))

    @property
    def fields(self) -> Mapping[str, Field]:
        """Top-level fields by id."""
        return self._fields

    def format_reference(self, year: int, seq: int) -> str:
        return self.reference.format(year=year, seq=seq, procedure=self.slug)
