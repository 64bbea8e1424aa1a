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
from workers.delivery import Delivered, Outcome, Plan, claim, deliver, send_claimed
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
        if case.dispatched_stage >= stage:  # a second run: send whatever is still pending
            push_ids = None
        else:
            push_ids = _write_dispatch(ctx, session, case, now)
            first = _claim_first(ctx, session, case, push_ids, now)
    if push_ids is None:
        ctx.schedule_check(case_id, stage, case.due_at)
        deliver_stage(ctx, case_id, stage)
        return
    _send_step(ctx, case, None, push_ids, first)


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
        if case.due_at > now:  # taken meanwhile: a new deadline, a new check
            step = None
        else:
            event, push_ids = _escalate(ctx, session, case, _overdue_reason(ctx, case), now)
            step = event, push_ids, _claim_first(ctx, session, case, push_ids, now)
    if step is None:
        ctx.schedule_check(case_id, case.stage, case.due_at)
        return
    _send_step(ctx, case, *step)


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
        reason = ctx.wording("push.unreachable", level=level)
        event, push_ids = _escalate(ctx, session, case, reason, now)
        first = _claim_first(ctx, session, case, push_ids, now)
    log.info("case %s: nobody at its level could be reached; escalated", case_id)
    _send_step(ctx, case, event, push_ids, first)


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


def _claim_first(
    ctx: WorkerContext, session: Session, case: Case, push_ids: list[int], now: datetime
) -> Plan | None:
    """The first push of a step is claimed in the step's own transaction (one commit less
    per step; a crash before it is sent leaves it unconfirmed, as one during the call would)."""
    return claim(ctx, session, push_ids[0], now, case) if push_ids else None


def _send_step(
    ctx: WorkerContext,
    case: Case,
    event: CaseEvent | None,
    push_ids: list[int],
    first: Plan | None,
) -> None:
    """After a step's commit: its first push at once, then its deadline check, the resident's
    notice, and the other pushes."""
    results = [send_claimed(ctx, first, final=False)] if first is not None else []
    ctx.schedule_check(case.id, case.stage, case.due_at)
    if event is not None and event.kind == "escalate" and event.notified_at is None:
        ctx.enqueue("notify_resident", (event.id,))
    rest = [push_id for push_id in push_ids if first is None or push_id != first.push.id]
    results += deliver(ctx, rest, final=False, case=case)
    follow_up(ctx, results)
