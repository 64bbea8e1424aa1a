"""Staff answer from WeChat: 接单 (take), 办结 (resolve), 上报 (pass up), 我的工单 (my queue).
Staff may act only on cases held at their own units and levels; each change is told to the
resident by a job."""

from __future__ import annotations

import re

from cases import lifecycle
from cases.clock import local_text
from cases.followups import Followup
from cases.locking import lock_case
from cases.models import Case
from cases.org import Unit
from cases.permissions import post_for
from cases.queries import case_by_number, waiting_for
from handlers.query import listing, summary_line
from handlers.registry import handles
from handlers.turn import Context, Reply, Turn

NUMBER_RE = re.compile(r"(\d{6}-\d{4})")


def _parse(text: str) -> tuple[str | None, str]:
    """('261121-0007', 'the note') from '办结 261121-0007 the note'."""
    rest = text.strip().split(maxsplit=1)[1] if len(text.split()) > 1 else ""
    match = NUMBER_RE.search(rest)
    if not match:
        return None, rest.strip()
    return match.group(1), (rest[: match.start()] + rest[match.end() :]).strip()


def _actor(unit: Unit, openid: str) -> str:
    name = next((m.name for m in unit.staff if m.openid == openid), "")
    return lifecycle.staff_actor(name, openid)


def _case_for(
    ctx: Context, turn: Turn, number: str
) -> tuple[Case | None, Unit | None, Reply | None]:
    found = case_by_number(ctx.session, number)
    # Locked and read afresh before anything is decided: a deadline check may be moving it.
    case = lock_case(ctx.session, found.id) if found else None
    if case is None:
        return None, None, Reply(ctx.say("staff.not_found", number=number))
    post = post_for(ctx.org, turn.openid, case)
    if post is None:
        return (
            case,
            None,
            Reply(ctx.say("staff.not_yours", number=number, level=ctx.say(f"level.{case.level}"))),
        )
    return case, post, None


def _illegal(ctx: Context, error: lifecycle.IllegalMove) -> Reply:
    return Reply(
        ctx.say(
            "staff.illegal", number=error.case.number, status=ctx.say(f"status.{error.case.status}")
        )
    )


@handles("staff", "接单")
def take(ctx: Context, turn: Turn) -> Reply:
    number, _ = _parse(turn.text)
    if number is None:
        waiting = [
            c
            for c in waiting_for(ctx.session, ctx.org.posts_of(turn.openid))
            if c.status in lifecycle.TAKEABLE
        ]
        if not waiting:
            return Reply(ctx.say("staff.nothing_waiting"))
        if len(waiting) > 1:
            head = ctx.say("staff.which_one", count=len(waiting))
            return Reply(listing(ctx, head, [summary_line(ctx, c) for c in waiting]))
        number = waiting[0].number
    case, post, refusal = _case_for(ctx, turn, number)
    if refusal:
        return refusal
    assert case is not None and post is not None
    try:
        event = lifecycle.take(
            ctx.session, ctx.policy, case, _actor(post, turn.openid), now=ctx.now
        )
    except lifecycle.IllegalMove as error:
        return _illegal(ctx, error)
    ctx.session.flush()
    return Reply(
        ctx.say("staff.taken", number=case.number, deadline=local_text(case.due_at)),
        case_id=case.id,
        followups=[Followup.notify(event.id)],
    )


@handles("staff", "办结")
def resolve(ctx: Context, turn: Turn) -> Reply:
    number, note = _parse(turn.text)
    if number is None:
        return Reply(ctx.say("staff.usage_resolve"))
    case, post, refusal = _case_for(ctx, turn, number)
    if refusal:
        return refusal
    assert case is not None and post is not None
    try:
        event = lifecycle.resolve(ctx.session, case, _actor(post, turn.openid), note, now=ctx.now)
    except lifecycle.IllegalMove as error:
        return _illegal(ctx, error)
    ctx.session.flush()
    return Reply(
        ctx.say("staff.resolved", number=case.number),
        case_id=case.id,
        followups=[Followup.notify(event.id)],
    )


@handles("staff", "上报")
def pass_up(ctx: Context, turn: Turn) -> Reply:
    number, reason = _parse(turn.text)
    if number is None or not reason:
        return Reply(ctx.say("staff.usage_pass_up"))
    case, post, refusal = _case_for(ctx, turn, number)
    if refusal:
        return refusal
    assert case is not None and post is not None
    if ctx.policy.level_above(case.level) is None:
        return Reply(ctx.say("staff.at_top", number=case.number))
    try:
        event = lifecycle.escalate(
            ctx.session, ctx.policy, case, _actor(post, turn.openid), reason, now=ctx.now
        )
    except lifecycle.IllegalMove as error:
        return _illegal(ctx, error)
    ctx.session.flush()
    return Reply(
        ctx.say("staff.passed_up", number=case.number, level=ctx.say(f"level.{case.level}")),
        case_id=case.id,
        followups=[Followup.dispatch(case.id, case.stage), Followup.notify(event.id)],
    )


@handles("staff", "我的工单")
def my_queue(ctx: Context, turn: Turn) -> Reply:
    waiting = waiting_for(ctx.session, ctx.org.posts_of(turn.openid))
    if not waiting:
        return Reply(ctx.say("staff.queue_empty"))
    head = ctx.say("staff.queue_head", count=len(waiting))
    return Reply(listing(ctx, head, [summary_line(ctx, c) for c in waiting]))
