"""Carrying a case up the levels: dispatch a stage, check its deadline, escalate.

Each step locks the case, re-reads it and acts only if the case is still where the job says
(same stage, still active, deadline passed): a job that runs twice, late or after a crash
changes nothing the second time. A step's pushes are written as pending rows in the same
transaction as the step, then sent; the sweeper re-sends what a crash left pending.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import lifecycle
from cases.clock import utcnow
from cases.models import Case, CaseEvent, Push
from workers.context import WorkerContext
from workers.delivery import Delivered, Outcome, deliver
from workers.locking import lock_case
from workers.outbox import add_pushes, pending_ids
from workers.recipients import recipients, staff_for

log = logging.getLogger(__name__)

SYSTEM = "system"


def dispatch(ctx: WorkerContext, case_id: int, stage: int) -> None:
    """Push the case's stage to the staff of its level (and, for an emergency, the levels it
    notifies at once), and schedule its deadline check."""
    now = utcnow()
    with ctx.domain.db.session() as session:
        case = lock_case(session, case_id)
        if case is None or case.stage != stage:
            return
        if case.status not in lifecycle.ACTIVE:  # resolved or cancelled first: nothing to push
            case.dispatched_stage = max(case.dispatched_stage, stage)
            return
        fresh = case.dispatched_stage < stage
        push_ids = _write_dispatch(ctx, session, case, now) if fresh else None
    ctx.schedule_check(case_id, stage, case.due_at)
    if push_ids is None:  # dispatched before (a second run): send whatever is still pending
        deliver_stage(ctx, case_id, stage)
    else:
        _deliver(ctx, case, push_ids)


def check_deadline(ctx: WorkerContext, case_id: int, stage: int) -> None:
    """If the case's deadline passed with the case still at `stage` and not taken or resolved
    in time, move it up a level (at the top: flag it and remind the street office)."""
    now = utcnow()
    with ctx.domain.db.session() as session:
        case = lock_case(session, case_id)
        if case is None or case.stage != stage or case.status not in lifecycle.ACTIVE:
            return
        if case.due_at is None:
            return
        step = None
        if case.due_at <= now:  # else taken meanwhile: a new deadline, a new check
            step = _escalate(ctx, session, case, _overdue_reason(ctx, case), now)
    ctx.schedule_check(case_id, case.stage, case.due_at)
    if step is not None:
        _after_escalation(ctx, case, *step)


def deliver_stage(ctx: WorkerContext, case_id: int, stage: int) -> None:
    """Send the stage's pending pushes now; retries and failures are followed up."""
    with ctx.domain.db.session() as session:
        ids = pending_ids(session, case_id, stage)
    follow_up(ctx, deliver(ctx, ids, final=False))


def follow_up(ctx: WorkerContext, results: list[Delivered]) -> None:
    """A push to retry gets its own job after the first backoff; a level none of whose staff
    could be reached counts as not taking the case."""
    retry_at = utcnow() + timedelta(seconds=ctx.options.backoff[0])
    for result in results:
        if result.outcome is Outcome.RETRY:
            low = result.kind.startswith("notice:")
            ctx.enqueue("deliver_push", (result.push_id,), at=retry_at, low=low)
    failed = {(r.case_id, r.stage) for r in results if r.outcome is Outcome.FAILED}
    for case_id, stage in sorted(failed):
        escalate_if_unreachable(ctx, case_id, stage)


def escalate_if_unreachable(ctx: WorkerContext, case_id: int, stage: int) -> None:
    """Escalate at once if every dispatch push of the case's own level at `stage` failed for
    good and nobody has taken the case (there is a level above to go to)."""
    now = utcnow()
    with ctx.domain.db.session() as session:
        case = lock_case(session, case_id)
        if case is None or case.stage != stage or case.status not in ("open", "reopened"):
            return
        if ctx.domain.policy.level_above(case.level) is None:
            return
        statuses = session.scalars(
            select(Push.status).where(
                Push.case_id == case_id,
                Push.stage == stage,
                Push.kind == "dispatch",
                Push.level == case.level,
            )
        ).all()
        if not statuses or any(status != "failed" for status in statuses):
            return
        level = ctx.wording(f"level.{case.level}")
        step = _escalate(ctx, session, case, ctx.wording("push.unreachable", level=level), now)
    log.info("case %s: nobody at its level could be reached; escalated", case_id)
    ctx.schedule_check(case_id, case.stage, case.due_at)
    _after_escalation(ctx, case, *step)


def _escalate(
    ctx: WorkerContext, session: Session, case: Case, reason: str, now: datetime
) -> tuple[CaseEvent, list[int]]:
    """lifecycle.escalate, and the new stage's pushes written in the same transaction."""
    event = lifecycle.escalate(session, ctx.domain.policy, case, SYSTEM, reason, now=now)
    session.flush()
    if event.kind == "escalate":
        push_ids = _write_dispatch(ctx, session, case, now)
        if not case.openid:
            event.notified_at = now  # no resident to tell
    else:  # at the top: a reminder to the street office
        targets = [(case.level, m.openid) for m in staff_for(ctx.domain.org, case, case.level)]
        push_ids = add_pushes(session, case, case.stage, f"remind:{event.id}", targets, now)
    return event, push_ids


def _overdue_reason(ctx: WorkerContext, case: Case) -> str:
    if ctx.domain.policy.level_above(case.level) is None:
        return ctx.wording("push.reason_remind")
    if case.status == "acknowledged":
        return ctx.wording("push.reason_resolve")
    return ctx.wording("push.reason_ack")


def _write_dispatch(ctx: WorkerContext, session: Session, case: Case, now: datetime) -> list[int]:
    targets = [
        (r.level, r.member.openid) for r in recipients(ctx.domain.org, ctx.domain.policy, case)
    ]
    case.dispatched_stage = case.stage
    return add_pushes(session, case, case.stage, "dispatch", targets, now)


def _after_escalation(
    ctx: WorkerContext, case: Case, event: CaseEvent, push_ids: list[int]
) -> None:
    if event.kind == "escalate" and event.notified_at is None:
        ctx.enqueue("notify_resident", (event.id,))
    _deliver(ctx, case, push_ids)


def _deliver(ctx: WorkerContext, case: Case, push_ids: list[int]) -> None:
    """Send the pushes just written for `case` (as committed: no need to read it again)."""
    follow_up(ctx, deliver(ctx, push_ids, final=False, case=case))
