"""Case numbers people can read aloud: YYMMDD-NNNN in China time, unique across processes.

The counter row is bumped with one atomic upsert (SQLite 3.35+ and PostgreSQL both support
INSERT … ON CONFLICT … RETURNING), so two web processes never hand out the same number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cases.clock import local
from cases.models import CaseCounter


def next_case_number(session: Session, now: datetime) -> str:
    day = local(now).strftime("%y%m%d")
    dialect = session.get_bind().dialect.name
    builder = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if builder is None:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"case numbers need SQLite or PostgreSQL, not {dialect}")
    stmt = builder(CaseCounter).values(day=day, last=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CaseCounter.day], set_={"last": CaseCounter.last + 1}
    ).returning(CaseCounter.last)
    last = session.execute(stmt).scalar_one()
    return f"{day}-{last:04d}"
