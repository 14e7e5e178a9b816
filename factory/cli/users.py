"""Accounts from the command line: ``users create``."""

from __future__ import annotations

import click

from engine.models import ACCOUNT_KINDS, DEPARTMENT_KINDS

from .options import database_option, load_runtime, open_database


@click.group()
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

    from ..accounts import (
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
