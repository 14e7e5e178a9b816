"""Browser tests: the example site served on 127.0.0.1, driven by headless Chromium.

The browser is the system's Chromium (Debian's ``chromium`` package, /usr/bin/chromium, or
the path in GUICHET_TEST_CHROMIUM), driven by the ``playwright`` Python package; axe-core
comes with ``axe-playwright-python``. Browsers are never downloaded (no
``playwright install``). When one of them is missing, every test here is skipped and says
what to install.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES, missing_service

CHROMIUM = os.environ.get("GUICHET_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: RGAA 4 follows WCAG 2.1 level AA: these axe-core rules, and no others, must pass.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Playwright's longest wait for an element, a navigation or an expectation. The server is
#: local and usually answers in milliseconds, but a loaded 2-core machine running axe-core can
#: stall for seconds: the bound is there to end a test that hangs, not to time one.
TIMEOUT_MS = 90_000


def missing_requirement() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "the playwright package is not installed (pip install playwright; the "
            "browser is the system's Chromium: never run `playwright install`)"
        )
    try:
        import axe_playwright_python  # noqa: F401
    except ImportError:
        return "axe-core is missing: pip install axe-playwright-python"
    if not os.access(CHROMIUM, os.X_OK):
        return (
            f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, "
            "or set GUICHET_TEST_CHROMIUM to a Chromium binary)"
        )
    return None


@pytest.fixture(autouse=True)
def _browser_requirements():
    reason = missing_requirement()
    if reason:
        missing_service(reason)


# -- the application, served on a free port ------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: object
    folder: Path

    def sessions(self):
        """A database session factory (the app's own)."""
        return self.app.extensions["guichet"].sessions

    def today(self) -> dt.date:
        """The app's today (the town hall's time zone), as relative dates mean it."""
        state = self.app.extensions["guichet"]
        return state.runtime.calendar.today(state.clock.now())


@pytest.fixture(scope="package")
def live_server(tmp_path_factory):
    reason = missing_requirement()
    if reason:
        missing_service(reason)
    from werkzeug.serving import make_server

    from factory import create_app

    from .journeys import prefill_sources

    folder = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as patch:  # the site config reads them at start
        for name, value in EXAMPLE_ENVIRON.items():
            patch.setenv(name, value)
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "browser-tests-secret-key",
                "DATABASE_URL": f"sqlite:///{folder / 'g.db'}",
                "SITE": str(EXAMPLES / "guichet.yaml"),
                "PROCEDURES": str(EXAMPLES),
                "UPLOAD_FOLDER": str(folder / "uploads"),
                "DEMO_ACCOUNTS": True,
                "RATELIMIT_ENABLED": False,
                # no public API is called: the test doubles answer (journeys.PREFILL_SOURCES)
                "PREFILL_SOURCES": prefill_sources(),
            }
        )
    server = make_server("127.0.0.1", 0, app, threaded=True)  # port 0: a free port
    thread = threading.Thread(
        target=server.serve_forever, name="guichet-browser-tests", daemon=True
    )
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, folder)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["guichet"].engine.dispose()


# -- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@dataclass
class Troubles:
    """What the browser reported: script errors, CSP refusals, failed requests."""

    lines: list[str] = field(default_factory=list)


#: Requests that may fail: the site has no icon.
_HARMLESS = re.compile(r"/favicon\.ico$")


def _local_tile(route) -> None:
    """One small image for every map tile the browser asks for."""
    tile = EXAMPLES.parent / "factory" / "static" / "leaflet" / "images" / "layers.png"
    route.fulfill(status=200, content_type="image/png", body=tile.read_bytes())


@pytest.fixture
def open_page(browser, live_server):
    """``open_page(javascript=True)``: a new page in its own context (its own cookies).

    At the end of the test, the browser must have reported no console error (a CSP
    refusal, a script error, a failed request)."""
    contexts = []
    troubles = Troubles()

    def opener(javascript: bool = True):
        context = browser.new_context(
            base_url=live_server.url,
            locale="fr-FR",
            timezone_id="Europe/Paris",
            java_script_enabled=javascript,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        # the example site's map tiles are answered here: no request leaves the machine
        context.route(re.compile(r"^https://tile\.openstreetmap\.org/"), _local_tile)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                message.type == "error"
                and not message.text.startswith("Failed to load resource")
                and troubles.lines.append(f"{page.url}: console: {message.text}")
            ),
        )
        page.on("pageerror", lambda error: troubles.lines.append(f"{page.url}: {error}"))
        page.on(
            "response",
            lambda response: (
                response.status >= 400
                and response.request.resource_type != "document"
                and not _HARMLESS.search(response.url)
                and troubles.lines.append(f"{page.url}: {response.status} {response.url}")
            ),
        )
        return page

    yield opener
    for context in contexts:
        context.close()
    assert troubles.lines == [], "\n".join(troubles.lines)


