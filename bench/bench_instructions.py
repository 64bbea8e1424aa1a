"""Instructions per message: gridbot, the floor (bench/floor_app.py) and a bare Flask "hello",
each run in-process through Flask's test client, counted by `perf stat` or callgrind.

Time on a shared host drifts by a factor of two from one minute to the next; the number of
instructions a message takes does not (runs agree to within 1%). So this is the figure to
compare two versions of the code by; bench_webhook's throughput is the figure the target is
set in. Each app runs twice in a fresh process, once with no measured messages and once with
`--messages`: the difference, divided, is the cost of one message without the start-up.

    .venv/bin/python bench/bench_instructions.py [--messages 3000] [--counter auto]

Counts with `perf stat` (Debian: linux-perf; user and kernel instructions). On a virtual machine
whose CPU counters perf cannot read, it counts with valgrind's callgrind instead (user
instructions only, some fifty times slower, so 300 messages): the two counters' figures are
not comparable with each other, only within one. Needs a Redis (REDIS_URL, else an embedded
one); SQLite.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.embedded_redis import EmbeddedRedis  # noqa: E402

APPS = ("gridbot", "floor", "bare Flask")
WARM_UP = 300


def child(app_name: str, count: int, offset: int) -> None:
    """Build `app_name`, send WARM_UP messages, then `count` more (the ones measured)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_webhook import requests_for

    from cases.migrations import upgrade
    from config.settings import Settings

    settings = Settings.from_env()
    upgrade(settings.database_url)
    if app_name == "gridbot":
        from bot.app import create_app

        app = create_app(settings)
    elif app_name == "floor":
        from floor_app import app
    else:
        from flask import Flask

        app = Flask("hello")
        app.post("/wechat")(lambda: "hello")
    client = app.test_client()
    for path, body in requests_for(settings, WARM_UP + count, offset):
        response = client.post(path, data=body, content_type="text/xml")
        assert response.status_code == 200, response.data


COUNTERS = {
    "perf": ["perf", "stat", "-x", ",", "-e", "instructions", "--"],
    "callgrind": ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"],
}
CALLGRIND_MESSAGES = 300
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def instructions(counter: str, app_name: str, count: int, env: dict[str, str], offset: int) -> int:
    """Instructions of a whole child process that sends `count` messages, as `counter`
    counts them."""
    out = subprocess.run(
        [*COUNTERS[counter], sys.executable, __file__]
        + ["--child", app_name, "--messages", str(count), "--offset", str(offset)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    if counter == "callgrind":
        found = _COLLECTED.search(out.stderr)
        if found:
            return int(found.group(1))
    for line in out.stderr.splitlines():
        value, _, rest = line.partition(",")
        if "instructions" in rest and value.isdigit():
            return int(value)
        if "instructions" in rest and value in ("<not supported>", "<not counted>"):
            raise RuntimeError(f"perf cannot count here ({value}): use --counter callgrind")
    raise RuntimeError(f"{counter} counted no instructions:\n{out.stderr[-2000:]}")


def choose_counter(wanted: str, env: dict[str, str]) -> str | None:
    """`wanted`, or for "auto" perf where it can count and else callgrind; None for neither."""
    if wanted != "auto":
        return wanted if shutil.which(COUNTERS[wanted][0]) else None
    if shutil.which("perf"):
        probe = subprocess.run(
            [*COUNTERS["perf"], sys.executable, "-c", "pass"],
            env=env,
            capture_output=True,
            text=True,
        )
        if any(line.split(",")[0].isdigit() for line in probe.stderr.splitlines()):
            return "perf"
    return "callgrind" if shutil.which("valgrind") else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--child", choices=APPS)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--counter", choices=("auto", *COUNTERS), default="auto")
    options = parser.parse_args()
    if options.child:
        child(options.child, options.messages, options.offset)
        return
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    env.pop("WECHAT_TOKEN", None)
    counter = choose_counter(options.counter, env)
    if counter is None:
        print("bench_instructions: skipped, it needs perf (Debian: linux-perf) or valgrind")
        return
    messages = options.messages
    if counter == "callgrind" and options.counter == "auto":
        messages = min(messages, CALLGRIND_MESSAGES)
    tmp = Path(tempfile.mkdtemp(prefix="gridbot-insn-"))
    redis_server = None
    if "REDIS_URL" not in env:
        redis_server = EmbeddedRedis(tmp / "redis", persist=False)
        env["REDIS_URL"] = redis_server.start()
    try:
        print(f"instructions per message, in-process (Flask's test client), {messages}")
        print("messages after a warm-up, SQLite; the same messages as bench_webhook;")
        print(f"counted by {counter}")
        for number, name in enumerate(APPS):
            # A database file of its own for each run; MsgIds never seen before.
            runs = []
            for count in (0, messages):
                run_env = env | {"DATABASE_URL": f"sqlite:///{tmp / f'{number}-{count}.db'}"}
                offset = (number * 2 + 1) * 10**8 + count
                runs.append(instructions(counter, name, count, run_env, offset))
            per_message = (runs[1] - runs[0]) / messages
            print(f"{name:<12}{per_message / 1e6:>8.2f} M")
    finally:
        if redis_server:
            redis_server.stop()


if __name__ == "__main__":
    main()
