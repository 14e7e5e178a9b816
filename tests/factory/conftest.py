"""The Flask fixtures of the web layer's tests, in one place.

``app`` is the example site on SQLite with the accounts of ``people`` and the extra settings
of ``app_config``. A module that needs other accounts or settings overrides ``people`` or
``app_config`` (never ``app`` itself), so that the difference stays written in that module.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES
from .portal_helpers import CITIZENS, fill, make_app, sign_in, start, submit


@pytest.fixture
def people():
    """The accounts of ``app``: {email: (kind, departments)}, password ``PASSWORD``."""
    return CITIZENS


@pytest.fixture
def app_config():
    """Settings of ``app`` over the test defaults of ``make_app``."""
    return {}


@pytest.fixture
def app(tmp_path, example_environ, people, app_config):
    return make_app(tmp_path, people, **app_config)


@pytest.fixture
def examples():
    """The example procedures and their test suites: {slug: (procedure, suite)}."""
    from definitions.folders import check_paths

    result = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
    return {p.slug: (p, result.suites[(p.slug, p.version)]) for p in result.procedures}


@pytest.fixture
def filed(app, examples):
    """A birth certificate request filed online by a@example.org: (their client, case id)."""
    from definitions.scenarios import resolve_dates

    procedure, suite = examples["acte-naissance"]
    citizen = app.test_client()
    sign_in(citizen, "a@example.org")
    case_id = start(citizen, "acte-naissance")
    fill(
        citizen,
        procedure,
        case_id,
        resolve_dates(dict(suite.scenarios[1].answers), dt.date.today()),
    )
    assert submit(citizen, case_id).status_code == 302
    return citizen, case_id
