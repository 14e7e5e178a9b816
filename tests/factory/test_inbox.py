"""The agents' inbox: tabs counted exactly and at once, the requester, the assignee and the
deadline in words, taking a case in one click, grouped actions, saved filters, the search
inside the answers, and a constant number of statements whatever the page shows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from definitions.scenarios import resolve_dates
from engine import cases
from engine.models import Account, Case, SavedFilter
from engine.workflow import Actor

from .portal_helpers import BACK_OFFICE, csrf, sign_in

EVERY_DEPARTMENT = ("accueil", "etat-civil", "voirie", "voirie-nord", "voirie-sud", "enfance",
                    "vie-associative", "finances", "urbanisme", "domaine-public",
                    "transition-ecologique")


@pytest.fixture
def people():
    return {**BACK_OFFICE, "chef@example.org": ("supervisor", EVERY_DEPARTMENT)}


def tab_counts(page: str) -> dict[str, int]:
    """The tabs' names and counts as the page shows them."""
    found = re.findall(r'<li><a href="[^"]*tab=(\w+)[^"]*"[^>]*>\s*[^<]*<span class="count">(\d+)',
                       page)
    return {name: int(number) for name, number in found}


def file(app, examples, slug: str, owner: str | None = None, changes: dict | None = None):
    """A case of ``slug`` filed with its first valid scenario's answers (by ``owner``, or
    anonymously), then ``changes`` written on it."""
    state = app.extensions["guichet"]
    procedure, suite = examples[slug]
    with state.sessions() as session, session.begin():
        version = state.runtime.catalogue.current(session, slug)
        owner_id = None
        if owner:
            owner_id = session.scalars(sa.select(Account.id).where(Account.email == owner)).one()
        for scenario in suite.scenarios:
            answers = resolve_dates(dict(scenario.answers), dt.date.today())
            try:
                with session.begin_nested():
                    case = cases.submit_answers(
                        session, state.runtime, version, answers,
                        Actor("citizen", owner_id), state.clock, owner_id=owner_id,
                    )
                break
            except Exception:  # noqa: BLE001,S112 - a scenario that is not a valid filing
                continue
        else:
            pytest.skip(f"no scenario of {slug} files as it is")
        for key, value in (changes or {}).items():
            setattr(case, key, value)
        return case.id, case.reference


def test_tab_counts_follow_each_act_at_once(app, filed):
    _, case_id = filed
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    page = agent.get("/agents/").get_data(as_text=True)
    assert tab_counts(page) == {"todo": 1, "mine": 0, "waiting": 0, "closed": 0}
    assert "À traiter" in page and "Mes dossiers" in page and "En attente de l" in page
    # "M'attribuer": one click, and the counts move with the lists
    taken = agent.post("/agents/prendre", data={"csrf_token": csrf(agent, "/agents/"),
                                                "case": str(case_id), "back": "tab=todo"})
    assert taken.status_code == 302 and taken.headers["Location"].endswith("/agents/?tab=todo")
    page = agent.get("/agents/?tab=mine").get_data(as_text=True)
    assert tab_counts(page) == {"todo": 0, "mine": 1, "waiting": 0, "closed": 0}
    with app.extensions["guichet"].sessions() as session:
        case = session.get(Case, case_id)
        assert case.reference in page and "ec@example.org" in page  # the assignee's name
    # asking the citizen puts it in "waiting for the citizen" (a state the citizen acts in)
    url = f"/agents/dossiers/{case_id}/transitions/demander_precisions"
    agent.post(url, data={"csrf_token": csrf(agent, url), "message": "Précisez."})
    page = agent.get("/agents/?tab=waiting").get_data(as_text=True)
    assert tab_counts(page)["waiting"] == 1 and case.reference in page
    assert case.reference not in agent.get("/agents/?tab=todo").get_data(as_text=True)


def test_another_departments_case_is_neither_counted_nor_taken(app, filed):
    _, case_id = filed
    other = app.test_client()
    sign_in(other, "voirie@example.org")
    page = other.get("/agents/").get_data(as_text=True)
    assert tab_counts(page) == {"todo": 0, "mine": 0, "waiting": 0, "closed": 0}
    other.post("/agents/prendre", data={"csrf_token": csrf(other, "/agents/"),
                                        "case": str(case_id)})
    with app.extensions["guichet"].sessions() as session:
        assert session.get(Case, case_id).assignee_id is None


