"""Upkeep of the database: ``db upgrade``, ``drafts purge``, ``outbox list`` and ``replay``;
and ``config env``, the environment variables."""

from __future__ import annotations

from pathlib import Path

import click

from .options import (
    database_option,
    load_runtime,
    open_database,
    retention_option,
    site_config_option,
    uploads_option,
)


@click.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
@database_option
def db_upgrade(database: str) -> None:
    """Create or migrate the database to the newest schema."""
    open_database(database).dispose()
    click.echo("The database is up to date.")


@db.command("publish")
@database_option
@site_config_option
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
def db_publish(database: str, site: str | None, folder: str) -> None:
    """Publish the procedures of FOLDER (and the workflows of FOLDER/workflows), once per
    deploy, so that web processes need not (GUICHET_PROCEDURES is for the embedded default).
    A version published already with the same content is left as it is."""
    from engine.catalogue import publish_folder
    from engine.clock import Clock
    from engine.db import make_session_factory
    from engine.errors import PublishError

    runtime = load_runtime(site)
    engine = open_database(database)
    try:
        with make_session_factory(engine)() as session, session.begin():
            versions = publish_folder(session, runtime, Path(folder), clock=Clock())
    except PublishError as error:
        raise click.ClickException(str(error)) from error
    finally:
        engine.dispose()
    click.echo(f"{len(versions)} procedure version(s) published.")


@click.group()
def drafts() -> None:
    """Drafts of requests not submitted yet."""


@drafts.command("purge")
@database_option
@uploads_option
@retention_option("--days", help="Delete anonymous drafts idle for longer than this")
def drafts_purge(database: str, uploads: str, days: int) -> None:
    """Delete abandoned anonymous drafts, with their files, now."""
    from engine import drafts as engine_drafts
    from engine.clock import Clock
    from engine.db import make_session_factory
    from engine.storage import from_settings

    from ..config import from_environment

    storage = from_settings(from_environment(), Path(uploads))
    engine = open_database(database)
    sessions = make_session_factory(engine)
    total = files = 0
    try:
        while True:
            with sessions() as session, session.begin():
                purged = engine_drafts.purge_abandoned(session, Clock(), days=days)
            files += engine_drafts.remove_files(storage, purged.attachments)
            total += len(purged.cases)
            if len(purged.cases) < engine_drafts.BATCH:
                break
    finally:
        engine.dispose()
    click.echo(f"{total} abandoned draft{'s' if total != 1 else ''} deleted, {files} file(s).")


@click.group()
def outbox() -> None:
    """Deliveries that are pending, failed or dead."""


@outbox.command("list")
@database_option
@click.option(
    "--status",
    type=click.Choice(["pending", "delivering", "delivered", "dead"]),
    default="dead",
    show_default=True,
)
@click.option("--connector", help="Only this connector.")
def outbox_list(database: str, status: str, connector: str | None) -> None:
    """List deliveries (dead letters by default), with their last error."""
    import sqlalchemy as sa

    from engine.db import make_session_factory
    from engine.models import OutboxMessage

    engine = open_database(database)
    with make_session_factory(engine)() as session:
        query = sa.select(OutboxMessage).where(OutboxMessage.status == status)
        if connector:
            query = query.where(OutboxMessage.connector == connector)
        for row in session.scalars(query.order_by(OutboxMessage.id)):
            click.echo(
                f"{row.id}\t{row.connector}\t{row.kind}\t{row.event_id}\t"
                f"attempts={row.attempts}\t{row.last_error or ''}"
            )
    engine.dispose()


@outbox.command("replay")
@database_option
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
def outbox_replay(database: str, ids: tuple[int, ...], replay_all: bool) -> None:
    """Put dead letters back in the queue."""
    from engine.clock import Clock
    from engine.db import make_session_factory
    from engine.outbox import replay

    if not ids and not replay_all:
        raise click.UsageError("name the deliveries to replay, or use --all")
    engine = open_database(database)
    with make_session_factory(engine)() as session, session.begin():
        count = replay(session, None if replay_all else list(ids), Clock().now())
    engine.dispose()
    click.echo(f"{count} deliveries are queued again.")


@click.group()
def config() -> None:
    """The settings."""


@config.command("env")
def config_env() -> None:
    """Print every GUICHET_* environment variable, its default and what it sets, as the
    Markdown table of docs/deployment.md."""
    from ..config import environment_table

    click.echo(environment_table(), nl=False)
