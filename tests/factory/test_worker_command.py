"""``guichet worker`` as a process: SIGTERM stops it cleanly (status 0), a second signal at
once. What a stop does to a batch in flight is tested with a real worker process in
tests/engine/test_engine_worker.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from ..conftest import EXAMPLE_ENVIRON, EXAMPLES

COMMAND = "from factory.cli import main; main()"


def start_worker(tmp_path):
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            COMMAND,
            "worker",
            "--database",
            f"sqlite:///{tmp_path / 'g.db'}",
            "--site",
            str(EXAMPLES / "guichet.yaml"),
            "--uploads",
            str(tmp_path / "uploads"),
        ],
        cwd=tmp_path,
        env={**os.environ, **EXAMPLE_ENVIRON},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_running(process) -> None:
    deadline = time.monotonic() + 120
    line = ""
    while "The worker is running" not in line:
        assert time.monotonic() < deadline, "the worker did not start within 120 s"
        line = process.stderr.readline()
        assert line or process.poll() is None, "the worker ended before it ran"


def test_sigterm_stops_the_worker_cleanly(tmp_path):
    process = start_worker(tmp_path)
    try:
        wait_until_running(process)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "stopping after the delivery in flight (SIGTERM)" in err
