"""Database migrations (Alembic), run with ``guichet db upgrade`` or at start."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None, connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (the newest by default)."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection=connection), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection=connection), revision)


def heads() -> set[str]:
    """The newest revisions the migrations know (one, unless branches are not joined yet)."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def current(connection: sa.Connection) -> set[str]:
    """The revisions the database is at (none: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    return set(MigrationContext.configure(connection).get_current_heads())


def behind(connection: sa.Connection) -> str | None:
    """Why the database is not at the newest schema, or None when it is. Raises what the
    driver raises when the database cannot be reached."""
    found = current(connection)
    wanted = heads()
    if found == wanted:
        return None
    if not found:
        return "the database has no schema yet: run guichet db upgrade"
    return (
        f"the database is at {', '.join(sorted(found))}, the code expects "
        f"{', '.join(sorted(wanted))}: run guichet db upgrade"
    )
