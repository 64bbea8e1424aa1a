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
    rows = [
        {
            "case_id": case.id,
            "stage": stage,
            "kind": kind,
            "level": level,
            "openid": openid,
            "status": "pending",
            "created_at": now,
            "attempts": 0,
        }
        for level, openid in targets
    ]
    if not rows:
        return []
    statement = _INSERT[session.get_bind().dialect.name]
    return sorted(session.scalars(statement, rows).all())


def _insert_once(builder: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, built once (and compiled once)."""
    return (
        builder(Push)
        .on_conflict_do_nothing(index_elements=["case_id", "stage", "kind", "openid"])
        .returning(Push.id)
    )


_INSERT = {"sqlite": _insert_once(sqlite.insert), "postgresql": _insert_once(postgresql.insert)}


def pending_ids(session: Session, case_id: int, stage: int) -> Sequence[int]:
    """The case's pushes of `stage` still waiting to be sent."""
    return session.scalars(
        select(Push.id)
        .where(Push.case_id == case_id, Push.stage == stage, Push.status == "pending")
        .order_by(Push.id)
    ).all()
