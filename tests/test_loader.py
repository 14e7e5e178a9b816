"""The strict YAML loader."""

from __future__ import annotations

import time

import pytest

from definitions.loader import MAX_NODES, load


def messages(text: str) -> list[str]:
    _, problems = load(text, "f.yaml")
    return [str(p) for p in problems]


def test_values_and_positions():
    document, problems = load("a: 1\nb:\n  - x\n  - {c: true}\nd: 2024-01-31\n", "f.yaml")
    assert problems == []
    assert document.data == {"a": 1, "b": ["x", {"c": True}], "d": "2024-01-31"}
    assert document.where(("b", 1, "c")) == (4, 9)
    assert document.where(("b", 1, "c"), key=True) == (4, 6)
    assert document.where(("b", 7, "nothing")) == (3, 3)  # nearest known parent


def test_dates_stay_text():
    document, _ = load("when: 2024-01-31\nat: 2024-01-31T10:00:00\n")
    assert document.data == {"when": "2024-01-31", "at": "2024-01-31T10:00:00"}


def test_duplicate_keys_are_refused():
    assert messages("a: 1\nb: 2\na: 3\n") == [
        "f.yaml:3:1: duplicate key 'a' (first given at line 1)"
    ]


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("01000", "a number"),
        ("76000", "a number"),
        ("1.5", "a number"),
        ("yes", "a boolean"),
        ("off", "a boolean"),
        ("~", "empty (null)"),
    ],
)
def test_keys_read_as_something_else_must_be_quoted(key, kind):
    assert messages(f"map:\n  {key}: x\n") == [
        f'f.yaml:2:3: the key {key!r} is read by YAML as {kind}; put it in quotes: "{key}"'
    ]


def test_quoted_keys_are_text():
    document, problems = load('map: {"76000": a, "yes": b}\n')
    assert problems == [] and document.data == {"map": {"76000": "a", "yes": "b"}}


def test_billion_laughs_is_refused_quickly():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        previous, name = chr(96 + level), chr(97 + level)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    start = time.perf_counter()
    document, problems = load("\n".join(lines) + "\n", "bomb.yaml")
    assert time.perf_counter() - start < 1.0
    assert document is None
    assert len(problems) == 1
    assert f"beyond {MAX_NODES} values" in problems[0].message


def test_reasonable_aliases_are_expanded():
    document, problems = load("base: &b {x: 1}\nother: *b\n")
    assert problems == [] and document.data == {"base": {"x": 1}, "other": {"x": 1}}


def test_recursive_alias_is_refused():
    assert messages("a: &x\n  b: *x\n") == [
        "f.yaml:1:4: this alias refers to itself; a YAML value cannot contain itself"
    ]


def test_merge_keys_and_tags_are_refused():
    assert messages("a: &x {b: 1}\nc:\n  <<: *x\n") == [
        "f.yaml:3:3: merge keys ('<<') are not supported; write the keys out"
    ]
    assert messages("a: !!python/object:os.system x\n") == [
        "f.yaml:1:4: the YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed "
        "here; remove it"
    ]


def test_syntax_errors_have_a_position():
    (message,) = messages("a: [1,\nb: 2\n")
    assert message == (
        "f.yaml:3:1: invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'"
    )


def test_only_one_document():
    (message,) = messages("a: 1\n---\nb: 2\n")
    assert "invalid YAML" in message and "single document" in message
