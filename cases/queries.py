"""Reads that conversations need: a resident's cases, a case by number, a staff member's queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cases.db import DialectStatement, adopt
from cases.lifecycle import ACTIVE
from cases.models import Case, Resident
from cases.org import Unit

# Built once: every message looks its sender up.
_RESIDENTS = Resident.__table__
_RESIDENT_BY_OPENID = select(_RESIDENTS).where(_RESIDENTS.c.openid == bindparam("openid"))


def _insert_resident(builder: Any) -> Any:
    """INSERT … ON CONFLICT (openid) DO NOTHING RETURNING *, built once per dialect."""
    return (
        builder(_RESIDENTS)
        .on_conflict_do_nothing(index_elements=[_RESIDENTS.c.openid])
        .returning(*_RESIDENTS.c)
    )


_INSERT_RESIDENT = DialectStatement(_insert_resident)


_NOTE_MESSAGE = (
    update(_RESIDENTS)
    .where(_RESIDENTS.c.id == bindparam("resident_id"))
    .values(last_message_at=bindparam("now"))
)


def resident_by_openid(session: Session, openid: str) -> Resident | None:
    row = session.connection().execute(_RESIDENT_BY_OPENID, {"openid": openid}).first()
    return adopt(session, Resident, row) if row is not None else None


def get_or_create_resident(
    session: Session, openid: str, now: datetime, *, wrote: bool = False
) -> Resident:
    """The resident of `openid`, created at first contact; `wrote`: a newcomer's first contact
    is a message, kept as their last message time (see `note_message` for the others). Two
    first messages at once (two processes) make one resident: the second insert does nothing
    (on PostgreSQL it waits for the first to commit) and reads the first one's row, which
    READ COMMITTED (PostgreSQL's default; SQLite's writers are serial) lets it see."""
    resident = resident_by_openid(session, openid)
    if resident is None:
        connection = session.connection()
        new = {"openid": openid, "created_at": now, "last_message_at": now if wrote else None}
        row = connection.execute(_INSERT_RESIDENT.on(connection), new).first()
        resident = adopt(session, Resident, row) if row else resident_by_openid(session, openid)
        if resident is None:  # not inserted, yet not there: not READ COMMITTED isolation?
            raise RuntimeError(f"resident {openid} neither inserted nor found")
    return resident


# How stale the kept last message time may be. It only decides whether WeChat's 48-hour
# customer-service window is open; kept this coarsely, the window is judged at most five
# minutes short (a template message instead), never long, and a resident in conversation costs
# one write per five minutes rather than one per message.
LAST_MESSAGE_STEP = timedelta(minutes=5)


def note_message(session: Session, resident: Resident, now: datetime) -> None:
    """Keep `now` as the resident's last message time, unless the kept one is less than
    LAST_MESSAGE_STEP old: one plain UPDATE, without marking the object changed (a unit of
    work for one column costs more than the rest of a message's writes; on SQLite it would also
    take the write lock early)."""
    last = resident.last_message_at
    if last is not None and timedelta(0) <= now - last < LAST_MESSAGE_STEP:
        return
    session.connection().execute(_NOTE_MESSAGE, {"resident_id": resident.id, "now": now})
    set_committed_value(resident, "last_message_at", now)


def case_by_number(session: Session, number: str) -> Case | None:
    return session.scalar(select(Case).where(Case.number == number))


class CaseLine(Protocol):
    """What a case's one-line summary shows: a Case, or a row of `open_cases_of`."""

    id: int
    number: str
    intent: str
    status: str
    level: str
    street: str | None
    community: str | None
    courtyard: str | None
    grid: str | None
    text: str


_CASES = Case.__table__
# Built once, of the summary's columns only: "where do my reports stand" is one message in
# every few, and loading whole cases (the ORM's statement and objects) cost more than the rest
# of such a message together.
_OPEN_CASES_OF = (
    select(*(_CASES.c[name] for name in CaseLine.__annotations__))
    .where(
        _CASES.c.resident_id == bindparam("resident_id"),
        _CASES.c.status.in_(sorted(ACTIVE | {"resolved"})),
    )
    .order_by(_CASES.c.id.desc())
    .limit(bindparam("limit"))
)


def open_cases_of(session: Session, resident: Resident, limit: int = 5) -> Sequence[Row[Any]]:
    """The resident's newest open or resolved cases, as rows of CaseLine's columns."""
    params = {"resident_id": resident.id, "limit": limit}
    return session.connection().execute(_OPEN_CASES_OF, params).all()


def newest_active_case(
    session: Session, resident: Resident, since: datetime, intent: str | None = None
) -> Case | None:
    """The resident's newest open case touched since `since` (for attaching photos; of
    `intent` only, if given)."""
    return session.scalar(
        select(Case)
        .where(
            Case.resident_id == resident.id,
            Case.status.in_(ACTIVE),
            Case.updated_at >= since,
            *([Case.intent == intent] if intent else []),
        )
        .order_by(Case.id.desc())
        .limit(1)
    )


def newest_resolved_case(session: Session, resident: Resident) -> Case | None:
    return session.scalar(
        select(Case)
        .where(Case.resident_id == resident.id, Case.status == "resolved")
        .order_by(Case.resolved_at.desc(), Case.id.desc())
        .limit(1)
    )


def waiting_for(session: Session, posts: Sequence[Unit], limit: int = 20) -> Sequence[Case]:
    """Active cases held at one of `posts` (a staff member's units and levels)."""
    if not posts:
        return []
    conditions = [
        (Case.level == unit.level) & (getattr(Case, unit.level) == unit.code) for unit in posts
    ]
    return session.scalars(
        select(Case)
        .where(Case.status.in_(ACTIVE), or_(*conditions))
        .order_by(Case.priority.desc(), Case.id)
        .limit(limit)
    ).all()
