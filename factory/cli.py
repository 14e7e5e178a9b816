"""The ``guichet`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from connectors.registry import settings_schemas
from definitions import schemas
from definitions.folders import check_paths
from definitions.texts import translations
from engine.models import ACCOUNT_KINDS, DEPARTMENT_KINDS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="guichet")
def main() -> None:
    """Guichet: online procedures for local authorities, described in YAML."""
    from definitions import fieldtypes

    try:
        fieldtypes.load_entry_points()  # plug-in field types, before any file is read
    except fieldtypes.FieldTypeError as error:
        raise click.ClickException(str(error)) from error


site_option = click.option(
    "--site",
    type=click.Path(exists=True, dir_okay=False),
    help="The site config (guichet.yaml): departments and connectors are checked against it.",
)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@site_option
def check(paths: tuple[str, ...], site: str | None) -> None:
    """Check procedure files, or every procedure of a folder.

    Prints one FILE:LINE:COLUMN: MESSAGE per problem and exits 1 if there is any.
    """
    result = check_paths(paths, site, connector_schemas=settings_schemas())
    for problem in result.problems:
        click.echo(problem.as_line(translations()))
    if result.problems:
        count = len(result.problems)
        click.echo(f"{count} problem{'s' if count > 1 else ''} found.", err=True)
        sys.exit(1)
    count = len(result.procedures)
    click.echo(f"{count} procedure{'s' if count != 1 else ''} checked, no problem found.", err=True)


@main.command()
@click.argument("procedure_file", type=click.Path(exists=True, dir_okay=False))
@site_option
@click.option("--language", default="fr", show_default=True, help="Language of the labels.")
def graph(procedure_file: str, site: str | None, language: str) -> None:
    """Print the workflow of a procedure as a Mermaid state diagram."""
    from definitions.mermaid import mermaid

    result = check_paths([procedure_file], site, with_tests=False)
    if not result.procedures:
        for problem in result.problems:
            click.echo(problem.as_line(translations()), err=True)
        sys.exit(1)
    click.echo(mermaid(result.procedures[0], language), nl=False)


@main.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@site_option
def test_command(paths: tuple[str, ...], site: str | None) -> None:
    """Run the procedure tests (NAME.tests.yaml) of procedure files or folders.

    Prints one line per scenario, then "N passed, N failed"; exits 1 if any failed.
    """
    from engine.procedure_tests import run_paths

    problems, results = run_paths(paths, site)
    if problems:
        for problem in problems:
            click.echo(problem.as_line(translations()))
        click.echo(f"{len(problems)} problems found: the tests did not run.", err=True)
        sys.exit(1)
    for result in results:
        click.echo(result.line())
    failed = sum(1 for r in results if not r.passed)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        sys.exit(1)


@main.command()
@click.argument("kind", type=click.Choice(schemas.KINDS), default="procedure")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file.")
@click.option(
    "--payload",
    "payload_of",
    type=click.Path(exists=True, dir_okay=False),
    metavar="PROCEDURE-FILE",
    help="Print instead the schema of the events connectors receive for a procedure.",
)
def schema(kind: str, output: str | None, payload_of: str | None) -> None:
    """Print the JSON Schema of a kind of file, for editors (yaml-language-server)."""
    document = schemas.schema(kind)
    if payload_of:
        from engine.notifications import payload_schema

        result = check_paths([payload_of], with_tests=False)
        if not result.procedures:
            for problem in result.problems:
                click.echo(problem.as_line(translations()), err=True)
            sys.exit(1)
        document = payload_schema(result.procedures[0])
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output:
        Path(output).write_text(text, "utf-8")
    else:
        click.echo(text, nl=False)


database_option = click.option(
    "--database",
    envvar="GUICHET_DATABASE_URL",
    default="sqlite:///var/guichet.db",
    show_default=True,
    help="The database URL (env GUICHET_DATABASE_URL).",
)
site_config_option = click.option(
    "--site",
    envvar="GUICHET_SITE",
    type=click.Path(exists=True, dir_okay=False),
    help="The site config (env GUICHET_SITE).",
)


def open_database(url: str):
    """An engine on ``url``, migrated to the newest schema."""
    from engine.db import make_engine
    from engine.migrate import upgrade

    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    return engine


def load_runtime(site_path: str | None):
    from definitions.folders import load_site_file
    from engine.catalogue import Runtime

    site = None
    if site_path:
        site, problems = load_site_file(site_path, connector_schemas=settings_schemas())
        if problems:
            for problem in problems:
                click.echo(problem.as_line(translations()), err=True)
            sys.exit(1)
    return Runtime(site=site)


@main.group()
def db() -> None:
    """The database."""


@db.command("upgrade")
@database_option
def db_upgrade(database: str) -> None:
    """Create or migrate the database to the newest schema."""
    open_database(database).dispose()
    click.echo("The database is up to date.")


@main.command()
@database_option
@site_config_option
@click.option("--once", is_flag=True, help="Process what is due, then stop.")
@click.option("--batch", default=50, show_default=True, help="Rows claimed at a time.")
@click.option(
    "--uploads",
    envvar="GUICHET_UPLOAD_FOLDER",
    default="var/uploads",
    show_default=True,
    help="Where attachments are kept (env GUICHET_UPLOAD_FOLDER).",
)
@click.option(
    "--draft-retention-days",
    envvar="GUICHET_DRAFT_RETENTION_DAYS",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="Anonymous drafts idle for longer are deleted with their files "
    "(env GUICHET_DRAFT_RETENTION_DAYS).",
)
@click.option(
    "--rollup-every",
    envvar="GUICHET_ROLLUP_EVERY_SECONDS",
    default=60,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds between two refreshes of the dashboards' statistics "
    "(env GUICHET_ROLLUP_EVERY_SECONDS).",
)
def worker(
    database: str,
    site: str | None,
    once: bool,
    batch: int,
    uploads: str,
    draft_retention_days: int,
    rollup_every: int,
) -> None:
    """Fire due timers and deliver the outbox through the site's connectors."""
    import datetime as dt
    import logging
    import signal
    import threading

    from connectors.registry import ConnectorRegistry, RegistryError
    from engine.db import make_session_factory
    from engine.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    runtime = load_runtime(site)
    try:
        registry = ConnectorRegistry(runtime.site, storage=Path(uploads))
    except RegistryError as error:
        raise click.ClickException(str(error)) from error
    engine = open_database(database)
    the_worker = Worker(
        runtime,
        make_session_factory(engine),
        registry.deliver,
        batch=batch,
        draft_retention_days=draft_retention_days,
        rollup_every=dt.timedelta(seconds=rollup_every),
        uploads=Path(uploads),
    )
    try:
        if once:
            while the_worker.run_once():
                pass
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        click.echo("The worker is running (Ctrl+C stops it).", err=True)
        the_worker.run(stop)
    finally:
        registry.close()
        engine.dispose()


