"""The sweeper makes the database the truth: whatever Redis lost is found from SQL and done,
what Redis still holds is left alone, and each query reads an index of owed rows only."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
import redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from cases import lifecycle
from cases.clock import utcnow
from cases.followups import Followup
from cases.models import Attachment, Case, Push
from workers import escalation
from workers.context import WorkerContext
from workers.enqueue import job_id, queue_names
from workers.outbox import add_pushes
from workers.sweeper import owed_queries, sweep
from wxstub import StubWeChat

from .support import change, drain, enqueue, open_case, run_jobs, snapshot, wait_for


def test_a_case_never_dispatched_is_dispatched(ctx: WorkerContext, stub: StubWeChat) -> None:
    case_id, _ = open_case(ctx)  # committed while Redis was down: nothing enqueued
    report = sweep(ctx)
    assert report.enqueued == {"dispatch_case": 1}
    run_jobs(ctx)
    assert snapshot(ctx, case_id).sent() == [(0, "grid", "oGRID001")]
    assert sweep(ctx).found == {}


def test_a_lost_deadline_check_is_done(
    ctx: WorkerContext, stub: StubWeChat, redis_conn: redis.Redis
) -> None:
    case_id, stage = open_case(ctx)
    escalation.dispatch(ctx, case_id, stage)  # pushed, and its check scheduled …
    redis_conn.flushdb()  # … then Redis lost everything
    due_at = snapshot(ctx, case_id).case.due_at
    assert due_at is not None
    wait_for(lambda: utcnow() > due_at + timedelta(seconds=ctx.options.grace))
    assert sweep(ctx).enqueued == {"check_due": 1}
    run_jobs(ctx)
    assert snapshot(ctx, case_id).case.level == "courtyard"


def test_pending_pushes_are_sent_and_half_sent_ones_never_twice(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    case_id, _ = open_case(ctx, "elder_help")
    escalation.dispatch(ctx, case_id, 0)
    long_ago = utcnow() - timedelta(minutes=5)
    with ctx.domain.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        # A crash right after a step was committed, and one in the middle of a send.
        add_pushes(session, case, 0, "remind:0", [("grid", "oGRID001")], long_ago)
        add_pushes(session, case, 0, "remind:1", [("grid", "oGRID002")], long_ago)
        session.flush()
        session.execute(
            Push.__table__.update()
            .where(Push.kind == "remind:1")
            .values(status="sending", attempted_at=long_ago)
        )
    report = sweep(ctx)
    assert report.enqueued == {"deliver_push": 1} and report.unconfirmed == 1
    run_jobs(ctx)
    statuses = {p.kind: p.status for p in snapshot(ctx, case_id).pushes}
    assert statuses == {"dispatch": "sent", "remind:0": "sent", "remind:1": "unconfirmed"}
    assert len(stub.messages("oGRID001")) == 2 and stub.messages("oGRID002") == []


def test_owed_notices_and_downloads_are_done(
    ctx: WorkerContext, stub: StubWeChat, redis_conn: redis.Redis
) -> None:
    case_id, stage = open_case(ctx, "elder_help")
    escalation.dispatch(ctx, case_id, stage)
    a_while_ago = utcnow() - timedelta(seconds=10)

    def take_and_attach(session, case):  # type: ignore[no-untyped-def]
        lifecycle.take(session, ctx.domain.policy, case, "oGRID001", now=a_while_ago)
        session.add(Attachment(case=case, kind="image", media_id="photo-1", created_at=a_while_ago))

    change(ctx, case_id, take_and_attach)  # and the webhook could not enqueue the follow-ups
    assert sweep(ctx).enqueued == {"notify_resident": 1, "fetch_attachment": 1}
    run_jobs(ctx)
    assert "接单" in stub.messages("oRESIDENT1")[0].text
    with ctx.domain.db.session() as session:
        (attachment,) = session.query(Attachment).all()
        assert attachment.fetched_at and attachment.path == f"{case_id}/{attachment.id}.jpg"
    assert sweep(ctx).found == {}


def test_work_that_redis_holds_is_left_alone(
    ctx: WorkerContext, stub: StubWeChat, redis_conn: redis.Redis
) -> None:
    case_id, stage = open_case(ctx)
    enqueue(ctx, Followup.dispatch(case_id, stage))  # queued, not yet run
    report = sweep(ctx)
    assert report.found == {"dispatch_case": 1} and report.enqueued == {}
    main, _ = queue_names(ctx.prefix)
    assert Queue(main, connection=redis_conn).count == 1


def test_the_job_of_a_dead_worker_is_replaced(
    ctx: WorkerContext, stub: StubWeChat, redis_conn: redis.Redis
) -> None:
    case_id, stage = open_case(ctx)
    enqueue(ctx, Followup.dispatch(case_id, stage))
    ident = job_id(ctx.prefix, "dispatch_case", case_id, stage)
    main, _ = queue_names(ctx.prefix)
    Queue(main, connection=redis_conn).remove(ident)  # a worker took it, and died with it
    job = Job.fetch(ident, connection=redis_conn)
    job.set_status(JobStatus.STARTED)
    long_ago = (utcnow() - timedelta(minutes=5)).replace(tzinfo=UTC)
    redis_conn.hset(job.key, "started_at", long_ago.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    assert sweep(ctx).enqueued == {"dispatch_case": 1}
    drain(ctx, lambda: snapshot(ctx, case_id).sent(), what="the dispatch")
    assert len(stub.messages("oGRID001")) == 1


@pytest.mark.parametrize("job", list(owed_queries(utcnow())))
def test_each_sweep_query_can_read_an_index_of_owed_rows(ctx: WorkerContext, job: str) -> None:
    query = owed_queries(utcnow())[job]
    indexes = {
        "dispatch_case": "ix_cases_undispatched",
        "check_due": "ix_cases_due",
        "deliver_push": "ix_pushes_open",
        "notify_resident": "ix_case_events_notice_owed",
        "fetch_attachment": "ix_attachments_unfetched",
    }
    engine = ctx.domain.db.engine
    with engine.connect() as conn:
        sqlite_db = engine.dialect.name == "sqlite"
        dialect = sqlite.dialect() if sqlite_db else postgresql.dialect()
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if not sqlite_db:
            conn.execute(text("SET enable_seqscan = off"))  # tiny tables: ask what is usable
        explain = "EXPLAIN QUERY PLAN" if sqlite_db else "EXPLAIN"
        plan = " ".join(str(row) for row in conn.execute(text(f"{explain} {sql}")))
    assert indexes[job] in plan, plan
