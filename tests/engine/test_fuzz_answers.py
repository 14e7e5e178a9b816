"""Fuzzing answers and transition forms: the validator, and the engine's submit and fire.

Random JSON values for each field, fields left out, unknown keys: the validator says "valid"
or lists clean errors, the engine files the case or refuses with ``InvalidValues``, and a
refusal leaves nothing written.
"""

from __future__ import annotations

import datetime as dt
import functools
import json

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from definitions.answers import AnswerError, validate_answers, validate_form
from definitions.folders import check_paths
from definitions.scenarios import resolve_dates
from engine import cases
from engine.errors import Conflict, InvalidValues, Refused
from engine.models import Case, CaseEvent, OutboxMessage, ReferenceCounter
from engine.workflow import Actor

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES
from ..fuzz_strategies import budget, json_values, odd_text, request_text

TODAY = dt.date(2026, 3, 2)


@functools.cache
def examples():
    result = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
    assert result.problems == []
    return {p.slug: (p, result.suites[(p.slug, p.version)]) for p in result.procedures}


SLUGS = sorted(examples())


@functools.cache
def good_answers(slug: str) -> dict:
    """Answers the procedure accepts (its first scenario that expects no error)."""
    procedure, suite = examples()[slug]
    scenario = next(s for s in suite.scenarios if not s.expect_errors)
    answers = resolve_dates(dict(scenario.answers), TODAY)
    kept, errors = validate_answers(procedure, answers, today=TODAY)
    assert errors == [], (slug, errors)
    return answers


_FIELD_VALUES: dict[int, st.SearchStrategy] = {}


def field_value(field):
    """A value for one field: of its own kind, or any JSON value at all."""
    if id(field) not in _FIELD_VALUES:
        _FIELD_VALUES[id(field)] = _field_value(field)
    return _FIELD_VALUES[id(field)]


def _field_value(field):
    plausible = {
        "integer": st.integers(min_value=-(10**20), max_value=10**20),
        "decimal": st.floats(allow_nan=False, allow_infinity=False) | st.integers(),
        "boolean": st.booleans(),
        "choice": st.sampled_from(list(field.options) or ["x"]),
        "multichoice": st.lists(st.sampled_from(list(field.options) or ["x"]), max_size=4),
        "address": st.fixed_dictionaries(
            {"street": request_text(), "postcode": request_text(), "city": request_text()},
            optional={"country": st.sampled_from(["FR", "BE", "fr", "", "FRA"])},
        ),
        "location": st.fixed_dictionaries(
            {"lat": st.floats(-100, 100), "lon": st.floats(-200, 200)}
        ),
        "group": st.lists(
            st.dictionaries(
                st.sampled_from([f.id for f in field.fields] or ["x"]), json_values(), max_size=4
            ),
            max_size=3,
        ),
    }.get(field.type, request_text())
    return st.one_of(plausible, json_values())


@st.composite
def answer_sets(draw, slug: str) -> dict:
    """Good answers with some fields changed, dropped or added."""
    procedure, _suite = examples()[slug]
    answers = dict(good_answers(slug))
    fields = sorted(procedure.fields)
    for field_id in draw(st.lists(st.sampled_from(fields), min_size=1, max_size=6, unique=True)):
        if draw(st.integers(0, 4)) == 0:
            answers.pop(field_id, None)
        else:
            answers[field_id] = draw(field_value(procedure.fields[field_id]), label=field_id)
    extra = draw(st.dictionaries(odd_text(20), json_values(), max_size=2), label="unknown keys")
    return {**extra, **answers}


def assert_clean_errors(errors, fields) -> None:
    assert isinstance(errors, list)
    for error in errors:
        assert isinstance(error, AnswerError), error
        assert isinstance(error.field, str) and isinstance(error.keyword, str)
        assert isinstance(error.message, str) and error.message, error
        assert isinstance(error.path, tuple)


@settings(max_examples=budget(300))
@given(st.data(), st.sampled_from(SLUGS))
def test_answers_are_valid_or_have_clean_errors(data, slug):
    procedure, _suite = examples()[slug]
    answers = data.draw(answer_sets(slug), label="answers")
    kept, errors = validate_answers(procedure, answers, today=TODAY)
    assert_clean_errors(errors, procedure.fields)
    assert set(kept) <= set(procedure.fields)
    json.dumps(kept)  # what is kept can be stored as JSON
    if not errors:
        # valid answers stay valid, and unchanged, when validated again (as on submit)
        again, errors_again = validate_answers(procedure, kept, today=TODAY)
        assert errors_again == [] and again == kept


