"""The administrators' console: publishing versions, the catalogue, the outbox, the audit
log, staff accounts."""

from __future__ import annotations

# authoring, journal, outbox and staff add their views to views.bp
from . import authoring, journal, outbox, staff, views  # noqa: F401

blueprints = (views.bp,)
