"""Telling the resident that their case was taken, passed up or resolved.

By customer-service message while WeChat allows one (48 h after the resident last wrote), else
by template message. The event's `notified_at` marks the notice as written (a Push row), so
the sweeper knows which events are still owed one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cases.clock import utcnow
from cases.models import NOTICE_KINDS, Case, CaseEvent, Push
from workers.context import WorkerContext
from workers.delivery import Delivered, deliver
from workers.outbox import add_pushes

# News older than this is not worth a message any more (the sweeper may find old events).
NOTICE_MAX_AGE = timedelta(days=1)


def notify(ctx: WorkerContext, event_id: int, *, final: bool = False) -> list[Delivered]:
    """Write the notice of event `event_id` (once) and send it."""
    now = utcnow()
    kind = f"notice:{event_id}"
    with ctx.domain.db.session() as session:
        event = session.get(CaseEvent, event_id)
        if event is None:
            return []
        case = session.get(Case, event.case_id)
        assert case is not None
        if event.notified_at is None:
            wanted = event.kind in NOTICE_KINDS and case.openid and now - event.at < NOTICE_MAX_AGE
            if wanted:
                assert case.openid is not None
                add_pushes(session, case, case.stage, kind, [(event.to_level, case.openid)], now)
            event.notified_at = now
        ids = session.scalars(
            select(Push.id).where(
                Push.case_id == case.id, Push.kind == kind, Push.status == "pending"
            )
        ).all()
    return deliver(ctx, ids, final=final)
