"""The state machine and its events, on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from cases import lifecycle
from cases.clock import utcnow
from cases.db import Database
from cases.models import Case, Resident
from cases.numbers import next_case_number
from cases.org import load_org
from cases.policy import load_policy
from config.settings import CONFIG_DIR

ORG = load_org(CONFIG_DIR / "org.yaml")
POLICY = load_policy(CONFIG_DIR / "escalation.yaml")


def new_case(db: Database, intent: str = "repair") -> int:
    with db.session() as session:
        resident = Resident(openid="oR1")
        session.add(resident)
        session.flush()
        case = lifecycle.open_case(
            session,
            POLICY,
            resident,
            lifecycle.NewCase(intent, "楼道灯坏了", ORG.address("lvchang", "3"), "3"),
        )
        return case.id


def test_open_sets_level_deadline_and_event(db: Database) -> None:
    case_id = new_case(db, "dispute")
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        assert (case.status, case.level, case.grid) == ("open", "courtyard", "lc-1")
        assert case.due_at == case.created_at + timedelta(minutes=30)
        assert [e.kind for e in case.events] == ["opened"]


def test_full_life_take_resolve_rate(db: Database) -> None:
    case_id = new_case(db)
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        lifecycle.take(session, POLICY, case, "oGRID001")
        assert case.status == "acknowledged" and case.acked_on_time
        assert case.due_at is not None and case.due_at > utcnow() + timedelta(days=1)
        lifecycle.resolve(session, case, "oGRID001", "换了灯泡")
        lifecycle.rate(session, POLICY, case, "oR1", 5)
        assert case.status == "closed" and case.rating == 5
        kinds = [(e.kind, e.from_status, e.to_status) for e in case.events]
    assert kinds == [
        ("opened", None, "open"),
        ("take", "open", "acknowledged"),
        ("resolve", "acknowledged", "resolved"),
        ("rate", "resolved", "closed"),
    ]


def test_bad_rating_reopens_at_same_level(db: Database) -> None:
    case_id = new_case(db)
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        lifecycle.resolve(session, case, "oGRID001", "")
        stage = case.stage
        lifecycle.rate(session, POLICY, case, "oR1", 2)
        assert (case.status, case.level, case.reopen_count) == ("reopened", "grid", 1)
        assert case.stage == stage + 1 and case.due_at is not None


def test_escalate_climbs_then_reminds_at_street(db: Database) -> None:
    case_id = new_case(db)
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        for expected in ("courtyard", "community", "street"):
            lifecycle.escalate(session, POLICY, case, "system", "超时未接单")
            assert case.level == expected and case.status == "open"
        assert not case.overdue
        lifecycle.escalate(session, POLICY, case, "system", "超时未接单")
        assert case.level == "street" and case.overdue
        assert [e.kind for e in case.events][-1] == "remind"
        assert case.stage == 3


def test_a_case_put_back_to_wait_for_a_take_is_neither_taken_nor_late(db: Database) -> None:
    """Overdue at the street, moved down by an admin; taken, resolved, then rated badly: each
    time it waits for a take with a fresh deadline, taken by nobody and not late."""
    case_id = new_case(db)
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        for _ in range(4):
            lifecycle.escalate(session, POLICY, case, "system", "超时未接单")
        lifecycle.take(session, POLICY, case, "王国栋 oSTREET001")
        assert case.overdue is False and case.acknowledged_by == "王国栋 oSTREET001"
        lifecycle.escalate(session, POLICY, case, "system", "超时未办结")  # late at the top
        assert case.overdue and case.acknowledged_by
        lifecycle.set_level(session, POLICY, case, "admin:district", "community", "社区办")
        assert (case.level, case.overdue, case.acknowledged_by) == ("community", False, None)
        lifecycle.take(session, POLICY, case, "李向华 oCOMM001")
        lifecycle.resolve(session, case, "李向华 oCOMM001", "已修")
        lifecycle.rate(session, POLICY, case, "oR1", 1)
        assert (case.status, case.acknowledged_at, case.acknowledged_by) == ("reopened", None, None)


def test_illegal_moves_raise(db: Database) -> None:
    case_id = new_case(db)
    with db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        with pytest.raises(lifecycle.IllegalMove, match="cannot rate"):
            lifecycle.rate(session, POLICY, case, "oR1", 5)
        lifecycle.cancel(session, case, "oR1", "不需要了")
        with pytest.raises(lifecycle.IllegalMove):
            lifecycle.take(session, POLICY, case, "oGRID001")


def test_case_numbers_are_unique_across_threads(db: Database) -> None:
    numbers: list[str] = []
    lock = threading.Lock()

    def issue() -> None:
        for _ in range(10):
            with db.session() as session:
                number = next_case_number(session, utcnow())
            with lock:
                numbers.append(number)

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(numbers) == 40 and len(set(numbers)) == 40
    assert all(len(n) == 11 and n[6] == "-" for n in numbers)
