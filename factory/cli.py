"""The ``guichet`` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from definitions import schemas
from definitions.catalogue import check_paths


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="guichet")
def main() -> None:
    """Guichet: online procedures for local authorities, described in YAML."""


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
    result = check_paths(paths, site)
    for problem in result.problems:
        click.echo(str(problem))
    if result.problems:
        count = len(result.problems)
        click.echo(f"{count} problem{'s' if count > 1 else ''} found.", err=True)
        sys.exit(1)
    click.echo(f"{len(result.procedures)} procedures checked, no problem found.", err=True)


@main.command()
@click.argument("procedure_file", type=click.Path(exists=True, dir_okay=False))
@site_option
@click.option("--language", default="fr", show_default=True, help="Language of the labels.")
def graph(procedure_file: str, site: str | None, language: str) -> None:
    """Print the workflow of a procedure as a Mermaid state diagram."""
    from definitions.graph import mermaid

    result = check_paths([procedure_file], site, with_tests=False)
    if not result.procedures:
        for problem in result.problems:
            click.echo(str(problem), err=True)
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
            click.echo(str(problem))
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
def schema(kind: str, output: str | None) -> None:
    """Print the JSON Schema of a kind of file, for editors (yaml-language-server)."""
    text = json.dumps(schemas.schema(kind), indent=2, ensure_ascii=False) + "\n"
    if output:
        Path(output).write_text(text, "utf-8")
    else:
        click.echo(text, nl=False)
