"""Webhook benchmark: signed messages (plain and safe mode) against the app run as in
production (gunicorn), next to a bare Flask "hello" under the same gunicorn settings.

Two measurements each: a fixed rate (200 messages/s, open loop: latency as WeChat sees it)
and a closed loop (as fast as N connections go: throughput). Messages are realistic reports
that create cases, so the numbers include nlp, SQL commits and the Redis enqueue.

    .venv/bin/python bench/bench_webhook.py [--seconds 10] [--rate 200] [--rounds 3]

Uses REDIS_URL / DATABASE_URL when set, else an embedded Redis and a fresh SQLite file.

Each closed loop also says where the machine's CPU went per message: the web server's
processes, the load generator, Redis and PostgreSQL (both on the same cores).

On SQLite a third server runs in the same rounds: the floor (bench/floor_app.py), the least a
bench message can cost on this stack, so that the share of bare Flask reachable here at all is
a measurement beside gridbot's."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from bot.gunicorn_app import DEFAULT_THREADS, default_workers  # noqa: E402
from bot.simulator import Simulator  # noqa: E402
from cases.migrations import upgrade  # noqa: E402
from config.settings import Settings  # noqa: E402

HELLO_APP = """
from flask import Flask
app = Flask(__name__)
@app.post("/wechat")
def hello():
    return "hello"
