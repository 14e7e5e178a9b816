"""The console's procedure editor: its page without and with JavaScript's needs (the
bundle, the schema, the checker as JSON), new procedures from a skeleton or a copy, and
problems shown beside their lines."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import sqlalchemy as sa

from engine.models import ProcedureVersion

from ..portal_helpers import csrf, sign_in
from .world import NEW_VERSION, actions, session_of, source_of

NEW = "/console/procedures/nouvelle"
CHECK = "/console/verifier"
SCHEMA = "/console/schema/procedure.json"
BUNDLE = Path(__file__).resolve().parents[3] / "factory/static/console-editor.js"
SOURCES = Path(__file__).resolve().parents[3] / "editor/src"


def check_json(client, source: str, procedure: str = "", token: str | None = None):
    token = token if token is not None else csrf(client, NEW)
    return client.post(
        CHECK,
        data=json.dumps({"source": source, "procedure": procedure}),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )


def rows(app, slug: str) -> list[ProcedureVersion]:
    with session_of(app) as session:
        return list(
            session.scalars(sa.select(ProcedureVersion).where(ProcedureVersion.slug == slug))
        )


def test_the_page_works_without_javascript_and_loads_the_committed_bundle(app, admin):
    response = admin.get(NEW_VERSION)
    page = response.get_data(as_text=True)
    textarea = re.search(r"<textarea id=\"source\"[^>]*>", page, re.S).group(0)
    assert 'name="source"' in textarea and 'wrap="off"' in textarea
    assert 'class="code-source"' in textarea and 'data-editor="yaml"' in textarea
    assert f'data-check-url="{CHECK}"' in textarea and f'data-schema-url="{SCHEMA}"' in textarea
    assert 'data-procedure="acte-naissance"' in textarea
    assert '<script src="/static/console-editor.js" defer></script>' in page
    # CodeMirror's own styles: one <style> admitted by this answer's nonce, nothing else
    nonce = re.search(r'data-style-nonce="([^"]+)"', textarea).group(1)
    policy = response.headers["Content-Security-Policy"]
    assert f"style-src 'self' 'nonce-{nonce}';" in policy and "script-src 'self';" in policy
    assert nonce != re.search(r'data-style-nonce="([^"]+)"', admin.get(NEW_VERSION).text).group(1)
    assert "unsafe-inline" not in policy
    # the bundle is committed, served by Flask, and built from editor/src (minified)
    assert BUNDLE.stat().st_size > 100_000
    served = admin.get("/static/console-editor.js")
    assert served.status_code == 200 and served.mimetype in (
        "text/javascript",
        "application/javascript",
    )
    bundle = served.get_data(as_text=True)
    served.close()
    for marker in ("textarea[data-editor=yaml]", "cm-problem", "X-CSRFToken", "guichetEditor"):
        assert marker in bundle and marker in "".join(
            p.read_text("utf-8") for p in SOURCES.glob("*.js")
        )
    # the other pages keep the strict policy
    assert "nonce" not in admin.get("/console/procedures").headers["Content-Security-Policy"]


def test_the_schema_is_served_for_completion(admin):
    response = admin.get(SCHEMA)
    assert response.status_code == 200 and response.mimetype == "application/json"
    schema = response.get_json()
    assert "text" in schema["$defs"]["field"]["properties"]["type"]["enum"]
    assert set(schema["properties"]["login"]["enum"]) == {"none", "optional", "required"}
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_the_checker_answers_json_with_every_problem_in_french(app, admin):
    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    answer = check_json(admin, source, "acte-naissance")
    assert answer.status_code == 200
    assert answer.get_json() == {"problems": [], "summary": "Aucun problème"}
    # a misspelt key no longer hides a wrong 'to:'
    broken = source.replace("\ntitle:", "\ntitel:", 1)
    broken = re.sub(r"\n( +)to: \S+", r"\n\1to: nulle_part", broken, count=1)
    lines = broken.splitlines()
    titel = next(i for i, line in enumerate(lines, 1) if line.startswith("titel:"))
    to = next(i for i, line in enumerate(lines, 1) if "to: nulle_part" in line)
    answer = check_json(admin, broken, "acte-naissance").get_json()
    found = {(p["line"], p["column"]): p["message"] for p in answer["problems"]}
    assert found[(titel, 1)].startswith("clé inconnue 'titel' ici")
    assert (
        "mène à 'nulle_part', qui n’est pas un état"
        in found[(to, lines[to - 1].index("nulle") + 1)]
    )
    assert answer["summary"] == f"{len(answer['problems'])} problèmes"
    assert "procedure.check" not in actions(app)  # the checker records nothing
    # another procedure's page, a new procedure's page
    other = check_json(admin, source, "").get_json()["problems"]
    assert [p["message"] for p in other] == [
        "la démarche acte-naissance existe déjà\u00a0: publiez une nouvelle version depuis sa "
        "page, ou donnez un autre nom à celle-ci"
    ]
    assert other[0]["line"] == 1


def test_the_checker_refuses_what_it_cannot_read(app, admin):
    assert check_json(admin, "procedure: x\n", token="forged").status_code == 400
    assert check_json(admin, "procedure: x\n", "inconnue").status_code == 404
    token = csrf(admin, NEW)
    odd = admin.post(CHECK, json={"source": ["a"]}, headers={"X-CSRFToken": token})
    assert odd.status_code == 400
    # a form works too (the same endpoint without JSON)
    form = admin.post(CHECK, data={"source": "procedure: [a", "csrf_token": token})
    assert form.status_code == 200
    assert form.get_json()["problems"][0]["message"].startswith("YAML invalide")
    huge = "a: b\n" * (app.config["CONSOLE_MAX_SOURCE_BYTES"] // 5 + 1)
    assert "rien n'a été vérifié" in check_json(admin, huge).get_json()["problems"][0]["message"]
    agent = app.test_client()
    sign_in(agent, "agent@example.org")
    assert agent.post(CHECK, json={"source": "x"}, headers={"X-CSRFToken": token}).status_code in (
        400,
        404,
    )


def test_a_new_procedure_starts_from_a_skeleton_that_checks_and_publishes(app, admin):
    page = admin.get(NEW).get_data(as_text=True)
    source = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1))
    assert source.startswith("procedure: nouvelle-demarche\nversion: 1\n")
    assert check_json(admin, source).get_json()["problems"] == []
    token = csrf(admin, NEW)
    preview = admin.post(NEW, data={"csrf_token": token, "source": source, "step": "check"})
    assert preview.status_code == 200 and "Publier la version 1" in preview.text
    published = admin.post(NEW, data={"csrf_token": token, "source": source, "step": "publish"})
    assert published.status_code == 302
    assert published.headers["Location"].endswith("/console/procedures/nouvelle-demarche")
    assert [r.version for r in rows(app, "nouvelle-demarche")] == [1]
    assert actions(app)[-1] == "procedure.publish"
    # the next skeleton takes a free name; the same name again is refused, unpublished
    again = admin.get(NEW).get_data(as_text=True)
    assert "procedure: nouvelle-demarche-2\n" in again
    refused = admin.post(NEW, data={"csrf_token": token, "source": source, "step": "publish"})
    assert refused.status_code == 422
    assert "la démarche nouvelle-demarche existe déjà" in html.unescape(refused.text)


def test_a_procedure_is_duplicated_with_its_reusable_workflow(app, admin):
    slug = "aide-velo-electrique"
    url = f"/console/procedures/{slug}/dupliquer"
    token = csrf(admin, f"/console/procedures/{slug}")
    copy = admin.post(url, data={"csrf_token": token})
    assert copy.status_code == 200
    page = copy.get_data(as_text=True)
    source = html.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1))
    assert (
        source.startswith(f"procedure: {slug}-copie\n") or f"\nprocedure: {slug}-copie\n" in source
    )
    assert re.search(r"^version: 1$", source, re.M)
    assert f'name="origin" value="{slug}"' in page
    assert rows(app, f"{slug}-copie") == []  # shown, not saved
    published = admin.post(
        NEW, data={"csrf_token": token, "source": source, "origin": slug, "step": "publish"}
    )
    assert published.status_code == 302, html.unescape(published.text)[-3000:]
    (row,) = rows(app, f"{slug}-copie")
    assert row.workflows == rows(app, slug)[0].workflows and row.workflows


def test_problems_are_listed_beside_a_few_lines_each(app, admin):
    source = source_of(app, "acte-naissance").replace("version: 1", "version: 2", 1)
    lines = source.splitlines()
    faulty = [i for i, line in enumerate(lines, 1) if "type: text" in line][:2]
    for number in faulty:
        lines[number - 1] = lines[number - 1].replace("type: text", "type: texte")
    response = admin.post(
        NEW_VERSION, data={"csrf_token": csrf(admin, NEW_VERSION), "source": "\n".join(lines)}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'<li id="line-(\d+)"', page)]
    assert len(lines) > 100 and len(shown) <= 5 * len(faulty)
    for number in faulty:
        assert set(range(number - 2, number + 3)) <= set(shown)
        assert f'href="#line-{number}" data-line="{number}">{number}:' in page
        assert f'<a href="#source" data-line="{number}" class="to-editor">' in page
    assert page.count('<ol class="source-listing"') == len(
        [n for i, n in enumerate(faulty) if i == 0 or n - faulty[i - 1] > 5]
    )


def test_the_site_departments_and_connectors_are_shown_beside_the_editor(app, admin):
    page = html.unescape(admin.get(NEW).get_data(as_text=True))
    panel = page[page.index('<aside class="site-panel"') :]
    panel = panel[: panel.index("</aside>")]
    site = app.extensions["guichet"].runtime.site
    for slug, department in site.departments.items():
        assert f"<code>{slug}</code> — {department.name.get('fr')}" in panel
    for name, connector in site.connectors.items():
        assert f"<code>{name}</code> ({connector.type})" in panel
    assert site.departments and site.connectors


def test_the_textarea_without_javascript_is_monospace_and_unwrapped():
    css = (BUNDLE.parent / "console.css").read_text("utf-8")
    rule = re.search(r"\.code-source \{([^}]*)\}", css).group(1)
    assert "font-family: var(--font-code)" in rule and "white-space: pre;" in rule
