"""The commands on procedure files: ``check``, ``graph``, ``test``, ``schema`` (no database)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from connectors.prefill.registry import descriptions
from connectors.registry import settings_schemas
from definitions import schemas
from definitions.folders import check_paths

from .options import echo_problems, site_option


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@site_option
@click.option("--strict", is_flag=True, help="Exit 1 on warnings of the lint too.")
def check(paths: tuple[str, ...], site: str | None, strict: bool) -> None:
    """Check procedure files, or every procedure of a folder.

    Prints one FILE:LINE:COLUMN: MESSAGE per problem and exits 1 if there is any, then
    one FILE:LINE:COLUMN: warning: MESSAGE [CODE] per warning of the lint (exit 1 with
    --strict).
    """
    from definitions.lint import lint_paths

    result = check_paths(
        paths, site, connector_schemas=settings_schemas(), prefill_types=descriptions()
    )
    if result.site is not None:
        # what the legal pages need (legal notice, DPO, accessibility statement)
        result.problems = [*result.site.legal_problems, *result.problems]
    echo_problems(result.problems)
    warnings = lint_paths(paths, site)
    echo_problems(warnings)
    if warnings:
        count = len(warnings)
        click.echo(f"{count} warning{'s' if count > 1 else ''}.", err=True)
    if result.problems:
        count = len(result.problems)
        click.echo(f"{count} problem{'s' if count > 1 else ''} found.", err=True)
        sys.exit(1)
    count = len(result.procedures)
    click.echo(f"{count} procedure{'s' if count != 1 else ''} checked, no problem found.", err=True)
    if strict and warnings:
        sys.exit(1)


def _one_procedure(path: str, site: str | None = None):
    """The procedure of the file at ``path`` and its site, checked without its tests;
    exits 1 on problems."""
    result = check_paths([path], site, with_tests=False)
    if not result.procedures:
        echo_problems(result.problems, err=True)
        sys.exit(1)
    return result.procedures[0], result.site


@click.command()
@click.argument("procedure_file", type=click.Path(exists=True, dir_okay=False))
@site_option
@click.option("--language", default="fr", show_default=True, help="Language of the labels.")
def graph(procedure_file: str, site: str | None, language: str) -> None:
    """Print the workflow of a procedure as a Mermaid state diagram."""
    from definitions.mermaid import mermaid

    procedure, checked_site = _one_procedure(procedure_file, site)
    departments = {
        key: department.name.get(language)
        for key, department in (checked_site.departments.items() if checked_site else ())
    }
    click.echo(mermaid(procedure, language, departments), nl=False)


@click.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@site_option
def test_command(paths: tuple[str, ...], site: str | None) -> None:
    """Run the procedure tests (NAME.tests.yaml) of procedure files or folders.

    Prints one line per scenario, then "N passed, N failed"; exits 1 if any failed.
    """
    from engine.procedure_tests import run_paths

    problems, results = run_paths(paths, site)
    if problems:
        echo_problems(problems)
        click.echo(f"{len(problems)} problems found: the tests did not run.", err=True)
        sys.exit(1)
    for result in results:
        click.echo(result.line())
    failed = sum(1 for r in results if not r.passed)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        sys.exit(1)


@click.command()
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

        document = payload_schema(_one_procedure(payload_of)[0])
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output:
        Path(output).write_text(text, "utf-8")
    else:
        click.echo(text, nl=False)
