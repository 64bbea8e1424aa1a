"""Reading a case for change, so that two workers, or a worker and a staff member or an admin,
never both act on the same version of it (a move computed from a stale read would undo the
other's: a level set from the stage before an escalation, a take by a level the case has left).

PostgreSQL: SELECT … FOR UPDATE locks the row until commit. SQLite has no row locks and its
driver begins a transaction only at the first write, so the case is read by a harmless write
(UPDATE … RETURNING): it takes the database's write lock (waiting out the busy timeout), and
every read after it is current. Deadline checks lock a batch of due cases the same way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from cases.models import Case


def due_by(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Dispatched cases whose deadline is `now` or earlier: what deadline checks look for."""
    return (Case.due_at <= now, Case.dispatched_stage >= Case.stage)


def lock_case(session: Session, case_id: int) -> Case | None:
    """The case, locked for this transaction and freshly read (an object the session held
    already is refreshed); None if it does not exist."""
    if session.get_bind().dialect.name == "sqlite":
        statement = update(Case).where(Case.id == case_id).values(stage=Case.stage).returning(Case)
    else:
        statement = select(Case).where(Case.id == case_id).with_for_update()
    return session.scalars(statement.execution_options(populate_existing=True)).first()


def lock_due(session: Session, now: datetime, limit: int) -> list[Case]:
    """Up to `limit` dispatched cases whose deadline is `now` or earlier, earliest first,
    locked and freshly read (call it first in a new session). On PostgreSQL, cases another
    worker holds are skipped, so that two workers checking at once share the work."""
    due = due_by(now)
    earliest = select(Case.id).where(*due).order_by(Case.due_at).limit(limit)
    if session.get_bind().dialect.name == "sqlite":
        statement = (
            update(Case)
            .where(Case.id.in_(earliest.scalar_subquery()))
            .values(stage=Case.stage)
            .returning(Case)
            .execution_options(synchronize_session=False)
        )
        return sorted(session.scalars(statement), key=lambda case: case.due_at or now)
    statement = select(Case).where(*due).order_by(Case.due_at).limit(limit)
    return list(session.scalars(statement.with_for_update(skip_locked=True)))
