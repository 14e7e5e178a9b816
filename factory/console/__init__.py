"""The administrators' console: publishing versions, the catalogue, the outbox, the audit
log, staff accounts."""

from __future__ import annotations

# journal, outbox, staff and versions add their views to views.bp
from . import journal, migrations, outbox, staff, version_tests, versions, views  # noqa: F401

blueprints = (views.bp,)
