"""The moves an admin makes on a case page, with a reason: a note, another level, closing,
reopening. Each is a cases.lifecycle move (so it is an event on the timeline, with the admin
as actor) plus the work that must follow it once committed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from admin.present import Labels
from cases import lifecycle
from cases.followups import Followup
from cases.lifecycle import ACTIVE
from cases.models import Case
from cases.policy import Policy

MOVES = ("note", "level", "close", "reopen")
MAX_TEXT = {"note": 2000, "level": 500, "close": 500, "reopen": 500}


class Refused(ValueError):
    """A move that makes no sense here; the message is for the admin (Chinese)."""


@dataclass
class Done:
    message: str
    followups: list[Followup] = field(default_factory=list)


def check(action: str, text: str) -> None:
    """What can be said before the case is read: the move exists, a reason is given."""
    if action not in MOVES:
        raise Refused("未知的操作。")
    if not text:
        raise Refused("请填写备注内容。" if action == "note" else "请填写原因。")
    if len(text) > MAX_TEXT[action]:
        raise Refused("内容太长，请精简后再提交。")


def make(
    session: Session,
    policy: Policy,
    labels: Labels,
    case: Case,
    action: str,
    actor: str,
    text: str,
    level: str = "",
) -> Done:
    """Apply one move; lifecycle.IllegalMove when the case's status does not allow it.

    A new level or a reopening is a new stage, so its dispatch follows; the resident hears
    of every move but a note (the notice job decides what is worth a message)."""
    check(action, text)
    if action == "note":
        lifecycle.note(session, case, actor, text)
        return Done("已添加备注。")
    if action == "level":
        if level not in policy.levels:
            raise Refused("未知的层级。")
        if level == case.level and case.status in ACTIVE:
            raise Refused("工单已在该层级。")
        event = lifecycle.set_level(session, policy, case, actor, level, text)
        message = f"已调整至{labels.level(level)}层级。"
    elif action == "close":
        event = lifecycle.close(session, case, actor, text)
        message = "工单已关闭。"
    else:
        event = lifecycle.reopen(session, policy, case, actor, text)
        message = "工单已重新办理。"
    session.flush()
    followups = [Followup.notify(event.id)]
    if action != "close":
        followups.insert(0, Followup.dispatch(case.id, case.stage))
    return Done(message, followups)
