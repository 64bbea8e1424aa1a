"""Sending pushes: claim the rows, send through WeChat, record what happened.

A push goes out at most once. Its row is claimed (pending -> sending) in one conditional
UPDATE before the call, so two workers never both send it; a worker killed during the call
leaves it "sending", and the sweeper later marks it "unconfirmed" rather than risk a second
message. Pushes go out a few at a time (GRIDBOT_SEND_CONCURRENCY), each few claimed in one
transaction, sent at once from the context's threads and recorded in one transaction: a
killed worker leaves at most that few unconfirmed, the rest pending for the sweeper.

Failures that retrying cannot mend fail at once (a customer-service message first falls back
to a template); others go back to pending for a later attempt, and fail on the last one. A
failed push is an event on the case's timeline.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from cases import lifecycle
from cases.clock import utcnow
from cases.models import Case, CaseEvent, Push, Resident
from workers.context import WorkerContext
from workers.messages import Composer, Message
from workers.outbox import is_notice, noticed_event
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
    settings = ctx.settings
    return Composer(
        ctx.wording, ctx.domain.org, ctx.domain.policy, settings.public_url, settings.secret_key
    )


def deliver(
    ctx: WorkerContext,
    push_ids: Sequence[int],
    *,
    final: bool,
    cases: Mapping[int, Case] | None = None,
) -> list[Delivered]:
    """Send those of the pushes `push_ids` that are still pending (the others are someone
    else's, or done); `final`: no attempt comes after this one. `cases`: the pushes' cases
    as just committed by the caller, by id (saves reading them again)."""
    done: list[Delivered] = []
    width = ctx.options.send_concurrency
    for start in range(0, len(push_ids), width):
        with ctx.domain.db.session() as session:
            plans = claim(ctx, session, push_ids[start : start + width], utcnow(), cases)
        done += send_claimed(ctx, plans, final=final)
    return done


def send_claimed(ctx: WorkerContext, plans: Sequence[Plan], *, final: bool) -> list[Delivered]:
    """Send claimed pushes (at once, if several) and record the outcomes."""
    if len(plans) > 1:
        outcomes = list(ctx.senders.map(lambda plan: _send(ctx, plan), plans))
    else:
        outcomes = [_send(ctx, plan) for plan in plans]
    if not plans:
        return []
    with ctx.domain.db.session() as session:
        return _record(ctx, session, list(zip(plans, outcomes, strict=True)), final)


_PUSHES = Push.__table__
# Built once, compiled once: these run for every push.
_CLAIM = (
    update(_PUSHES)
    .where(_PUSHES.c.id.in_(bindparam("push_ids", expanding=True)))
    .where(_PUSHES.c.status == "pending")
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
_SKIP = (
    update(_PUSHES)
    .where(_PUSHES.c.id == bindparam("push_id"))
    .values(status="skipped", detail="not sent: the case had moved on")
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
    ctx: WorkerContext,
    session: Session,
    push_ids: Sequence[int],
    now: datetime,
    cases: Mapping[int, Case] | None = None,
) -> list[Plan]:
    """Take those of the pushes `push_ids` that are pending for sending (pending -> sending)
    in `session`'s transaction, with what each will say: a few statements for all of them."""
    if not push_ids:
        return []
    rows = session.execute(_CLAIM, {"push_ids": list(push_ids), "now": now}).all()
    pushes = sorted((_Claimed(*row) for row in rows), key=lambda push: push.id)
    known = dict(cases or {})
    missing = {push.case_id for push in pushes} - known.keys()
    if missing:
        known.update((c.id, c) for c in session.scalars(select(Case).where(Case.id.in_(missing))))
    fresh: list[_Claimed] = []
    stale: list[_Claimed] = []
    for push in pushes:
        (stale if _moved_on(push, known[push.case_id]) else fresh).append(push)
    if stale:
        session.execute(_SKIP, [{"push_id": push.id} for push in stale])
    pushes = fresh
    notices = [push for push in pushes if is_notice(push.kind)]
    events, last_messages = _about_notices(session, notices)
    words = composer(ctx)
    plans = []
    for push in pushes:
        case = known[push.case_id]
        if is_notice(push.kind):
            event = events[noticed_event(push.kind)]
            last = last_messages.get(push.openid)
            plans.append(_resident_plan(ctx, words, push, case, event, last, now))
        else:
            plans.append(_staff_plan(ctx, words, push, case))
    return plans


def _moved_on(push: _Claimed, case: Case) -> bool:
    """A staff push that would now be wrong: the case has left the stage it was written for
    (passed up, moved by an admin), or a dispatch's "please take it" finds it taken, resolved
    or cancelled. Residents' notices tell of what happened, and always go."""
    if is_notice(push.kind):
        return False
    if push.stage != case.stage or case.status not in lifecycle.ACTIVE:
        return True
    return push.kind == "dispatch" and case.status not in lifecycle.TAKEABLE


def _about_notices(
    session: Session, notices: list[_Claimed]
) -> tuple[dict[int, CaseEvent], dict[str, datetime | None]]:
    """The events that notices announce, by id, and their residents' last message times."""
    if not notices:
        return {}, {}
    event_ids = {noticed_event(push.kind) for push in notices}
    events = {
        e.id: e for e in session.scalars(select(CaseEvent).where(CaseEvent.id.in_(event_ids)))
    }
    missing = event_ids - events.keys()
    assert not missing, f"notices announce missing events {sorted(missing)}"
    openids = {push.openid for push in notices}
    last = session.execute(
        select(Resident.openid, Resident.last_message_at).where(Resident.openid.in_(openids))
    )
    return events, {openid: at for openid, at in last}


def _staff_plan(ctx: WorkerContext, words: Composer, push: _Claimed, case: Case) -> Plan:
    channels = ("template",) if ctx.settings.wechat_template_id else ("custom",)
    member = ctx.domain.org.member(push.openid)
    name = member.name if member else ""
    level = ctx.wording(f"level.{push.level}") if push.level else ""
    who = f"{level}{name or push.openid}"
    return Plan(push, push.openid, words.staff(case, push.kind, push.openid), channels, who)


def _resident_plan(
    ctx: WorkerContext,
    words: Composer,
    push: _Claimed,
    case: Case,
    event: CaseEvent,
    last_message_at: datetime | None,
    now: datetime,
) -> Plan:
    """A customer-service message while WeChat allows one, else a template message."""
    in_window = last_message_at is not None and now - last_message_at < SERVICE_WINDOW
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
    sent: list[tuple[Plan, tuple[str, SendError | None]]],
    final: bool,
) -> list[Delivered]:
    """Record each push's outcome (one statement for all); a push failed for good is an event
    on its case's timeline."""
    now = utcnow()
    rows: list[dict[str, object]] = []
    done: list[Delivered] = []
    for plan, (channel, error) in sent:
        push = plan.push
        row: dict[str, object] = {"push_id": push.id, "channel": channel, "sent_at": None}
        if error is None:
            row.update(status="sent", sent_at=now, errcode=None, detail=None)
            outcome = Outcome.SENT
        elif error.permanent or final:
            row.update(status="failed", errcode=error.errcode, detail=error.detail)
            outcome = Outcome.FAILED
        else:
            row.update(status="pending", errcode=error.errcode, detail=error.detail)
            outcome = Outcome.RETRY
        rows.append(row)
        done.append(Delivered(push.id, push.case_id, push.stage, push.kind, push.level, outcome))
        if outcome is Outcome.FAILED:
            case = session.get(Case, push.case_id)
            assert case is not None
            note = ctx.wording("push.failed", who=plan.who, detail=error.detail if error else "")
            lifecycle.record(session, case, "push_failed", "system", note, now=now)
    session.execute(_FINISH, rows)
    return done
