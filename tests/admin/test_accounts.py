"""Accounts and tokens: what `python -m bot create-admin` and `create-token` do."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import select

from admin.accounts import admin_for_token, create_admin, create_token, token_digest
from admin.lockout import LOCKOUT, MAX_FAILURES, LoginThrottle, client_network
from bot.__main__ import main
from cases.db import Database
from cases.models import AdminUser, ApiToken, AuditLog
from tests.admin.conftest import ORG


def test_create_admin_stores_a_hash_and_the_scope(db: Database) -> None:
    create_admin(db, "li", "a-long-password", "community:tbbl", org=ORG)
    with db.session() as session:
        admin = session.scalar(select(AdminUser).where(AdminUser.name == "li"))
        assert admin is not None
        assert (admin.scope_level, admin.scope_code) == ("community", "tbbl")
        assert "a-long-password" not in admin.password_hash
        assert admin.password_hash.startswith(("scrypt:", "pbkdf2:"))
        actions = session.scalars(select(AuditLog.action)).all()
    assert actions == ["admin.create"]


@pytest.mark.parametrize(
    ("name", "password", "scope", "message"),
    [
        ("", "a-long-password", None, "name"),
        ("has space", "a-long-password", None, "name"),
        ("ok", "short", None, "at least 8"),
        ("ok", "a-long-password", "grid:lc-1", "street:CODE or community:CODE"),
        ("ok", "a-long-password", "community:Bad Code", "street:CODE or community:CODE"),
        ("ok", "a-long-password", "community:nowhere", "no community 'nowhere'"),
    ],
)
def test_create_admin_refuses_bad_input(
    db: Database, name: str, password: str, scope: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create_admin(db, name, password, scope, org=ORG)


def test_create_admin_twice_is_refused(db: Database) -> None:
    create_admin(db, "li", "a-long-password", None)
    with pytest.raises(ValueError, match="exists already"):
        create_admin(db, "li", "another-password", None)


def test_token_is_shown_once_and_stored_as_a_digest(db: Database) -> None:
    create_admin(db, "li", "a-long-password", "street:lsz", org=ORG)
    token = create_token(db, "li")
    assert token.startswith("gbt_") and len(token) > 40
    assert create_token(db, "li") != token
    with db.session() as session:
        digests = session.scalars(select(ApiToken.token_hash)).all()
        assert token_digest(token) in digests and token not in digests
        admin = admin_for_token(session, token)
        assert admin is not None and admin.name == "li"
        assert admin_for_token(session, token + "x") is None
        assert admin_for_token(session, "not-a-token") is None


def test_token_for_unknown_admin_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="no admin 'ghost'"):
        create_token(db, "ghost")


def test_cli_commands(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The lead's `python -m bot create-admin/create-token` on top of admin.accounts."""
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.delenv("WECHAT_TOKEN", raising=False)
    assert main(["create-admin", "wang", "--scope", "street:xhl"]) == 0
    out = capsys.readouterr().out
    assert "created with password:" in out
    assert main(["create-admin", "zhao", "--password", "zhao-password-1"]) == 0
    assert main(["create-admin", "zhao", "--password", "zhao-password-1"]) == 2
    assert "exists already" in capsys.readouterr().out
    assert main(["create-token", "wang"]) == 0
    token = capsys.readouterr().out.strip()
    with db.session() as session:
        admin = admin_for_token(session, token)
        assert admin is not None and admin.scope_code == "xhl"
    assert main(["create-token", "nobody"]) == 2


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # IPv4 on a dual-stack socket
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::99", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("", "unknown"),
        (None, "unknown"),
        ("not-an-address", "unknown"),
    ],
)
def test_failures_count_per_ipv4_address_and_ipv6_64(address: str | None, network: str) -> None:
    assert client_network(address) == network


def test_throttle_keeps_no_typed_name_and_nothing_forever(redis_conn: redis.Redis) -> None:
    """People type passwords into the name field, and anyone may send any name: Redis keeps
    digests only, and every key expires within LOCKOUT."""
    throttle = LoginThrottle(redis_conn, "gridbot")
    for _ in range(MAX_FAILURES):
        attempt = throttle.begin("correct-horse-battery", "203.0.113.7")
        throttle.fail("correct-horse-battery", "203.0.113.7", attempt)
    keys = list(redis_conn.scan_iter("gridbot:login:*"))
    assert keys and not any(b"correct-horse" in key for key in keys)
    lockout_ms = LOCKOUT.total_seconds() * 1000
    assert all(0 < redis_conn.pttl(key) <= lockout_ms for key in keys)
    assert throttle.begin("correct-horse-battery", "203.0.113.7").refused
    assert not throttle.begin("correct-horse-battery", "203.0.113.8").refused


def test_throttle_counts_attempts_before_their_check(redis_conn: redis.Redis) -> None:
    """Attempts are numbered as they begin; one past the limit is refused uncounted until the
    full count expires, and the lock is set by the failure that reached the limit."""
    throttle = LoginThrottle(redis_conn, "gridbot")
    begun = [throttle.begin("li", "203.0.113.7") for _ in range(MAX_FAILURES + 2)]
    assert [(a.pair, a.name) for a in begun[:MAX_FAILURES]] == [
        (n, n) for n in range(1, MAX_FAILURES + 1)
    ]
    for past in begun[MAX_FAILURES:]:
        assert past.pair == 0 and past.locked is not None and past.locked <= LOCKOUT
    assert not redis_conn.keys("gridbot:login:*:lock")  # no lock until an attempt fails
    assert throttle.fail("li", "203.0.113.7", begun[MAX_FAILURES - 1]) == "address"
    assert redis_conn.keys("gridbot:login:*:lock")
    # The name's count kept the attempts let through, and only those.
    assert throttle.begin("li", "203.0.113.8").name == MAX_FAILURES + 1


def test_throttle_gives_back_a_right_passwords_attempt(redis_conn: redis.Redis) -> None:
    """A right password clears its network's count and takes one attempt off the name's,
    never below nothing (a lock may have cleared it meanwhile)."""
    throttle = LoginThrottle(redis_conn, "gridbot")
    for _ in range(3):
        throttle.begin("li", "203.0.113.7")
    throttle.begin("li", "198.51.100.20")
    throttle.give_back("li", "198.51.100.20")
    throttle.give_back("li", "203.0.113.7")
    assert (throttle.begin("li", "203.0.113.7").pair, throttle.begin("li", "::1").name) == (1, 4)
    redis_conn.delete(*redis_conn.scan_iter("gridbot:login:*"))
    throttle.give_back("li", "203.0.113.7")
    assert throttle.begin("li", "203.0.113.9").name == 1