@main.group()
def drafts() -> None:
    """Drafts of requests not submitted yet."""


@drafts.command("purge")
@database_option
@click.option(
    "--uploads",
    envvar="GUICHET_UPLOAD_FOLDER",
    default="var/uploads",
    show_default=True,
    help="Where attachments are kept (env GUICHET_UPLOAD_FOLDER).",
)
@click.option(
    "--days",
    envvar="GUICHET_DRAFT_RETENTION_DAYS",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="Delete anonymous drafts idle for longer than this (env GUICHET_DRAFT_RETENTION_DAYS).",
)
def drafts_purge(database: str, uploads: str, days: int) -> None:
    """Delete abandoned anonymous drafts, with their files, now."""
    from engine import drafts as engine_drafts
    from engine.clock import Clock
    from engine.db import make_session_factory

    engine = open_database(database)
    sessions = make_session_factory(engine)
    total = files = 0
    try:
        while True:
            with sessions() as session, session.begin():
                purged = engine_drafts.purge_abandoned(session, Clock(), days=days)
            files += engine_drafts.remove_files(Path(uploads), purged.attachments)
            total += len(purged.cases)
            if len(purged.cases) < engine_drafts.BATCH:
                break
    finally:
        engine.dispose()
    click.echo(f"{total} abandoned draft{'s' if total != 1 else ''} deleted, {files} file(s).")


