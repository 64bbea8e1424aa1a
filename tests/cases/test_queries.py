"""Reads and small writes the conversations make on every message, on a real database."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from cases.clock import utcnow
from cases.db import Database
from cases.models import Resident
from cases.queries import LAST_MESSAGE_STEP, get_or_create_resident, note_message


def kept_last_message(db: Database, openid: str) -> object:
    with db.session() as session:
        return session.scalar(select(Resident.last_message_at).where(Resident.openid == openid))


def test_last_message_time_is_kept_to_within_its_step(db: Database) -> None:
    """A resident in conversation costs one write per step, and the kept time is never more
    than a step behind (WeChat's 48-hour window is judged short, never long)."""
    start = utcnow().replace(microsecond=0)
    with db.session() as session:
        get_or_create_resident(session, "oQ1", start, wrote=True)
    moments = [start + timedelta(minutes=m) for m in (1, 4, 5, 7, 12)]
    kept = []
    for moment in moments:
        with db.session() as session:
            note_message(session, get_or_create_resident(session, "oQ1", moment), moment)
        kept.append(kept_last_message(db, "oQ1"))
    assert kept == [start, start, moments[2], moments[2], moments[4]]
    assert all(moment - at < LAST_MESSAGE_STEP for moment, at in zip(moments, kept, strict=True))


def test_a_last_message_time_in_the_future_is_corrected(db: Database) -> None:
    """A clock that jumped back must not freeze the kept time."""
    now = utcnow().replace(microsecond=0)
    with db.session() as session:
        get_or_create_resident(session, "oQ2", now + timedelta(hours=1), wrote=True)
    with db.session() as session:
        note_message(session, get_or_create_resident(session, "oQ2", now), now)
    assert kept_last_message(db, "oQ2") == now


def test_a_resident_read_twice_in_a_session_is_one_object(db: Database) -> None:
    """Read with a plain statement and adopted: the same object each time, also after a
    rollback (a failing turn reads its sender again), and changes to it are saved."""
    now = utcnow()
    with db.session() as session:
        get_or_create_resident(session, "oQ3", now)
    with db.sessions() as session:
        first = get_or_create_resident(session, "oQ3", now)
        assert get_or_create_resident(session, "oQ3", now) is first
        session.rollback()
        again = get_or_create_resident(session, "oQ3", now)
        assert again is first
        again.phone = "13800000000"
        session.commit()
    with db.session() as session:
        assert session.scalar(select(Resident.phone).where(Resident.openid == "oQ3")) == (
            "13800000000"
        )


def test_two_first_contacts_at_once_make_one_resident(db: Database) -> None:
    """The second waits for the first one's commit (PostgreSQL's unique index, SQLite's write
    lock), inserts nothing and reads the first one's row."""
    now = utcnow()
    found: list[int] = []
    with db.sessions() as first:
        mine = get_or_create_resident(first, "oQ4", now, wrote=True)

        def second() -> None:
            with db.session() as session:
                found.append(get_or_create_resident(session, "oQ4", now).id)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # waiting for the first transaction
        first.commit()
        thread.join(timeout=10)
    assert found == [mine.id]
    with db.session() as session:
        assert len(session.scalars(select(Resident).where(Resident.openid == "oQ4")).all()) == 1