# -- axe-core ------------------------------------------------------------------------------------


class Audit:
    """axe-core (WCAG 2.1 A and AA rules) run on each page a test shows; every violation of
    every page is reported at the end, not only the first."""

    def __init__(self):
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.pages: list[str] = []
        self.problems: list[str] = []

    def check(self, page, name: str) -> None:
        results = self.axe.run(
            page,
            options={
                "runOnly": {"type": "tag", "values": WCAG_TAGS},
                "resultTypes": ["violations"],
            },
        )
        self.pages.append(name)
        self.check_reflow(page, name)
        for violation in results.response["violations"]:
            nodes = "\n".join(
                f"      {', '.join(map(str, node['target']))}: {node['html'][:200]}\n"
                f"        {node.get('failureSummary', '').replace(chr(10), ' ')}"
                for node in violation["nodes"]
            )
            self.problems.append(
                f"{name} ({page.url}): {violation['id']} [{violation['impact']}] "
                f"{violation['help']}\n{nodes}"
            )

    def check_reflow(self, page, name: str) -> None:
        """WCAG 1.4.10: at 320 CSS pixels wide (1280 at 400 % zoom), nothing needs a
        horizontal scroll bar."""
        size = page.viewport_size
        page.set_viewport_size({"width": 320, "height": 640})
        try:
            wider = page.evaluate("""() => {
                const root = document.documentElement;
                const width = root.clientWidth;
                if (root.scrollWidth <= width) return [];
                const clipped = e => {
                  for (let p = e.parentElement; p && p !== document.body; p = p.parentElement)
                    if (getComputedStyle(p).overflowX !== 'visible') return true;
                  return false;
                };
                const wide = Array.from(document.body.querySelectorAll('*'))
                  .filter(e => e.getBoundingClientRect().right > width + 1 && !clipped(e)
                               && !e.querySelector('*'))
                  .map(e => e.outerHTML.slice(0, 120));
                return wide.length ? wide : [`the page is ${root.scrollWidth} px wide`];
            }""")
        finally:
            page.set_viewport_size(size)
        if wider:
            self.problems.append(
                f"{name} ({page.url}): reflow (WCAG 1.4.10): wider than 320 px:\n"
                + "\n".join(f"      {html}" for html in wider[:5])
            )

    def assert_clean(self) -> None:
        assert self.problems == [], (
            f"{len(self.problems)} WCAG 2.1 A/AA violations on {len(self.pages)} pages:\n"
            + "\n".join(self.problems)
        )


@pytest.fixture
def audit():
    return Audit()


# -- the interface's texts -----------------------------------------------------------------------


class Texts:
    """The interface's texts in French, as the app shows them: tests find buttons and
    labels by these, whether or not a catalog translates a msgid yet."""

    def __init__(self, app):
        import renderers

        self.app = app
        self.forms = renderers.load_translations("fr")

    def ui(self, msgid: str, **values) -> str:
        """A text of the app's templates and views (Flask-Babel)."""
        from flask_babel import force_locale, gettext

        with self.app.test_request_context("/"), force_locale("fr"):
            return gettext(msgid, **values)

    def form(self, msgid: str, **values) -> str:
        """A text of the form renderers (their own catalog)."""
        text = self.forms.gettext(msgid)
        return text % values if values else text

    def label(self, text: str, *, required_text: str | None = None) -> re.Pattern:
        """A label as the accessible name shows it, with or without "(required)"."""
        required = re.escape(required_text or self.form("(required)"))
        spaced = r"\s+".join(re.escape(word) for word in text.split())
        return re.compile(rf"^\s*{spaced}(\s+{required})?\s*$")


@pytest.fixture(scope="package")
def texts(live_server):
    return Texts(live_server.app)


@pytest.fixture(scope="package")
def examples(live_server):
    """The example procedures and their tests files' answers: {slug: Example}."""
    from .journeys import load_examples

    return load_examples(live_server.today())
