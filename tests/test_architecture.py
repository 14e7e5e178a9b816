"""The layering rules of the design: who may import whom, read from the sources.

Every module of the five packages is parsed (``ast``, imports inside functions included) and
each import is checked against the matrix below. A new module is checked the day it is added;
a new sub-package of ``factory/`` is a blueprint and follows the sibling rule at once.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("definitions", "engine", "renderers", "connectors", "factory")

#: What each package may import of ours (itself aside).
ALLOWED = {
    "definitions": set(),
    "engine": {"definitions"},
    "renderers": {"definitions"},
    "connectors": {"definitions", "engine"},
    "factory": {"definitions", "engine", "renderers", "connectors"},
}
#: Packages that never import a web framework.
NO_FLASK = ("definitions", "engine")
WEB_FRAMEWORK = ("flask", "flask_babel", "flask_login", "flask_wtf", "flask_limiter", "werkzeug")
#: The command line (a package of ``factory``, not a blueprint): the web layer never imports it.
CLI = "factory.cli"


def in_cli(name: str) -> bool:
    return name == CLI or name.startswith(CLI + ".")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, ``from X import Y`` read as
    ``X.Y`` when Y is a module of ours."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if is_module(full) else base)
    return found


def modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def blueprint_of(name: str) -> str | None:
    """The factory sub-package (blueprint) a module belongs to, if any."""
    parts = name.split(".")
    if in_cli(name):
        return None
    if len(parts) >= 2 and parts[0] == "factory" and (ROOT / "factory" / parts[1]).is_dir():
        if (ROOT / "factory" / parts[1] / "__init__.py").is_file():
            return parts[1]
    return None


def broken_rules(name: str, imports: set[str]) -> list[str]:
    """What is wrong with module ``name`` importing ``imports``, in plain words."""
    package = name.split(".")[0]
    broken = []
    for target in sorted(imports):
        top = target.split(".")[0]
        if top in PACKAGES and top != package and top not in ALLOWED[package]:
            broken.append(f"{name} imports {target}: {package} may not import {top}")
        if package in NO_FLASK and top in WEB_FRAMEWORK:
            broken.append(f"{name} imports {target}: {package} never imports the web layer")
        if package == "factory" and not in_cli(name) and in_cli(target):
            broken.append(f"{name} imports {target}: the web layer never imports the CLI")
        if package == "factory" and top == "factory":
            mine, theirs = blueprint_of(name), blueprint_of(target)
            if theirs is not None and mine is not None and mine != theirs:
                broken.append(f"{name} imports {target}: a blueprint never imports a sibling")
            if theirs is not None and mine is None and name != "factory" and not in_cli(name):
                broken.append(
                    f"{name} imports {target}: what blueprints share lives below them, "
                    "and never imports one of them"
                )
    return broken


@pytest.mark.parametrize("path", modules(), ids=lambda p: module_name(p))
def test_every_module_keeps_to_the_import_rules(path):
    assert broken_rules(module_name(path), imported(path)) == []


def test_the_sources_are_all_read():
    names = {module_name(path) for path in modules()}
    assert {"factory.portal.filing", "factory.backoffice.inbox", "factory.access"} <= names
    assert {blueprint_of(n) for n in names} >= {"portal", "backoffice", "console", "auth"}
    assert "factory.cli.procedures" in names and blueprint_of("factory.cli.procedures") is None


@pytest.mark.parametrize(
    ("name", "imports", "rule"),
    [
        ("definitions.model", {"engine.models"}, "definitions may not import engine"),
        ("engine.cases", {"renderers"}, "engine may not import renderers"),
        ("engine.cases", {"flask"}, "engine never imports the web layer"),
        ("definitions.loader", {"werkzeug.utils"}, "definitions never imports the web layer"),
        ("renderers.forms", {"engine.models"}, "renderers may not import engine"),
        ("connectors.webhook", {"factory.services"}, "connectors may not import factory"),
        ("factory.portal.filing", {"factory.backoffice.inbox"}, "never imports a sibling"),
        ("factory.console.views", {"factory.backoffice"}, "never imports a sibling"),
        ("factory.services", {"factory.cli"}, "the web layer never imports the CLI"),
        ("factory.auth.views", {"factory.cli"}, "the web layer never imports the CLI"),
        ("factory.errors", {"factory.cli.options"}, "the web layer never imports the CLI"),
        ("factory.access", {"factory.portal.space"}, "what blueprints share lives below them"),
    ],
)
def test_a_broken_rule_is_named(name, imports, rule):
    """The checker is not blind: each kind of forbidden import is reported."""
    assert any(rule in line for line in broken_rules(name, imports))


def test_relative_imports_are_resolved():
    """``from .. import x`` and ``from .x import y`` are read as the modules they name."""
    filing = ROOT / "factory" / "portal" / "filing.py"
    found = imported(filing)
    assert "factory.uploads" in found and "factory.access" in found
    assert "factory.services" in found


@pytest.mark.parametrize("package", NO_FLASK)
def test_core_packages_do_not_import_flask(package):
    code = (
        "import sys, importlib, pkgutil\n"
        f"import {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('flask', 'werkzeug')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def imported_test_modules(source: str, package: str) -> set[str]:
    """The ``test_*`` modules that ``source``, a module of ``package`` (``tests.factory``…),
    imports, relative imports resolved."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            base = ".".join(part for part in (base, node.module or "") if part)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(name for name in names if name.rpartition(".")[2].startswith("test_"))
    return found


def test_no_test_module_imports_another():
    """What several test modules share lives in ``conftest.py`` or in a plainly named helper
    module (``tests/factory/route_access.py``, ``tests/renderers/pages.py``…), never in a
    ``test_*`` module."""
    found = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        package = ".".join(path.relative_to(ROOT).parent.parts)
        imports = imported_test_modules(path.read_text(encoding="utf-8"), package)
        if imports:
            found[str(path.relative_to(ROOT))] = sorted(imports)
    assert found == {}


@pytest.mark.parametrize(
    ("line", "module"),
    [
        ("from .test_access import ACCESS", "tests.factory.test_access"),
        ("from . import test_access", "tests.factory.test_access"),
        ("from ..renderers.test_renderers import Document", "tests.renderers.test_renderers"),
        ("from tests.factory import test_cli", "tests.factory.test_cli"),
        ("import tests.engine.test_engine_cases", "tests.engine.test_engine_cases"),
    ],
)
def test_an_import_of_a_test_module_is_seen(line, module):
    assert module in imported_test_modules(line, "tests.factory")


def test_helper_modules_are_not_test_modules():
    assert imported_test_modules("from .route_access import ACCESS", "tests.factory") == set()


def test_definitions_does_not_import_the_database():
    code = (
        "import sys, importlib, pkgutil, definitions\n"
        "for m in pkgutil.walk_packages(definitions.__path__, 'definitions.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('sqlalchemy', 'engine')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
