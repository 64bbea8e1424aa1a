"""residents are told of admin moves: the owed-notice index covers set_level, reopen, close

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 22:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEX = "ix_case_events_notice_owed"
BEFORE = "notified_at IS NULL AND kind IN ('take', 'escalate', 'resolve')"
AFTER = (
    "notified_at IS NULL AND kind IN "
    "('take', 'escalate', 'resolve', 'set_level', 'reopen', 'close')"
)


def _recreate(predicate: str) -> None:
    where = sa.text(predicate)
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.create_index(INDEX, ["at"], sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    # Events of these kinds written before this revision were never meant to be told: mark
    # them told, so that the sweeper does not send residents news of old admin moves.
    op.execute(
        "UPDATE case_events SET notified_at = at "
        "WHERE notified_at IS NULL AND kind IN ('set_level', 'reopen', 'close')"
    )
    _recreate(AFTER)


def downgrade() -> None:
    _recreate(BEFORE)
