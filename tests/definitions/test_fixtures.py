"""Every invalid fixture is refused with exactly the problems it announces."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.prefill.registry import descriptions
from connectors.registry import settings_schemas
from definitions.errors import Problem
from definitions.folders import check_paths, load_site_file

from ..conftest import FIXTURES, expectations

INVALID = FIXTURES / "invalid"
SITE = FIXTURES / "site.yaml"
ENVIRON = {"FIXTURE_SECRET": "s3cret-value"}

procedure_fixtures = sorted(p for p in INVALID.glob("*.yaml") if not p.name.endswith(".tests.yaml"))
site_fixtures = sorted((FIXTURES / "invalid-sites").glob("*.yaml"))


def relative(problem: Problem, folder: Path) -> tuple[str, int, int, str]:
    name = Path(problem.file).resolve().relative_to(folder.resolve()).as_posix()
    return (name, problem.line, problem.column, problem.message)


def test_there_are_enough_fixtures():
    assert len(procedure_fixtures) + len(site_fixtures) >= 40


@pytest.mark.parametrize("path", procedure_fixtures, ids=lambda p: p.stem)
def test_invalid_procedure(path: Path):
    expected = list(expectations(path))
    tests = path.with_name(path.stem + ".tests.yaml")
    if tests.exists():
        expected += expectations(tests)
    assert expected, f"{path.name} announces no '# expect:' line"
    result = check_paths(
        [path],
        SITE,
        environ=ENVIRON,
        connector_schemas=settings_schemas(),
        prefill_types=descriptions(),
    )
    found = [relative(p, INVALID) for p in result.problems]
    assert sorted(found) == sorted(set(expected))


@pytest.mark.parametrize("path", site_fixtures, ids=lambda p: p.stem)
def test_invalid_site(path: Path):
    expected = expectations(path)
    assert expected, f"{path.name} announces no '# expect:' line"
    _, problems = load_site_file(path, ENVIRON, settings_schemas(), descriptions())
    found = [relative(p, path.parent) for p in problems]
    assert sorted(found) == sorted(expected)
    for problem in problems:
        assert ENVIRON["FIXTURE_SECRET"] not in problem.message
