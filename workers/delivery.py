"""Sending pushes: claim the rows, send through WeChat, record what happened.

A push goes out at most once. Its row is claimed (pending -> sending) in one conditional
UPDATE before the call, so two workers never both send it; a worker killed during the call
leaves it "sending", and the sweeper later marks it "unconfirmed" rather than risk a second
message. Failures that retrying cannot mend fail at once (a customer-service message first
falls back to a template); others go back to pending for a later attempt, and fail on the
last one. A failed push is an event on the case's timeline.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from cases import lifecycle
from cases.clock import utcnow
from cases.models import Case, CaseEvent, Push, Resident
from workers.context import WorkerContext
from workers.messages import Composer, Message
from wxapi import SendError, classify

log = logging.getLogger(__name__)

# WeChat allows customer-service messages for 48 h after the user's last message; keep a margin
# for the time the message spends queued.
SERVICE_WINDOW = timedelta(hours=48) - timedelta(minutes=10)


class Outcome(enum.Enum):
    SENT = "sent"
    FAILED = "failed"  # for good: recorded, with an event
    RETRY = "retry"  # back to pending, for a later attempt


@dataclass(frozen=True)
class Delivered:
    """What became of one push in this attempt."""

    push_id: int
    case_id: int
    stage: int
    kind: str
    level: str | None
    outcome: Outcome


@dataclass
class Plan:
    push: _Claimed
    openid: str
    message: Message
    channels: tuple[str, ...]  # "template" / "custom", in the order to try
    who: str  # for the timeline, if it fails


def composer(ctx: WorkerContext) -> Composer:
    return Composer(ctx.wording, ctx.domain.org, ctx.domain.policy, ctx.settings.public_url)


def deliver(
    ctx: WorkerContext,
    push_ids: Sequence[int],
    *,
    final: bool,
    case: Case | None = None,
    now: datetime | None = None,
) -> list[Delivered]:
    """Send those of the pushes `push_ids` that are still pending (the others are someone
    else's, or done); `final`: no attempt comes after this one. One push at a time, so that
    a crash leaves at most one of them unconfirmed and the rest pending for the sweeper.
    `case`: the pushes' case as just committed by the caller (saves reading it again)."""
    done: list[Delivered] = []
    for push_id in push_ids:
        with ctx.domain.db.session() as session:
            plan = claim(ctx, session, push_id, now or utcnow(), case)
        if plan is not None:
            done.append(send_claimed(ctx, plan, final=final))
    return done


def send_claimed(ctx: WorkerContext, plan: Plan, *, final: bool) -> Delivered:
    """Send a claimed push and record the outcome."""
    channel, error = _send(ctx, plan)
    with ctx.domain.db.session() as session:
        return _record(ctx, session, plan, channel, error, final)


_PUSHES = Push.__table__
# Built once, compiled once: these run for every push.
_CLAIM = (
    update(_PUSHES)
    .where(_PUSHES.c.id == bindparam("push_id"), _PUSHES.c.status == "pending")
    .values(status="sending", attempted_at=bindparam("now"), attempts=_PUSHES.c.attempts + 1)
    .returning(
        _PUSHES.c.id,
        _PUSHES.c.case_id,
        _PUSHES.c.stage,
        _PUSHES.c.kind,
        _PUSHES.c.level,
        _PUSHES.c.openid,
    )
)
_FINISH = (
    update(_PUSHES)
    .where(_PUSHES.c.id == bindparam("push_id"))
    .values(
        status=bindparam("status"),
        channel=bindparam("channel"),
        errcode=bindparam("errcode"),
        detail=bindparam("detail"),
        sent_at=bindparam("sent_at"),
    )
)


@dataclass(frozen=True)
class _Claimed:
    id: int
    case_id: int
    stage: int
    kind: str
    level: str | None
    openid: str


def claim(
    ctx: WorkerContext, session: Session, push_id: int, now: datetime, case: Case | None = None
) -> Plan | None:
    """Take push `push_id` for sending (pending -> sending) in `session`'s transaction, with
    what it will say; None if it is not pending. A job that has just written the push claims
    it in the same transaction, and sends it right after the commit."""
    row = session.execute(_CLAIM, {"push_id": push_id, "now": now}).first()
    if row is None:
        return None
    push = _Claimed(*row)
    if case is None or case.id != push.case_id:
        case = session.get(Case, push.case_id)
    assert case is not None
    if push.kind.startswith("notice:"):
        return _resident_plan(ctx, session, composer(ctx), push, case, now)
    return _staff_plan(ctx, composer(ctx), push, case)


def _staff_plan(ctx: WorkerContext, words: Composer, push: _Claimed, case: Case) -> Plan:
    channels = ("template",) if ctx.settings.wechat_template_id else ("custom",)
    name = ctx.staff_names.get(push.openid, "")
    level = ctx.wording(f"level.{push.level}") if push.level else ""
    who = f"{level}{name or push.openid}"
    return Plan(push, push.openid, words.staff(case, push.kind), channels, who)


def _resident_plan(
    ctx: WorkerContext,
    session: Session,
    words: Composer,
    push: _Claimed,
    case: Case,
    now: datetime,
) -> Plan:
    event = session.get(CaseEvent, int(push.kind.split(":", 1)[1]))
    assert event is not None, f"push {push.id} announces a missing event"
    resident = session.scalar(select(Resident).where(Resident.openid == push.openid))
    last = resident.last_message_at if resident else None
    in_window = last is not None and now - last < SERVICE_WINDOW
    template = bool(ctx.settings.wechat_template_id)
    if in_window or not template:
        channels: tuple[str, ...] = ("custom", "template") if template else ("custom",)
    else:
        channels = ("template",)
    who = ctx.wording("push.resident_who")
    return Plan(push, push.openid, words.resident(case, event), channels, who)


def _send(ctx: WorkerContext, plan: Plan) -> tuple[str, SendError | None]:
    """(the channel that answered last, the error if it failed)."""
    error: SendError | None = None
    channel = plan.channels[0]
    for index, channel in enumerate(plan.channels):
        try:
            if channel == "template":
                ctx.wechat.send_template_message(
                    plan.openid,
                    str(ctx.settings.wechat_template_id),
                    plan.message.template,
                    plan.message.url,
                )
            else:
                ctx.wechat.send_text_message(plan.openid, plan.message.text)
            return channel, None
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            error = classify(exc)
            log.info("push %s by %s failed: %s", plan.push.id, channel, error.detail)
            if not (error.falls_back_to_template and "template" in plan.channels[index + 1 :]):
                break
    return channel, error


def _record(
    ctx: WorkerContext,
    session: Session,
    plan: Plan,
    channel: str,
    error: SendError | None,
    final: bool,
) -> Delivered:
    now = utcnow()
    push = plan.push
    values: dict[str, object] = {"push_id": push.id, "channel": channel, "sent_at": None}
    if error is None:
        values.update(status="sent", sent_at=now, errcode=None, detail=None)
        outcome = Outcome.SENT
    elif error.permanent or final:
        values.update(status="failed", errcode=error.errcode, detail=error.detail)
        outcome = Outcome.FAILED
    else:
        values.update(status="pending", errcode=error.errcode, detail=error.detail)
        outcome = Outcome.RETRY
    session.execute(_FINISH, values)
    if outcome is Outcome.FAILED:
        case = session.get(Case, push.case_id)
        assert case is not None
        note = ctx.wording("push.failed", who=plan.who, detail=error.detail if error else "")
        lifecycle.record(session, case, "push_failed", "system", note, now=now)
    return Delivered(push.id, push.case_id, push.stage, push.kind, push.level, outcome)
