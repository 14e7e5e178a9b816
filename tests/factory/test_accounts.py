"""Accounts and sessions: server-side sessions, sign-out for everyone, rate limits, the
password policy, opaque single-use tokens, one e-mail check, sign-in timing."""

from __future__ import annotations

import base64
import datetime as dt
import re
from unittest import mock

import pytest
import sqlalchemy as sa

from engine.clock import FrozenClock
from engine.models import Account, AccountSession, AccountToken, OutboxMessage
from factory import accounts

from .portal_helpers import PASSWORD, csrf, make_app

PEOPLE = {
    "a@example.org": ("citizen", ()),
    "agent@example.org": ("agent", ("etat-civil",)),
    "chef@example.org": ("supervisor", ("etat-civil",)),
    "admin@example.org": ("administrator", ()),
}
NEW_PASSWORD = "trois chevaux verts dansent"
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    return FrozenClock(START)


@pytest.fixture
def people():
    return PEOPLE


@pytest.fixture
def app_config(clock):
    return {"CLOCK": clock}


def limited_app(tmp_path, **limits):
    """An app whose rate limits are on, with ``limits`` (the others stay out of the way)."""
    config = {
        "RATELIMIT_ENABLED": True,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "1000 per minute",
        "SIGNUP_RATE_LIMIT": "1000 per minute",
        "MAIL_RATE_LIMIT": "1000 per minute",
        "MAIL_RECIPIENT_RATE_LIMIT": "1000 per minute",
        "MESSAGE_RATE_LIMIT": "1000 per minute",
        "DRAFT_RATE_LIMIT": "1000 per minute",
        **limits,
    }
    return make_app(tmp_path, PEOPLE, **config)


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post(
        "/connexion",
        data={"email": email, "password": password, "csrf_token": csrf(client, "/connexion")},
    )


def signed_in(client) -> bool:
    """Whether the client's session is a signed-in one (the profile page needs one)."""
    return client.get("/mon-profil").status_code == 200


def copy_of(client, app):
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(cookie.key, cookie.value)
    return other


def sign_out(client, page: str = "/mon-profil"):
    return client.post("/deconnexion", data={"csrf_token": csrf(client, page)})


def mails(app) -> list[OutboxMessage]:
    with app.extensions["guichet"].sessions() as session:
        return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def mailed_link(app, pattern: str) -> str:
    found = [re.search(pattern, m.payload["text"]) for m in mails(app)]
    found = [m.group(1) for m in found if m]
    assert found, f"no mail with {pattern}"
    return found[-1]


def count(app, model) -> int:
    with app.extensions["guichet"].sessions() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model))


# -- 4. server-side sessions ----------------------------------------------------------------


def test_a_copied_cookie_dies_at_sign_out(app):
    client = app.test_client()
    assert sign_in(client, "a@example.org").status_code == 302
    thief = copy_of(client, app)
    assert signed_in(thief)  # the copy works while the session lives
    assert count(app, AccountSession) == 1
    assert sign_out(client).status_code == 302
    assert not signed_in(client)
    assert not signed_in(thief)
    assert count(app, AccountSession) == 0


def test_a_password_change_ends_the_other_sessions(app):
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, "a@example.org")
    sign_in(elsewhere, "a@example.org")
    copied = copy_of(elsewhere, app)
    response = here.post(
        "/compte/mot-de-passe",
        data={
            "current": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf(here, "/compte/mot-de-passe"),
        },
    )
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert not signed_in(copied)
    assert sign_in(app.test_client(), "a@example.org", NEW_PASSWORD).status_code == 302


def test_a_password_change_needs_the_current_password(app):
    client = app.test_client()
    sign_in(client, "a@example.org")
    response = client.post(
        "/compte/mot-de-passe",
        data={
            "current": "not the password",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf(client, "/compte/mot-de-passe"),
        },
    )
    assert response.status_code == 200
    assert "Ce n’est pas votre mot de passe actuel." in response.get_data(as_text=True)
    assert sign_in(app.test_client(), "a@example.org").status_code == 302


def ask_reset(app, email: str = "a@example.org") -> str:
    client = app.test_client()
    response = client.post(
        "/compte/mot-de-passe-oublie",
        data={"email": email, "csrf_token": csrf(client, "/compte/mot-de-passe-oublie")},
    )
    assert response.status_code == 302
    return mailed_link(app, r"(/compte/nouveau-mot-de-passe/\S+)")


def reset(client, link: str, password: str = NEW_PASSWORD):
    return client.post(
        link, data={"password": password, "confirm": password, "csrf_token": csrf(client, link)}
    )


