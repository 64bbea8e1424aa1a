"""Helpers of the worker tests: open cases, run burst workers until something holds, read what
happened, and start real worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select

from cases import lifecycle
from cases.followups import Followup
from cases.models import Case, CaseEvent, Push, Resident
from config.settings import PROJECT_ROOT, Settings
from workers.context import WorkerContext
from workers.enqueue import enqueue_followups
from workers.options import WorkerOptions, worker_env
from workers.runner import GridbotWorker, make_worker

T = TypeVar("T")


def open_case(
    ctx: WorkerContext,
    intent: str = "repair",
    *,
    courtyard: str | None = "lvchang",
    building: str | None = "3",
    openid: str | None = "oRESIDENT1",
    last_message_at: datetime | None = None,
    text: str = "3号楼楼道灯坏了",
) -> tuple[int, int]:
    """A committed case (id, stage), as the webhook leaves it: no job enqueued yet."""
    with ctx.domain.db.session() as session:
        resident = None
        if openid:
            resident = session.scalar(select(Resident).where(Resident.openid == openid))
            if resident is None:
                resident = Resident(openid=openid)
                session.add(resident)
            resident.last_message_at = last_message_at
            session.flush()
        address = ctx.domain.org.address(courtyard, building) if courtyard else None
        new = lifecycle.NewCase(intent, text, address, building)
        case = lifecycle.open_case(session, ctx.domain.policy, resident, new)
        return case.id, case.stage


def enqueue(ctx: WorkerContext, *followups: Followup) -> None:
    assert enqueue_followups(ctx.redis, followups)


class BurstWorker(GridbotWorker):
    """Without rq's command channel, whose thread may take a second to stop after each burst."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


def run_jobs(ctx: WorkerContext) -> None:
    """One burst: due scheduled jobs are released, then every queued job runs."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = make_worker(ctx, worker_class=BurstWorker)
        worker.work(burst=True, with_scheduler=True, logging_level="WARNING")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def drain(ctx: WorkerContext, until: Callable[[], T], timeout: float = 10.0, what: str = "") -> T:
    """Run burst workers until `until()` is truthy; fail after `timeout` seconds."""

    def step() -> T:
        run_jobs(ctx)
        return until()

    return wait_for(step, timeout, what or str(until))


def wait_for(until: Callable[[], T], timeout: float = 10.0, what: str = "") -> T:
    """Poll `until()` (work done by other processes) with a bound."""
    deadline = time.monotonic() + timeout
    while True:
        result = until()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s: {what or until}")
        time.sleep(0.05)


@dataclass(frozen=True)
class Snapshot:
    """A case as read now, with its timeline and pushes (detached, plain values)."""

    case: Case
    events: list[CaseEvent]
    pushes: list[Push]

    @property
    def moves(self) -> list[tuple[str, str | None, str | None]]:
        return [(e.kind, e.from_level, e.to_level) for e in self.events]

    def sent(self, kind: str = "dispatch") -> list[tuple[int, str | None, str]]:
        return [
            (p.stage, p.level, p.openid)
            for p in self.pushes
            if p.status == "sent" and (p.kind == kind or p.kind.startswith(f"{kind}:"))
        ]


def snapshot(ctx: WorkerContext, case_id: int) -> Snapshot:
    with ctx.domain.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        events = list(
            session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
            )
        )
        pushes = list(
            session.scalars(select(Push).where(Push.case_id == case_id).order_by(Push.id))
        )
        session.expunge_all()
    return Snapshot(case, events, pushes)


def level_of(ctx: WorkerContext, case_id: int) -> str:
    return snapshot(ctx, case_id).case.level


def change(ctx: WorkerContext, case_id: int, move: Callable[[Any, Case], Any]) -> Any:
    """Apply a lifecycle move as a handler would, in its own transaction; returns its result
    (an event: read its id inside `move` if needed)."""
    with ctx.domain.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        result = move(session, case)
        session.flush()
        return result


class WorkerProcesses:
    """Real `python -m workers` processes, each in its own process group (so that killing one
    kills its scheduler child too). Only the processes started here are ever signalled."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "workers", "--name", name],
            env=self.env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL, as the OOM killer or a power cut would: no cleanup at all."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            try:  # the scheduler child, if it outlived its worker
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.log_dir.glob("*.log"))


@contextmanager
def worker_processes(
    settings: Settings, options: WorkerOptions, log_dir: Path
) -> Iterator[WorkerProcesses]:
    log_dir.mkdir(parents=True, exist_ok=True)
    workers = WorkerProcesses(worker_env(settings, options), log_dir)
    try:
        yield workers
    finally:
        workers.stop_all()
