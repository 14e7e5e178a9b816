"""The administrators' console: procedures, outbox, audit log and users, for administrators."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from engine.models import Account, Case, OutboxMessage, ProcedureVersion
from engine.outbox import enqueue

from ..portal_helpers import PASSWORD, csrf, sign_in, start
from .world import NEW_VERSION, PEOPLE, actions, check, session_of, source_of


def test_only_administrators_reach_the_console(app):
    with session_of(app) as session:
        agent_id = session.scalars(
            sa.select(Account.id).where(Account.email == "agent@example.org")
        ).one()
    pages = [
        "/console/",
        "/console/procedures",
        "/console/procedures/acte-naissance",
        NEW_VERSION,
        "/console/outbox",
        "/console/journal",
        "/console/utilisateurs",
        "/console/utilisateurs/nouveau",
        f"/console/utilisateurs/{agent_id}",
    ]
    posts = [
        NEW_VERSION,
        "/console/procedures/acte-naissance/retirer",
        "/console/procedures/acte-naissance/remettre",
        "/console/outbox/rejouer",
        "/console/utilisateurs/nouveau",
        f"/console/utilisateurs/{agent_id}",
        f"/console/utilisateurs/{agent_id}/activation",
    ]
    for email, kind in PEOPLE.items():
        client = app.test_client()
        sign_in(client, email)
        token = csrf(client, "/demarches/acte-naissance")
        for url in pages:
            expected = 200 if kind == "administrator" else 404
            status = client.get(url).status_code
            assert status in ((200, 302) if expected == 200 else (404,)), (email, url, status)
        if kind != "administrator":
            for url in posts:
                assert client.post(url, data={"csrf_token": token}).status_code == 404, url
        menu = client.get("/").get_data(as_text=True)
        assert ('href="/console/procedures"' in menu) == (kind == "administrator")
    visitor = app.test_client()
    for url in pages:
        response = visitor.get(url)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    with session_of(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ProcedureVersion)) == 6
        assert (
            session.scalars(
                sa.select(ProcedureVersion.withdrawn_at).where(
                    ProcedureVersion.withdrawn_at.is_not(None)
                )
            ).all()
            == []
        )


def test_the_procedures_and_their_versions_are_listed(admin):
    page = admin.get("/console/procedures").get_data(as_text=True)
    assert "acte-naissance" in page and "signalement-voirie" in page
    form = admin.get(NEW_VERSION).get_data(as_text=True)
    assert "procedure: acte-naissance" in form and "<textarea" in form


def test_a_broken_yaml_shows_its_problems_by_line_and_publishes_nothing(app, admin):
    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    lines = source.splitlines()
    faulty = next(i for i, line in enumerate(lines, 1) if "type: text" in line)
    lines[faulty - 1] = lines[faulty - 1].replace("type: text", "type: texte")
    response = admin.post(
        NEW_VERSION,
        data={
            "csrf_token": csrf(admin, NEW_VERSION),
            "source": "\n".join(lines),
            "step": "publish",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'href="#line-{faulty}" data-line="{faulty}">{faulty}:' in page
    assert f'id="line-{faulty}" value="{faulty}" class="faulty"' in page
    assert "Publish version" not in page
    invalid = admin.post(
        NEW_VERSION,
        data={"csrf_token": csrf(admin, NEW_VERSION), "source": "procedure: [a\n  b: c"},
    )
    assert invalid.status_code == 422 and "YAML invalide\u00a0:" in invalid.get_data(as_text=True)
    with session_of(app) as session:
        assert session.scalars(
            sa.select(ProcedureVersion.version).where(ProcedureVersion.slug == "acte-naissance")
        ).all() == [1]
    assert actions(app).count("procedure.check") == 2


def test_a_new_version_is_previewed_then_published_and_running_cases_stay(
    app,
    admin,
    filed,
):
    citizen, case_id = filed
    source = (
        source_of(app, "acte-naissance")
        .replace("version: 1", "version: 2", 1)
        .replace("label: Votre nom\n", "label: Votre nom de naissance\n", 1)
    )
    checked = admin.post(
        NEW_VERSION,
        data={"csrf_token": csrf(admin, NEW_VERSION), "source": source, "step": "check"},
    )
    assert checked.status_code == 200
    page = checked.get_data(as_text=True)
    assert "Votre nom de naissance" in page and "Vos prénoms" in page
    assert "stateDiagram-v2" in page and "<fieldset disabled" in page
    assert page.count('class="preview-page"') >= 2
    with session_of(app) as session:
        assert session.scalar(sa.select(sa.func.count()).where(ProcedureVersion.version == 2)) == 0
    published = admin.post(
        NEW_VERSION,
        data={"csrf_token": csrf(admin, NEW_VERSION), "source": source, "step": "publish"},
    )
    assert published.status_code == 302
    runtime = app.extensions["guichet"].runtime
    with session_of(app) as session:
        assert runtime.catalogue.current(session, "acte-naissance").version == 2
        assert session.get(Case, case_id).version.version == 1
    new_case = start(citizen, "acte-naissance")
    with session_of(app) as session:
        assert session.get(Case, new_case).version.version == 2
    # the same number with other content is refused, with the engine's message
    again = admin.post(
        NEW_VERSION,
        data={
            "csrf_token": csrf(admin, NEW_VERSION),
            "source": source.replace("de naissance", "d'usage"),
            "step": "publish",
        },
    )
    assert again.status_code == 200
    assert "already published with other content" in again.get_data(as_text=True)
    assert {"procedure.check", "procedure.publish", "procedure.publish_refused"} <= set(
        actions(app)
    )


def test_withdrawing_hides_the_procedure_and_putting_it_back_shows_it(app, admin):
    page = "/console/procedures/acte-naissance"
    visitor = app.test_client()
    assert "acte-naissance" in visitor.get("/").get_data(as_text=True)
    response = admin.post(f"{page}/retirer", data={"csrf_token": csrf(admin, page)})
    assert response.status_code == 302
    assert "acte-naissance" not in visitor.get("/").get_data(as_text=True)
    assert "Remettre au catalogue" in admin.get(page).get_data(as_text=True)
    admin.post(f"{page}/remettre", data={"csrf_token": csrf(admin, page)})
    assert "acte-naissance" in visitor.get("/").get_data(as_text=True)
    assert actions(app)[-2:] == ["procedure.withdraw", "procedure.restore"]


def test_a_dead_letter_is_shown_and_replayed(app, admin):
    state = app.extensions["guichet"]
    with session_of(app) as session, session.begin():
        for number in range(2):
            message = enqueue(
                session,
                case=None,
                kind="send",
                connector="registre",
                payload={},
                now=state.clock.now(),
                event_id=f"evt-dead-{number}",
            )
            message.status, message.attempts, message.last_error = "dead", 8, "HTTP 503"
    page = admin.get("/console/outbox").get_data(as_text=True)
    assert "evt-dead-0" in page and "HTTP 503" in page
    with session_of(app) as session:
        first = session.scalars(
            sa.select(OutboxMessage.id).where(OutboxMessage.event_id == "evt-dead-0")
        ).one()
    token = csrf(admin, "/console/outbox")
    assert (
        admin.post(
            "/console/outbox/rejouer", data={"csrf_token": token, "message": first}
        ).status_code
        == 302
    )
    with session_of(app) as session:
        query = sa.select(OutboxMessage.event_id, OutboxMessage.status)
        statuses = {event: status for event, status in session.execute(query)}
        assert statuses == {"evt-dead-0": "pending", "evt-dead-1": "dead"}
    admin.post("/console/outbox/rejouer", data={"csrf_token": token, "connector": "registre"})
    with session_of(app) as session:
        message = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.event_id == "evt-dead-1")
        ).one()
        assert (message.status, message.attempts) == ("pending", 0)
    assert actions(app)[-2:] == ["outbox.replay", "outbox.replay"]


def test_creating_an_agent_with_memberships(app, admin):
    url = "/console/utilisateurs/nouveau"
    refused = admin.post(
        url,
        data={
            "csrf_token": csrf(admin, url),
            "email": "nouvel@example.org",
            "kind": "agent",
            "departments": ["etat-civil", "impots"],
            "password": PASSWORD,
        },
    )
    assert refused.status_code == 422 and "impots" in refused.get_data(as_text=True)
    created = admin.post(
        url,
        data={
            "csrf_token": csrf(admin, url),
            "email": "Nouvel@example.org",
            "name": "Nouvel Agent",
            "kind": "agent",
            "departments": ["etat-civil", "voirie"],
            "password": PASSWORD,
        },
    )
    assert created.status_code == 302
    with session_of(app) as session:
        account = session.scalars(
            sa.select(Account).where(Account.email == "nouvel@example.org")
        ).one()
        assert (account.kind, account.departments) == ("agent", {"etat-civil", "voirie"})
        account_id = account.id
    agent = app.test_client()
    sign_in(agent, "nouvel@example.org")
    assert agent.get("/agents/").status_code == 200
    page = f"/console/utilisateurs/{account_id}"
    admin.post(page, data={"csrf_token": csrf(admin, page), "departments": ["voirie"]})
    bad = admin.post(page, data={"csrf_token": csrf(admin, page), "departments": ["nulle-part"]})
    assert bad.status_code == 422
    admin.post(f"{page}/activation", data={"csrf_token": csrf(admin, page), "active": "0"})
    with session_of(app) as session:
        account = session.get(Account, account_id)
        assert account.departments == {"voirie"} and not account.active
    admin.post(f"{page}/activation", data={"csrf_token": csrf(admin, page), "active": "1"})
    with session_of(app) as session:
        assert session.get(Account, account_id).active
    listing = admin.get("/console/utilisateurs").get_data(as_text=True)
    assert listing.index("nouvel@example.org") < listing.index("a@example.org")
    assert actions(app)[-4:] == [
        "account.create",
        "account.memberships",
        "account.deactivate",
        "account.reactivate",
    ]


def test_the_audit_log_is_filtered_and_paginated(app, admin):
    page = "/console/procedures/acte-naissance"
    for _ in range(3):
        admin.post(f"{page}/retirer", data={"csrf_token": csrf(admin, page)})
        admin.post(f"{page}/remettre", data={"csrf_token": csrf(admin, page)})
    log = admin.get("/console/journal").get_data(as_text=True)
    # the procedure by its title in the detail, not its slug
    assert "acte de naissance" in log and "acte-naissance<" not in log
    assert log.count("Démarche retirée") == 3 and "procedure.withdraw" not in log
    assert "admin@example.org" in log
    mine = admin.get("/console/journal?account=admin@example.org").get_data(as_text=True)
    assert mine.count("Démarche remise en ligne") == 3
    nobody = admin.get("/console/journal?account=a@example.org").get_data(as_text=True)
    assert "Démarche remise en ligne" not in nobody
    assert "Démarche remise" not in admin.get("/console/journal?case=1").get_data(as_text=True)
    # a case is found by its reference too, as the log shows it
    unknown = admin.get("/console/journal?case=AN-2026-999999")
    assert unknown.status_code == 200 and "Démarche remise" not in unknown.get_data(as_text=True)
    import factory.console.views as console

    console.PAGE_SIZE, size = 4, console.PAGE_SIZE
    try:
        first = admin.get("/console/journal").get_data(as_text=True)
        after = re.search(r"after=(\d+)", first)
        assert after and first.count("Démarche re") == 4
        second = admin.get(f"/console/journal?after={after[1]}").get_data(as_text=True)
        assert second.count("Démarche re") == 2
    finally:
        console.PAGE_SIZE = size


def test_a_new_version_can_be_uploaded_as_a_file(app, admin):
    import io

    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    lines = source.splitlines()
    faulty = next(i for i, line in enumerate(lines, 1) if "type: text" in line)
    lines[faulty - 1] = lines[faulty - 1].replace("type: text", "type: texte")
    response = admin.post(
        NEW_VERSION,
        data={
            "csrf_token": csrf(admin, NEW_VERSION),
            "source": "ignored",
            "source_file": (io.BytesIO("\n".join(lines).encode()), "acte.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'href="#line-{faulty}" data-line="{faulty}">{faulty}:' in page


def test_deep_nesting_is_shown_at_its_line_not_a_server_error(app, admin):
    from definitions.loader import MAX_DEPTH

    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    for depth in (MAX_DEPTH + 1, 900):
        deep = source + "extra: " + "[" * depth + "]" * depth + "\n"
        line = deep.count("\n")
        response = check(admin, deep)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        link = f'href="#line-{line}" data-line="{line}">{line}:{7 + MAX_DEPTH}'
        assert f"{link}: les listes et les" in page
        assert f"plus de {MAX_DEPTH} niveaux ici" in page


def test_a_source_over_the_size_bound_is_refused_unchecked(app, admin):
    import io

    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    app.config["CONSOLE_MAX_SOURCE_BYTES"] = 4 * 1024
    refused = "ce fichier dépasse 4\xa0Kio\xa0; une procédure est bien plus petite"
    response = check(admin, source)
    assert response.status_code == 422
    assert refused in response.get_data(as_text=True)
    uploaded = admin.post(
        NEW_VERSION,
        data={
            "csrf_token": csrf(admin, NEW_VERSION),
            "source_file": (io.BytesIO(source.encode()), "acte.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 422 and refused in uploaded.get_data(as_text=True)
    app.config["CONSOLE_MAX_SOURCE_BYTES"] = len(source.encode()) + 1
    accepted = check(admin, source)
    assert accepted.status_code == 200 and 'value="publish"' in accepted.get_data(as_text=True)
    assert "procedure.check" in actions(app)


def values_of(source: str) -> int:
    from definitions.loader import load

    def count(value) -> int:
        if isinstance(value, dict):
            return 1 + sum(map(count, value.values()))
        if isinstance(value, list):
            return 1 + sum(map(count, value))
        return 1

    document, _ = load(source)
    return count(document.data)


def test_a_source_of_50000_keys_is_answered_quickly_with_its_first_problems(app, admin):
    import time

    import yaml

    from definitions.errors import MAX_PROBLEMS
    from factory.console import views as console

    def timed(source: str, tries: int):
        """The fastest of ``tries`` checks of ``source`` (a loaded machine only slows)."""
        best, response = None, None
        for _ in range(tries):
            start = time.perf_counter()
            response = check(admin, source)
            spent = time.perf_counter() - start
            best = spent if best is None else min(best, spent)
        return best, response

    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    assert check(admin, source).status_code == 200  # a valid version
    first = source.count("\n") + 1
    keys = source + "".join(f"extra{i}: {i}\n" for i in range(50_000))
    assert len(keys.encode()) < app.config["CONSOLE_MAX_SOURCE_BYTES"]
    # the baseline: the least any check must do, a bare parse of the same text, at its fastest
    baseline = None
    for _ in range(2):
        start = time.perf_counter()
        yaml.load(keys, Loader=yaml.CSafeLoader)  # noqa: S506 - the safe loader
        spent = time.perf_counter() - start
        baseline = spent if baseline is None else min(baseline, spent)
    elapsed, response = timed(keys, 2)
    assert elapsed < 10 * baseline
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # past the values a procedure may hold here, nothing more is read
    line = first + console.MAX_VALUES - (source_values := values_of(source))
    assert (
        f"{line}:13: ce fichier contient plus de {console.MAX_VALUES} valeurs\u00a0; une "
        "démarche en demande bien moins" in page
    )
    # with more room, the 50,000 unknown keys: the first of them listed, the rest counted
    console.MAX_VALUES = 100_000
    try:
        elapsed, response = timed(keys, 2)
        assert elapsed < 10 * baseline
    finally:
        console.MAX_VALUES = 20_000
    page = response.get_data(as_text=True)
    assert f"{first}:1: clé inconnue &#39;extra0&#39; ici" in page
    last = first + MAX_PROBLEMS - 1
    assert f"{last}:1: clé inconnue &#39;extra{MAX_PROBLEMS - 1}&#39; ici" in page
    assert f"clé inconnue &#39;extra{MAX_PROBLEMS}&#39;" not in page
    rest = f"{50_000 - MAX_PROBLEMS:,}".replace(",", "\u202f")
    assert f"et {rest} autres problèmes dans ce fichier, non listés" in page
    assert page.count('<li id="line-') < 2_000  # only the lines around the problems
    assert source_values < 1_000


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("recrue@exemple.test", PASSWORD, "Saisissez une adresse électronique valide."),
        ("recrue@example.org", "aaaaaaaaaaaa", "mot de passe"),
        ("recrue@example.org", "guichet-demo", "mot de passe"),
    ],
)
def test_a_staff_account_gets_the_checks_of_every_other_account(
    app, admin, email, password, message
):
    url = "/console/utilisateurs/nouveau"
    refused = admin.post(
        url,
        data={
            "csrf_token": csrf(admin, url),
            "email": email,
            "kind": "agent",
            "departments": ["etat-civil"],
            "password": password,
        },
    )
    assert refused.status_code == 422
    assert message in html.unescape(refused.get_data(as_text=True))
    with session_of(app) as session:
        assert session.scalars(sa.select(Account).where(Account.email == email)).first() is None


def test_the_checker_problems_are_shown_in_french(app, admin):
    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    assert re.search(r"\n( +)to: ", source)
    wrong_to = re.sub(r"\n( +)to: \S+", r"\n\1to: nulle_part", source, count=1)
    page = html.unescape(check(admin, wrong_to).get_data(as_text=True))
    assert "mène à 'nulle_part', qui n’est pas un état" in page
    assert "which is not a state" not in page
    unknown = source.replace("\ntitle:", "\ntitel: x\ntitle:", 1)
    page = html.unescape(check(admin, unknown).get_data(as_text=True))
    assert "clé inconnue 'titel' ici\u00a0; vouliez-vous dire 'title'\u00a0?" in page


def test_the_expression_and_department_problems_are_shown_in_french(app, admin):
    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    assert "visible_if: lien != 'titulaire'" in source and "\ndepartment: etat-civil" in source
    broken = source.replace(
        "visible_if: lien != 'titulaire'", "visible_if: lien | capitalise", 1
    ).replace("\ndepartment: etat-civil", "\ndepartment: etat-civi", 1)
    page = html.unescape(check(admin, broken).get_data(as_text=True))
    assert "filtre inconnu 'capitalise' dans cette expression\u00a0; vouliez-vous dire" in page
    assert "le service 'etat-civi' n’est pas déclaré dans la configuration du site" in page
    assert "in this expression" not in page and "is not declared" not in page
