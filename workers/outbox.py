"""Push rows as an outbox: written in the same transaction as the change they announce, then
delivered. The unique (case, stage, kind, openid) makes writing them twice harmless, and a
row's status makes sending it twice impossible (pending -> sending is claimed atomically)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cases.models import Case, Push

# A resident's notice of event N is the push of kind "notice:N" (staff pushes: "dispatch",
# "remind:N").
_NOTICE = "notice:"


def notice_kind(event_id: int) -> str:
    return f"{_NOTICE}{event_id}"


def is_notice(kind: str) -> bool:
    return kind.startswith(_NOTICE)


def noticed_event(kind: str) -> int:
    """The id of the event a notice's kind names."""
    return int(kind.removeprefix(_NOTICE))


NOTICES = Push.kind.startswith(_NOTICE)  # the clause, for queries


def add_pushes(
    session: Session,
    case: Case,
    stage: int,
    kind: str,
    targets: Iterable[tuple[str | None, str]],
    now: datetime,
) -> list[int]:
    """A pending Push per (level, openid) target, unless that push exists already; returns
    the ids of the rows written now."""
    rows = [push_row(case.id, stage, kind, level, openid, now) for level, openid in targets]
    return sorted(push_id for push_id, _ in insert_pushes(session, rows))


def push_row(
    case_id: int, stage: int, kind: str, level: str | None, openid: str, now: datetime
) -> dict[str, Any]:
    """The values of a new pending push, for `insert_pushes`."""
    return {
        "case_id": case_id,
        "stage": stage,
        "kind": kind,
        "level": level,
        "openid": openid,
        "status": "pending",
        "created_at": now,
        "attempts": 0,
    }


def insert_pushes(session: Session, rows: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """Insert push rows (from `push_row`) in one statement, skipping those that exist;
    (id, kind) of each row written now."""
    if not rows:
        return []
    statement = _INSERT[session.get_bind().dialect.name]
    return [(push_id, kind) for push_id, kind in session.execute(statement, rows)]


def _insert_once(builder: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, kind, built once (and compiled once)."""
    return (
        builder(Push)
        .on_conflict_do_nothing(index_elements=["case_id", "stage", "kind", "openid"])
        .returning(Push.id, Push.kind)
    )


_INSERT = {"sqlite": _insert_once(sqlite.insert), "postgresql": _insert_once(postgresql.insert)}


def pending_ids(session: Session, case_id: int, stage: int) -> Sequence[int]:
    """The case's pushes of `stage` still waiting to be sent."""
    return session.scalars(
        select(Push.id)
        .where(Push.case_id == case_id, Push.stage == stage, Push.status == "pending")
        .order_by(Push.id)
    ).all()
