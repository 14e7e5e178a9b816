"""``guichet gdpr purge``: the dry run lists, the run anonymises and writes the audit log."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from click.testing import CliRunner

from engine import cases
from engine.catalogue import Runtime, publish_folder
from engine.clock import FrozenClock
from engine.db import make_engine, make_session_factory
from engine.migrate import upgrade
from engine.models import AuditEvent, Case
from engine.workflow import Actor
from factory.cli import main

from ..conftest import EXAMPLES
from ..engine_helpers import BIRTH_ANSWERS

AGENT = Actor("agent", None, frozenset({"etat-civil"}))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_purge_lists_then_anonymises_closed_cases_past_their_retention(tmp_path, example_environ):
    from definitions.folders import load_site_file

    url = f"sqlite:///{tmp_path / 'g.db'}"
    site, _ = load_site_file(EXAMPLES / "guichet.yaml", example_environ)
    runtime = Runtime(site=site)
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    # closed two years ago (acte-naissance keeps closed cases 365 days), and one closed now
    old = FrozenClock(dt.datetime.now(dt.UTC) - dt.timedelta(days=730))
    now = FrozenClock(dt.datetime.now(dt.UTC))
    with sessions() as session, session.begin():
        versions = {v.slug: v for v in publish_folder(session, runtime, EXAMPLES, clock=old)}
        references = []
        for clock in (old, now):
            case = cases.submit_answers(
                session,
                runtime,
                versions["acte-naissance"],
                dict(BIRTH_ANSWERS),
                Actor("citizen"),
                clock,
            )
            cases.fire(session, runtime, case, "delivrer", AGENT, clock)
            references.append(case.reference)
    common = ["--database", url, "--site", EXAMPLES / "guichet.yaml", "--uploads", tmp_path]
    dry = run("gdpr", "purge", "--dry-run", *common)
    assert dry.exit_code == 0, dry.output
    assert references[0] in dry.output and references[1] not in dry.output
    assert "1 closed case(s) would be anonymised; 0 kept by a legal hold." in dry.output
    with sessions() as session:
        assert session.scalars(sa.select(Case.anonymised_at)).all() == [None, None]
    done = run("gdpr", "purge", *common)
    assert done.exit_code == 0, done.output
    assert f"{references[0]}\tacte-naissance\tanonymised" in done.output
    with sessions() as session:
        anonymised = dict(session.execute(sa.select(Case.reference, Case.anonymised_at)).all())
        assert anonymised[references[0]] is not None and anonymised[references[1]] is None
        assert session.scalars(sa.select(AuditEvent.action)).all() == ["retention_purge"]
    engine.dispose()
