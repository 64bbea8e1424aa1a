"""Reading a case for change: locked, and current even where the session held an older copy."""

from __future__ import annotations

import threading
import time

from cases import lifecycle
from cases.db import Database
from cases.locking import lock_case
from cases.models import Case, Resident
from cases.org import load_org
from cases.policy import load_policy
from config.settings import CONFIG_DIR

ORG = load_org(CONFIG_DIR / "org.yaml")
POLICY = load_policy(CONFIG_DIR / "escalation.yaml")


def opened(db: Database) -> int:
    with db.session() as session:
        resident = Resident(openid="oLOCK")
        session.add(resident)
        session.flush()
        new = lifecycle.NewCase("repair", "灯坏了", ORG.address("lvchang", "3"), "3")
        return lifecycle.open_case(session, POLICY, resident, new).id


def escalate(db: Database, case_id: int) -> None:
    with db.session() as session:
        case = lock_case(session, case_id)
        assert case is not None
        lifecycle.escalate(session, POLICY, case, "system", "超时未接单")


def test_a_copy_read_before_another_move_is_refreshed(db: Database) -> None:
    """A staff member's or an admin's session read the case, then a deadline check moved it:
    the lock hands back the case as it is now, not the session's copy."""
    case_id = opened(db)
    with db.session() as session:
        stale = session.get(Case, case_id)
        assert stale is not None and (stale.level, stale.stage) == ("grid", 0)
        escalate(db, case_id)  # another transaction, committed meanwhile
        locked = lock_case(session, case_id)
        assert locked is stale and (locked.level, locked.stage) == ("courtyard", 1)


def test_a_second_mover_waits_for_the_first(db: Database) -> None:
    """While one transaction holds the case, another's lock waits for its commit, then reads
    what it wrote (SQLite: the write lock; PostgreSQL: the row's)."""
    case_id = opened(db)
    seen: list[tuple[str, int]] = []
    with db.session() as session:
        held = lock_case(session, case_id)
        assert held is not None

        def second() -> None:
            with db.session() as other:
                case = lock_case(other, case_id)
                assert case is not None
                seen.append((case.level, case.stage))

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        assert seen == []  # still waiting
        lifecycle.escalate(session, POLICY, held, "system", "超时未接单")
    thread.join(timeout=10)
    assert seen == [("courtyard", 1)]
