"""The sweeper: what makes the database the truth. Run every minute by one worker, it finds
work the database says is owed and Redis does not hold, and enqueues it:

- cases whose stage was never dispatched (Redis was down when the resident wrote);
- cases whose deadline passed `grace` ago with no check (a lost scheduled job);
- pushes still pending (a crash between writing and sending them), and pushes "sending" for
  longer than any send takes (the sender died mid-call: marked "unconfirmed", never re-sent);
- resident notices never written, attachments never fetched.

Each query reads a partial or range index holding only owed rows, so a sweep costs in
proportion to the work owed, not to the number of cases. Work that Redis does hold (queued,
scheduled, or started by a live worker) is left alone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq.job import Job
from rq.utils import utcparse
from sqlalchemy import Select, select, update

from cases.clock import utcnow
from cases.models import (
    NOTICE_OWED,
    PUSH_OPEN,
    UNDISPATCHED,
    UNFETCHED,
    Attachment,
    Case,
    CaseEvent,
    Push,
)
from workers import enqueue as queueing
from workers.context import WorkerContext
from workers.outbox import is_notice

log = logging.getLogger(__name__)

LIMIT = 2000  # rows per kind of work per sweep; the rest waits for the next sweep
ALIVE = {"queued", "scheduled", "deferred"}
# The queries below use the partial indexes' own predicates (NOTICE_OWED, PUSH_OPEN, ...,
# from cases/models.py), so that SQLite and PostgreSQL recognise the indexes as usable.


@dataclass(frozen=True)
class Owed:
    job: str
    args: tuple[int, ...]
    ident: str  # the id the normal path would have used
    low: bool | None = None


@dataclass
class SweepReport:
    found: dict[str, int] = field(default_factory=dict)  # owed work, by job
    enqueued: dict[str, int] = field(default_factory=dict)
    unconfirmed: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"sweep: owed {self.found or 'nothing'}, enqueued {self.enqueued or 'nothing'}, "
            f"{self.unconfirmed} unconfirmed, {self.seconds * 1000:.0f} ms"
        )


def sweep(ctx: WorkerContext, now: datetime | None = None) -> SweepReport:
    started = time.perf_counter()
    now = now or utcnow()
    report = SweepReport()
    owed = find_owed(ctx, now)
    with ctx.domain.db.session() as session:
        report.unconfirmed = session.execute(
            update(Push)
            .where(
                PUSH_OPEN,
                Push.created_at < now,
                Push.status == "sending",
                Push.attempted_at < now - timedelta(seconds=ctx.options.stale_after),
            )
            .values(status="unconfirmed", detail="the sender stopped during the call")
        ).rowcount
    for item in owed:
        report.found[item.job] = report.found.get(item.job, 0) + 1
    for item in _missing_from_redis(
        ctx.redis, list(dict.fromkeys(owed)), now, ctx.options.stale_after
    ):
        ident = item.ident
        if _exists(ctx.redis, ident):  # failed, or started by a dead worker: a new id
            ident = f"{ident}-s{int(now.replace(tzinfo=UTC).timestamp())}"
        queueing.enqueue(
            ctx.redis, item.job, item.args, prefix=ctx.prefix, ident=ident, low=item.low
        )
        report.enqueued[item.job] = report.enqueued.get(item.job, 0) + 1
    report.seconds = time.perf_counter() - started
    if report.enqueued or report.unconfirmed:
        log.warning("%s", report)
    return report


def owed_queries(cutoff: datetime) -> dict[str, Select[Any]]:
    """The sweeper's queries by job: each reads an index that holds owed rows only (a partial
    index, or the deadline index up to `cutoff`)."""
    return {
        # No status condition: it would tempt the planner onto the status index, which holds
        # every open case. Only active cases have a deadline, and the dispatch job marks an
        # inactive case's stage as dispatched (nothing to push), so neither holds other cases.
        "dispatch_case": select(Case.id, Case.stage)
        .where(UNDISPATCHED)
        .order_by(Case.id)
        .limit(LIMIT),
        "check_due": select(Case.id)
        .where(Case.due_at < cutoff, Case.dispatched_stage >= Case.stage)
        .order_by(Case.due_at)
        .limit(LIMIT),
        "deliver_push": select(Push.id, Push.kind)
        .where(PUSH_OPEN, Push.created_at < cutoff, Push.status == "pending")
        .order_by(Push.created_at)
        .limit(LIMIT),
        "notify_resident": select(CaseEvent.id)
        .where(NOTICE_OWED, CaseEvent.at < cutoff)
        .order_by(CaseEvent.at)
        .limit(LIMIT),
        "fetch_attachment": select(Attachment.id)
        .where(UNFETCHED, Attachment.created_at < cutoff)
        .order_by(Attachment.created_at)
        .limit(LIMIT),
    }


def find_owed(ctx: WorkerContext, now: datetime) -> list[Owed]:
    """Everything the database says should be happening."""
    prefix = ctx.prefix
    queries = owed_queries(now - timedelta(seconds=ctx.options.grace))
    owed: list[Owed] = []
    with ctx.domain.db.session() as session:
        for case_id, stage in session.execute(queries["dispatch_case"]):
            ident = queueing.job_id(prefix, "dispatch_case", case_id, stage)
            owed.append(Owed("dispatch_case", (case_id, stage), ident))
        # One check job escalates every overdue case: owed once per case, enqueued once.
        moment = queueing.check_moment(now)
        check = Owed("check_due", (moment,), queueing.job_id(prefix, "check_due", moment))
        owed += [check for _ in session.execute(queries["check_due"])]
        for push_id, kind in session.execute(queries["deliver_push"]):
            ident = queueing.job_id(prefix, "deliver_push", push_id)
            owed.append(Owed("deliver_push", (push_id,), ident, is_notice(kind)))
        for (event_id,) in session.execute(queries["notify_resident"]):
            ident = queueing.job_id(prefix, "notify_resident", event_id)
            owed.append(Owed("notify_resident", (event_id,), ident))
        for (attachment_id,) in session.execute(queries["fetch_attachment"]):
            ident = queueing.job_id(prefix, "fetch_attachment", attachment_id)
            owed.append(Owed("fetch_attachment", (attachment_id,), ident))
    return owed


def _missing_from_redis(
    conn: redis.Redis, owed: list[Owed], now: datetime, stale_after: float
) -> list[Owed]:
    """The owed work whose job is not queued, scheduled, or started by a live worker."""
    if not owed:
        return []
    with conn.pipeline(transaction=False) as pipe:
        for item in owed:
            pipe.hmget(Job.key_for(item.ident), "status", "started_at")
        states = pipe.execute()
    stale = now.replace(tzinfo=UTC).timestamp() - stale_after
    missing = []
    for item, (status, started_at) in zip(owed, states, strict=True):
        status = status.decode() if status else None
        if status in ALIVE:
            continue
        if status == "started" and started_at and _epoch(started_at) > stale:
            continue
        missing.append(item)
    return missing


def _exists(conn: redis.Redis, ident: str) -> bool:
    return bool(conn.exists(Job.key_for(ident)))


def _epoch(value: bytes) -> float:
    return utcparse(value.decode()).timestamp()
