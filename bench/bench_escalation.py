"""Escalation under load: 10,000 open cases whose take deadlines fall within one minute, two
worker processes; how late is each case escalated and its new level pushed?

    .venv/bin/python bench/bench_escalation.py [--cases 10000] [--window 60] [--workers 2]

By default it runs on a fresh SQLite file and an embedded redis-server in a temporary folder;
DATABASE_URL (e.g. PostgreSQL) and REDIS_URL are used if set (the bench adds 10,000+ cases
to that database, and expects the Redis queues to be empty). The WeChat API is the local
stand-in, in its own process. It then times the sweeper with few and with many open cases,
to show that its cost follows the number of owed cases, not of all cases.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from bot.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from cases.clock import utcnow  # noqa: E402
from cases.migrations import upgrade  # noqa: E402
from cases.models import Case, CaseEvent, Push, Resident  # noqa: E402
from cases.org import Address  # noqa: E402
from config.settings import CONFIG_DIR, Settings  # noqa: E402
from workers.context import WorkerContext  # noqa: E402
from workers.enqueue import check_moment, schedule_check  # noqa: E402
from workers.options import WorkerOptions, worker_env  # noqa: E402
from workers.sweeper import sweep  # noqa: E402

POLICY = """\
levels: [grid, courtyard, community, street]
default: {start: grid, ack_within: 30m, resolve_within: 2d}
"""
TARGET = 2.0  # seconds after the deadline, p99
LEAD = 20.0  # seconds between the end of setup and the first deadline
# The push that tells the next level (stage 1) of an escalated case, sent.
ESCALATION_SENT = (Push.stage == 1, Push.kind == "dispatch", Push.status == "sent")


def main() -> int:
    logging.getLogger("workers").setLevel(logging.ERROR)  # the sweeps below log what they find
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=60.0, help="deadlines spread over (s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-residents", action="store_true", help="cases without a resident")
    parser.add_argument(
        "--send-concurrency", type=int, default=WorkerOptions.send_concurrency, help="per worker"
    )
    parser.add_argument(
        "--wechat-latency", type=float, default=0.0, help="seconds each WeChat API call takes"
    )
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gridbot-bench-")))
        settings = _services(stack, tmp, args.wechat_latency)
        print(_header(settings, args))
        ctx = WorkerContext.from_settings(settings, WorkerOptions())
        stack.callback(ctx.close)
        upgrade(settings.database_url)
        _refuse_a_database_in_use(ctx)
        residents = [] if args.no_residents else _residents(ctx, 500)
        started = time.perf_counter()
        first_due = utcnow() + timedelta(seconds=LEAD + args.cases / 4000)
        cases = _insert_cases(ctx, args.cases, first_due, args.window, residents)
        print(f"setup: {args.cases} cases written in {time.perf_counter() - started:.1f} s", end="")
        started = time.perf_counter()
        for moment in sorted({check_moment(due_at) for _, due_at in cases}):
            schedule_check(ctx.redis, moment)
        print(f", their deadline checks scheduled in {time.perf_counter() - started:.1f} s")
        workers = _start_workers(stack, settings, tmp, args.workers, args.send_concurrency)
        _wait_ready(ctx.redis, args.workers)
        last_due = first_due + timedelta(seconds=args.window)
        print(f"first deadline in {(first_due - utcnow()).total_seconds():.1f} s; waiting …")
        _wait_escalated(ctx, len(cases), last_due + timedelta(seconds=60))
        notices = _notices_sent(ctx)
        _stop(workers)
        if os.environ.get("BENCH_DEBUG"):
            _debug(ctx, first_due)
        print(_report(_lateness(ctx, dict(cases)), len(cases)))
        if not args.no_residents:
            print(
                f"  resident notices (low-priority queue) sent by then: {notices} of {len(cases)}"
            )
        print(_sweeper_costs(ctx, args.cases))
    return 0


def _services(stack: ExitStack, tmp: Path, latency: float = 0.0) -> Settings:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        server = EmbeddedRedis(tmp / "redis", persist=False)
        redis_url = server.start()
        stack.callback(server.stop)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'bench.sqlite3'}"
    port = free_port()
    stub = subprocess.Popen(
        [sys.executable, "-m", "wxstub", "--port", str(port), "--latency", str(latency)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    stack.callback(_stop, [stub])
    _wait_http(f"http://127.0.0.1:{port}/_stub/calls")
    policy = tmp / "escalation.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return Settings(
        redis_url=redis_url,
        database_url=database_url,
        wechat_api_base=f"http://127.0.0.1:{port}/cgi-bin/",
        wechat_template_id="TPL-BENCH",
        escalation_path=policy,
        org_path=CONFIG_DIR / "org.yaml",
        media_dir=tmp / "media",
    )


def _header(settings: Settings, args: argparse.Namespace) -> str:
    database = settings.database_url.split("@")[-1].split("/")[0]
    kind = "SQLite" if settings.database_url.startswith("sqlite") else f"PostgreSQL ({database})"
    return (
        f"bench_escalation: {args.cases} cases due within {args.window:.0f} s, "
        f"{args.workers} workers, {kind}, Redis {settings.redis_url.split('@')[-1]}, "
        f"{os.cpu_count()} cores, residents {'no' if args.no_residents else 'yes'}, "
        f"WeChat answers in {args.wechat_latency * 1000:.0f} ms, "
        f"{args.send_concurrency} pushes in flight per worker, "
        f"load average before {os.getloadavg()[0]:.2f}"
    )


def _refuse_a_database_in_use(ctx: WorkerContext) -> None:
    """The workers sweep the whole database: cases of others would be escalated too."""
    with ctx.domain.db.session() as session:
        if session.scalar(select(func.count()).select_from(Case)):
            raise SystemExit(
                f"{ctx.settings.database_url}: this database holds cases already, and the "
                "workers would act on them too; give the bench an empty database of its own"
            )


def _residents(ctx: WorkerContext, count: int) -> list[tuple[int, str]]:
    with ctx.domain.db.session() as session:
        rows = [{"openid": f"oBENCH{i:05d}", "created_at": utcnow()} for i in range(count)]
        session.execute(insert(Resident), rows)
        return [(r.id, r.openid) for r in session.scalars(select(Resident))]


def _insert_cases(
    ctx: WorkerContext,
    count: int,
    first_due: datetime,
    window: float,
    residents: list[tuple[int, str]],
) -> list[tuple[int, datetime]]:
    """Open cases already pushed to their grid, as the dispatch job leaves them, spread over
    the courtyards and residents, their deadlines over `window` seconds from `first_due`."""
    addresses = [ctx.domain.org.address(u.code) for u in ctx.domain.org.courtyards]
    rows = [
        {
            **_case_row(f"B{i:07d}", addresses[i % len(addresses)]),
            "resident_id": residents[i % len(residents)][0] if residents else None,
            "openid": residents[i % len(residents)][1] if residents else None,
            "text": f"压测工单 {i}：楼道灯坏了",
            "due_at": first_due + timedelta(seconds=window * i / count),
        }
        for i in range(count)
    ]
    _bulk_insert(ctx, rows)
    with ctx.domain.db.session() as session:
        return [
            (case_id, due_at)
            for case_id, due_at in session.execute(
                select(Case.id, Case.due_at).where(Case.number.like("B%")).order_by(Case.id)
            )
        ]


def _case_row(number: str, address: Address) -> dict[str, Any]:
    """The columns of an open repair case at the grid, dispatched, created now."""
    now = utcnow()
    return {
        "number": number,
        "intent": "repair",
        "status": "open",
        "level": "grid",
        "street": address.street,
        "community": address.community,
        "courtyard": address.courtyard,
        "grid": address.grid,
        "created_at": now,
        "updated_at": now,
        "level_since": now,
        "stage": 0,
        "dispatched_stage": 0,
    }


def _bulk_insert(ctx: WorkerContext, rows: list[dict[str, Any]]) -> None:
    with ctx.domain.db.session() as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Case), rows[start : start + 5000])
    _analyze(ctx)


def _start_workers(
    stack: ExitStack, settings: Settings, tmp: Path, count: int, send_concurrency: int
) -> list[subprocess.Popen[bytes]]:
    env = worker_env(settings, WorkerOptions(send_concurrency=send_concurrency))
    workers = []
    for n in range(count):
        log = (tmp / f"worker{n}.log").open("ab")
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "workers", "--name", f"bench-{n}"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        log.close()
    stack.callback(_stop, workers)
    return workers


def _wait_ready(conn: redis.Redis, count: int) -> None:
    from rq import Worker

    deadline = time.monotonic() + 30
    while len(Worker.all(connection=conn)) < count:
        if time.monotonic() > deadline:
            raise SystemExit("the workers did not start")
        time.sleep(0.2)


def _wait_escalated(ctx: WorkerContext, count: int, until: datetime) -> None:
    """Until `count` cases have their second level pushed, or `until`."""
    while utcnow() < until:
        with ctx.domain.db.session() as session:
            done = session.scalar(select(func.count()).select_from(Push).where(*ESCALATION_SENT))
        if (done or 0) >= count:
            return
        time.sleep(1.0)


def _notices_sent(ctx: WorkerContext) -> int:
    with ctx.domain.db.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Push)
                .where(Push.kind.like("notice:%"), Push.status == "sent")
            )
            or 0
        )


def _lateness(ctx: WorkerContext, deadlines: dict[int, datetime]) -> list[tuple[float, float]]:
    """(escalated, pushed) seconds after each case's first deadline, for the cases done."""
    with ctx.domain.db.session() as session:
        escalated = dict(
            session.execute(
                select(CaseEvent.case_id, CaseEvent.at).where(
                    CaseEvent.kind == "escalate", CaseEvent.from_level == "grid"
                )
            ).all()
        )
        pushed = dict(
            session.execute(select(Push.case_id, Push.sent_at).where(*ESCALATION_SENT)).all()
        )
    return [
        (
            (escalated[case_id] - due_at).total_seconds(),
            (pushed[case_id] - due_at).total_seconds(),
        )
        for case_id, due_at in sorted(deadlines.items(), key=lambda item: item[1])
        if case_id in escalated and case_id in pushed
    ]


