"""Expressions run in a sandbox, with the helpers the format allows."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from definitions.expression_checks import analyse
from definitions.expressions import Expression, Template


def test_age_counts_whole_years_from_today():
    expression = Expression("age(born) >= 18")
    assert expression.holds({"born": dt.date(2008, 11, 22), "today": dt.date(2026, 11, 22)})
    assert not expression.holds({"born": dt.date(2008, 11, 23), "today": dt.date(2026, 11, 22)})


def test_len_and_membership():
    assert Expression("len(children) >= 3 and 'cantine' in activities").holds(
        {"children": [1, 2, 3], "activities": ["cantine"]}
    )


def test_unanswered_fields_make_conditions_not_hold():
    assert not Expression("count > 2").holds({"count": None})
    assert Template("Bonjour {{ name }}.").render({"name": None}) == "Bonjour ."


def test_the_sandbox_blocks_attributes_of_python_objects():
    from jinja2 import Undefined

    # refused at load time (see below); and at run time the sandbox gives nothing
    assert isinstance(Expression("name.__class__").evaluate({"name": "x"}), Undefined)
    assert not Expression("name.__class__").holds({"name": "x"})


@pytest.mark.parametrize(
    ("source", "template", "problem"),
    [
        ("lower(name)", False, "calling lower is not allowed in this expression"),
        ("name.upper()", False, "calling the method upper is not allowed in this expression"),
        (
            "{{ name|capitalise }}",
            True,
            "unknown filter 'capitalise' in this text; did you mean 'capitalize'?",
        ),
        ("{% include 'x' %}", True, "this text uses {% include %}, which is not allowed"),
        (
            "name.__class__",
            False,
            "names starting with '_' ('__class__') are not allowed in this expression",
        ),
    ],
)
def test_refused_constructs(source, template, problem):
    assert analyse(source, template).refusal.startswith(problem)


def test_names_and_attribute_chains():
    analysis = analyse(
        "case.state == 'x' and address.postcode[:2] == '41' and case.created_at.year"
    )
    assert analysis.names == {"case", "address"}
    assert ("case", ("created_at", "year")) in analysis.chains
    assert ("address", ("postcode",)) in analysis.chains


@pytest.mark.parametrize(
    ("source", "template", "problem"),
    [
        ("{{ 'a' * 10**9 }}", True, "repeating a text of 1 character 1,000,000,000 times"),
        ("{{ 10**9 * 'ab' }}", True, "repeating a text of 2 characters 1,000,000,000 times"),
        ("{{ [0] * 10**6 }}", True, "repeating a list of 1 item 1,000,000 times"),
        ("{{ 'a' ~ 'b' * 10**6 }}", True, "repeating a text of 1 character 1,000,000 times"),
        ("{{ 9 ** (9 ** 9) }}", True, "raising to the power 387,420,489 would build"),
        ("{{ 10 ** 10000 }}", True, "raising to the power 10,000 would build a number"),
        ("{{ ('a' * 1000)|replace('', 'b' * 1000) }}", True, "this replace would build"),
        ("{{ ('ab' * 500)|join('c' * 500) }}", True, "this join would build"),
        ("{{ '%*d' % (10**9, 1) }}", True, "a '*' width or precision is not allowed"),
        ("{{ '%1000000000d' % 1 }}", True, "this '%' width or precision would build"),
        ("'a' * 10**9 == ''", False, "repeating a text of 1 character 1,000,000,000 times"),
    ],
)
def test_constants_too_large_are_refused_at_load_time_without_being_built(
    source, template, problem
):
    import tracemalloc

    analyse.cache_clear()
    tracemalloc.start()
    try:
        analysis = analyse(source, template)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    what = "text" if template else "expression"
    assert analysis.refusal.startswith(f"this {what} builds too large a value: {problem}")
    assert peak < 5 * 1024 * 1024  # nothing of the size refused was built


def test_what_the_answers_make_too_large_is_refused_at_run_time_before_it_is_built():
    import tracemalloc

    from jinja2.exceptions import SecurityError

    cases = [
        ("{{ name * count }}", {"name": "ab", "count": 10**9}),
        ("{{ name ~ name }}", {"name": "a" * 60_000}),
        ("{{ name + name }}", {"name": "a" * 60_000}),
        ("{{ count ** count }}", {"name": "", "count": 10**6}),
        (
            "{% for a in name %}{% for b in name %}{{ name }}{% endfor %}{% endfor %}",
            {"name": "a" * 1000},
        ),
        ("{% set x = name %}{% set x = x ~ x %}{% set x = x ~ x %}{{ x }}", {"name": "a" * 30_000}),
    ]
    tracemalloc.start()
    try:
        for source, context in cases:
            assert analyse(source, True).refusal is None  # not constant: checked when it runs
            with pytest.raises(SecurityError, match="would build"):
                Template(source).render(context)
        assert not Expression("name * count != ''").holds({"name": "ab", "count": 10**9})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024


def test_what_stays_within_the_bounds_works_as_before():
    source = (
        "{{ '%05d' % 3 }} {{ [1, 2]|join(', ') }} {{ 'ab' ~ 3 }} {{ 2 ** 10 }} {{ 'ab' * 2 }} "
        "{{ 'ab'|replace('a', 'c') }} {{ [[1], [2]]|sum(start=[]) }} {{ 1.5 * 2 }} {{ [1] + [2] }}"
    )
    assert analyse(source, True).refusal is None
    assert Template(source).render({}) == "00003 1, 2 ab3 1024 abab cb [1, 2] 3 [1, 2]"
    assert Expression("montant * 100 > 5 and 'x' * 3 == 'xxx'").holds({"montant": 1})


@pytest.mark.parametrize("template", [False, True])
def test_deeply_nested_expressions_are_refused_not_crashing(template):
    from definitions.expression_checks import MAX_EXPRESSION_DEPTH

    for source in ("(" * 300 + "1" + ")" * 300, " or ".join(["x"] * 300)):
        analysis = analyse(f"{{{{ {source} }}}}" if template else source, template)
        assert analysis.error == (
            f"the parts of this {'text' if template else 'expression'} nest more than "
            f"{MAX_EXPRESSION_DEPTH} levels deep; split it or write it more simply"
        )
    assert analyse(" or ".join(["x"] * 40), template).error is None


def test_a_text_building_too_much_is_refused_at_its_line_when_the_file_is_checked(tmp_path):
    import time

    from definitions.folders import check_paths

    from ..conftest import EXAMPLE_ENVIRON, EXAMPLES

    example = EXAMPLES / "signalement-voirie.yaml"
    original = example.read_text("utf-8")
    marker = "Merci pour votre signalement ("
    lines = original.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if marker in text)
    body = max(i for i, text in enumerate(lines[:line], 1) if "body: |" in text)
    path = tmp_path / "signalement-voirie.yaml"
    path.write_text(original.replace(marker, "Merci {{ 'a' * 10**9 }} ("), "utf-8")
    site = EXAMPLES / "guichet.yaml"
    start = time.perf_counter()
    baseline = check_paths([example], site, environ=EXAMPLE_ENVIRON, with_tests=False)
    baseline_time = time.perf_counter() - start
    assert baseline.problems == []
    start = time.perf_counter()
    result = check_paths([path], site, environ=EXAMPLE_ENVIRON, with_tests=False)
    assert time.perf_counter() - start < 20 * baseline_time  # nothing huge was built
    (problem,) = result.problems
    # where the text starts, as for every problem of a text (here a "body: |" block)
    assert (problem.file, problem.line, problem.column) == (str(path), body, 17)
    assert problem.message.startswith(
        "this text builds too large a value: repeating a text of 1 character 1,000,000,000 times"
    )


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        ("danger", {"danger": True}, True),
        ("(danger)", {"danger": True}, True),
        ("not danger", {"danger": False}, True),
        ("a.postcode == '41000'", {"a": {"postcode": "41000"}}, True),
        ("age(born) >= 18", {"born": dt.date(2000, 1, 1), "today": dt.date(2026, 1, 1)}, True),
        ("x in ['a', 'b'] and y|length > 1", {"x": "a", "y": "ab"}, True),
        ("case.state == 'recue'", {"case": types.SimpleNamespace(state="recue")}, True),
    ],
)
def test_an_expression_reads_the_names_it_uses_from_a_larger_context(source, context, expected):
    unrelated = {f"field_{n}": n for n in range(50)}
    assert Expression(source).evaluate({**unrelated, **context}) is expected
