"""The `{{ }}` filters that format values for people (`amount`, `number`, `date`,
`datetime`, `phone`), in the language and time zone of the reader of the text.

A text is rendered for one reader: :func:`reading` sets their language and the site's time
zone for the time of the rendering, and the filters read them. Outside :func:`reading`
(a constant folded while a file is checked), they format in French, in Paris time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from . import formats

_reader: ContextVar[tuple[str, str]] = ContextVar(
    "reader", default=(formats.DEFAULT_LANGUAGE, formats.DEFAULT_TIMEZONE)
)


@contextmanager
def reading(language: str | None = None, timezone: str | None = None) -> Iterator[None]:
    """Render texts for a reader of ``language`` in the site's ``timezone``."""
    token = _reader.set(
        (language or formats.DEFAULT_LANGUAGE, timezone or formats.DEFAULT_TIMEZONE)
    )
    try:
        yield
    finally:
        _reader.reset(token)


def _amount(value: Any, decimals: Any = None) -> str:
    try:
        decimals = None if decimals is None else int(decimals)
    except (TypeError, ValueError):
        decimals = None
    return formats.amount(value, decimals, _reader.get()[0])


def _number(value: Any) -> str:
    return formats.number(value, _reader.get()[0])


def _date(value: Any) -> str:
    return formats.date(value, *_reader.get())


def _datetime(value: Any) -> str:
    return formats.datetime(value, *_reader.get())


def _phone(value: Any) -> str:
    return formats.phone(value)


FILTERS = {
    "amount": _amount,
    "number": _number,
    "date": _date,
    "datetime": _datetime,
    "phone": _phone,
}
