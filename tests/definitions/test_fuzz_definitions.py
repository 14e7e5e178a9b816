"""Fuzzing the loader and the checker with mutations of the example files.

Whatever the file becomes (keys deleted, values of other types, items duplicated, ids
renamed, indentation broken, text cut short, odd bytes), reading it gives either a checked
object or problems, each with a line and a column: never an exception.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json

import jinja2
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from connectors.registry import settings_schemas as connector_schemas
from definitions.answers import validate_answers
from definitions.errors import Problem
from definitions.folders import check_paths
from definitions.loader import load
from definitions.mermaid import mermaid
from definitions.procedures import read_procedure
from definitions.scenarios import read_tests
from definitions.site import read_site
from definitions.workflow_library import WorkflowLibrary
from renderers import page_form

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES
from ..fuzz_strategies import budget, mutated_text, mutated_tree

PROCEDURES = sorted(
    p.stem
    for p in EXAMPLES.glob("*.yaml")
    if not p.name.endswith(".tests.yaml") and p.name != "guichet.yaml"
)
WORKFLOWS = sorted(p.stem for p in (EXAMPLES / "workflows").glob("*.yaml"))


@functools.cache
def source(name: str) -> str:
    return (EXAMPLES / name).read_text("utf-8")


@functools.cache
def tree(name: str):
    return yaml.safe_load(source(name))


TODAY = dt.date(2026, 3, 2)


@functools.cache
def _environment():
    loader = jinja2.PackageLoader("renderers", "templates")
    return jinja2.Environment(loader=loader, autoescape=True)


def _render(form) -> str:
    return (
        _environment()
        .from_string(
            '{% import "renderers/form.html" as guichet %}'
            "{{ guichet.error_summary(form) }}{{ guichet.render_fields(form) }}"
        )
        .render(form=form)
    )


def dump(data) -> str:
    return yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)


@functools.cache
def site():
    document, problems = load(source("guichet.yaml"), "guichet.yaml")
    assert problems == []
    found, problems = read_site(document, EXAMPLE_ENVIRON, connector_schemas())
    assert problems == []
    return found


def library(workflows: dict[str, str] | None = None) -> WorkflowLibrary:
    sources = {name: source(f"workflows/{name}.yaml") for name in WORKFLOWS}
    # the document templates of the examples, as a published version keeps them
    templates = WorkflowLibrary(EXAMPLES / "workflows", site())
    sources |= {f"templates/{n}.html": templates.template(n) for n in templates.template_names()}
    return WorkflowLibrary(None, site(), sources={**sources, **(workflows or {})})


def assert_clean(problems, *files: str) -> None:
    """Problems, each in one of ``files``, at a line and column, in words."""
    assert isinstance(problems, list)
    for problem in problems:
        assert isinstance(problem, Problem), problem
        assert problem.file in files, problem
        assert isinstance(problem.line, int) and problem.line >= 1, problem
        assert isinstance(problem.column, int) and problem.column >= 1, problem
        assert isinstance(problem.message, str) and problem.message.strip(), problem
        str(problem)  # printable, as `guichet check` prints it


def check_procedure(text, file: str = "fuzz.yaml", workflows=None):
    """What `guichet check` does with one procedure file: load, then check."""
    document, problems = load(text, file)
    assert_clean(problems, file)
    if document is None or problems:
        assert problems or document is not None
        return None, problems
    procedure, problems = read_procedure(document, site(), library(workflows))
    assert_clean(problems, file, *(f"workflows/{name}.yaml" for name in WORKFLOWS))
    assert procedure is not None or problems, "neither a procedure nor a problem"
    if procedure is not None and not problems:
        assert_usable(procedure, text)
    return procedure, problems


def assert_usable(procedure, text) -> None:
    """What passes the check can be used: references, the workflow's drawing, the answers'
    validation, and every page, shown and posted empty, as the console previews it."""
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    procedure = dataclasses.replace(procedure, source_hash=hashlib.sha256(raw).hexdigest())
    reference = procedure.format_reference(2026, 10**9 - 1)
    assert len(reference) <= 100  # the cases' reference column
    mermaid(procedure)
    validate_answers(procedure, {}, today=TODAY)
    for page in procedure.form.pages:
        for formdata in (None, MultiDict()):
            form = page_form(procedure, page)(formdata, answers={}, today=TODAY)
            if formdata is not None:
                form.validate()
            _render(form)


def test_the_examples_are_valid_before_mutation():
    for name in PROCEDURES:
        procedure, problems = check_procedure(source(f"{name}.yaml"), f"{name}.yaml")
        assert problems == [] and procedure is not None, name
    # a mutation that changes nothing keeps them valid (the dump is faithful)
    procedure, problems = check_procedure(dump(tree("signalement-voirie.yaml")))
    assert problems == [] and procedure.slug == "signalement-voirie"


def _with_reference(pattern: str) -> str:
    """signalement-voirie with another reference pattern."""
    return source("signalement-voirie.yaml").replace(
        '"{procedure}-{year}-{seq:06d}"', json.dumps(pattern)
    )


def _mutated_procedure(name: str):
    return mutated_tree(tree(f"{name}.yaml")).map(dump)


# Found by this test: reference patterns that passed the check, then failed every submission
# (a width in other digits than 0-9, several "d", a width too large for Python, references
# longer than the database's column).
@example(_with_reference("{seq:²d}"))
@example(_with_reference("{seq:06ddd}"))
@example(_with_reference("{seq:99999999999999999999d}"))
@example(_with_reference("R" * 100 + "-{seq}"))
@settings(max_examples=budget(300))
@given(st.sampled_from(PROCEDURES).flatmap(_mutated_procedure))
def test_mutated_procedures_give_a_procedure_or_problems(text):
    check_procedure(text)


@settings(max_examples=budget(300))
@given(st.data(), st.sampled_from(PROCEDURES))
def test_broken_procedure_texts_give_a_procedure_or_problems(data, name):
    text = data.draw(mutated_text(source(f"{name}.yaml")), label="text")
    check_procedure(text)


@settings(max_examples=budget(100))
@given(st.data(), st.sampled_from(WORKFLOWS), st.booleans())
def test_mutated_reusable_workflows_give_problems_not_exceptions(data, name, as_text):
    if as_text:
        text = data.draw(mutated_text(source(f"workflows/{name}.yaml")), label="text")
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
    else:
        text = dump(data.draw(mutated_tree(tree(f"workflows/{name}.yaml")), label="workflow"))
    shared = library({name: text}).get(name)
    assert_clean(shared.problems, f"workflows/{name}.yaml")
    for user in ("aide-velo-electrique", "subvention-association"):
        check_procedure(source(f"{user}.yaml"), f"{user}.yaml", {name: text})


@settings(max_examples=budget(120))
@given(st.data(), st.sampled_from(PROCEDURES), st.booleans())
def test_mutated_tests_files_give_a_suite_or_problems(data, name, as_text):
    procedure, problems = check_procedure(source(f"{name}.yaml"), f"{name}.yaml")
    assert problems == []
    file = f"{name}.tests.yaml"
    if as_text:
        text = data.draw(mutated_text(source(file)), label="text")
    else:
        text = dump(data.draw(mutated_tree(tree(file)), label="tests"))
    document, problems = load(text, file)
    assert_clean(problems, file)
    if document is None or problems:
        return
    suite, problems = read_tests(document, procedure, site())
    assert_clean(problems, file)
    assert suite is not None or problems


@settings(max_examples=budget(150))
@given(st.data(), st.booleans())
def test_mutated_site_configs_give_a_site_or_problems(data, as_text):
    file = "guichet.yaml"
    if as_text:
        text = data.draw(mutated_text(source(file)), label="text")
    else:
        text = dump(data.draw(mutated_tree(tree(file)), label="site"))
    document, problems = load(text, file)
    assert_clean(problems, file)
    if document is None or problems:
        return
    found, problems = read_site(document, EXAMPLE_ENVIRON, connector_schemas())
    assert_clean(problems, file)
    assert found is not None or problems


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A copy of the examples' folder, whose procedure files the test below rewrites."""
    import shutil

    target = tmp_path_factory.mktemp("examples") / "examples"
    shutil.copytree(EXAMPLES, target)
    return target


