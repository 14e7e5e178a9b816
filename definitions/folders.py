"""Checking many files at once: folders of procedures, their workflows and their tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem, capped
from .loader import load_file
from .model import Procedure
from .procedures import load_procedure
from .scenarios import TestSuite, read_tests
from .site import Site, read_site
from .texts import N_
from .workflow_library import WorkflowLibrary

SITE_NAMES = ("guichet.yaml", "guichet.yml")


@dataclass
class CheckResult:
    """What :func:`check_paths` found: the procedures that loaded, and every problem."""

    procedures: list[Procedure] = field(default_factory=list)
    suites: dict[tuple[str, int], TestSuite] = field(default_factory=dict)
    site: Site | None = None
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def procedure_files(path: Path) -> list[Path]:
    """The procedure files of a folder (not its tests, workflows or site config)."""
    if path.is_file():
        if path.name.endswith((".tests.yaml", ".tests.yml")):  # the procedure beside it
            return [path.with_name(path.name.rsplit(".tests.", 1)[0] + path.suffix)]
        return [path]
    files = []
    for candidate in sorted(path.iterdir()):
        if candidate.suffix not in (".yaml", ".yml") or not candidate.is_file():
            continue
        if candidate.name.endswith((".tests.yaml", ".tests.yml")) or candidate.name in SITE_NAMES:
            continue
        files.append(candidate)
    return files


def _is_workflows(path: Path) -> bool:
    return path.name == "workflows" if path.is_dir() else path.parent.name == "workflows"


def tests_file(path: Path) -> Path | None:
    stem = path.name.rsplit(".", 1)[0]
    for suffix in (".tests.yaml", ".tests.yml"):
        candidate = path.with_name(stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def load_site_file(
    path, environ: Mapping[str, str] | None = None, connector_schemas=None, prefill_types=None
):
    document, problems = load_file(path)
    if document is None or problems:
        return None, problems
    return read_site(document, environ, connector_schemas, prefill_types)


def check_paths(
    paths: Iterable[str | Path],
    site_path: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    with_tests: bool = True,
    connector_schemas: Mapping[str, Mapping] | None = None,
    prefill_types: Mapping[str, Mapping] | None = None,
) -> CheckResult:
    """Load and check procedure files and folders (with their workflows and tests).

    ``connector_schemas`` (type -> settings schema) checks the site's connectors too;
    ``prefill_types`` (type -> description) its prefill sources, and the procedures' lookups.
    """
    result = CheckResult()
    if site_path is not None:
        result.site, problems = load_site_file(site_path, environ, connector_schemas, prefill_types)
        result.problems += problems
        result.files += 1
    libraries: dict[Path, WorkflowLibrary] = {}
    seen: dict[tuple[str, int], str] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            result.problems.append(Problem.of(str(path), 1, 1, N_("no such file or folder")))
            continue
        if _is_workflows(path):  # reusable workflows, checked on their own
            folder = path if path.is_dir() else path.parent
            library = libraries.setdefault(folder, WorkflowLibrary(folder, result.site))
            names = library.names() if path.is_dir() else [path.stem]
            for name in names:
                result.files += 1
                result.problems += library.get(name).problems
            continue
        if path.is_dir() and (path / "workflows").is_dir():
            library = libraries.setdefault(
                path / "workflows", WorkflowLibrary(path / "workflows", result.site)
            )
            for name in library.names():  # even those that no procedure uses yet
                result.problems += library.get(name).problems
        for file in procedure_files(path):
            if site_path is not None and file.resolve() == Path(site_path).resolve():
                continue
            if not file.is_file():
                result.problems.append(
                    Problem.of(str(file), 1, 1, N_("no procedure file beside these tests"))
                )
                continue
            result.files += 1
            folder = file.parent / "workflows"
            library = libraries.setdefault(folder, WorkflowLibrary(folder, result.site))
            procedure, problems = load_procedure(file, result.site, library)
            result.problems += problems
            if procedure is None:
                continue
            key = (procedure.slug, procedure.version)
            if key in seen:
                document, _ = load_file(file)  # read again only to point at its key
                result.problems.append(
                    document.problem(
                        ("procedure",),
                        N_("procedure %(name)s version %(version)s is also defined in %(file)s"),
                        name=repr(procedure.slug),
                        version=procedure.version,
                        file=seen[key],
                    )
                )
                continue
            seen[key] = str(file)
            result.procedures.append(procedure)
            tests = tests_file(file) if with_tests else None
            if tests is not None:
                result.files += 1
                tests_document, problems = load_file(tests)
                result.problems += problems
                if tests_document is not None and not problems:
                    suite, problems = read_tests(tests_document, procedure, result.site)
                    result.problems += problems
                    if suite is not None:
                        result.suites[key] = suite
    result.problems = capped(result.problems)
    return result
