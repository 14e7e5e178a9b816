"""The catalogue, the personal space and the case page's list of a citizen's other requests
read only what the page shows: no compilation and no source for the catalogue, a page of
rows (never the answers) for the lists, in a number of statements that does not grow with
the number of cases."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from engine.catalogue import listed_blocks
from engine.models import Account, Case

from .portal_helpers import BACK_OFFICE, sign_in


@pytest.fixture
def people():
    return BACK_OFFICE


class Statements:
    """The SQL statements an engine runs while the block is open."""

    def __init__(self, engine):
        self.engine = engine
        self.seen: list[str] = []

    def record(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(" ".join(statement.split()))

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self.record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self.record)

    def on(self, table: str) -> list[str]:
        return [s for s in self.seen if re.search(rf"\bFROM {table}\b", s)]


def add_cases(app, email: str, *, drafts=0, open_=0, closed=0, slug="acte-naissance"):
    """Cases of the citizen ``email`` written straight into the database, each with large
    answers (which the lists must not read)."""
    state = app.extensions["guichet"]
    now = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with state.sessions() as session, session.begin():
        owner = session.scalar(sa.select(Account.id).where(Account.email == email))
        version = state.runtime.catalogue.current(session, slug)
        start = session.scalar(sa.select(sa.func.count()).select_from(Case))
        for n in range(drafts + open_ + closed):
            submitted = n >= drafts
            session.add(
                Case(
                    procedure=slug,
                    version_id=version.id,
                    reference=f"T-{start + n:06d}" if submitted else None,
                    state="recue" if submitted else None,
                    department="etat-civil",
                    owner_id=owner,
                    answers={"nom": "x" * 2000, "n": n},
                    created_at=now,
                    submitted_at=now if submitted else None,
                    closed_at=now if n >= drafts + open_ else None,
                )
            )


def engine_of(app):
    return app.extensions["guichet"].engine


# -- the catalogue ----------------------------------------------------------------------------


def test_the_catalogue_compiles_nothing_and_reads_no_source_once_it_has_read_them(app):
    state = app.extensions["guichet"]
    catalogue = state.runtime.catalogue
    catalogue._compiled.clear()
    catalogue._listings.clear()
    client = app.test_client()
    with Statements(engine_of(app)) as first:
        page = client.get("/").get_data(as_text=True)
    assert "Demande d'acte de naissance" in page or "acte de naissance" in page.lower()
    assert catalogue._compiled == {}, "the catalogue page compiled versions"
    assert any("source" in s for s in first.on("procedure_versions"))
    with Statements(engine_of(app)) as second:
        assert client.get("/?q=naissance").status_code == 200
    reads = second.on("procedure_versions")
    assert len(reads) == 1 and "procedure_versions.source" not in reads[0], reads
    assert "workflows" not in reads[0], reads


def test_a_listing_says_what_the_compiled_version_says(app):
    state = app.extensions["guichet"]
    catalogue = state.runtime.catalogue
    with state.sessions() as session:
        listings = catalogue.listings(session)
        assert len(listings) == 6
        for listing in listings:
            procedure = catalogue.compiled(session, listing.version_id).procedure
            assert listing.slug == procedure.slug
            assert (
                listing.title,
                listing.summary,
                listing.category,
                listing.estimated_minutes,
                listing.login,
            ) == (
                procedure.title,
                procedure.summary,
                procedure.category,
                procedure.estimated_minutes,
                procedure.login,
            )


def test_listed_blocks_keep_the_listed_keys_and_what_is_indented_under_them():
    source = (
        "procedure: p\n"
        "title:\n"
        "# a comment at the margin inside the block\n"
        "  fr: Titre\n"
        "  en: Title\n"
        "form:\n"
        "  pages: []\n"
        "summary: |\n"
        "  Deux\n"
        "\n"
        "  lignes\n"
        "login: none\n"
    )
    blocks = listed_blocks(source)
    assert "procedure" not in blocks and "pages" not in blocks
    assert blocks.startswith("title:\n") and "  en: Title\n" in blocks
    assert "summary: |\n  Deux\n\n  lignes\n" in blocks and blocks.endswith("login: none\n")


# -- "Mes demandes" ---------------------------------------------------------------------------


def requests_page(app, client):
    with Statements(engine_of(app)) as statements:
        response = client.get("/mes-demandes")
    assert response.status_code == 200
    return response.get_data(as_text=True), statements


def test_my_requests_reads_one_page_of_each_group_in_a_fixed_number_of_statements(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    add_cases(app, "a@example.org", drafts=1, open_=1, closed=1)
    requests_page(app, client)  # compile the version once
    _, few = requests_page(app, client)
    add_cases(app, "a@example.org", drafts=30, open_=30, closed=30)
    page, many = requests_page(app, client)
    assert len(many.on("cases")) == len(few.on("cases")) == 4  # the counts, three pages
    for statement in many.on("cases"):
        assert "cases.answers" not in statement, statement
        assert "count(" in statement.lower() or "LIMIT" in statement, statement
    for heading in ("Brouillons (31)", "En cours (31)", "Clôturées (31)"):
        assert heading in page, heading
    assert page.count("/mes-demandes/") - page.count("/mes-demandes/notifications") <= 3 * 20 + 3


def test_my_requests_pages_follow_each_other_without_gaps(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    add_cases(app, "a@example.org", open_=45)
    add_cases(app, "b@example.org", open_=5)
    seen: list[str] = []
    url = "/mes-demandes"
    pages = 0
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += re.findall(r"T-\d{6}", page)
        found = re.search(r'href="(/mes-demandes\?after_open=\d+)#group-open"', page)
        url = found.group(1) if found else None
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 45
    assert client.get("/mes-demandes?after_open=abc").status_code == 400


# -- the 360° list on the case page -----------------------------------------------------------


def test_the_other_requests_of_a_citizen_come_a_page_at_a_time(app):
    add_cases(app, "a@example.org", open_=26)
    state = app.extensions["guichet"]
    with state.sessions() as session:
        first, own = session.execute(sa.select(Case.id, Case.reference).order_by(Case.id)).first()
    agent = app.test_client()
    sign_in(agent, "ec@example.org")
    agent.get(f"/agents/dossiers/{first}")  # compile the version once
    with Statements(engine_of(app)) as statements:
        page = agent.get(f"/agents/dossiers/{first}").get_data(as_text=True)
    listed = [s for s in statements.on("cases") if "cases.owner_id =" in s]
    assert len(listed) == 1 and "cases.answers" not in listed[0] and "LIMIT" in listed[0]
    shown = set(re.findall(r"T-\d{6}", page)) - {own}
    assert len(shown) == 20
    found = re.search(r'href="([^"]*others_after=(\d+))#others"', page)
    assert found, "no link to the older requests"
    more = agent.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
    rest = set(re.findall(r"T-\d{6}", more)) - {own}
    assert len(rest) == 5 and not rest & shown
    assert "others_after=" not in more
