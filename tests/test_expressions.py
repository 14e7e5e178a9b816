"""Expressions run in a sandbox, with the helpers the format allows."""

from __future__ import annotations

import datetime as dt

import pytest

from definitions.expressions import Expression, Template, analyse


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