def test_the_row_says_who_filed_what_and_the_deadline_in_words(app, examples):
    state = app.extensions["guichet"]
    now = state.clock.now()
    soon, late = now + dt.timedelta(days=3, hours=1), now - dt.timedelta(days=2, hours=1)
    _, first = file(app, examples, "occupation-domaine-public",
                    changes={"clock_expires_at": soon})
    _, second = file(app, examples, "occupation-domaine-public", owner="a@example.org",
                     changes={"clock_expires_at": late})
    chief = app.test_client()
    sign_in(chief, "chef@example.org")
    page = chief.get("/agents/").get_data(as_text=True)
    assert "SARL Le Bistrot du Quai" in page  # the organisation, from the answers
    assert "a@example.org" in page  # the account's name
    assert "dans 3 jours" in page and "deadline-soon" in page
    assert "dépassé de 2 jours" in page and "deadline-late" in page
    assert "Autorisation de terrasse" in page  # the procedure's title, not its slug
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page)  # dates in words
    # sorted by legal deadline, the overdue one comes first
    by_deadline = chief.get("/agents/?sort=deadline&order=asc").get_data(as_text=True)
    assert by_deadline.index(second) < by_deadline.index(first)
    by_deadline = chief.get("/agents/?sort=deadline&order=desc").get_data(as_text=True)
    assert by_deadline.index(first) < by_deadline.index(second)


def test_search_finds_what_filers_typed(app, examples):
    file(app, examples, "occupation-domaine-public")
    _, birth = file(app, examples, "acte-naissance")
    chief = app.test_client()
    sign_in(chief, "chef@example.org")
    with app.extensions["guichet"].sessions() as session:
        case = session.scalars(sa.select(Case).where(Case.reference == birth)).one()
        typed = next(v for v in case.answers.values() if isinstance(v, str) and "@" in v)
    found = chief.get("/agents/?q=bistrot du quai").get_data(as_text=True)
    assert "SARL Le Bistrot du Quai" in found and birth not in found
    assert tab_counts(found)["todo"] == 1
    found = chief.get(f"/agents/?q={typed.upper()}").get_data(as_text=True)
    assert birth in found  # an anonymous filer's e-mail, in the answers
    assert birth not in chief.get("/agents/?q=personne@example.org").get_data(as_text=True)


def test_grouped_actions_take_the_selection(app, examples):
    ids = [file(app, examples, "acte-naissance")[0] for _ in range(3)]
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    page = agent.get("/agents/").get_data(as_text=True)
    assert 'id="bulk-form"' in page and 'form="bulk-form"' in page
    assert "Déposer pour un usager" in page
    response = agent.post("/agents/lot", data={
        "csrf_token": csrf(agent, "/agents/"), "action": "assign",
        "case": [str(ids[0]), str(ids[1]), "999999"],
    })
    assert response.status_code == 200
    with app.extensions["guichet"].sessions() as session:
        mine = session.scalars(sa.select(Account.id).where(Account.email == "ec@example.org")).one()
        assert [session.get(Case, i).assignee_id for i in ids] == [mine, mine, None]
    counts = tab_counts(agent.get("/agents/").get_data(as_text=True))
    assert counts["todo"] == 1 and counts["mine"] == 2


def test_saved_filters_are_each_agents_own(app, filed):
    agent, other = app.test_client(), app.test_client()
    sign_in(agent, "ec@example.org")
    sign_in(other, "voirie@example.org")
    saved = agent.post("/agents/filtres", data={
        "csrf_token": csrf(agent, "/agents/"), "name": "Mes naissances",
        "query": "tab=mine&procedure=acte-naissance&after=x&evil=1",
    })
    assert saved.status_code == 302
    with app.extensions["guichet"].sessions() as session:
        kept = session.scalars(sa.select(SavedFilter)).one()
        assert kept.query == "tab=mine&procedure=acte-naissance"
    page = agent.get("/agents/").get_data(as_text=True)
    assert "Mes naissances" in page and "?tab=mine&amp;procedure=acte-naissance" in page
    assert "Mes naissances" not in other.get("/agents/").get_data(as_text=True)
    refused = other.post(f"/agents/filtres/{kept.id}/supprimer",
                         data={"csrf_token": csrf(other, "/agents/")})
    assert refused.status_code == 404
    unnamed = agent.post("/agents/filtres", data={"csrf_token": csrf(agent, "/agents/"),
                                                  "name": "  ", "query": "tab=mine"})
    assert unnamed.status_code == 302
    deleted = agent.post(f"/agents/filtres/{kept.id}/supprimer",
                         data={"csrf_token": csrf(agent, "/agents/")})
    assert deleted.status_code == 302
    with app.extensions["guichet"].sessions() as session:
        assert session.scalars(sa.select(SavedFilter)).all() == []


