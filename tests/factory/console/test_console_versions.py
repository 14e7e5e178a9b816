"""The console's pages about versions: comparing two, and the cases running on each."""

from __future__ import annotations

import html
import re

from ..portal_helpers import csrf
from .world import NEW_VERSION, session_of, source_of

COMPARE = "/console/procedures/acte-naissance/comparer"


def publish_v2(app, admin_client, source: str | None = None) -> str:  # noqa: F811
    source = source or (
        source_of(app, "acte-naissance")
        .replace("version: 1", "version: 2", 1)
        .replace("label: Votre nom\n", "label: Votre nom de naissance\n", 1)
        .replace("      label: Classée sans suite\n", "      label: Classée\n", 1)
    )
    published = admin_client.post(
        NEW_VERSION,
        data={"csrf_token": csrf(admin_client, NEW_VERSION), "source": source, "step": "publish"},
    )
    assert published.status_code == 302, published.get_data(as_text=True)
    return source


def rows(page: str, css: str) -> list[str]:
    return re.findall(rf'<tr class="{css}">(.*?)</tr>', page, re.S)


def test_two_versions_are_compared_as_text_and_as_a_summary(app, admin):  # noqa: F811
    publish_v2(app, admin)
    page = admin.get(f"{COMPARE}?de=1&a=2").get_data(as_text=True)
    added, removed = rows(page, "diff-added"), rows(page, "diff-removed")
    assert any("Votre nom de naissance" in r and 'visually-hidden">ajoutée' in r for r in added)
    assert any("label: Votre nom</pre>" in r for r in removed)
    assert any("label: Classée</pre>" in r for r in added)
    changed = rows(page, "change-changed")
    assert any("<code>nom</code>" in r and "Champ" in r and "label" in r for r in changed)
    assert any("<code>classee</code>" in r and "État" in r for r in changed)
    assert not rows(page, "change-added") and not rows(page, "change-removed")
    # the default pair is the two newest; the same version twice compares nothing
    assert admin.get(COMPARE).get_data(as_text=True).count('class="diff-added"') == len(added)
    same = admin.get(f"{COMPARE}?de=2&a=2").get_data(as_text=True)
    assert "Choisissez deux versions différentes" in same
    assert admin.get(f"{COMPARE}?de=%C2%B2&a=x").status_code == 200


def test_the_running_cases_are_counted_by_version_and_state(app, admin, filed):  # noqa: F811
    page = admin.get("/console/procedures/acte-naissance").get_data(as_text=True)
    impact = page.split('id="impact-title"', 1)[1]
    assert re.search(
        r"Version 1 <span class=\"hint\">\(1 dossier\)</span></th><td>Reçue</td><td>1</td>", impact
    )
    assert "Cas en cours" in page or "Dossiers en cours" in page
    assert 'id="impact-title"' in admin.get(NEW_VERSION).get_data(as_text=True)
    empty = admin.get("/console/procedures/signalement-voirie").get_data(as_text=True)
    assert "Aucun dossier de cette démarche n'est en cours" in empty


TEST = "/console/procedures/acte-naissance/tester"


def test_a_version_s_scenarios_run_from_the_console(app, admin):  # noqa: F811
    from ...conftest import EXAMPLES

    form = admin.get(TEST).get_data(as_text=True)
    tests = (EXAMPLES / "acte-naissance.tests.yaml").read_text("utf-8")
    assert "un tiers n&#39;obtient qu&#39;un extrait sans filiation" in form  # prefilled
    token = csrf(admin, TEST)
    ran = admin.post(TEST, data={"csrf_token": token, "version": "1", "tests": tests})
    page = ran.get_data(as_text=True)
    assert ran.status_code == 200
    assert (
        page.count('class="test-passed"') == tests.count("  - name:") and "test-failed" not in page
    )
    assert "Les 6 scénarios passent" in page
    broken = tests.replace("state: classee", "state: delivree", 1)
    assert broken != tests
    failed = admin.post(TEST, data={"csrf_token": token, "tests": broken}).get_data(as_text=True)
    assert failed.count('class="test-failed"') == 1 and "1 scénario échoue" in failed
    assert "l'état est 'classee', 'delivree' attendu" in html.unescape(failed)
    bad = admin.post(TEST, data={"csrf_token": token, "tests": "scenarios: [\n"})
    assert bad.status_code == 422
    assert "rien n'a été lancé" in html.unescape(bad.get_data(as_text=True))
    wrong = admin.post(
        TEST,
        data={"csrf_token": token, "tests": tests.replace("state: classee", "state: perdue", 1)},
    )
    assert wrong.status_code == 422 and "perdue" in wrong.get_data(as_text=True)


MIGRATION = "/console/procedures/acte-naissance/migration"


def test_a_migration_plan_is_dry_run_then_applied_from_the_console(app, admin, filed):  # noqa: F811
    import sqlalchemy as sa

    from engine.models import Case, CaseEvent

    from ...migration_world import PLAN, version_2


    _, case_id = filed
    publish_v2(app, admin, version_2())
    skeleton = admin.get(MIGRATION).get_data(as_text=True)
    assert "from: 1\nto: 2\nstates:\n  recue: recue" in html.unescape(skeleton)
    token = csrf(admin, MIGRATION)
    # bad YAML, and a plan naming a state version 2 lacks: French problems, never a 500
    bad = admin.post(MIGRATION, data={"csrf_token": token, "plan": "from: [\n"})
    assert bad.status_code == 422 and "YAML invalide" in html.unescape(bad.get_data(as_text=True))
    lost = admin.post(
        MIGRATION, data={"csrf_token": token, "plan": PLAN.replace(": recue", ": perdu")}
    )
    assert "la version 2 n'a pas d'état perdu" in html.unescape(lost.get_data(as_text=True))
    # a refusal: no answer for the new required field
    refused = admin.post(
        MIGRATION,
        data={
            "csrf_token": token,
            "plan": PLAN.replace("  consentement: true\n", ""),
            "step": "check",
        },
    )
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and 'class="migration-refused"' in page
    assert (
        "la nouvelle version refuse la réponse à consentement" in page
        and 'name="digest"' not in page
    )
    checked = admin.post(MIGRATION, data={"csrf_token": token, "plan": PLAN, "step": "check"})
    page = html.unescape(checked.get_data(as_text=True))
    assert checked.status_code == 200 and page.count('class="migration-ok"') == 1
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', page).group(1)
    stale = admin.post(
        MIGRATION, data={"csrf_token": token, "plan": PLAN, "step": "apply", "digest": "0" * 64}
    )
    assert "ont changé depuis" in html.unescape(stale.get_data(as_text=True))
    with session_of(app) as session:
        assert session.get(Case, case_id).version.version == 1
    applied = admin.post(
        MIGRATION, data={"csrf_token": token, "plan": PLAN, "step": "apply", "digest": digest}
    )
    assert applied.status_code == 302
    with session_of(app) as session:
        case = session.get(Case, case_id)
        assert case.version.version == 2 and case.answers["consentement"] is True
        kinds = session.scalars(sa.select(CaseEvent.kind).where(CaseEvent.case_id == case_id))
        assert "migrated" in list(kinds)
    history = admin.get("/console/procedures/acte-naissance").get_data(as_text=True)
    assert "Version 2 <span" in history and "Version 1 <span" not in history