def test_a_password_reset_ends_every_session(app):
    signed = app.test_client()
    sign_in(signed, "a@example.org")
    copied = copy_of(signed, app)
    link = ask_reset(app)
    resetter = app.test_client()
    sign_in(resetter, "a@example.org")  # resetting while signed in ends this session too
    assert reset(resetter, link).status_code == 302
    assert not signed_in(signed)
    assert not signed_in(copied)
    assert not signed_in(resetter)
    assert sign_in(app.test_client(), "a@example.org", NEW_PASSWORD).status_code == 302


# -- 16. opaque, single-use, expiring tokens --------------------------------------------------


def decodings(token: str) -> list[str]:
    """The token and whatever its dot-separated parts decode to (base64url)."""
    found = [token]
    for part in token.split("."):
        try:
            found.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode("latin-1"))
        except ValueError:
            pass
    return found


def test_a_reset_token_reveals_nothing_and_serves_once(app):
    link = ask_reset(app)
    token = link.rsplit("/", 1)[-1]
    with app.extensions["guichet"].sessions() as session:
        account = accounts.find_account(session, "a@example.org")
        secret = account.password_hash.rsplit("$", 1)[-1]
        stored = session.scalars(sa.select(AccountToken)).one()
    for text in decodings(token):
        for start in range(len(secret) - 6):
            assert secret[start : start + 6] not in text
        assert '"id"' not in text and '"h"' not in text  # no readable payload at all
    assert token not in stored.token_hash  # only a hash of it is kept
    client = app.test_client()
    assert client.get(link).status_code == 200
    assert reset(client, link).status_code == 302
    assert client.get(link).status_code == 404  # used
    other = app.test_client()
    again = "encore un autre mot de passe"
    response = other.post(
        link, data={"password": again, "confirm": again, "csrf_token": csrf(other, "/connexion")}
    )
    assert response.status_code == 404
    assert sign_in(app.test_client(), "a@example.org", NEW_PASSWORD).status_code == 302


def test_an_expired_reset_token_is_refused(app, clock):
    link = ask_reset(app)
    clock.advance(dt.timedelta(hours=2, minutes=1))
    assert app.test_client().get(link).status_code == 404


def test_a_new_reset_link_kills_the_unused_ones_once_used(app):
    first = ask_reset(app)
    second = ask_reset(app)
    assert reset(app.test_client(), second).status_code == 302
    assert app.test_client().get(first).status_code == 404


def signup(client, email: str, password: str, name: str = "Léa Martin"):
    return client.post(
        "/compte/creer",
        data={
            "name": name,
            "email": email,
            "password": password,
            "confirm": password,
            "csrf_token": csrf(client, "/compte/creer"),
        },
    )


def test_a_confirmation_token_serves_once_and_expires(app, clock):
    client = app.test_client()
    assert signup(client, "lea@example.org", NEW_PASSWORD).status_code == 302
    link = mailed_link(app, r"(/compte/confirmer/\S+)")
    assert client.get(link).status_code == 302
    assert client.get(link).status_code == 404
    assert signup(client, "noe@example.org", NEW_PASSWORD).status_code == 302
    late = mailed_link(app, r"(/compte/confirmer/\S+)")
    clock.advance(dt.timedelta(days=7, seconds=1))
    assert client.get(late).status_code == 404


# -- 5. everyone can sign out -------------------------------------------------------------------

SIGN_OUT = re.compile(
    r'<form method="post" action="/deconnexion"[^>]*>\s*'
    r'<input type="hidden" name="csrf_token" value="[^"]+">\s*'
    r'<button type="submit"[^>]*>Se déconnecter</button>'
)


@pytest.mark.parametrize(
    "email, home",
    [
        ("a@example.org", "/mes-demandes"),
        ("agent@example.org", "/agents/"),
        ("chef@example.org", "/agents/"),
        ("admin@example.org", "/console/procedures"),
    ],
)
def test_every_kind_of_account_can_sign_out(app, email, home):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    page = client.get(home)
    assert page.status_code == 200, home
    assert SIGN_OUT.search(page.get_data(as_text=True)), f"no sign-out form on {home}"
    assert client.post("/deconnexion").status_code == 400  # no CSRF token: nothing happens
    assert client.get(home).status_code == 200
    assert sign_out(client, home).status_code == 302
    assert client.get(home).status_code == 302  # sent to the sign-in page


def test_sign_out_forgets_an_agents_filing_on_behalf(app):
    client = app.test_client()
    sign_in(client, "agent@example.org")
    response = client.post(
        "/agents/depot",
        data={
            "procedure": "signalement-voirie",
            "channel": "counter",
            "csrf_token": csrf(client, "/agents/depot"),
        },
    )
    assert response.status_code == 302, response.status_code
    draft = response.headers["Location"]
    assert client.get(draft).status_code == 200
    sign_out(client, "/agents/")
    sign_in(client, "agent@example.org")
    assert client.get(draft).status_code == 404


# -- 12. rate limits ----------------------------------------------------------------------------