def statements_of(app, client, url: str) -> list[str]:
    engine = app.extensions["guichet"].engine
    found = []

    def record(conn, cursor, statement, parameters, context, executemany):
        found.append(statement)

    client.get(url)  # the procedures are compiled once, on first use
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return found


SLUGS = ("acte-naissance", "occupation-domaine-public", "signalement-voirie",
         "inscription-periscolaire", "aide-velo-electrique", "subvention-association")


def spread(app, examples, count: int) -> None:
    """``count`` cases across the procedures, in each of their states by turn."""
    state = app.extensions["guichet"]
    for index in range(count):
        slug = SLUGS[index % len(SLUGS)]
        case_id, _ = file(app, examples, slug, owner="a@example.org" if index % 2 else None)
        with state.sessions() as session, session.begin():
            case = session.get(Case, case_id)
            workflow = state.runtime.catalogue.compiled(session, case.version_id).procedure.workflow
            chosen = workflow.states[index % len(workflow.states)]
            case.state = chosen.id
            case.closed_at = state.clock.now() if chosen.final else None


@pytest.mark.parametrize("url", ["/agents/", "/agents/?tab=closed&sort=activity",
                                 "/agents/?tab=waiting&sort=deadline&q=nom"])
def test_the_page_makes_a_constant_number_of_statements(app, examples, url):
    chief = app.test_client()
    sign_in(chief, "chef@example.org")
    spread(app, examples, 2)
    few = statements_of(app, chief, url)
    spread(app, examples, 18)
    many = statements_of(app, chief, url)
    assert len(many) == len(few), (len(few), len(many))
    assert len(few) <= 12
    versions = [s for s in few if "FROM procedure_versions" in s]
    assert len(versions) <= 1, "the procedures are read once per page at most"


def test_a_search_counts_the_four_tabs_in_one_statement(app, examples):
    chief = app.test_client()
    sign_in(chief, "chef@example.org")
    spread(app, examples, 6)
    found = statements_of(app, chief, "/agents/?q=bistrot")
    counting = [s for s in found if s.lower().startswith("select count(")]
    assert len(counting) == 1, counting
    assert counting[0].lower().count("filter (where") == 4  # the four tabs
    # the search reads the requester's columns, never the whole of the answers
    assert "organisation_name" in counting[0] and "CAST(cases.answers" not in counting[0]


def test_the_requester_columns_follow_the_answers(app, examples):
    _, birth = file(app, examples, "acte-naissance")
    _, terrace = file(app, examples, "occupation-domaine-public")
    with app.extensions["guichet"].sessions() as session:
        birth_case = session.scalars(sa.select(Case).where(Case.reference == birth)).one()
        typed = next(v for v in birth_case.answers.values() if isinstance(v, str) and "@" in v)
        assert birth_case.filer_email == typed.lower()
        assert birth_case.organisation_name is None
        terrace_case = session.scalars(sa.select(Case).where(Case.reference == terrace)).one()
        assert terrace_case.organisation_name == "SARL Le Bistrot du Quai"


def test_the_counters_agree_with_counting_the_cases(app, examples):
    from engine import inbox as queries

    spread(app, examples, 14)
    state = app.extensions["guichet"]
    with app.test_request_context(), state.sessions() as session:
        chief = session.scalars(sa.select(Account).where(Account.email == "chef@example.org")).one()
        some = session.scalars(sa.select(Case).where(Case.closed_at.is_(None)).limit(3)).all()
        for case in some:  # assigned, then moved: the triggers follow each change
            case.assignee_id = chief.id
        some[0].department = "accueil"
        session.commit()
        waiting = {}
        for row in state.runtime.catalogue.published(session):
            workflow = state.runtime.catalogue.compiled(session, row.id).procedure.workflow
            waiting[row.slug] = frozenset(s.id for s in workflow.states if s.owner == "citizen")
        scope = queries.Scope(chief.id, frozenset(EVERY_DEPARTMENT), waiting)
        now = state.clock.now()
        for filters in (queries.Filters(), queries.Filters(assigned="me"),
                        queries.Filters(procedure="acte-naissance"),
                        queries.Filters(assigned="none", state="recue")):
            kept = queries.counts(session, scope, filters, now)
            assert kept == queries.counted(session, scope, filters, now), filters
        assert sum(kept.values()) > 0 or filters.state
        assert queries.counts(session, scope, queries.Filters(), now)["mine"] == 3
