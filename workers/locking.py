"""Reading a case for change, so that two workers (or a worker and the webhook) never both act
on the same version of it.

PostgreSQL: SELECT … FOR UPDATE locks the row until commit. SQLite has no row locks and its
driver begins a transaction only at the first write, so the case is read by a harmless write
(UPDATE … RETURNING): it takes the database's write lock (waiting out the busy timeout), and
every read after it is current."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.models import Case


def lock_case(session: Session, case_id: int) -> Case | None:
    """The case, locked for this transaction and freshly read; None if it does not exist."""
    if session.get_bind().dialect.name == "sqlite":
        statement = update(Case).where(Case.id == case_id).values(stage=Case.stage).returning(Case)
    else:
        statement = select(Case).where(Case.id == case_id).with_for_update()
    return session.scalars(statement.execution_options(populate_existing=True)).first()