@settings(max_examples=budget(150))
@given(st.data(), st.sampled_from(SLUGS))
def test_transition_forms_are_valid_or_have_clean_errors(data, slug):
    procedure, _suite = examples()[slug]
    with_form = [t for t in procedure.workflow.transitions if t.form]
    if not with_form:
        return
    transition = data.draw(st.sampled_from(with_form), label="transition")
    values = data.draw(
        st.dictionaries(
            st.sampled_from([f.id for f in transition.form]) | odd_text(12),
            st.one_of(*(field_value(f) for f in transition.form)),
            max_size=len(transition.form) + 1,
        ),
        label="values",
    )
    kept, errors = validate_form(transition.form, values, today=TODAY, context=good_answers(slug))
    assert_clean_errors(errors, {f.id for f in transition.form})
    assert set(kept) <= {f.id for f in transition.form}


# -- through the engine (SQLite) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def engine_setup(tmp_path_factory):
    from definitions.folders import load_site_file
    from engine.catalogue import Runtime, publish_folder
    from engine.clock import FrozenClock
    from engine.db import Base, make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'g.db'}")
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    site, problems = load_site_file(EXAMPLES / "guichet.yaml", EXAMPLE_ENVIRON)
    assert problems == []
    runtime = Runtime(site=site)
    clock = FrozenClock(dt.datetime.combine(TODAY, dt.time(8), tzinfo=dt.UTC))
    with sessions() as session, session.begin():
        versions = {v.slug: v.id for v in publish_folder(session, runtime, EXAMPLES, clock=clock)}
    yield sessions, runtime, clock, versions, frozenset(site.departments)
    engine.dispose()


def _counts(session) -> tuple[int, ...]:
    return tuple(
        session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Case, CaseEvent, OutboxMessage)
    ) + (session.scalar(sa.select(sa.func.coalesce(sa.func.sum(ReferenceCounter.last), 0))),)


@settings(max_examples=budget(200))
@given(st.data(), st.sampled_from(SLUGS))
def test_submitting_random_answers_files_a_case_or_refuses_cleanly(engine_setup, data, slug):
    sessions, runtime, clock, versions, _departments = engine_setup
    from engine.models import ProcedureVersion

    answers = data.draw(answer_sets(slug), label="answers")
    with sessions() as session:
        session.begin()
        version = session.get(ProcedureVersion, versions[slug])
        before = _counts(session)
        try:
            case = cases.submit_answers(session, runtime, version, answers, Actor("citizen"), clock)
        except InvalidValues as refused:
            assert refused.errors
            assert_clean_errors(refused.errors, examples()[slug][0].fields)
            assert _counts(session) == before  # nothing half-written
        else:
            assert case.reference and not case.is_draft and case.state
            session.flush()
        session.rollback()


def _actor(transition, case, departments) -> Actor:
    if transition.actor == "citizen":
        return Actor("citizen", case.owner_id, tracking_token=case.tracking_token)
    kind = "supervisor" if transition.actor == "supervisor" else "agent"
    return Actor(kind, None, departments)


@settings(max_examples=budget(200))
@given(st.data(), st.sampled_from(SLUGS))
def test_firing_with_random_values_moves_the_case_or_refuses_cleanly(engine_setup, data, slug):
    sessions, runtime, clock, versions, departments = engine_setup
    from engine.models import ProcedureVersion

    procedure, _suite = examples()[slug]
    with sessions() as session:
        session.begin()
        version = session.get(ProcedureVersion, versions[slug])
        case = cases.submit_answers(
            session, runtime, version, dict(good_answers(slug)), Actor("citizen"), clock
        )
        transitions = [t for t in procedure.workflow.transitions if case.state in t.sources]
        transition = data.draw(
            st.sampled_from(transitions or procedure.workflow.transitions), label="transition"
        )
        fields = transition.form
        values = data.draw(
            st.dictionaries(
                st.sampled_from([f.id for f in fields] or ["x"]) | odd_text(12),
                st.one_of(*(field_value(f) for f in fields)) if fields else json_values(),
                max_size=len(fields) + 1,
            ),
            label="values",
        )
        before = _counts(session), case.state, case.lock_version
        try:
            cases.fire(
                session,
                runtime,
                case,
                transition.id,
                _actor(transition, case, departments),
                clock,
                values=values,
                expected_version=data.draw(
                    st.sampled_from([None, case.lock_version, case.lock_version + 1]),
                    label="expected version",
                ),
            )
        except (Refused, Conflict) as refused:
            if isinstance(refused, InvalidValues):
                assert refused.errors
                assert_clean_errors(refused.errors, {f.id for f in fields})
            session.flush()
            assert (_counts(session), case.state, case.lock_version) == before
        else:
            assert case.state == transition.target
        session.rollback()
