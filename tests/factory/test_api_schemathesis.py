"""Schemathesis against the OpenAPI document of a seeded instance, through the WSGI app:
every operation, with generated parameters and bodies, and the stateful links between
operations (list → read → fire, message, attach, download; procedures → version; file →
read). No answer is a 500, and every answer matches the document (status, content type,
headers, schema)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ..conftest import EXAMPLE_ENVIRON
from .api_helpers import seeded

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: Bounded so that the suite stays within minutes on two cores; CI runs the same numbers.
EXAMPLES = int(os.environ.get("GUICHET_SCHEMATHESIS_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    saved = {k: os.environ.get(k) for k in EXAMPLE_ENVIRON}
    os.environ.update(EXAMPLE_ENVIRON)
    try:
        return seeded(tmp_path_factory.mktemp("schemathesis"))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def api_schema(world):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)


def operations(api_schema) -> list:
    return [result.ok() for result in api_schema.get_all_operations()]


def test_every_operation_answers_as_documented(api_schema, world):
    """Each operation with generated parameters and bodies, valid and not. (The operations
    are walked here rather than through schemathesis' pytest plugin, whose lazy schemas do
    not run on this pytest.)"""
    headers = world.headers()
    walked = []
    for operation in operations(api_schema):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def answers_as_documented(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            answers_as_documented()
        except Exception as error:
            raise AssertionError(f"{operation.method.upper()} {operation.path}") from error
        walked.append(operation.label)
    assert len(walked) == 10


def test_the_document_covers_every_route(api_schema, world):
    documented = {
        (operation.method.upper(), operation.path) for operation in operations(api_schema)
    }
    rules = {
        (method, str(rule).replace("<int:", "{").replace("<", "{").replace(">", "}"))
        for rule in world.app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        and rule.endpoint not in ("api.openapi", "api.documentation")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == rules


def test_the_stateful_links_hold(api_schema, world):
    machine = api_schema.as_state_machine()
    headers = world.headers()

    class Authenticated(machine):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    run_state_machine_as_test(
        Authenticated,
        settings=settings(
            max_examples=max(EXAMPLES // 2, 5),
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        ),
    )
