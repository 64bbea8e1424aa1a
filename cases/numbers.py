"""Case numbers people can read aloud: YYMMDD-NNNN in China time, unique across processes.

The counter row is bumped with one atomic upsert (SQLite 3.35+ and PostgreSQL both support
INSERT … ON CONFLICT … RETURNING), so two web processes never hand out the same number."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from cases.clock import local
from cases.db import DialectStatement
from cases.models import CaseCounter


def next_case_number(session: Session, now: datetime) -> str:
    day = local(now).strftime("%y%m%d")
    connection = session.connection()
    last = connection.execute(_BUMP.on(connection), {"day": day}).scalar_one()
    return f"{day}-{last:04d}"


_COUNTERS = CaseCounter.__table__


def _bump(builder: Any) -> Any:
    """INSERT (day, 1) … ON CONFLICT (day) DO UPDATE SET last = last + 1 RETURNING last, built
    once per dialect on the table (it runs for every case; the ORM adds nothing here)."""
    return (
        builder(_COUNTERS)
        .values(day=bindparam("day"), last=1)
        .on_conflict_do_update(
            index_elements=[_COUNTERS.c.day], set_={"last": _COUNTERS.c.last + 1}
        )
        .returning(_COUNTERS.c.last)
    )


_BUMP = DialectStatement(_bump)
