"""The administrators' console: publishing versions, the catalogue, the outbox, the audit
log, staff accounts, the REST API's clients."""

from __future__ import annotations

# authoring, journal, migrations, outbox, staff, version_tests and versions add their views
# to views.bp
from . import (  # noqa: F401
    api_clients,
    authoring,
    journal,
    migrations,
    outbox,
    staff,
    version_tests,
    versions,
    views,
)

blueprints = (views.bp,)
