"""The console's people and an administrator's client, for every console test."""

from __future__ import annotations

import pytest

from ..portal_helpers import sign_in
from .world import PEOPLE


@pytest.fixture
def people():
    """a@example.org (who files ``filed``) and one person of each kind."""
    return {
        "a@example.org": ("citizen", ()),
        **{
            email: (kind, ("etat-civil",) if kind in ("agent", "supervisor") else ())
            for email, kind in PEOPLE.items()
        },
    }


@pytest.fixture
def admin(app):
    client = app.test_client()
    sign_in(client, "admin@example.org")
    return client
