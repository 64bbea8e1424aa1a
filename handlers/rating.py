"""After a case is resolved the resident rates it, 1–5 or 满意 / 不满意: a rating closes the
case, 1–2 or 不满意 reopens it at the same level."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from cases import lifecycle
from cases.followups import Followup
from cases.queries import case_by_number, newest_resolved_case
from handlers.registry import handles
from handlers.reporting import ask_again
from handlers.turn import Context, Reply, Turn

WORDS = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "很不满意": 1}
DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
NUMBER_RE = re.compile(r"\d{6}-\d{4}")


def rating_of(text: str) -> int | None:
    text = unicodedata.normalize("NFKC", text).strip().rstrip("。！!")  # ５分 is 5分
    for word, score in sorted(WORDS.items(), key=lambda item: -len(item[0])):
        if word in text:
            return score
    match = re.search(r"(?<!\d)([1-5一二三四五])\s*(?:分|星)?$", text)
    if not match:
        return None
    value = match.group(1)
    return int(value) if value.isdigit() else DIGITS[value]


@handles("command", "评价")
def rate(ctx: Context, turn: Turn, ask: str = "rating.ask") -> Reply:
    number = NUMBER_RE.search(turn.text)
    text = NUMBER_RE.sub("", turn.text).replace("评价", "")
    score = rating_of(text)
    if number:
        case = case_by_number(ctx.session, number.group(0))
        if case is None or case.resident_id != ctx.resident.id:
            return Reply(ctx.say("query.not_found", number=number.group(0)))
    else:
        case = newest_resolved_case(ctx.session, ctx.resident)
    if case is None or case.status != "resolved":
        return Reply(ctx.say("rating.nothing_to_rate"))
    if score is None:
        return Reply(ctx.say(ask, number=case.number))
    lifecycle.rate(ctx.session, ctx.policy, case, ctx.resident.openid, score, now=ctx.now)
    if case.status == "reopened":
        return Reply(
            ctx.say("rating.reopened", number=case.number),
            case_id=case.id,
            followups=[Followup.dispatch(case.id, case.stage)],
        )
    return Reply(ctx.say("rating.thanks", number=case.number, score=score), case_id=case.id)


@handles("builtin", "rate_aside")
def rate_aside(ctx: Context, turn: Turn) -> Reply:
    """A rating ("5分", "满意", "评价 …") while a question waits for its answer: the case is
    rated and the question asked again, with its 30 minutes renewed (a question whose
    emergency is over ends, and the next waiting report is asked about). There a bare number
    answers the question, so a score is asked for as "5分"."""
    reply = rate(ctx, turn, ask="rating.ask_in_dialogue")
    again = ask_again(ctx, turn)
    return replace(reply, text=f"{reply.text}\n{again}") if again else reply