@settings(max_examples=budget(60))
@given(st.data(), st.sampled_from(PROCEDURES), st.booleans())
def test_guichet_check_of_a_folder_with_a_mutated_file(folder, data, name, as_text):
    """The whole of `guichet check FOLDER --site`: the mutated procedure, its unchanged tests
    file (read against whatever procedure the mutation left), the workflows, the site."""
    if as_text:
        text = data.draw(mutated_text(source(f"{name}.yaml")), label="text")
    else:
        text = dump(data.draw(mutated_tree(tree(f"{name}.yaml")), label="procedure"))
    path = folder / f"{name}.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        result = check_paths(
            [folder],
            folder / "guichet.yaml",
            environ=EXAMPLE_ENVIRON,
            connector_schemas=connector_schemas(),
        )
    finally:
        path.write_text(source(f"{name}.yaml"), "utf-8")
    files = {str(folder / f) for f in (f"{name}.yaml", f"{name}.tests.yaml")}
    assert_clean(result.problems, *files)
    assert result.ok or result.problems
    assert len(result.procedures) >= len(PROCEDURES) - 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00",
        "\ufeff",
        "---\n...\n",
        "- 1\n",
        "procedure: x\n",
        "procedure:\n\tversion: 1\n",
        "a: *nope\n",
        "a: &x [*x]\n",
        b"\xff\xfe\x00\x00",
        b"procedure: \xc3\n",
    ],
)
def test_degenerate_files(text):
    procedure, problems = check_procedure(text)
    assert procedure is None and problems
