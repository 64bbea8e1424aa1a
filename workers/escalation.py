"""Carrying a case up the levels: dispatch a stage, check deadlines, escalate.

Each step locks the case, re-reads it and acts only if the case is still where the job says
(same stage, still active, deadline passed): a job that runs twice, late or after a crash
changes nothing the second time. A step's pushes (staff, and the resident's notice) are
written as pending rows in the same transaction as the step, then sent; the sweeper sends
what a crash left pending.

Deadline checks work in batches: one job, run a quarter second after a deadline, escalates
every case that is overdue by then, a hundred per transaction, and sends their pushes
together. The resident's notices follow on the low queue: under load, staff are told first.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import lifecycle
from cases.clock import utcnow
from cases.locking import due_by, lock_case, lock_due
from cases.models import Case, CaseEvent, Push
from workers.context import WorkerContext
from workers.delivery import Delivered, Outcome, deliver
from workers.notices import notice_target, wants_notice
from workers.outbox import (
    add_pushes,
    insert_pushes,
    is_notice,
    notice_kind,
    pending_ids,
    push_row,
)
from workers.recipients import recipients, staff_for

log = logging.getLogger(__name__)

SYSTEM = "system"
BATCH = 100  # cases escalated per transaction
BUDGET = 120.0  # seconds a check job works before it hands the rest to a new job
HELD_RECHECK = timedelta(seconds=1)  # when to look again at a case another transaction held


@dataclass
class Step:
    """What a committed step left to do: pushes to send, checks to schedule, notices."""

    cases: dict[int, Case] = field(default_factory=dict)
    push_ids: list[int] = field(default_factory=list)
    notice_ids: list[int] = field(default_factory=list)


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
            push_ids = list(pending_ids(session, case_id, stage))
        else:
            push_ids = _write_dispatch(ctx, session, case, now)
    _carry_out(ctx, Step({case.id: case}, push_ids))


def check_due(ctx: WorkerContext, *, batch: int = BATCH, budget: float = BUDGET) -> int:
    """Escalate every case whose deadline has passed while it was not taken or resolved (at
    the top: flag it and remind the street office), a batch at a time; the number moved."""
    started = time.monotonic()
    moved = 0
    while True:
        now = utcnow()
        with ctx.domain.db.session() as session:
            due = lock_due(session, now, batch)
            overdue = [
                (case, _overdue_reason(ctx, case))
                for case in due
                if case.status in lifecycle.ACTIVE and case.due_at and case.due_at <= now
            ]
            step = _escalate(ctx, session, overdue, now)
        _carry_out(ctx, step)
        moved += len(step.cases)
        if len(due) < batch:
            if still_due(ctx, now):
                # Held by another transaction (PostgreSQL skips locked rows): a staff member's
                # take, an admin's move or another worker's check. Look again after it.
                ctx.schedule_check(now + HELD_RECHECK)
            return moved
        if time.monotonic() - started > budget:
            ctx.schedule_check(now)  # more are due: a fresh job goes on
            return moved


def still_due(ctx: WorkerContext, now: datetime) -> bool:
    """Whether a dispatched case's deadline is still `now` or earlier (read without a lock)."""
    with ctx.domain.db.session() as session:
        return session.scalar(select(Case.id).where(*due_by(now)).limit(1)) is not None


def follow_up(ctx: WorkerContext, results: list[Delivered]) -> None:
    """A push to retry gets its own job after the first backoff; a level none of whose staff
    could be reached counts as not taking the case."""
    retry_at = utcnow() + timedelta(seconds=ctx.options.backoff[0])
    for result in results:
        if result.outcome is Outcome.RETRY:
            low = is_notice(result.kind)
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
        if case is None or case.stage != stage or case.status not in lifecycle.TAKEABLE:
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
        step = _escalate(ctx, session, [(case, reason)], now)
    log.info("case %s: nobody at its level could be reached; escalated", case_id)
    _carry_out(ctx, step)


def _escalate(
    ctx: WorkerContext, session: Session, overdue: list[tuple[Case, str]], now: datetime
) -> Step:
    """lifecycle.escalate for each (case, reason), and the pushes that follow, written in the
    same transaction: to the new level (at the top: a reminder to the street office), and
    the resident's notice. A batch costs a few statements, not a few per case: one flush
    for the cases and their events, one INSERT for every push."""
    policy = ctx.domain.policy
    moves = []
    for case, reason in overdue:
        event = lifecycle.escalate(session, policy, case, SYSTEM, reason, now=now)
        if event.kind == "escalate":
            case.dispatched_stage = case.stage
        moves.append((case, event, event.kind == "escalate" and wants_notice(case, event, now)))
    session.flush()  # event ids, for the pushes named after them
    rows = []
    for case, event, notice in moves:
        kind, targets = _told_of(ctx, case, event)
        rows += [push_row(case.id, case.stage, kind, *target, now) for target in targets]
        if notice:
            target = notice_target(case, event)
            rows.append(push_row(case.id, case.stage, notice_kind(event.id), *target, now))
    step = Step({case.id: case for case, _, _ in moves})
    for push_id, kind in sorted(insert_pushes(session, rows)):
        (step.notice_ids if is_notice(kind) else step.push_ids).append(push_id)
    return step


def _told_of(
    ctx: WorkerContext, case: Case, event: CaseEvent
) -> tuple[str, list[tuple[str | None, str]]]:
    """(push kind, [(level, openid)]) of the staff told of an escalation: the new level's
    (and an emergency's other levels), or at the top the street office, reminded."""
    if event.kind == "escalate":
        return "dispatch", _dispatch_targets(ctx, case)
    staff = staff_for(ctx.domain.org, case, case.level)
    return f"remind:{event.id}", [(case.level, member.openid) for member in staff]


def _dispatch_targets(ctx: WorkerContext, case: Case) -> list[tuple[str | None, str]]:
    return [(r.level, r.member.openid) for r in recipients(ctx.domain.org, ctx.domain.policy, case)]


def _overdue_reason(ctx: WorkerContext, case: Case) -> str:
    if ctx.domain.policy.level_above(case.level) is None:
        return ctx.wording("push.reason_remind")
    if case.status == "acknowledged":
        return ctx.wording("push.reason_resolve")
    return ctx.wording("push.reason_ack")


def _write_dispatch(ctx: WorkerContext, session: Session, case: Case, now: datetime) -> list[int]:
    case.dispatched_stage = case.stage
    return add_pushes(session, case, case.stage, "dispatch", _dispatch_targets(ctx, case), now)


def _carry_out(ctx: WorkerContext, step: Step) -> None:
    """After a step's commit: the next deadline checks first (a crash while sending must not
    lose them), then the staff's pushes; the notices go to the low queue."""
    for due_at in sorted({case.due_at for case in step.cases.values() if case.due_at}):
        ctx.schedule_check(due_at)
    if step.notice_ids:
        ctx.enqueue("send_notices", (step.notice_ids[0],))
    follow_up(ctx, deliver(ctx, step.push_ids, final=False, cases=step.cases))
