"""The strict YAML loader."""

from __future__ import annotations

import time

import pytest

from definitions.loader import MAX_DEPTH, MAX_NODES, load


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
    bomb = "\n".join(lines) + "\n"  # 9**9 values once expanded
    # the baseline, in the same conditions: a plain file of as many values as are allowed
    plain = "values: [" + ",".join(["lol"] * (MAX_NODES - 2)) + "]\n"
    start = time.perf_counter()
    baseline, problems = load(plain, "plain.yaml")
    plain_time = time.perf_counter() - start
    assert problems == [] and len(baseline.data["values"]) == MAX_NODES - 2
    start = time.perf_counter()
    document, problems = load(bomb, "bomb.yaml")
    # refused after at most MAX_NODES values: no slower than reading that many plainly
    # (expanding the 387 million values would take thousands of times longer)
    assert time.perf_counter() - start < 5 * plain_time
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


def test_nesting_up_to_the_bound_is_read():
    depth = MAX_DEPTH  # the root mapping, then MAX_DEPTH - 1 lists
    document, problems = load("a: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n")
    assert problems == []
    value = document.data["a"]
    for _ in range(depth - 2):
        (value,) = value
    assert value == [1]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 990])
def test_deep_nesting_is_refused_at_its_line(depth):
    # flow style: the first list too deep starts at column 4 + MAX_DEPTH - 1 of line 2
    text = "procedure: x\nform: " + "[" * depth + "1" + "]" * depth + "\n"
    document, problems = load(text, "deep.yaml")
    assert document is None
    assert [str(p) for p in problems] == [
        f"deep.yaml:2:{7 + MAX_DEPTH - 1}: lists and mappings are nested more than "
        f"{MAX_DEPTH} levels deep here; a procedure never needs that many, write this part "
        "flatter"
    ]


def test_deep_block_mappings_are_refused_at_their_line():
    text = "".join("  " * level + f"k{level}:\n" for level in range(400)) + "  " * 400 + "v\n"
    document, problems = load(text, "deep.yaml")
    assert document is None
    (problem,) = problems
    # the mapping under k63 (the 65th, counting the root) starts on line 65
    assert (problem.line, problem.column) == (MAX_DEPTH + 1, 2 * MAX_DEPTH + 1)
    assert f"nested more than {MAX_DEPTH} levels deep" in problem.message


def test_deep_nesting_through_aliases_is_refused():
    text = "a: &a " + "[" * 40 + "1" + "]" * 40 + "\nb: " + "[" * 30 + "*a" + "]" * 30 + "\n"
    document, problems = load(text, "deep.yaml")
    assert document is None
    assert f"nested more than {MAX_DEPTH} levels deep" in problems[0].message


def test_guichet_check_reports_deep_nesting(tmp_path):
    from click.testing import CliRunner

    from factory.cli import main

    path = tmp_path / "deep.yaml"
    path.write_text("procedure: x\nform: " + "[" * 600 + "]" * 600 + "\n", "utf-8")
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{path}:2:{7 + MAX_DEPTH - 1}: lists and mappings are nested more than" in (
        result.stdout
    )


def test_problems_are_capped_for_each_file_with_the_rest_counted():
    from definitions.errors import MAX_PROBLEMS, Problem, capped

    many = [Problem("a.yaml", line, 1, f"problem {line}") for line in range(1000, 0, -1)]
    few = [Problem("b.yaml", 3, 1, "one"), Problem("b.yaml", 3, 1, "one")]
    result = capped(many + few)
    assert result[:MAX_PROBLEMS] == sorted(many)[:MAX_PROBLEMS]
    assert str(result[MAX_PROBLEMS]) == (
        f"a.yaml:{MAX_PROBLEMS + 1}:1: and {1000 - MAX_PROBLEMS} more problems in this file, "
        "not listed; fix the ones above first"
    )
    assert result[MAX_PROBLEMS + 1 :] == [Problem("b.yaml", 3, 1, "one")]


def test_a_plain_file_of_too_many_values_says_so():
    document, problems = load("values: [" + ",".join(["1"] * 50) + "]\n", "f.yaml", max_nodes=20)
    assert document is None
    assert [str(p) for p in problems] == [
        "f.yaml:1:46: this file holds more than 20 values; a procedure needs far fewer: "
        "remove what it does not use, or split it"
    ]
