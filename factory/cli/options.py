"""What the commands share: the database and site options, and opening them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from connectors.prefill.registry import descriptions
from connectors.registry import settings_schemas
from definitions.texts import translations

site_option = click.option(
    "--site",
    type=click.Path(exists=True, dir_okay=False),
    help="The site config (guichet.yaml): departments and connectors are checked against it.",
)

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
    """The runtime of the site config at ``site_path`` (none: no site); exits 1 on problems."""
    from definitions.folders import load_site_file
    from engine.catalogue import Runtime

    site = None
    if site_path:
        site, problems = load_site_file(
            site_path, connector_schemas=settings_schemas(), prefill_types=descriptions()
        )
        if problems:
            echo_problems(problems, err=True)
            sys.exit(1)
    return Runtime(site=site)


uploads_option = click.option(
    "--uploads",
    envvar="GUICHET_UPLOAD_FOLDER",
    default="var/uploads",
    show_default=True,
    help="Where attachments are kept (env GUICHET_UPLOAD_FOLDER).",
)


def retention_option(name: str, *, help: str):
    """How many days anonymous drafts are kept when idle (env GUICHET_DRAFT_RETENTION_DAYS)."""
    return click.option(
        name,
        envvar="GUICHET_DRAFT_RETENTION_DAYS",
        default=30,
        show_default=True,
        type=click.IntRange(min=1),
        help=f"{help} (env GUICHET_DRAFT_RETENTION_DAYS).",
    )


def echo_problems(problems, *, err: bool = False) -> None:
    """Each problem as FILE:LINE:COLUMN: MESSAGE, in the command line's language."""
    for problem in problems:
        click.echo(problem.as_line(translations()), err=err)
