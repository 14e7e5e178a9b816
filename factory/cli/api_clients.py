"""Clients of the REST API from the command line: ``api-clients create``, ``list``,
``revoke``."""

from __future__ import annotations

import click

from engine.models import API_SCOPES

from .options import database_option, load_runtime, open_database


@click.group("api-clients")
def api_clients() -> None:
    """Clients of the REST API: the departments' own systems."""


@api_clients.command("create")
@database_option
@click.argument("name")
@click.option(
    "--department",
    "departments",
    multiple=True,
    required=True,
    help="A department the client acts for (repeat for several).",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(API_SCOPES),
    help="What the client may do (repeat for several).",
)
@click.option(
    "--as-agent",
    is_flag=True,
    help="Also fire the agents' transitions of its departments, not only the departments'.",
)
@click.option(
    "--site",
    envvar="GUICHET_SITE",
    type=click.Path(exists=True, dir_okay=False),
    help="Check the departments against this site config (env GUICHET_SITE).",
)
def create(
    database: str,
    name: str,
    departments: tuple[str, ...],
    scopes: tuple[str, ...],
    as_agent: bool,
    site: str | None,
) -> None:
    """Create a client; its token is printed once, on the last line."""
    from engine.api_clients import InvalidClient, create_client
    from engine.clock import Clock
    from engine.db import make_session_factory

    runtime = load_runtime(site)
    if runtime.site is not None:
        unknown = [d for d in departments if d not in runtime.site.departments]
        if unknown:
            raise click.BadParameter(
                f"not in the site config: {', '.join(unknown)}", param_hint="--department"
            )
    engine = open_database(database)
    try:
        with make_session_factory(engine)() as session, session.begin():
            client, token = create_client(
                session,
                name,
                departments=departments,
                scopes=scopes,
                as_agent=as_agent,
                now=Clock().now(),
            )
            described = _describe(client)
    except InvalidClient as error:
        raise click.ClickException(str(error)) from error
    finally:
        engine.dispose()
    click.echo(f"The API client {described} is created. Its token, shown only now:")
    click.echo(token)


@api_clients.command("list")
@database_option
def list_clients(database: str) -> None:
    """Every client: name, departments, scopes, when last used, revoked or not."""
    from engine.api_clients import clients
    from engine.db import make_session_factory

    engine = open_database(database)
    with make_session_factory(engine)() as session:
        rows = clients(session)
        for client in rows:
            used = client.last_used_at.isoformat(timespec="seconds") if client.last_used_at else "-"
            status = f"revoked {client.revoked_at:%Y-%m-%d}" if client.revoked_at else "active"
            click.echo(f"{_describe(client)}\tlast used {used}\t{status}")
        if not rows:
            click.echo("No API client.")
    engine.dispose()


@api_clients.command("revoke")
@database_option
@click.argument("name")
def revoke(database: str, name: str) -> None:
    """Revoke a client (by name or id): its token is refused from now on."""
    from engine import api_clients as operations
    from engine.clock import Clock
    from engine.db import make_session_factory
    from engine.errors import NotFound

    engine = open_database(database)
    try:
        with make_session_factory(engine)() as session, session.begin():
            client = operations.revoke(session, name, Clock().now())
            click.echo(f"The API client {client.name} is revoked.")
    except NotFound as error:
        raise click.ClickException(str(error)) from error
    finally:
        engine.dispose()


def _describe(client) -> str:
    agent = ", as an agent" if client.as_agent else ""
    return (
        f"{client.name} (#{client.id}: {', '.join(client.departments)}; "
        f"{' '.join(client.scopes)}{agent})"
    )
