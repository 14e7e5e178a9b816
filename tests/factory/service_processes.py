"""Guichet as separate processes on this machine, for the smoke tests of the deployment: an
HTTP client that speaks like the Flask test client (so that ``portal_helpers`` drive it),
free ports, and waiting for a server to answer."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Answer:
    """An httpx response read as a Flask test response."""

    def __init__(self, response: httpx.Response):
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def get_data(self, as_text: bool = False):
        return self.response.text if as_text else self.response.content


class HttpClient:
    """A browser of one person against a server on 127.0.0.1: its own cookies, no
    redirects followed; posts with files are multipart, as a browser's."""

    def __init__(self, base_url: str):
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)

    def get(self, url: str) -> Answer:
        return Answer(self.http.get(url))

    def post(self, url: str, data: dict, content_type: str | None = None) -> Answer:
        fields, files = {}, []
        for name, value in data.items():
            items = value if isinstance(value, list) else [value]
            if items and all(isinstance(item, tuple) for item in items):
                for stream, filename in items:
                    files.append((name, (filename, stream.read(), "application/octet-stream")))
            else:
                fields[name] = value
        return Answer(self.http.post(url, data=fields, files=files or None))

    def close(self) -> None:
        self.http.close()


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    """Wait until ``url`` answers 200, or fail with the process's log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the process stopped ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> int:
    """SIGTERM, then SIGKILL after 20 seconds; the exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return process.returncode