FRENCH_429 = "Trop de tentatives"


def test_sign_ups_are_limited(tmp_path, example_environ):
    app = limited_app(tmp_path, SIGNUP_RATE_LIMIT="2 per hour")
    client = app.test_client()
    codes = [signup(client, f"p{n}@example.org", NEW_PASSWORD).status_code for n in range(3)]
    assert codes == [302, 302, 429]
    assert FRENCH_429 in signup(client, "p9@example.org", NEW_PASSWORD).get_data(as_text=True)


def test_one_address_gets_few_mails_whoever_asks(tmp_path, example_environ):
    app = limited_app(tmp_path, MAIL_RECIPIENT_RATE_LIMIT="2 per hour")
    for n in range(4):
        client = from_address(app, f"10.0.0.{n + 1}")
        response = client.post(
            "/compte/mot-de-passe-oublie",
            data={
                "email": "a@example.org",
                "csrf_token": csrf(client, "/compte/mot-de-passe-oublie"),
            },
        )
        assert response.status_code == 302  # the same answer: nothing tells the limit
    assert len(mails(app)) == 2


def test_drafts_are_limited(tmp_path, example_environ):
    app = limited_app(tmp_path, DRAFT_RATE_LIMIT="3 per minute")
    client = app.test_client()
    token = csrf(client, "/demarches/signalement-voirie")
    codes = [
        client.post(
            "/demarches/signalement-voirie/commencer", data={"csrf_token": token}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [302, 302, 302, 429]


def test_save_and_finish_later_mails_are_limited(tmp_path, example_environ):
    from definitions.folders import check_paths
    from definitions.scenarios import resolve_dates

    from ..conftest import EXAMPLE_ENVIRON, EXAMPLES
    from .portal_helpers import fill, post_data

    app = limited_app(tmp_path, MAIL_RATE_LIMIT="2 per hour")
    checked = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
    procedure = next(p for p in checked.procedures if p.slug == "signalement-voirie")
    answers = resolve_dates(
        dict(checked.suites[(procedure.slug, procedure.version)].scenarios[0].answers),
        dt.date.today(),
    )
    client = app.test_client()
    begun = client.post(
        "/demarches/signalement-voirie/commencer",
        data={"csrf_token": csrf(client, "/demarches/signalement-voirie")},
    )
    case_id = int(begun.headers["Location"].split("/")[2])
    fill(client, procedure, case_id, answers)  # going from page to page is not limited
    page = next(p for p in procedure.form.pages if any(f.type == "email" for f in p.fields))
    url = f"/brouillons/{case_id}/{page.id}"

    def save():
        return client.post(
            url,
            data={
                **post_data(procedure, page, answers),
                "nav": "save",
                "csrf_token": csrf(client, url),
            },
            content_type="multipart/form-data",
        ).status_code

    assert [save() for _ in range(3)] == [302, 302, 429]
    assert len([m for m in mails(app) if "/brouillons/reprendre/" in m.payload["text"]]) == 2


def test_messages_on_a_tracking_link_are_limited(tmp_path, example_environ):
    from definitions.folders import check_paths
    from definitions.scenarios import resolve_dates
    from engine import cases
    from engine.workflow import Actor

    from ..conftest import EXAMPLE_ENVIRON, EXAMPLES

    app = limited_app(tmp_path, MESSAGE_RATE_LIMIT="2 per hour")
    checked = check_paths([EXAMPLES], EXAMPLES / "guichet.yaml", environ=EXAMPLE_ENVIRON)
    procedure = next(p for p in checked.procedures if p.slug == "signalement-voirie")
    answers = resolve_dates(
        dict(checked.suites[(procedure.slug, procedure.version)].scenarios[0].answers),
        dt.date.today(),
    )
    state = app.extensions["guichet"]
    with app.app_context(), state.sessions() as session, session.begin():
        row = state.runtime.catalogue.current(session, "signalement-voirie")
        tracked = cases.submit_answers(
            session, state.runtime, row, answers, Actor("citizen"), state.clock
        )
        token = tracked.tracking_token
    client = app.test_client()
    page = f"/suivi/{token}"
    codes = [
        client.post(
            f"{page}/message", data={"body": f"Bonjour {n}", "csrf_token": csrf(client, page)}
        ).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]


def test_sign_in_is_limited_per_address_tried_too(tmp_path, example_environ):
    app = limited_app(tmp_path, LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")

    def attempt(n: int, email: str) -> int:
        client = from_address(app, f"10.0.1.{n}")
        return sign_in(client, email, "not the password").status_code

    assert [attempt(n, "a@example.org") for n in range(1, 5)] == [200, 200, 200, 429]
    assert attempt(9, "A@Example.org ") == 429  # the same address, written otherwise
    assert attempt(10, "agent@example.org") == 200


# -- 13. sign-in takes the same work for every address ----------------------------------------


@pytest.mark.parametrize(
    "email, password",
    [
        ("nobody@example.org", PASSWORD),
        ("a@example.org", "not the password"),
        ("a@example.org", PASSWORD),
    ],
)
def test_sign_in_verifies_one_hash_whether_or_not_the_account_exists(app, email, password):
    client = app.test_client()
    token = csrf(client, "/connexion")
    accounts.dummy_hash()  # made once per process, not part of any sign-in
    with mock.patch.object(accounts, "hasher", wraps=accounts.hasher) as hasher:
        client.post("/connexion", data={"email": email, "password": password, "csrf_token": token})
    assert hasher.verify.call_count == 1


# -- 14. the password policy ------------------------------------------------------------------

WEAK = [
    "aaaaaaaaaaaa",
    accounts.DEMO_PASSWORD,
    "abcdefghijklmn",
    "123456789012",
    "azertyuiop12",
    "motdepasse123",
    "password1234",
    "lea.martin.2024",  # the e-mail's local part
]


@pytest.mark.parametrize("weak", WEAK)
def test_sign_up_refuses_common_and_trivial_passwords(app, weak):
    response = signup(app.test_client(), "lea.martin@example.org", weak)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Choisissez une phrase de passe plus longue" in html or (
        "ni votre adresse électronique ni votre nom" in html
    )
    assert count(app, Account) == len(PEOPLE)


def test_reset_and_change_refuse_weak_passwords_too(app):
    link = ask_reset(app)
    response = reset(app.test_client(), link, accounts.DEMO_PASSWORD)
    assert response.status_code == 200
    assert "Choisissez une phrase de passe plus longue" in response.get_data(as_text=True)
    client = app.test_client()
    sign_in(client, "a@example.org")
    response = client.post(
        "/compte/mot-de-passe",
        data={
            "current": PASSWORD,
            "password": "aaaaaaaaaaaaaaaa",
            "confirm": "aaaaaaaaaaaaaaaa",
            "csrf_token": csrf(client, "/compte/mot-de-passe"),
        },
    )
    assert response.status_code == 200
    assert "Choisissez une phrase de passe plus longue" in response.get_data(as_text=True)
    assert sign_in(app.test_client(), "a@example.org").status_code == 302


def test_a_good_passphrase_is_accepted():
    assert accounts.password_problem(NEW_PASSWORD, email="lea@example.org") is None
    assert accounts.password_problem(PASSWORD, email="lea@example.org") is None


def test_the_demo_accounts_still_sign_in_with_the_demo_password(app):
    state = app.extensions["guichet"]
    with app.app_context(), state.sessions() as session, session.begin():
        created = accounts.create_demo_accounts(session, state.runtime.site)
    for email, _kind in created:
        client = app.test_client()
        assert sign_in(client, email, accounts.DEMO_PASSWORD).status_code == 302, email


# -- 17. one e-mail check for the forms and the command line ----------------------------------


def test_the_forms_and_the_command_line_refuse_the_same_addresses(app, tmp_path):
    from click.testing import CliRunner

    from factory.cli import main

    response = sign_in(app.test_client(), "agent@guichet.test")
    assert "Saisissez une adresse électronique valide." in response.get_data(as_text=True)
    result = CliRunner().invoke(
        main,
        [
            "users",
            "create",
            "agent@guichet.test",
            "--kind",
            "administrator",
            "--database",
            f"sqlite:///{tmp_path / 'cli.db'}",
            "--password",
            NEW_PASSWORD,
        ],
    )
    assert result.exit_code == 2, result.output
    assert "special-use or reserved name" in result.output
    weak = CliRunner().invoke(
        main,
        [
            "users",
            "create",
            "agent@example.org",
            "--kind",
            "administrator",
            "--database",
            f"sqlite:///{tmp_path / 'cli.db'}",
            "--password",
            accounts.DEMO_PASSWORD,
        ],
    )
    assert weak.exit_code == 2 and "passphrase" in weak.output


# -- 18. the personal-data page says what is true -----------------------------------------------


def test_the_personal_data_page_says_what_the_purge_does(app):
    """Closed requests are anonymised by the worker (engine.retention), so the page says it;
    tests/engine/test_retention.py holds the code to it."""
    html = app.test_client().get("/donnees-personnelles").get_data(as_text=True)
    assert "Rien n’est encore supprimé ni anonymisé automatiquement" not in html
    assert "Une fois close, une demande est conservée pendant la durée" in html


def test_long_passwords_are_judged_without_failing():
    """The strength meter reads at most 72 characters: a long password is judged, not a 500."""
    assert accounts.password_problem("é" * 1000) is not None  # one character repeated
    long_phrase = "le héron pêche au bord de la Loire quand le soleil se lève " * 3
    assert accounts.password_problem(long_phrase) is None
