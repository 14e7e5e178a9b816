"""The form classes of a procedure: :func:`page_form` and :func:`transition_form` build one
class per (procedure version, page or transition, language, registry), and keep the last
:data:`CACHE_SIZE` of them."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

from definitions.model import Page, Procedure, Transition

from .forms import DefinitionForm, PageForm, TransitionForm
from .registry import Registry
from .registry import registry as default_registry

CACHE_SIZE = 512
_cache: OrderedDict[tuple, type[DefinitionForm]] = OrderedDict()
_lock = threading.Lock()


def _cached(key: tuple, build) -> type[DefinitionForm]:
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    built = build()
    with _lock:
        built = _cache.setdefault(key, built)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def _version_key(procedure: Procedure) -> tuple:
    # a published version is immutable; the hash guards files edited under one version
    return (procedure.slug, procedure.version, procedure.source_hash or id(procedure))


def _build(base, name, procedure, fields, language, registry, **attributes):
    kinds = {field.id: registry.bind(field, language=language) for field in fields}
    unbound = [(fid, kind.build()) for fid, kind in kinds.items() if kind.stores_value]
    return base.with_fields(
        name,
        unbound,
        procedure=procedure,
        definitions=tuple(fields),
        kinds=kinds,
        definition_language=language,
        **attributes,
    )


def page_form(
    procedure: Procedure,
    page: Page | str,
    *,
    language: str = "fr",
    today: dt.date | None = None,
    registry: Registry | None = None,
) -> type[PageForm]:
    """The form class of ``page`` (a Page or its id), built once per procedure version,
    page and language. With ``today``, a subclass whose instances default to it."""
    registry = registry or default_registry
    if isinstance(page, str):
        page = next(p for p in procedure.form.pages if p.id == page)
    key = ("page", *_version_key(procedure), page.id, language, id(registry))
    cls = _cached(
        key,
        lambda: _build(
            PageForm,
            f"PageForm[{procedure.slug}:{page.id}]",
            procedure,
            page.fields,
            language,
            registry,
            page=page,
            title=page.title.get(language),
        ),
    )
    return _with_today(cls, today)


def transition_form(
    procedure: Procedure,
    transition: Transition | str,
    *,
    language: str = "fr",
    today: dt.date | None = None,
    registry: Registry | None = None,
) -> type[TransitionForm]:
    """The form class of ``transition`` (a Transition or its id), citizens' and agents'."""
    registry = registry or default_registry
    if isinstance(transition, str):
        transition = procedure.workflow.transition(transition)
    key = ("transition", *_version_key(procedure), transition.id, language, id(registry))
    label = transition.label.get(language) if transition.label else transition.id
    cls = _cached(
        key,
        lambda: _build(
            TransitionForm,
            f"TransitionForm[{procedure.slug}:{transition.id}]",
            procedure,
            transition.form,
            language,
            registry,
            transition=transition,
            title=label,
        ),
    )
    return _with_today(cls, today)


def _with_today(cls, today):
    if today is None:
        return cls
    return type(cls.__name__, (cls,), {"default_today": today})
