"""The container image, built and run, where a Docker engine answers: `guichet db upgrade`
in one container, then the default command (gunicorn, factory.wsgi:app) as a user without
privileges, answering its probes and the catalogue.

Without a Docker engine (`docker info` fails: no client, or no daemon), the test skips and
says why, under CI too: the image is only checked where it can be built."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from .conftest import ROOT


def _docker_answers() -> str | None:
    """Why there is no Docker engine here, or None when there is one."""
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "docker info did not answer in 30 seconds"
    if done.returncode != 0:
        return "no Docker engine answers (docker info: " + done.stderr.strip()[-200:] + ")"
    return None


def _pip_index_arguments() -> list[str]:
    """The package index pip uses on this machine, handed to the build (where one is set)."""
    arguments = []
    for key, argument in (("global.index-url", "PIP_INDEX_URL"),):
        done = subprocess.run(
            ["python3", "-m", "pip", "config", "get", key], capture_output=True, text=True
        )
        value = done.stdout.strip()
        if done.returncode == 0 and value.startswith(("http://", "https://")):
            arguments += ["--build-arg", f"{argument}={value}"]
    return arguments


def _docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_image_builds_migrates_and_serves_as_a_user_without_privileges():
    reason = _docker_answers()
    if reason is not None:
        pytest.skip(reason)
    tag = f"guichet-smoke:{secrets.token_hex(4)}"
    volume = f"guichet-smoke-{secrets.token_hex(4)}"
    name = f"guichet-smoke-{secrets.token_hex(4)}"
    build = _docker(
        "build", "--network", "host", *_pip_index_arguments(), "-t", tag, str(ROOT), timeout=1800
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    database = "sqlite:////var/lib/guichet/data/guichet.db"
    environment = ["-e", f"GUICHET_DATABASE_URL={database}", "-e", "GUICHET_SECRET_KEY=smoke"]
    try:
        user = _docker("run", "--rm", tag, "id", "-u")
        assert user.returncode == 0 and user.stdout.strip() not in ("", "0"), user.stdout
        upgrade = _docker(
            "run",
            "--rm",
            "-v",
            f"{volume}:/var/lib/guichet/data",
            *environment,
            tag,
            "guichet",
            "db",
            "upgrade",
        )
        assert upgrade.returncode == 0, upgrade.stderr
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        run = _docker(
            "run",
            "-d",
            "--name",
            name,
            "-p",
            f"127.0.0.1:{port}:8000",
            "-v",
            f"{volume}:/var/lib/guichet/data",
            *environment,
            tag,
        )
        assert run.returncode == 0, run.stderr
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        logs = _docker("logs", name).stderr[-3000:]
        assert status == 200, logs
        assert _get(f"http://127.0.0.1:{port}/readyz")[0] == 200, logs
        status, body = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and b"<html" in body, logs
    finally:
        _docker("rm", "-f", name)
        _docker("volume", "rm", "-f", volume)
        _docker("rmi", "-f", tag)
