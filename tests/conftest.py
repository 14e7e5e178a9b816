from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: The secrets the example site config reads from the environment.
EXAMPLE_ENVIRON = {
    "GUICHET_WEBHOOK_SECRET": "test-webhook-secret",
    "GUICHET_REGISTRY_SECRET": "test-registry-secret",
    "GUICHET_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/",
    "GUICHET_SMTP_PASSWORD": "test-smtp-password",
}

_EXPECT = re.compile(r"^#\s*expect:\s*(?:(?P<file>[^:\s]+\.ya?ml):)?(?P<line>\d+):(?P<column>\d+):\s?(?P<message>.*)$")


def expectations(path: Path) -> list[tuple[str, int, int, str]]:
    """The ``# expect: [FILE:]LINE:COLUMN: MESSAGE`` lines at the top of a fixture."""
    found = []
    for line in path.read_text("utf-8").splitlines():
        match = _EXPECT.match(line.strip())
        if match:
            file = match["file"] or path.name
            found.append((file, int(match["line"]), int(match["column"]), match["message"]))
    return found


@pytest.fixture
def example_environ(monkeypatch):
    for name, value in EXAMPLE_ENVIRON.items():
        monkeypatch.setenv(name, value)
    return EXAMPLE_ENVIRON