@main.group()
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


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--site",
    envvar="GUICHET_SITE",
    type=click.Path(exists=True, dir_okay=False),
    help="The site config (env GUICHET_SITE).",
)
@click.option(
    "--procedures",
    envvar="GUICHET_PROCEDURES",
    type=click.Path(exists=True, file_okay=False),
    help="Publish the procedures of this folder at start (env GUICHET_PROCEDURES).",
)
@click.option(
    "--demo",
    is_flag=True,
    envvar="GUICHET_DEMO_ACCOUNTS",
    help="Create demo accounts (citizen, agent, supervisor, administrator).",
)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(
    host: str, port: int, site: str | None, procedures: str | None, demo: bool, threads: int
) -> None:
    """Run Guichet: the web application, with the worker as a thread (the embedded default)."""
    import logging

    from waitress import serve as waitress_serve

    from . import create_app
    from .accounts import DEMO_PASSWORD

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    overrides = {"SITE": site, "PROCEDURES": procedures, "DEMO_ACCOUNTS": demo}
    app = create_app(overrides={k: v for k, v in overrides.items() if v})
    url = f"http://{host}:{port}/"
    click.echo(f"\nGuichet runs at {url}")
    if demo:
        click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for email, kind in (
            ("citoyen@demo.guichet.fr", "citizen"),
            ("agent@demo.guichet.fr", "agent"),
            ("responsable@demo.guichet.fr", "supervisor"),
            ("admin@demo.guichet.fr", "administrator"),
        ):
            click.echo(f"  {kind:<14} {email}")
    click.echo("Ctrl+C stops it.\n")
    waitress_serve(app, host=host, port=port, threads=threads)


@main.group()
def users() -> None:
    """Accounts: agents, supervisors, administrators (and citizens)."""


@users.command("create")
@database_option
@click.argument("email")
@click.option(
    "--kind",
    type=click.Choice(ACCOUNT_KINDS),
    default="agent",
    show_default=True,
)
@click.option("--name", default="", help="The person's name.")
@click.option(
    "--department",
    "departments",
    multiple=True,
    help="A department of the site config (repeat for several).",
)
@click.option(
    "--site",
    envvar="GUICHET_SITE",
    type=click.Path(exists=True, dir_okay=False),
    help="Check the departments against this site config (env GUICHET_SITE).",
)
@click.password_option(help="The password (asked when not given).")
def users_create(
    database: str,
    email: str,
    kind: str,
    name: str,
    departments: tuple[str, ...],
    site: str | None,
    password: str,
) -> None:
    """Create an account; staff belong to departments of the site config."""
    from engine.clock import Clock
    from engine.db import make_session_factory

    from .accounts import (
        InvalidEmail,
        create_account,
        find_account,
        normalise_email,
        password_problem,
    )

    try:
        email = normalise_email(email)
    except InvalidEmail as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from error
    problem = password_problem(password, email=email, name=name)
    if problem is not None:
        raise click.BadParameter(str(problem), param_hint="password")
    runtime = load_runtime(site)
    if runtime.site is not None:
        unknown = [d for d in departments if d not in runtime.site.departments]
        if unknown:
            raise click.BadParameter(
                f"not in the site config: {', '.join(unknown)}", param_hint="--department"
            )
    if kind in DEPARTMENT_KINDS and not departments:
        raise click.BadParameter(
            "agents and supervisors belong to at least one department", param_hint="--department"
        )
    engine = open_database(database)
    with make_session_factory(engine)() as session, session.begin():
        if find_account(session, email) is not None:
            raise click.ClickException(f"an account already uses {email}")
        create_account(
            session,
            email,
            password,
            kind=kind,
            name=name,
            departments=departments,
            confirmed=True,
            now=Clock().now(),
        )
    engine.dispose()
    click.echo(f"The {kind} account {email} is created.")
