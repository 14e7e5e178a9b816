"""« Tester cette version » : a version's scenarios (``NAME.tests.yaml``) run from the console.

A published version keeps its YAML, not its tests: the page offers the tests file found
beside the procedures the site publishes at start (``PROCEDURES``), and the administrator
may paste or change them. Each scenario runs in its own in-memory database, as
``guichet test`` runs it; nothing of the site's data is touched.
"""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, render_template, request

from definitions.loader import load
from definitions.scenarios import read_tests
from engine import texts as engine_texts
from engine.procedure_tests import run_suite

from ..audit import audit
from ..language import current_language
from ..params import parse_int
from ..services import db, services
from .versions import compiled, versions_of
from .views import MAX_VALUES, admin_required, bp


def _beside(slug: str) -> str:
    """The tests file of ``slug`` in the folder published at start, or nothing."""
    folder = current_app.config.get("PROCEDURES")
    if not folder:
        return ""
    for suffix in (".tests.yaml", ".tests.yml"):
        path = Path(folder) / f"{slug}{suffix}"
        if path.is_file():
            return path.read_text("utf-8", errors="replace")
    return ""


@bp.route("/procedures/<slug>/tester", methods=["GET", "POST"])
@admin_required
def test_version(slug: str):
    rows = versions_of(slug)
    number = parse_int((request.values.get("version") or "").strip(), 1, 1_000_000)
    row = next((r for r in rows if r.version == number), rows[0])
    name = f"{slug}.tests.yaml"
    if request.method == "GET":
        return render_template(
            "console/test_version.html", slug=slug, versions=rows, row=row, tests=_beside(slug)
        )
    tests = request.form.get("tests", "").replace("\r\n", "\n")
    limit = current_app.config["CONSOLE_MAX_SOURCE_BYTES"]
    results = []
    if len(tests.encode("utf-8", errors="replace")) > limit:
        abort(413)
    procedure = compiled(row)
    document, problems = load(tests, name, max_nodes=MAX_VALUES)
    if document is not None and not problems:
        suite, problems = read_tests(document, procedure, services().runtime.site)
        if suite is not None and not problems:
            results = run_suite(
                procedure, suite, row.source, row.workflows or {}, services().runtime.site
            )
    audit(
        "procedure.test",
        procedure=slug,
        version=row.version,
        passed=sum(r.passed for r in results),
        failed=sum(not r.passed for r in results),
    )
    db().commit()
    return render_template(
        "console/test_version.html",
        slug=slug,
        versions=rows,
        row=row,
        tests=tests,
        problems=problems,
        results=[(r, r.text(engine_texts.translations(current_language()))) for r in results],
        ran=True,
    ), 422 if problems else 200
