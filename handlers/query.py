"""Where does my report stand: the resident's open cases, or one case's timeline in short.
A resident sees only their own cases."""

from __future__ import annotations

import re

from cases.clock import local_text
from cases.models import Case
from cases.queries import CaseLine, case_by_number, open_cases_of
from handlers.registry import handles
from handlers.reporting import holder_of, short_text
from handlers.turn import REPLY_BYTES, Context, Reply, Turn

NUMBER_RE = re.compile(r"\d{6}-\d{4}")
TIMELINE_LINES = 6
LIST_BYTES = REPLY_BYTES - 148  # lists stop short of WeChat's limit, room kept for the rest


@handles("intent", "query")
@handles("command", "查询", "进度", "我的报事", "我的工单号")
def query(ctx: Context, turn: Turn) -> Reply:
    number = _number_in(ctx, turn.text)
    if number:
        case = case_by_number(ctx.session, number)
        if case is None or case.resident_id != ctx.resident.id:
            return Reply(ctx.say("query.not_found", number=number), intent="query")
        return Reply(timeline_text(ctx, case), intent="query", case_id=case.id)
    cases = open_cases_of(ctx.session, ctx.resident)
    if not cases:
        return Reply(ctx.say("query.none"), intent="query")
    head = ctx.say("query.list_head", count=len(cases))
    lines = [summary_line(ctx, case) for case in cases]
    return Reply(listing(ctx, head, lines, ctx.say("query.list_tail")), intent="query")


def listing(ctx: Context, head: str, lines: list[str], tail: str = "") -> str:
    """`head`, as many of `lines` as one reply holds with `tail` (LIST_BYTES), a line that
    says how many were left out, and `tail`."""
    budget = LIST_BYTES - len(f"{head}\n{tail}".encode())
    budget -= len(ctx.say("query.more", count=len(lines)).encode())
    shown: list[str] = []
    for line in lines:
        budget -= len(line.encode()) + 1
        if budget < 0:
            break
        shown.append(line)
    more = [ctx.say("query.more", count=len(lines) - len(shown))] if len(shown) < len(lines) else []
    return "\n".join([head, *shown, *more, *([tail] if tail else [])])


def _number_in(ctx: Context, text: str) -> str | None:
    if ctx.analysis is not None and ctx.analysis.slots.case_number:
        return str(ctx.analysis.slots.case_number)
    match = NUMBER_RE.search(text)
    return match.group(0) if match else None


def summary_line(ctx: Context, case: CaseLine) -> str:
    return ctx.say(
        "query.line",
        number=case.number,
        what=ctx.say(f"intent.{case.intent}"),
        status=ctx.say(f"status.{case.status}"),
        holder=holder_of(ctx, case),
        text=short_text(case.text),
    )


def timeline_text(ctx: Context, case: Case) -> str:
    lines = [summary_line(ctx, case)]
    for event in case.events[-TIMELINE_LINES:]:
        lines.append(
            ctx.say(
                "query.event",
                at=local_text(event.at),
                what=ctx.say(f"event.{event.kind}"),
                level=ctx.say(f"level.{event.to_level}") if event.to_level else "",
                note=short_text(event.note, 30),
            ).rstrip()
        )
    return "\n".join(lines)
