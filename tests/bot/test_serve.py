"""`python -m bot serve`, what `make run` runs, as a newcomer runs it: from a copy of the project
with no var/, no REDIS_URL and no DATABASE_URL. It must start everything, answer a resident,
refuse a second serve on the same var/ and a taken port, and leave nothing running when
stopped."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from bot.embedded_redis import free_port
from config.settings import PROJECT_ROOT

LEFT_OUT = shutil.ignore_patterns(
    ".venv", ".git", "var", "__pycache__", ".pytest_cache", ".ruff_cache", "screenshots", "tests"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project, as a fresh clone has it (the venv is this one's)."""
    copy = tmp_path / "gridbot"
    shutil.copytree(PROJECT_ROOT, copy, ignore=LEFT_OUT)
    return copy


def environment(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DATABASE_"))}
    env.pop("WECHAT_TOKEN", None)
    env.pop("WECHAT_API_BASE", None)
    return env | {"PORT": str(port), "PYTHONUNBUFFERED": "1"}


def start(project: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=project,
        env=environment(port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def refused(project: Path, port: int) -> tuple[int, str]:
    """Run a serve that should give up at once: its exit status and what it printed (one that
    does not give up is stopped, with its children, rather than left running)."""
    process = start(project, port)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
        return -1, out
    return process.returncode, out


@pytest.fixture
def serving(project: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    process = start(project, port)
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)  # and close its pipe


def wait_healthy(port: int, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited before it answered"
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading the model
            pass
        time.sleep(0.3)
    raise AssertionError(f"serve did not answer /healthz within {timeout} s")


def test_make_run_serves_a_resident_and_stops_clean(
    project: Path, serving: tuple[subprocess.Popen[str], int]
) -> None:
    process, port = serving
    wait_healthy(port, process)
    tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    assert any("redis-server" in p.name() for p in tree)  # embedded Redis (own session)
    env = environment(port) | {"GRIDBOT_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    said = subprocess.run(
        [sys.executable, "-m", "bot.simulator", "铝厂小区3号楼楼道灯坏了"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "工单号" in said.stdout, said.stdout + said.stderr
    assert (project / "var" / "gridbot.sqlite3").exists()

    status, out = refused(project, free_port())
    assert status == 1 and "another gridbot serve is running" in out

    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, out
    assert f"http://127.0.0.1:{port}/admin" in out and "GRIDBOT_PUBLIC_URL=" in out
    time.sleep(0.5)
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_a_taken_port_is_said_before_anything_starts(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out = refused(project, port)
    assert status == 1 and f"port {port} is taken" in out
    assert not (project / "var" / "redis").exists()  # nothing was started for nothing