"""
REPORTS = [
    "铝厂小区{b}号楼楼道灯坏了",
    "桐柏路191号院{b}号楼下水道堵了",
    "前进路50号院{b}号楼门禁坏了",
    "建议互助路24号院{b}号楼加装电梯",
    "查询",
]


def wait_up(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not start")


def requests_for(settings: Settings, count: int, offset: int) -> list[tuple[str, bytes]]:
    """Pre-signed requests (path with query, body), alternating plain and safe mode, each with
    its own MsgId (from `offset`)."""
    prepared = []
    for i in range(count):
        sim = Simulator.from_settings(settings, "safe" if i % 2 else "plain")
        text = REPORTS[i % len(REPORTS)].format(b=1 + i % 3)
        params, body = sim.signed(sim.text(f"oBENCH{i % 500:04d}", text, msg_id=offset + i))
        prepared.append((f"/wechat?{urllib.parse.urlencode(params)}", body))
    return prepared


def fixed_rate(
    port: int, prepared: list[tuple[str, bytes]], rate: float, seconds: float
) -> dict[str, float]:
    """Send at `rate` per second from a pool of connections; latency per request."""
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.monotonic() + 0.2
    workers = 32

    def worker(offset: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for i in range(offset, total, workers):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            path, body = prepared[i % len(prepared)]
            sent = time.monotonic()
            try:
                conn.request("POST", path, body, {"Content-Type": "text/xml"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            # Counted from when the request was due, so a backlog shows up as latency.
            elapsed = time.monotonic() - min(due, sent)
            with lock:
                latencies.append(elapsed)
                errors += 0 if ok else 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - start
    return summary(latencies, errors, took)


def closed_loop(
    port: int, prepared: list[tuple[str, bytes]], connections: int, seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    counter = iter(range(len(prepared)))

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            index = next(counter, None)
            if index is None:
                return
            path, body = prepared[index]
            sent = time.monotonic()
            try:
                conn.request("POST", path, body, {"Content-Type": "text/xml"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            with lock:
                latencies.append(time.monotonic() - sent)
                errors += 0 if ok else 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summary(latencies, errors, time.monotonic() - started)


class CpuMeter:
    """CPU seconds (user + system) spent by groups of processes: a web server's process tree,
    this load generator, and the Redis and PostgreSQL servers, whichever run here."""

    def __init__(self, server: subprocess.Popen[bytes], postgres: bool) -> None:
        root = psutil.Process(server.pid)
        self.groups = {"web": [root, *root.children(recursive=True)], "load": [psutil.Process()]}
        markers = {"redis": "redis-server"} | ({"postgres": "postgres"} if postgres else {})
        for group, marker in markers.items():
            self.groups[group] = [
                p for p in psutil.process_iter(["name"]) if marker in (p.info["name"] or "")
            ]

    def read(self) -> dict[str, float]:
        return {group: _cpu_seconds(procs) for group, procs in self.groups.items()}

    def per_message(self, before: dict[str, float], messages: float) -> dict[str, float]:
        """CPU milliseconds per message of each group since `before` ("cpu <group>")."""
        spent = self.read()
        return {
            f"cpu {group}": 1000 * (spent[group] - before[group]) / max(messages, 1)
            for group in spent
        }


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def summary(latencies: list[float], errors: int, took: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "errors": errors,
        "throughput": len(ordered) / took,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    }


def start_gunicorn(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="closed-loop rounds, alternating")
    parser.add_argument("--web-workers", type=int, default=default_workers())
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="per web process")
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gridbot-bench-"))
    env = dict(os.environ)
    redis_server = None
    if "REDIS_URL" not in env:
        redis_server = EmbeddedRedis(tmp / "redis", persist=False)
        env["REDIS_URL"] = redis_server.start()
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    env.pop("WECHAT_TOKEN", None)
    settings = Settings.from_env(env)
    upgrade(settings.database_url)
    app_port, hello_port, floor_port = free_port(), free_port(), free_port()
    env["PORT"] = str(app_port)
    (tmp / "hello_app.py").write_text(HELLO_APP)
    threads = str(options.threads)
    gunicorn_opts = ["-w", str(options.web_workers), "--threads", threads, "-k", "gthread"]
    app_server = start_gunicorn(
        [sys.executable, "-m", "bot", "web", "--workers", str(options.web_workers)]
        + ["--threads", threads],
        env,
        ROOT,
    )

    def plain_gunicorn(
        app: str, port: int, run_env: dict[str, str], cwd: Path
    ) -> subprocess.Popen[bytes]:
        command = ["-m", "gunicorn", *gunicorn_opts, "-b", f"127.0.0.1:{port}", app]
        return start_gunicorn([sys.executable, *command], run_env, cwd)

    hello_server = plain_gunicorn("hello_app:app", hello_port, env, tmp)
    servers = [app_server, hello_server]
    # The floor (bench/floor_app.py) speaks plain sqlite3, so it runs on SQLite only.
    floor_server = None
    if settings.database_url.startswith("sqlite"):
        floor_env = env | {"DATABASE_URL": f"sqlite:///{tmp / 'floor.sqlite3'}"}
        upgrade(floor_env["DATABASE_URL"])
        floor_server = plain_gunicorn("floor_app:app", floor_port, floor_env, ROOT / "bench")
        servers.append(floor_server)
    try:
        for port in (app_port, hello_port) + ((floor_port,) if floor_server else ()):
            wait_up(port)
        time.sleep(1.0)
        # Distinct messages for each run: a repeated MsgId is a retry, answered from the
        # cache, and would flatter the figures.
        fixed = requests_for(settings, int(options.rate * options.seconds), offset=0)
        print(
            f"machine: {os.cpu_count()} cores; gunicorn {options.web_workers} workers x {threads} "
            f"threads; database {settings.database_url.split('://')[0]}; load generator "
            "on the same machine"
        )
        closed_loop(app_port, requests_for(settings, 300, offset=2 * 10**6), 4, 2)  # warm-up
        results = {"gridbot fixed rate": fixed_rate(app_port, fixed, options.rate, options.seconds)}
        # The closed loops alternate, round by round: the host's speed drifts over a minute,
        # and a ratio taken from runs side by side is steadier than one of runs far apart.
        postgres = settings.database_url.startswith("postgres")
        meters = {"gridbot": (app_port, CpuMeter(app_server, postgres))}
        meters["bare Flask"] = (hello_port, CpuMeter(hello_server, postgres))
        if floor_server:
            meters["floor"] = (floor_port, CpuMeter(floor_server, postgres))
        shares: dict[str, list[float]] = {name: [] for name in meters if name != "bare Flask"}
        for round_ in range(1, options.rounds + 1):
            loop = requests_for(settings, 12000, offset=round_ * 10**6 + 10**7)
            for name, (port, meter) in meters.items():
                before = meter.read()
                run = closed_loop(port, loop, options.connections, options.seconds)
                results[f"{name} closed loop {round_}"] = run | meter.per_message(
                    before, run["requests"]
                )
            bare = results[f"bare Flask closed loop {round_}"]["throughput"]
            for name, ratios in shares.items():
                ratios.append(results[f"{name} closed loop {round_}"]["throughput"] / bare)
        print(f"{'run':<26}{'requests':>9}{'errors':>8}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
        for name, row in results.items():
            print(
                f"{name:<26}{row['requests']:>9.0f}{row['errors']:>8.0f}"
                f"{row['throughput']:>9.1f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
            )
        groups = list(meters["gridbot"][1].groups)
        print("CPU ms per message (user + system), closed loops: " + ", ".join(groups))
        for name, row in results.items():
            if "cpu web" in row:
                cells = "".join(f"{row[f'cpu {group}']:>9.2f}" for group in groups)
                total = sum(row[f"cpu {group}"] for group in groups)
                print(f"{name:<26}{cells}{total:>9.2f} total")
        for name, ratios in shares.items():
            rounds = ", ".join(f"{100 * r:.0f}%" for r in ratios)
            print(
                f"{name} throughput = {100 * statistics.median(ratios):.0f}% of bare Flask "
                f"(median of rounds: {rounds})" + ("; target >= 30%" if name == "gridbot" else "")
            )
        print(
            f"p99 at {options.rate:.0f} msg/s = "
            f"{results['gridbot fixed rate']['p99_ms']:.1f} ms; target < 50 ms"
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
        if redis_server:
            redis_server.stop()


if __name__ == "__main__":
    main()
