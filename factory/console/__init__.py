"""The administrators' console: publishing versions, the catalogue, the outbox, the audit
log, staff accounts."""

from __future__ import annotations

from . import views

blueprints = (views.bp,)
