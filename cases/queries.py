"""Reads that conversations need: a resident's cases, a case by number, a staff member's queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cases.lifecycle import ACTIVE
from cases.models import Case, Resident
from cases.org import Unit


def resident_by_openid(session: Session, openid: str) -> Resident | None:
    return session.scalar(select(Resident).where(Resident.openid == openid))


def get_or_create_resident(session: Session, openid: str, now: datetime) -> Resident:
    resident = resident_by_openid(session, openid)
    if resident is None:
        resident = Resident(openid=openid, created_at=now)
        session.add(resident)
        session.flush()
    return resident


def case_by_number(session: Session, number: str) -> Case | None:
    return session.scalar(select(Case).where(Case.number == number))


def open_cases_of(session: Session, resident: Resident, limit: int = 5) -> Sequence[Case]:
    return session.scalars(
        select(Case)
        .where(Case.resident_id == resident.id, Case.status.in_(ACTIVE | {"resolved"}))
        .order_by(Case.id.desc())
        .limit(limit)
    ).all()


def newest_active_case(session: Session, resident: Resident, since: datetime) -> Case | None:
    """The resident's newest open case touched since `since` (for attaching photos)."""
    return session.scalar(
        select(Case)
        .where(
            Case.resident_id == resident.id,
            Case.status.in_(ACTIVE),
            Case.updated_at >= since,
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
