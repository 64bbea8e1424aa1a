"""Telling the resident that their case was taken, passed up or resolved.

By customer-service message while WeChat allows one (48 h after the resident last wrote), else
by template message. The event's `notified_at` marks the notice as written (a Push row), so
the sweeper knows which events are still owed one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.clock import utcnow
from cases.lifecycle import ACTIVE
from cases.models import NOTICE_KINDS, PUSH_OPEN, Case, CaseEvent, Push
from workers.context import WorkerContext
from workers.delivery import Delivered, deliver
from workers.outbox import NOTICES, add_pushes, notice_kind

# News older than this is not worth a message any more (the sweeper may find old events).
NOTICE_MAX_AGE = timedelta(days=1)


def notify(ctx: WorkerContext, event_id: int, *, final: bool = False) -> list[Delivered]:
    """Write the notice of event `event_id` (once) and send it; and schedule the check of the
    case's deadline. A staff member's take sets a new one (the resolve deadline) and has no
    other job after it: this one follows every move of a handler or an admin, and checks are
    scheduled idempotently, so without it a taken case would wait for the sweeper's grace."""
    now = utcnow()
    kind = notice_kind(event_id)
    with ctx.domain.db.session() as session:
        event = session.get(CaseEvent, event_id)
        if event is None:
            return []
        case = session.get(Case, event.case_id)
        assert case is not None
        write_notice(session, case, event, now)
        ids = session.scalars(
            select(Push.id).where(
                Push.case_id == case.id, Push.kind == kind, Push.status == "pending"
            )
        ).all()
    if case.status in ACTIVE:
        ctx.schedule_check(case.due_at)
    return deliver(ctx, ids, final=final, cases={case.id: case})


def send_pending(ctx: WorkerContext, *, batch: int = 200) -> list[Delivered]:
    """Send every notice written and not yet tried (an escalation batch writes them with its
    own pushes and leaves the sending to this, on the low queue). A notice that failed once
    waits for its own retry job instead."""
    done: list[Delivered] = []
    while True:
        with ctx.domain.db.session() as session:
            ids = session.scalars(
                select(Push.id)
                .where(PUSH_OPEN, Push.status == "pending", Push.attempts == 0)
                .where(NOTICES)
                .order_by(Push.id)
                .limit(batch)
            ).all()
        done += deliver(ctx, ids, final=False)
        if len(ids) < batch:
            return done


def write_notice(session: Session, case: Case, event: CaseEvent, now: datetime) -> None:
    """The resident's notice of `event` (a flushed event) as a pending push, unless it was
    written before or is not wanted; marks the event as notified either way."""
    if wants_notice(case, event, now):
        target = [notice_target(case, event)]
        add_pushes(session, case, case.stage, notice_kind(event.id), target, now)


def wants_notice(case: Case, event: CaseEvent, now: datetime) -> bool:
    """Whether a notice of `event` is to be written now (not before; there is a resident to
    tell; not old news). Marks the event as notified: the caller writes the notice, if wanted,
    in the same transaction."""
    if event.notified_at is not None:
        return False
    event.notified_at = now
    return event.kind in NOTICE_KINDS and bool(case.openid) and now - event.at < NOTICE_MAX_AGE


def notice_target(case: Case, event: CaseEvent) -> tuple[str | None, str]:
    """(level, openid) of the notice of `event`: the resident, told as of the event's level."""
    assert case.openid is not None
    return event.to_level, case.openid
