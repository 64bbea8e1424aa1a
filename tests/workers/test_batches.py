"""Deadline checks and pushes in batches: one check job escalates every overdue case, a
batch at a time, each once; pushes go out a few at a time, claimed and recorded together."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select, update

from cases.clock import utcnow
from cases.locking import lock_case, lock_due
from cases.models import Case, Push
from workers import escalation, notices
from workers.context import WorkerContext
from workers.delivery import Outcome, deliver
from workers.enqueue import queue_names
from workers.options import OptionsError, WorkerOptions
from workers.outbox import add_pushes
from wxstub import StubWeChat

from .support import level_of, open_case, snapshot


def make_overdue(ctx: WorkerContext, count: int, *, seconds_ago: float = 5.0) -> list[int]:
    """`count` dispatched cases at the grid whose take deadline passed, earliest first."""
    ids = [open_case(ctx, openid=f"oRESIDENT{i}")[0] for i in range(count)]
    now = utcnow()
    with ctx.domain.db.session() as session:
        for offset, case_id in enumerate(ids):
            session.execute(
                update(Case)
                .where(Case.id == case_id)
                .values(
                    dispatched_stage=0,
                    due_at=now - timedelta(seconds=seconds_ago) + timedelta(milliseconds=offset),
                )
            )
    return ids


def pending_pushes(ctx: WorkerContext, kind: str, openids: list[str]) -> tuple[int, list[int]]:
    """A new case (id) with a pending push of `kind` to each of `openids` (their ids)."""
    case_id, _ = open_case(ctx)
    with ctx.domain.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        targets = [("grid", openid) for openid in openids]
        return case_id, add_pushes(session, case, 0, kind, targets, utcnow())


def test_one_check_escalates_every_overdue_case_in_batches_each_once(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    overdue = make_overdue(ctx, 7)
    (waiting,) = make_overdue(ctx, 1, seconds_ago=-60)  # due in a minute: left alone
    assert escalation.check_due(ctx, batch=3) == 7
    assert escalation.check_due(ctx, batch=3) == 0  # run again: nothing more to do
    for case_id in overdue:
        snap = snapshot(ctx, case_id)
        assert snap.moves[-1] == ("escalate", "grid", "courtyard")
        assert snap.sent() == [(1, "courtyard", "oCOUNCIL001")]
        assert snap.case.due_at is not None and snap.case.due_at > utcnow()
    assert snapshot(ctx, waiting).case.level == "grid"
    assert len(stub.messages("oCOUNCIL001")) == 7
    # The residents' notices were written in the same transactions and wait for their job.
    pending = Counter(p.status for c in overdue for p in snapshot(ctx, c).pushes)
    assert pending == {"sent": 7, "pending": 7}
    assert all(e.notified_at for c in overdue for e in snapshot(ctx, c).events[-1:])
    results = notices.send_pending(ctx, batch=2)
    assert [r.outcome for r in results] == [Outcome.SENT] * 7
    assert {c.touser for c in stub.messages()} >= {f"oRESIDENT{i}" for i in range(7)}
    assert notices.send_pending(ctx) == []


def test_a_check_leaves_cases_taken_or_not_yet_due_alone(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    (taken,) = make_overdue(ctx, 1)
    with ctx.domain.db.session() as session:  # taken in time: a fresh deadline (resolve)
        session.execute(
            update(Case)
            .where(Case.id == taken)
            .values(status="acknowledged", due_at=utcnow() + timedelta(minutes=5))
        )
    assert escalation.check_due(ctx) == 0
    assert snapshot(ctx, taken).case.level == "grid"
    assert stub.messages() == []


def test_notices_that_failed_once_wait_for_their_own_retry(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    pending_pushes(ctx, "notice:0", ["oRESIDENT1"])
    with ctx.domain.db.session() as session:
        session.execute(update(Push).values(attempts=1))  # tried once, backing off
    assert notices.send_pending(ctx) == []
    assert stub.messages() == []


def test_pushes_go_out_a_few_at_a_time_and_each_once(ctx: WorkerContext, stub: StubWeChat) -> None:
    ctx.options = replace(ctx.options, send_concurrency=4)  # three rounds for eleven pushes
    openids = [f"oSTAFF{i:02d}" for i in range(11)]
    _, ids = pending_pushes(ctx, "dispatch", openids)
    results = deliver(ctx, ids + ids, final=False)  # each id twice: sent once
    assert sorted(r.push_id for r in results) == ids
    assert {r.outcome for r in results} == {Outcome.SENT}
    assert sorted(c.touser for c in stub.messages()) == openids
    with ctx.domain.db.session() as session:
        statuses = session.scalars(select(Push.status).where(Push.id.in_(ids))).all()
    assert set(statuses) == {"sent"}


def test_a_failure_in_a_batch_is_recorded_for_that_push_only(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    case_id, ids = pending_pushes(ctx, "dispatch", ["oA", "oB"])
    stub.fail_next("message/template/send", errcode=40003, openid="oB")  # bad openid: for good
    results = {r.push_id: r.outcome for r in deliver(ctx, ids, final=False)}
    assert results == {ids[0]: Outcome.SENT, ids[1]: Outcome.FAILED}
    assert [e.kind for e in snapshot(ctx, case_id).events][-1] == "push_failed"


def test_two_workers_checking_at_once_share_the_overdue_cases(ctx: WorkerContext) -> None:
    make_overdue(ctx, 4)
    db = ctx.domain.db
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the second waits, then finds none due")
    now = utcnow()
    with db.session() as first, db.session() as second:
        mine = lock_due(first, now, 3)
        theirs = lock_due(second, now, 3)  # skips the locked ones instead of waiting
    assert len(mine) == 3 and len(theirs) == 1
    assert not {c.id for c in mine} & {c.id for c in theirs}


def test_send_concurrency_from_the_environment() -> None:
    assert WorkerOptions.from_env({"GRIDBOT_SEND_CONCURRENCY": "32"}).send_concurrency == 32
    for bad in ("0", "2.5", "many"):
        with pytest.raises(OptionsError, match="GRIDBOT_SEND_CONCURRENCY"):
            WorkerOptions.from_env({"GRIDBOT_SEND_CONCURRENCY": bad})


def test_a_case_held_during_a_check_is_checked_again_soon(ctx: WorkerContext) -> None:
    """PostgreSQL's check skips a case another transaction holds (a staff member's take in
    flight): the job schedules a check of its own a moment later, rather than leave the case
    to the sweeper's grace."""
    (case_id,) = make_overdue(ctx, 1)
    db = ctx.domain.db
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's check waits for the writer instead of skipping the case")
    with db.session() as holder:
        lock_case(holder, case_id)
        started = utcnow()
        assert escalation.check_due(ctx) == 0
    registry = ScheduledJobRegistry(queue_names(ctx.prefix)[0], connection=ctx.redis)
    (ident,) = registry.get_job_ids()
    at = registry.get_scheduled_time(ident).replace(tzinfo=None)
    assert started < at < started + timedelta(seconds=2)
    assert escalation.check_due(ctx) == 1  # that check, once the holder is done
    assert level_of(ctx, case_id) == "courtyard"
