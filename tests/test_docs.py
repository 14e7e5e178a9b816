"""The administrators' guide covers the whole format, and its example is valid."""

from __future__ import annotations

import re

import pytest

from definitions import schemas
from definitions.folders import check_paths
from engine.procedure_tests import run_paths

from .conftest import EXAMPLE_ENVIRON, EXAMPLES, ROOT

GUIDE = ROOT / "docs" / "administrators-guide.md"


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text("utf-8")


def test_every_top_level_key_is_documented(guide):
    keys = schemas.schema("procedure")["properties"]
    missing = [key for key in keys if f"`{key}`" not in guide]
    assert missing == []


def test_every_field_type_has_its_section(guide):
    types = schemas.schema("procedure")["$defs"]["field"]["properties"]["type"]["enum"]
    headings = set(re.findall(r"^### `([a-z]+)`", guide, flags=re.M))
    assert [t for t in types if t not in headings] == []


def test_every_field_key_is_documented(guide):
    defs = schemas.schema("procedure")["$defs"]
    keys = set(defs["field_common"]["properties"])
    for name, definition in defs.items():
        if name.startswith("field_") and "properties" in definition and name != "field_common":
            keys |= set(definition["properties"])
    assert sorted(k for k in keys if f"`{k}`" not in guide) == []


def test_the_guide_example_checks_and_its_tests_pass():
    example = ROOT / "docs" / "examples" / "guide-example.yaml"
    site = EXAMPLES / "guichet.yaml"
    result = check_paths([example], site, environ=EXAMPLE_ENVIRON)
    assert [str(p) for p in result.problems] == []
    problems, results = run_paths([example], site, environ=EXAMPLE_ENVIRON)
    assert problems == [] and results
    assert [r.line() for r in results if not r.passed] == []
