"""The life of a case: the one state machine, and every move as a committed event row.

Callers pass a Session and commit it; jobs that follow a move (pushes, deadline checks) are
enqueued by the caller after the commit, never before (the database is the truth)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from cases.clock import utcnow
from cases.db import adopt
from cases.models import Case, CaseEvent, Resident
from cases.numbers import next_case_number
from cases.org import Address
from cases.policy import Policy

ACTIVE = frozenset({"open", "acknowledged", "reopened"})
TAKEABLE = frozenset({"open", "reopened"})  # active and waiting for someone to take it
STATUSES = ("open", "acknowledged", "resolved", "closed", "reopened", "cancelled")
PRIORITY = {"emergency": 2}

# move -> (statuses it may start from, status it leads to); None keeps the status.
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "take": (TAKEABLE, "acknowledged"),
    "resolve": (ACTIVE, "resolved"),
    "escalate": (ACTIVE, "open"),
    "remind": (ACTIVE, None),
    "rate": (frozenset({"resolved"}), "closed"),
    "reopen": (frozenset({"resolved", "closed"}), "reopened"),
    "close": (ACTIVE | {"resolved"}, "closed"),
    "cancel": (ACTIVE, "cancelled"),
    "set_level": (ACTIVE, "open"),
    "note": (frozenset(STATUSES), None),
    "attach": (frozenset(STATUSES), None),
    "address": (frozenset(STATUSES), None),
    "push_failed": (frozenset(STATUSES), None),
}


class IllegalMove(ValueError):
    """A move that the state machine does not allow from the case's status."""

    def __init__(self, case: Case, move: str) -> None:
        self.case = case
        self.move = move
        super().__init__(f"case {case.number} is {case.status}: cannot {move}")


@dataclass(frozen=True)
class NewCase:
    intent: str
    text: str
    address: Address | None
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    phone: str | None = None
    urgent: bool = False


def staff_actor(name: str, openid: str) -> str:
    """How a staff member's moves are recorded: 'name openid' (the name as it was then, the
    openid to find their posts by). Residents are recorded by openid, admins as 'admin:NAME'."""
    return f"{name} {openid}".strip()


def actor_openid(actor: str) -> str:
    """The openid in a recorded actor: a staff member's last word, a resident's whole actor."""
    return actor.rpartition(" ")[2]


def record(
    session: Session,
    case: Case,
    move: str,
    actor: str,
    note: str = "",
    *,
    now: datetime | None = None,
    to_level: str | None = None,
) -> CaseEvent:
    """Apply `move` to `case` and add its event; raises IllegalMove when it is not allowed."""
    allowed_from, to_status = TRANSITIONS[move]
    if case.status not in allowed_from:
        raise IllegalMove(case, move)
    now = now or utcnow()
    event = CaseEvent(
        case=case,
        at=now,
        kind=move,
        actor=actor,
        from_status=case.status,
        to_status=to_status or case.status,
        from_level=case.level,
        to_level=to_level or case.level,
        note=note,
        # What residents do themselves (a rating that reopens) needs no notice: they were
        # answered in the chat.
        notified_at=now if case.openid and actor == case.openid else None,
    )
    session.add(event)
    if to_status:
        case.status = to_status
    if to_level:
        case.level = to_level
    case.updated_at = now
    return event


_INSERT_CASE = insert(Case.__table__).returning(*Case.__table__.c)
_INSERT_EVENT = insert(CaseEvent.__table__)


def open_case(
    session: Session,
    policy: Policy,
    resident: Resident | None,
    new: NewCase,
    *,
    now: datetime | None = None,
    actor: str | None = None,
) -> Case:
    """Create a case at its start level with its first deadline and an `opened` event."""
    now = now or utcnow()
    rule = policy.rule(new.intent)
    address = new.address
    values = dict(
        number=next_case_number(session, now),
        resident_id=resident.id if resident else None,
        openid=resident.openid if resident else None,
        intent=new.intent,
        status="open",
        level=rule.start,
        priority=PRIORITY.get(new.intent, 1 if new.urgent else 0),
        street=address.street if address else None,
        community=address.community if address else None,
        courtyard=address.courtyard if address else None,
        grid=address.grid if address else None,
        building=new.building,
        unit=new.unit,
        room=new.room,
        text=new.text,
        phone=new.phone,
        created_at=now,
        updated_at=now,
        level_since=now,
        due_at=now + rule.ack_within,
        stage=0,
    )
    # Two plain INSERTs rather than a unit of work (every report opens a case, and this was
    # most of what a report cost); the row comes back whole and joins the session as loaded.
    connection = session.connection()
    case = adopt(session, Case, connection.execute(_INSERT_CASE, values).one())
    connection.execute(
        _INSERT_EVENT,
        {
            "case_id": case.id,
            "at": now,
            "kind": "opened",
            "actor": actor or (case.openid or "system"),
            "to_status": "open",
            "to_level": case.level,
            "note": new.text[:500],
        },
    )
    return case


