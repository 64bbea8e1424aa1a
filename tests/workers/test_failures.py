"""The WeChat API answering errors, timeouts or 5xx: retries with backoff, then a failure on
the timeline; errors that retrying cannot mend are not retried; nothing is left stuck."""

from __future__ import annotations

import redis
from rq import Queue
from sqlalchemy import func, select

from cases import lifecycle
from cases.followups import Followup
from cases.models import Push
from workers.context import WorkerContext
from workers.enqueue import queue_names
from wxstub import StubWeChat

from .support import Snapshot, change, drain, enqueue, open_case, snapshot

TEMPLATE = "message/template/send"
CUSTOM = "message/custom/send"


def assert_nothing_stuck(ctx: WorkerContext) -> None:
    """No push waiting or half-sent, no job queued, scheduled, running or failed."""
    with ctx.domain.db.session() as session:
        open_pushes = session.scalar(
            select(func.count()).where(Push.status.in_(("pending", "sending")))
        )
    assert open_pushes == 0
    for name in queue_names(ctx.prefix):
        queue = Queue(name, connection=ctx.redis)
        assert queue.count == 0
        assert queue.failed_job_registry.count == 0
        assert queue.started_job_registry.count == 0


def test_5xx_is_retried_with_backoff_until_it_goes_through(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    stub.fail_next(TEMPLATE, http_status=502, times=2, openid="oGRID001")
    # A case that stays at the grid: a push for a level the case has left is not sent at all.
    case_id, stage = open_case(ctx, "elder_help")
    enqueue(ctx, Followup.dispatch(case_id, stage))
    drain(ctx, lambda: stub.messages("oGRID001"), timeout=5, what="the push, third time")
    attempts = stub.messages("oGRID001", ok=False)
    assert [c.status for c in attempts] == [502, 502, 200]
    assert attempts[1].at - attempts[0].at >= 0.9  # the backoff (1 s in these tests)
    snap = snapshot(ctx, case_id)
    (push,) = [p for p in snap.pushes if p.openid == "oGRID001"]
    assert (push.status, push.attempts) == ("sent", 3)
    assert "push_failed" not in [e.kind for e in snap.events]
    assert_nothing_stuck_but_the_check(ctx)


def assert_nothing_stuck_but_the_check(ctx: WorkerContext) -> None:
    with ctx.domain.db.session() as session:
        assert not session.scalar(
            select(func.count()).where(Push.status.in_(("pending", "sending")))
        )


def test_timeouts_fail_for_good_after_the_retries_and_the_level_is_skipped(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    stub.fail_next(TEMPLATE, delay=0.8, times=3, openid="oGRID001")  # the client waits 0.5 s
    case_id, stage = open_case(ctx, "elder_help")
    enqueue(ctx, Followup.dispatch(case_id, stage))
    snap = drain(
        ctx,
        lambda: (s := snapshot(ctx, case_id)).sent() and s,
        timeout=8,
        what="the failure, then the courtyard's push",
    )
    failures = [e for e in snap.events if e.kind == "push_failed"]
    assert len(failures) == 1 and "timeout" in failures[0].note and "赵网格" in failures[0].note
    (grid_push,) = [p for p in snap.pushes if p.openid == "oGRID001"]
    assert (grid_push.status, grid_push.attempts, grid_push.detail) == ("failed", 3, "timeout")
    # Nobody at the grid level could be told: the case went up without waiting for its deadline.
    assert snap.sent() == [(1, "courtyard", "oCOUNCIL001")]
    escalation = next(e for e in snap.events if e.kind == "escalate")
    assert escalation.note == "网格员的工作人员都无法通知到，自动上报"


def test_errors_that_retrying_cannot_mend_are_not_retried(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    stub.fail_next(TEMPLATE, errcode=43004, openid="oGRID001")  # not a follower
    case_id, stage = open_case(ctx, "elder_help")
    enqueue(ctx, Followup.dispatch(case_id, stage))
    snap = drain(
        ctx, lambda: (s := snapshot(ctx, case_id)).sent() and s, what="the courtyard's push"
    )
    assert len(stub.messages("oGRID001", ok=False)) == 1
    assert snap.sent() == [(1, "courtyard", "oCOUNCIL001")]
    (grid_push,) = [p for p in snap.pushes if p.openid == "oGRID001"]
    assert (grid_push.status, grid_push.errcode, grid_push.attempts) == ("failed", 43004, 1)
    assert [e.kind for e in snap.events].count("push_failed") == 1


def test_the_resident_gets_a_template_when_the_service_window_is_closed(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    from datetime import timedelta

    from cases import lifecycle
    from cases.clock import utcnow

    from .support import change

    stub.fail_next(CUSTOM, errcode=45015, openid="oRESIDENT1")  # our record said "open"
    case_id, _ = open_case(ctx, "elder_help", last_message_at=utcnow() - timedelta(hours=1))
    event = change(ctx, case_id, lambda s, c: lifecycle.take(s, ctx.domain.policy, c, "oGRID001"))
    enqueue(ctx, Followup.notify(event.id))
    drain(ctx, lambda: stub.messages("oRESIDENT1"), what="the notice")
    tries = stub.messages("oRESIDENT1", ok=False)
    assert [(c.path, c.errcode) for c in tries] == [(CUSTOM, 45015), (TEMPLATE, 0)]
    (push,) = [p for p in snapshot(ctx, case_id).pushes if p.kind.startswith("notice:")]
    assert (push.status, push.channel) == ("sent", "template")


def test_a_recent_resident_gets_a_customer_service_message(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    from datetime import timedelta

    from cases import lifecycle
    from cases.clock import utcnow

    from .support import change

    case_id, _ = open_case(ctx, "elder_help", last_message_at=utcnow() - timedelta(hours=47))
    event = change(ctx, case_id, lambda s, c: lifecycle.resolve(s, c, "oGRID001", "已修好"))
    enqueue(ctx, Followup.notify(event.id))
    (call,) = drain(ctx, lambda: stub.messages("oRESIDENT1"), what="the notice")
    assert call.path == CUSTOM
    assert "已办结：已修好" in call.text and "1–5" in call.text


def test_staff_get_text_messages_where_no_template_is_configured(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    ctx.settings = ctx.settings.replace(wechat_template_id=None)
    case_id, stage = open_case(ctx)
    enqueue(ctx, Followup.dispatch(case_id, stage))
    (call,) = drain(ctx, lambda: stub.messages("oGRID001"), what="the push")
    number = snapshot(ctx, case_id).case.number
    assert call.path == CUSTOM
    assert f"工单号：{number}" in call.text and f"{ctx.settings.public_url}/s/" in call.text


def has_failed_push(snap: Snapshot) -> bool:
    return any(p.status == "failed" for p in snap.pushes)


def test_a_push_fails_for_good_and_nothing_is_stuck(
    ctx: WorkerContext, stub: StubWeChat, redis_conn: redis.Redis
) -> None:
    stub.fail_next(TEMPLATE, errcode=-1, times=3, openid="oRESIDENT1")  # "system busy"
    case_id, _ = open_case(ctx, "elder_help")
    event = change(ctx, case_id, lambda s, c: lifecycle.take(s, ctx.domain.policy, c, "oGRID001"))
    enqueue(ctx, Followup.notify(event.id))
    snap = drain(
        ctx,
        lambda: s if has_failed_push(s := snapshot(ctx, case_id)) else None,
        timeout=6,
        what="the notice failing for good",
    )
    assert len(stub.messages("oRESIDENT1", ok=False)) == 3
    (failure,) = [e for e in snap.events if e.kind == "push_failed"]
    assert "居民" in failure.note
    assert_nothing_stuck(ctx)


def test_a_staff_push_retried_after_the_case_moved_on_is_not_sent(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    """ "Please take it" for a case cancelled meanwhile would send the grid worker to nothing:
    the retry finds the case moved on and skips the push; the resident's notice still goes."""
    stub.fail_next(TEMPLATE, http_status=500, openid="oGRID001")
    case_id, stage = open_case(ctx, "elder_help")
    enqueue(ctx, Followup.dispatch(case_id, stage))
    drain(ctx, lambda: stub.messages("oGRID001", ok=False), what="the first, failed, try")
    close = change(ctx, case_id, lambda s, c: lifecycle.close(s, c, "admin:district", "已处理"))
    enqueue(ctx, Followup.notify(close.id))
    snap = drain(
        ctx,
        lambda: (s := snapshot(ctx, case_id)).pushes[0].status == "skipped" and s,
        timeout=6,
        what="the retry skipping the push",
    )
    assert [c.status for c in stub.messages("oGRID001", ok=False)] == [500]
    assert snap.pushes[0].detail == "not sent: the case had moved on"
    drain(ctx, lambda: stub.messages("oRESIDENT1"), what="the resident's notice")
    assert_nothing_stuck(ctx)
