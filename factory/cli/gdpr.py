"""Personal data (GDPR): ``gdpr purge`` anonymises closed cases past their retention;
``gdpr register`` writes the register of processing activities of procedure files."""

from __future__ import annotations

from pathlib import Path

import click

from connectors.registry import settings_schemas

from .options import (
    database_option,
    echo_problems,
    load_runtime,
    open_database,
    site_config_option,
    site_option,
    uploads_option,
)


@click.group()
def gdpr() -> None:
    """Personal data: retention of closed cases, the register of processing activities."""


@gdpr.command("purge")
@database_option
@site_config_option
@uploads_option
@click.option("--dry-run", is_flag=True, help="List what would be anonymised; change nothing.")
def gdpr_purge(database: str, site: str | None, uploads: str, dry_run: bool) -> None:
    """Anonymise the closed cases whose retention has passed (cases under a legal hold are
    kept), with their files; the run is written to the audit log."""
    from engine import retention
    from engine.clock import Clock
    from engine.db import make_session_factory
    from engine.storage import remove

    runtime = load_runtime(site)
    engine = open_database(database)
    sessions = make_session_factory(engine)
    clock = Clock()
    try:
        if dry_run:
            with sessions() as session:
                found, held = retention.due(session, runtime, clock, limit=10**9)
            for item in found:
                click.echo(
                    f"{item.reference or item.case_id}\t{item.procedure}\t"
                    f"closed {item.closed_at:%Y-%m-%d}\tretention {item.retention_days} days"
                )
            click.echo(
                f"{len(found)} closed case(s) would be anonymised; {held} kept by a legal hold."
            )
            return
        total = files = held = 0
        while True:
            with sessions() as session, session.begin():
                purged = retention.purge(session, runtime, clock)
            files += remove(Path(uploads), purged.attachments)
            total += len(purged.cases)
            held = purged.held
            for item in purged.cases:
                click.echo(f"{item.reference or item.case_id}\t{item.procedure}\tanonymised")
            if len(purged.cases) < retention.BATCH:
                break
    finally:
        engine.dispose()
    click.echo(
        f"{total} closed case(s) anonymised, {files} file(s) deleted; {held} kept by a legal hold."
    )


@gdpr.command("register")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@site_option
@click.option(
    "--format",
    "form",
    type=click.Choice(["md", "csv", "json"]),
    default="md",
    show_default=True,
    help="Markdown, CSV or JSON.",
)
@click.option(
    "--language",
    help="The language of the register (default: the environment's, e.g. LANG=fr).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
def gdpr_register(
    paths: tuple[str, ...], site: str | None, form: str, language: str | None, output: str | None
) -> None:
    """The register of processing activities (GDPR article 30) of procedure files or
    folders: purpose, legal basis, categories of data, recipients, retention."""
    import sys

    from definitions import register as registers
    from definitions.folders import check_paths
    from definitions.texts import language_of, translations

    result = check_paths(paths, site, with_tests=False, connector_schemas=settings_schemas())
    if result.problems:
        echo_problems(result.problems, err=True)
        sys.exit(1)
    catalogue = translations(language)
    book = registers.register(
        result.procedures, result.site, catalogue.gettext, language_of(catalogue)
    )
    if form == "json":
        text = registers.as_json(book)
    elif form == "csv":
        text = registers.as_csv(book, catalogue.gettext)
    else:
        text = registers.as_markdown(book, catalogue.gettext)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=not text.endswith("\n"))