def take(
    session: Session, policy: Policy, case: Case, actor: str, *, now: datetime | None = None
) -> CaseEvent:
    now = now or utcnow()
    on_time = case.due_at is None or now <= case.due_at
    event = record(session, case, "take", actor, now=now)
    case.acknowledged_at = now
    case.acknowledged_by = actor
    if case.acked_on_time is None:
        case.acked_on_time = on_time
    case.due_at = now + policy.rule(case.intent).resolve_within
    case.overdue = False
    return event


def resolve(
    session: Session, case: Case, actor: str, note: str, *, now: datetime | None = None
) -> CaseEvent:
    now = now or utcnow()
    on_time = case.due_at is None or now <= case.due_at
    event = record(session, case, "resolve", actor, note, now=now)
    case.resolved_at = now
    if case.resolved_on_time is None:
        case.resolved_on_time = on_time and case.escalations == 0
    case.due_at = None
    case.overdue = False
    return event


def escalate(
    session: Session,
    policy: Policy,
    case: Case,
    actor: str,
    reason: str,
    *,
    now: datetime | None = None,
) -> CaseEvent:
    """Move the case one level up with a fresh take deadline; at the top, flag it overdue and
    set the next reminder instead (the street office is reminded every ack_within)."""
    now = now or utcnow()
    rule = policy.rule(case.intent)
    above = policy.level_above(case.level)
    if case.acked_on_time is None and case.status != "acknowledged":
        case.acked_on_time = False
    if above is None:
        event = record(session, case, "remind", actor, reason, now=now)
        case.overdue = True
        case.due_at = now + rule.ack_within
        return event
    event = record(session, case, "escalate", actor, reason, now=now, to_level=above)
    case.escalations += 1
    case.level_since = now
    case.acknowledged_at = None
    case.acknowledged_by = None
    case.due_at = now + rule.ack_within
    case.stage += 1
    return event


def rate(
    session: Session,
    policy: Policy,
    case: Case,
    actor: str,
    rating: int,
    *,
    now: datetime | None = None,
) -> CaseEvent:
    """A rating closes the case; 1–2 (不满意) reopens it at the same level instead."""
    if not 1 <= rating <= 5:
        raise ValueError("a rating is 1 to 5")
    now = now or utcnow()
    case.rating = rating
    if rating <= 2:
        return reopen(session, policy, case, actor, f"评价 {rating} 分（不满意）", now=now)
    event = record(session, case, "rate", actor, f"评价 {rating} 分", now=now)
    case.closed_at = now
    return event


def reopen(
    session: Session,
    policy: Policy,
    case: Case,
    actor: str,
    reason: str,
    *,
    now: datetime | None = None,
) -> CaseEvent:
    """Back to work at the same level, with a fresh take deadline and a new stage."""
    now = now or utcnow()
    event = record(session, case, "reopen", actor, reason, now=now)
    case.reopen_count += 1
    case.resolved_at = None
    case.closed_at = None
    _fresh_at_level(case, now)
    case.stage += 1
    case.due_at = now + policy.rule(case.intent).ack_within
    return event


def close(
    session: Session, case: Case, actor: str, reason: str, *, now: datetime | None = None
) -> CaseEvent:
    now = now or utcnow()
    event = record(session, case, "close", actor, reason, now=now)
    case.closed_at = now
    case.due_at = None
    return event


def cancel(
    session: Session, case: Case, actor: str, reason: str, *, now: datetime | None = None
) -> CaseEvent:
    now = now or utcnow()
    event = record(session, case, "cancel", actor, reason, now=now)
    case.due_at = None
    return event


def set_level(
    session: Session,
    policy: Policy,
    case: Case,
    actor: str,
    level: str,
    reason: str,
    *,
    now: datetime | None = None,
) -> CaseEvent:
    """An admin moves the case to `level`: a new stage with a fresh take deadline."""
    if level not in policy.levels:
        raise ValueError(f"unknown level {level!r}")
    now = now or utcnow()
    event = record(session, case, "set_level", actor, reason, now=now, to_level=level)
    _fresh_at_level(case, now)
    case.due_at = now + policy.rule(case.intent).ack_within
    case.stage += 1
    return event


def _fresh_at_level(case: Case, now: datetime) -> None:
    """A case put back to wait for a take (reopened, moved by an admin): nobody has taken it
    at this stage, and with its fresh deadline it is not late (the street's overdue flag of
    a case moved down would otherwise stay on the dashboard)."""
    case.level_since = now
    case.acknowledged_at = None
    case.acknowledged_by = None
    case.overdue = False


def note(
    session: Session, case: Case, actor: str, text: str, *, now: datetime | None = None
) -> CaseEvent:
    return record(session, case, "note", actor, text, now=now)