def _by_slice(lateness: list[tuple[float, float]], slices: int = 6) -> str:
    """p99 of the push lateness for each sixth of the deadlines, in deadline order: flat means
    the workers keep up, rising means a backlog builds."""
    size = max(len(lateness) // slices, 1)
    parts = [
        percentile([p for _, p in lateness[i : i + size]], 99)
        for i in range(0, size * slices, size)
        if lateness[i : i + size]
    ]
    return "  p99 by sixth of the window: " + ", ".join(f"{p:.2f}" for p in parts) + " s"


def _debug(ctx: WorkerContext, first_due: datetime) -> None:
    with ctx.domain.db.session() as session:
        times = session.scalars(
            select(Push.sent_at).where(Push.stage == 1, Push.kind == "dispatch")
        ).all()
    per = {}
    for t in times:
        second = int((t - first_due).total_seconds())
        per[second] = per.get(second, 0) + 1
    print("pushes per second:", [per.get(i, 0) for i in range(min(per), max(per) + 1)])


def _report(lateness: list[tuple[float, float]], count: int) -> str:
    if not lateness:
        return "no case was escalated: see the worker logs"
    lines = [f"escalated and pushed: {len(lateness)} of {count} cases"]
    for name, values in (
        ("escalated", [e for e, _ in lateness]),
        ("pushed   ", [p for _, p in lateness]),
    ):
        lines.append(
            f"  {name} after the deadline: p50 {percentile(values, 50):.2f} s, "
            f"p90 {percentile(values, 90):.2f} s, p99 {percentile(values, 99):.2f} s, "
            f"max {max(values):.2f} s; never early: {min(values) >= 0}"
        )
    lines.append(_by_slice(lateness))
    pushed = [p for _, p in lateness]
    within = sum(1 for p in pushed if p <= TARGET) / count * 100
    p99 = percentile(pushed, 99) if len(lateness) == count else float("inf")
    verdict = "MET" if p99 <= TARGET else "MISSED"
    lines.append(
        f"  target p99 <= {TARGET:.0f} s after the deadline: {verdict} "
        f"({within:.1f} % of all cases pushed within {TARGET:.0f} s)"
    )
    return "\n".join(lines)


def _sweeper_costs(ctx: WorkerContext, count: int) -> str:
    """Sweep times as the open cases grow sixfold, then as owed work appears."""
    with ctx.domain.db.session() as session:  # notices the stopped workers left unsent
        session.execute(
            update(CaseEvent).where(CaseEvent.notified_at.is_(None)).values(notified_at=utcnow())
        )
        session.execute(update(Push).where(Push.status == "pending").values(status="sent"))
    _analyze(ctx)
    lines = ["sweeper (median of 5 sweeps):"]
    lines.append(_sweep_line(ctx))
    _add_cases(ctx, 5 * count, due_in=timedelta(hours=1), prefix="F")
    lines.append(_sweep_line(ctx))
    _add_cases(ctx, max(count // 10, 1), due_in=timedelta(hours=-1), prefix="L")
    lines.append(_sweep_line(ctx) + " (deadline checks lost: found and enqueued)")
    return "\n".join(lines)


def _sweep_line(ctx: WorkerContext) -> str:
    reports = [sweep(ctx) for _ in range(5)]
    owed = sum(reports[0].found.values())
    millis = statistics.median(r.seconds * 1000 for r in reports)
    return f"  {_open_cases(ctx):>6} open cases, {owed:>5} owed: {millis:6.1f} ms"


def _open_cases(ctx: WorkerContext) -> int:
    with ctx.domain.db.session() as session:
        return int(session.scalar(select(func.count()).where(Case.status == "open")) or 0)


def _add_cases(ctx: WorkerContext, count: int, due_in: timedelta, prefix: str) -> None:
    address = ctx.domain.org.address(ctx.domain.org.courtyards[0].code)
    due_at = utcnow() + due_in
    _bulk_insert(
        ctx, [{**_case_row(f"{prefix}{i:07d}", address), "due_at": due_at} for i in range(count)]
    )


def _analyze(ctx: WorkerContext) -> None:
    """Fresh statistics after a bulk insert, as PostgreSQL's autovacuum soon makes them (its
    planner would otherwise not know the owed-work indexes are small)."""
    if ctx.domain.db.engine.dialect.name == "postgresql":
        with ctx.domain.db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def _wait_http(url: str) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                json.load(response)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


if __name__ == "__main__":
    raise SystemExit(main())
