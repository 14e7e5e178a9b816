"""Guichet as users install it: a wheel, in a virtual environment of its own, that serves pages;
and a lock file that pins every dependency the project declares."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request

from packaging.requirements import Requirement

from .conftest import EXAMPLE_ENVIRON, EXAMPLES, ROOT

CONSTRAINTS = ROOT / "constraints.txt"


def pinned() -> dict[str, str]:
    """The exact versions of constraints.txt, by normalised name."""
    versions = {}
    for line in CONSTRAINTS.read_text("utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            versions[_normal(name)] = version.strip()
    return versions


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def test_the_lock_file_pins_every_declared_dependency_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    versions = pinned()
    for text in declared:
        requirement = Requirement(text)
        name = _normal(requirement.name)
        assert name in versions, f"{name} is not in constraints.txt: sh scripts/lock.sh"
        assert requirement.specifier.contains(versions[name], prereleases=True), (
            f"constraints.txt pins {name}=={versions[name]}, outside {requirement.specifier}: "
            "sh scripts/lock.sh"
        )


def test_every_script_installs_from_the_lock_file():
    for script in ("scripts/run.sh", "scripts/test.sh"):
        lines = (ROOT / script).read_text("utf-8").splitlines()
        installs = [line for line in lines if "pip install" in line]
        assert installs and all("-c constraints.txt" in line for line in installs), script


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a loopback URL
        return response.status, response.read()


def test_a_wheel_installed_in_a_fresh_environment_serves_pages(tmp_path):
    """Build the wheel as pip does, install it (not editable) in a new virtual environment,
    and serve the examples from a folder outside the repository."""
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    assert "would be ignored" not in build.stdout + build.stderr, build.stdout
    (wheel,) = wheels.glob("guichet-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-c", str(CONSTRAINTS), str(wheel)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr

    # nothing of the repository is importable from there: only the installed wheel
    where = tmp_path / "elsewhere"
    where.mkdir()
    located = subprocess.run(
        [str(python), "-c", "import factory, renderers.fields; print(factory.__file__)"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert located.returncode == 0, located.stderr
    assert str(venv) in located.stdout

    port = _free_port()
    environ = {
        key: value for key, value in os.environ.items() if not key.startswith("GUICHET_")
    }
    environ.update(EXAMPLE_ENVIRON)
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own command
        [
            str(venv / "bin" / "guichet"),
            "serve",
            "--port",
            str(port),
            "--site",
            str(EXAMPLES / "guichet.yaml"),
            "--procedures",
            str(EXAMPLES),
        ],
        cwd=where,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                status, body = _get(base + "/")
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "guichet serve did not answer in 120 s"
                time.sleep(0.5)
        assert status == 200
        page = body.decode()
        assert "Démarches en ligne" in page
        # a procedure page, drawn by the renderers' templates, and the static files
        status, body = _get(base + "/demarches/acte-naissance")
        assert status == 200
        for asset in ("/static/guichet.css", "/static/renderers-assets/renderers/fields.css"):
            assert _get(base + asset)[0] == 200, asset
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert (where / "var").is_dir()
