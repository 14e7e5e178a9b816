"""What the engine refuses, and why.

Exception tree::

    EngineError
    ├── NotFound            no such case, procedure version or transition
    ├── Refused             a transition may not fire: ``reason`` is state, actor or guard
    │   └── InvalidValues   the answers or a transition form do not validate (``errors``)
    ├── Conflict            someone else changed the case first (optimistic lock)
    └── PublishError        a procedure version cannot be published
"""

from __future__ import annotations


class EngineError(Exception):
    """The base of every error the engine raises on purpose."""


class NotFound(EngineError):
    pass


class Refused(EngineError):
    """A transition that may not fire now. ``reason``: state, actor, guard or form."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


class InvalidValues(Refused):
    """Answers or transition-form values that do not validate; ``errors`` lists them."""

    def __init__(self, errors, message: str = "some values are not valid"):
        self.errors = list(errors)
        super().__init__("form", message + ": " + ", ".join(sorted({e.field for e in self.errors})))


class Conflict(EngineError):
    """The case changed since it was read: reload it and try again."""


class PublishError(EngineError):
    pass
