"""Reads and small writes the conversations make on every message, on a real database."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import inspect, select

from cases import lifecycle
from cases.clock import utcnow
from cases.db import Database
from cases.migrations import upgrade
from cases.models import Case, Resident
from cases.org import load_org
from cases.policy import load_policy
from cases.queries import (
    LAST_MESSAGE_STEP,
    CaseLine,
    get_or_create_resident,
    note_message,
    open_cases_of,
)
from config.settings import CONFIG_DIR

ROOT = Path(__file__).resolve().parents[2]


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


def test_an_adopted_resident_is_as_if_loaded(db: Database) -> None:
    """Its values are the row's and nothing about it is pending."""
    now = utcnow().replace(microsecond=0)
    with db.session() as session:
        get_or_create_resident(session, "oQ5", now, wrote=True).phone = "13900000000"
    with db.sessions() as session:
        resident = get_or_create_resident(session, "oQ5", now)
        state = inspect(resident)
        assert state.persistent and not state.modified and not session.dirty
        assert (resident.openid, resident.phone, resident.last_message_at) == (
            "oQ5",
            "13900000000",
            now,
        )


def test_a_resident_is_adopted_in_a_process_that_built_no_object_yet(tmp_path: Path) -> None:
    """Adopting builds no object through its constructor, which is what configures the
    mappers on first use: a fresh web process answering its first message must not fail."""
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    script = (
        "from cases.clock import utcnow; from cases.db import Database; "
        "from cases.queries import get_or_create_resident; "
        f"db = Database({url!r}); "
        "s = db.sessions(); r = get_or_create_resident(s, 'oFRESH', utcnow()); "
        "r.phone = '13700000000'; s.commit(); print(r.openid, r.phone)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["oFRESH", "13700000000"]


def test_open_cases_of_are_the_newest_active_or_resolved_with_their_summary(
    db: Database,
) -> None:
    org = load_org(CONFIG_DIR / "org.yaml")
    policy = load_policy(CONFIG_DIR / "escalation.yaml")
    now = utcnow()
    with db.session() as session:
        resident = get_or_create_resident(session, "oQ6", now)
        other = get_or_create_resident(session, "oQ7", now)
        opened = [
            lifecycle.open_case(
                session,
                policy,
                owner,
                lifecycle.NewCase("repair", f"第{i}件", org.address("lvchang", "3"), "3"),
                now=now,
            )
            for i, owner in enumerate([resident] * 7 + [other])
        ]
        opened[6].status = "closed"
        opened[5].status = "resolved"
        session.flush()
        rows = open_cases_of(session, resident)
    assert [row.number for row in rows] == [case.number for case in opened[5::-1][:5]]
    newest = rows[0]
    assert {name: getattr(newest, name) for name in CaseLine.__annotations__} == {
        name: getattr(opened[5], name) for name in CaseLine.__annotations__
    }
    assert (newest.status, newest.level, newest.grid) == ("resolved", "grid", "lc-1")
    with db.session() as session:
        case = session.get(Case, opened[0].id)
        assert case is not None and [event.kind for event in case.events] == ["opened"]
