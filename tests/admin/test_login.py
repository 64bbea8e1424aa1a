"""Logging in: hashed passwords, CSRF on the form, cookie flags, lockout, safe redirects."""

from __future__ import annotations

import logging
import re
import threading
import time

import pytest
import redis
import sqlalchemy
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from admin import accounts, lockout, views_login
from admin.lockout import LOCKOUT, MAX_FAILURES
from bot.app import create_app
from cases.clock import local, utcnow
from cases.db import Database
from cases.models import AdminUser, AuditLog
from config.settings import Settings
from tests.admin.conftest import PASSWORD, client_as, csrf_of

ATTACKER = "203.0.113.7"
ADMIN_DESK = "198.51.100.20"
GUESSERS = ("203.0.113.8", "203.0.113.9")


def log_in(
    client: FlaskClient, name: str, password: str = PASSWORD, next_url: str = ""
) -> tuple[int, str, str]:
    """Fill in the login form as a browser would; (status, Location, page text)."""
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/admin/login",
        data={"name": name, "password": password, "csrf_token": token, "next": next_url},
    )
    return response.status_code, response.headers.get("Location", ""), response.get_data(True)


def test_pages_need_a_login(app: Flask) -> None:
    client = app.test_client()
    for path in ("/admin/", "/admin/cases", "/admin/org", "/admin/opinions", "/admin/cases.csv"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/admin/login?next=" in response.headers["Location"]


def test_login_and_logout(app: Flask, admins: dict[str, int], db: Database) -> None:
    client = app.test_client()
    status, location, _ = log_in(client, "district", next_url="/admin/cases?status=open")
    assert (status, location) == (302, "/admin/cases?status=open")
    assert client.get("/admin/cases").status_code == 200
    page = client.get("/admin/").get_data(as_text=True)
    assert "中原区（全部）" in page and "district" in page
    # Logout is a POST with the session's token; afterwards the pages are closed again.
    assert client.post("/admin/logout").status_code == 400
    client.post("/admin/logout", data={"csrf_token": csrf_of(page)})
    assert client.get("/admin/").status_code == 302
    with db.session() as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["login", "logout"]


def test_cookie_is_httponly_and_lax(app: Flask, admins: dict[str, int]) -> None:
    client = app.test_client()
    token = csrf_of(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/admin/login", data={"name": "district", "password": PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookie_is_secure_behind_https(settings: Settings, db: Database) -> None:
    app = create_app(settings.replace(public_url="https://grid.example.cn"), warm=False)
    try:
        assert app.config["SESSION_COOKIE_SECURE"] is True
    finally:
        app.extensions["gridbot"].close()


def test_login_form_needs_its_csrf_token(app: Flask, admins: dict[str, int]) -> None:
    client = app.test_client()
    client.get("/admin/login")
    response = client.post("/admin/login", data={"name": "district", "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    forged = client.post(
        "/admin/login", data={"name": "district", "password": PASSWORD, "csrf_token": "guess"}
    )
    assert forged.status_code == 400


def test_login_gives_a_fresh_session(app: Flask, admins: dict[str, int]) -> None:
    client = app.test_client()
    before = csrf_of(client.get("/admin/login").get_data(as_text=True))
    log_in(client, "district")
    after = csrf_of(client.get("/admin/").get_data(as_text=True))
    assert before != after


def test_wrong_password_and_unknown_name(app: Flask, admins: dict[str, int]) -> None:
    client = app.test_client()
    status, _, page = log_in(client, "district", "wrong-password")
    assert status == 401 and "用户名或密码错误" in page
    status, _, page = log_in(client, "nobody", "wrong-password")
    assert status == 401 and "用户名或密码错误" in page
    assert client.get("/admin/").status_code == 302


def client_at(app: Flask, address: str) -> FlaskClient:
    """A browser whose requests come from `address` (the socket's peer, REMOTE_ADDR)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def answer(page: str) -> str:
    """The error the login page shows, with the clock time of a lock made neutral (two runs a
    minute apart must compare equal)."""
    match = re.search(r'role="alert">([^<]*)<', page)
    return re.sub(r"\d\d:\d\d", "HH:MM", match.group(1)) if match else ""


def fail(client: FlaskClient, name: str, times: int) -> list[tuple[int, str]]:
    """`times` wrong passwords for `name`; what each answered (status, error)."""
    answers = []
    for _ in range(times):
        status, _, page = log_in(client, name, "wrong-password")
        answers.append((status, answer(page)))
    return answers


def lock_keys(redis_conn: redis.Redis) -> list[bytes]:
    return list(redis_conn.scan_iter("gridbot:login:*lock"))


def test_same_answers_for_real_and_made_up_names(app: Flask, admins: dict[str, int]) -> None:
    """Whether a name exists must not show: a made-up name locks exactly like a real one."""
    real = fail(client_at(app, ATTACKER), "tbbl", MAX_FAILURES + 2)
    made_up = fail(client_at(app, ATTACKER), "no-such-admin", MAX_FAILURES + 2)
    assert real == made_up
    assert [status for status, _ in real] == [401] * (MAX_FAILURES - 1) + [403] * 3
    assert "请于 HH:MM 后再试" in real[-1][1]


def test_a_lock_holds_one_address_only(app: Flask, admins: dict[str, int], db: Database) -> None:
    """Wrong passwords sent from elsewhere do not keep the real admin out."""
    attacker = client_at(app, ATTACKER)
    fail(attacker, "tbbl", MAX_FAILURES)
    assert log_in(attacker, "tbbl")[0] == 403  # the right password waits out the lock there
    assert log_in(client_at(app, ADMIN_DESK), "tbbl")[0] == 302
    with db.session() as session:
        details = session.scalars(select(AuditLog.detail).order_by(AuditLog.id)).all()
    assert any(ATTACKER in detail for detail in details)
    assert details[-1] == f"from {ADMIN_DESK}"


def test_a_right_password_clears_that_address_count(app: Flask, admins: dict[str, int]) -> None:
    """The admin's own typos do not add up across logins."""
    client = client_at(app, ADMIN_DESK)
    fail(client, "tbbl", MAX_FAILURES - 1)
    assert log_in(client, "tbbl")[0] == 302
    answers = fail(client_at(app, ADMIN_DESK), "tbbl", MAX_FAILURES - 1)
    assert [status for status, _ in answers] == [401] * (MAX_FAILURES - 1)


def test_lock_ends_after_its_time(
    app: Flask, admins: dict[str, int], db: Database, redis_conn: redis.Redis
) -> None:
    client = client_at(app, ATTACKER)
    before = utcnow()
    assert [status for status, _ in fail(client, "tbbl", MAX_FAILURES)][-1] == 403
    status, _, page = log_in(client, "tbbl")  # even the right password is refused meanwhile
    assert status == 403 and "登录失败次数过多" in page
    shown = {local(moment + LOCKOUT).strftime("%H:%M") for moment in (before, utcnow())}
    assert any(f"请于 {until} 后再试" in page for until in shown)
    (key,) = lock_keys(redis_conn)
    lock_ms = LOCKOUT.total_seconds() * 1000
    assert lock_ms - 60_000 < redis_conn.pttl(key) <= lock_ms
    redis_conn.pexpire(key, 1)  # the lock has run out
    time.sleep(0.01)
    assert log_in(client, "tbbl")[0] == 302
    with db.session() as session:
        actions = session.scalars(select(AuditLog.action)).all()
    assert actions.count("login.lockout") == 1 and "login.locked" in actions
    # Other accounts were never affected, even from that address.
    assert log_in(client_at(app, ATTACKER), "district")[0] == 302


def test_many_addresses_lock_a_name_for_all(
    app: Flask, admins: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backstop against guessing spread over many addresses: past ACCOUNT_MAX_FAILURES a
    name is locked from everywhere, a made-up name as a real one."""
    per_address = MAX_FAILURES - 1  # never enough to lock one address
    monkeypatch.setattr(lockout, "ACCOUNT_MAX_FAILURES", 2 * per_address)
    answers = {}
    for name in ("tbbl", "no-such-admin"):
        spread = [fail(client_at(app, address), name, per_address) for address in GUESSERS]
        status, _, page = log_in(client_at(app, ADMIN_DESK), name)
        answers[name] = (spread, status, answer(page))
    assert answers["tbbl"] == answers["no-such-admin"]
    spread, status, _ = answers["tbbl"]
    assert [status for status, _ in spread[0]] == [401] * per_address
    assert [status for status, _ in spread[1]] == [401] * (per_address - 1) + [403]
    assert status == 403  # the right password, from an address that never failed
    assert log_in(client_at(app, ADMIN_DESK), "district")[0] == 302


def slow_checks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Make every password check take 0.3 s (scrypt on a busy host), so that guesses sent at
    once are all in their checks together; returns the checks made, as they end."""
    real = accounts.check_password_hash
    checks: list[bool] = []

    def slow_check(hashed: str, password: str) -> bool:
        time.sleep(0.3)
        right = real(hashed, password)
        checks.append(right)
        return right

    monkeypatch.setattr(accounts, "check_password_hash", slow_check)
    return checks


def burst(app: Flask, name: str, passwords: list[str], *, last_late: bool = False) -> list[int]:
    """Log in as `name` with each of `passwords` at once, from ATTACKER (as to several web
    processes); the statuses, in the order of `passwords`. With `last_late`, the last is sent
    once each of the others has been counted (in Redis, or in the account's row when Redis is
    down) or answered without a count, however slowly their threads got going on a busy host:
    a fixed delay was not always enough on a loaded machine."""
    clients = [client_at(app, ATTACKER) for _ in passwords]
    tokens = [csrf_of(c.get("/admin/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    statuses = [0] * len(clients)
    settled = threading.Semaphore(0)  # released once per attempt: counted, or answered
    attempt = threading.local()
    real = (views_login.authenticate, lockout.LoginThrottle.begin, accounts._count_in_row)

    def counted(result: object) -> object:
        if not attempt.settled:
            attempt.settled = True
            settled.release()
        return result

    def authenticate(*args: object, **kwargs: object) -> object:
        attempt.settled = False
        try:
            return real[0](*args, **kwargs)  # type: ignore[arg-type]
        finally:
            counted(None)

    def begin(*args: object, **kwargs: object) -> object:
        return counted(real[1](*args, **kwargs))  # type: ignore[arg-type]

    def count_in_row(*args: object, **kwargs: object) -> object:
        return counted(real[2](*args, **kwargs))  # type: ignore[arg-type]

    def guess(i: int) -> None:
        start.wait()
        if last_late and i == len(clients) - 1:
            for _ in range(len(clients) - 1):
                assert settled.acquire(timeout=30)
        form = {"name": name, "password": passwords[i], "csrf_token": tokens[i], "next": ""}
        statuses[i] = clients[i].post("/admin/login", data=form).status_code

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(clients))]
    views_login.authenticate = authenticate  # type: ignore[assignment]
    lockout.LoginThrottle.begin = begin  # type: ignore[method-assign]
    accounts._count_in_row = count_in_row  # type: ignore[assignment]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        views_login.authenticate, lockout.LoginThrottle.begin, accounts._count_in_row = real
    return statuses


def test_parallel_guesses_all_count(app: Flask, admins: dict[str, int]) -> None:
    """Guesses sent at once (to several web processes) all count towards the lock."""
    statuses = burst(app, "tbbl", ["wrong-password"] * MAX_FAILURES)
    assert sorted(statuses) == [401] * (MAX_FAILURES - 1) + [403]
    assert log_in(client_at(app, ATTACKER), "tbbl")[0] == 403


@pytest.mark.parametrize("name", ["tbbl", "no-such-admin"])
def test_a_burst_gets_no_more_checks_than_guesses_one_by_one(
    app: Flask, admins: dict[str, int], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Found by review: 12 guesses at once from one address all passed the lock check made
    before the slow hash check, all 12 were checked, and the last, right one logged in. Each
    attempt is now counted before its check: the first MAX_FAILURES are checked, the rest are
    refused unchecked, the right one with them; a made-up name gets the same checks and the
    same answers, so neither tells that the name exists."""
    checks = slow_checks(monkeypatch)
    n = 2 * MAX_FAILURES + 2
    statuses = burst(app, name, ["wrong-password"] * (n - 1) + [PASSWORD], last_late=True)
    assert len(checks) == MAX_FAILURES, statuses
    assert statuses[-1] == 403
    assert sorted(statuses) == [401] * (MAX_FAILURES - 1) + [403] * (n - MAX_FAILURES + 1)


def test_the_admins_logins_do_not_use_up_the_backstop(
    app: Flask, admins: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A right password gives back the attempt it was counted as, from the name's count too:
    an admin who logs in often is not locked out by their own logins."""
    monkeypatch.setattr(lockout, "ACCOUNT_MAX_FAILURES", 2)
    addresses = (ADMIN_DESK, *GUESSERS)
    assert [log_in(client_at(app, address), "tbbl")[0] for address in addresses] == [302] * 3
    assert fail(client_at(app, ATTACKER), "tbbl", 2)[-1][0] == 403  # the backstop still holds


def test_ipv6_counts_per_64(app: Flask, admins: dict[str, int]) -> None:
    """One IPv6 subscriber holds a whole /64: counting single addresses would give them
    endless tries."""
    fail(client_at(app, "2001:db8:1:2::1"), "tbbl", MAX_FAILURES)
    assert log_in(client_at(app, "2001:db8:1:2::99"), "tbbl")[0] == 403
    assert log_in(client_at(app, "2001:db8:1:3::1"), "tbbl")[0] == 302


def test_forwarded_for_is_not_trusted(
    app: Flask, admins: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    """X-Forwarded-For is whatever the client wrote: without a configured proxy it must not
    give a new address per guess. Its arrival is logged, since behind a proxy every login
    then shares the proxy's address."""
    views_login.warn_of_proxy.cache_clear()
    client = client_at(app, ATTACKER)
    for number in range(MAX_FAILURES):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{number}"
        log_in(client, "tbbl", "wrong-password")
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.200"
    assert log_in(client, "tbbl")[0] == 403
    warnings = [r for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING


def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    settings: Settings,
    db: Database,
    redis_conn: object,
    admins: dict[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GRIDBOT_PROXY_HOPS=1: every request comes from the proxy, and the address the proxy
    appended is the client's. One client's wrong passwords lock that client only; what the
    client itself wrote before the proxy's entry is not believed."""
    views_login.warn_of_proxy.cache_clear()
    app = create_app(settings.replace(proxy_hops=1), warm=False)
    try:
        attacker = client_at(app, "127.0.0.1")
        for number in range(MAX_FAILURES):
            # A forged first entry per guess; the proxy's own entry (the last) is the truth.
            attacker.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{number}, {ATTACKER}"
            log_in(attacker, "tbbl", "wrong-password")
        assert log_in(attacker, "tbbl")[0] == 403
        admin = client_at(app, "127.0.0.1")
        admin.environ_base["HTTP_X_FORWARDED_FOR"] = ADMIN_DESK
        assert log_in(admin, "tbbl")[0] == 302
    finally:
        app.extensions["gridbot"].close()
    assert not [r for r in caplog.records if "X-Forwarded-For" in r.getMessage()]


def test_redis_down_neither_locks_all_nor_lets_guessing_run(
    settings: Settings,
    db: Database,
    admins: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without Redis the per-account count in the database takes over (at the backstop's
    threshold), and every login that Redis could not count says so in the log."""
    monkeypatch.setattr(lockout, "ACCOUNT_MAX_FAILURES", 3)
    app = create_app(settings.replace(redis_url="redis://127.0.0.1:1/0"), warm=False)
    app.config["TESTING"] = True
    try:
        assert log_in(client_at(app, ADMIN_DESK), "district")[0] == 302
        statuses = [status for status, _ in fail(client_at(app, ATTACKER), "tbbl", 4)]
        assert statuses == [401, 401, 403, 403]
        assert log_in(client_at(app, ADMIN_DESK), "tbbl")[0] == 403
    finally:
        app.extensions["gridbot"].close()
    assert any("Redis" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    with db.session() as session:
        admin = session.scalar(select(AdminUser).where(AdminUser.name == "tbbl"))
        assert admin is not None and admin.locked_until is not None


def test_redis_down_a_burst_gets_the_backstops_checks(
    settings: Settings, db: Database, admins: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without Redis the account's row counts each attempt before its check too (committed at
    once, so attempts sent alongside see it): a burst gets ACCOUNT_MAX_FAILURES checks, and
    the right password sent after it waits out the lock."""
    monkeypatch.setattr(lockout, "ACCOUNT_MAX_FAILURES", 3)
    checks = slow_checks(monkeypatch)
    app = create_app(settings.replace(redis_url="redis://127.0.0.1:1/0"), warm=False)
    app.config["TESTING"] = True
    try:
        statuses = burst(app, "tbbl", ["wrong-password"] * 7 + [PASSWORD], last_late=True)
    finally:
        app.extensions["gridbot"].close()
    assert len(checks) == 3, statuses
    assert statuses[-1] == 403
    assert sorted(statuses) == [401, 401] + [403] * 6


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/admin", "/admin\\@evil", "javascript:x"]
)
def test_next_never_leaves_the_dashboard(app: Flask, admins: dict[str, int], target: str) -> None:
    status, location, _ = log_in(app.test_client(), "district", next_url=target)
    assert (status, location) == (302, "/admin/")


def test_a_deleted_account_is_logged_out(app: Flask, admins: dict[str, int], db: Database) -> None:
    client = client_as(app, admins["lsz"])
    assert client.get("/admin/").status_code == 200
    with db.session() as session:
        session.delete(session.get(AdminUser, admins["lsz"]))
    assert client.get("/admin/").status_code == 302


def test_a_double_click_after_typos_does_not_lock_the_admin_out(
    app: Flask, admins: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four typos, then the right password sent twice at once: the first logs in; the second
    is refused as past the limit, but sets no lock, so the admin's address stays open."""
    fail(client_at(app, ATTACKER), "tbbl", MAX_FAILURES - 1)
    slow_checks(monkeypatch)
    statuses = burst(app, "tbbl", [PASSWORD, PASSWORD], last_late=True)
    assert sorted(statuses) == [302, 403], statuses
    monkeypatch.undo()
    assert log_in(client_at(app, ATTACKER), "tbbl")[0] == 302


def test_redis_down_a_made_up_name_costs_what_a_real_one_does(
    settings: Settings, db: Database, admins: dict[str, int]
) -> None:
    """Without Redis a real name's attempt is counted in its row (a statement committed on a
    connection of its own); a made-up name's runs the same statement on no row, so the time
    of the answer does not tell which names exist."""
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.split()[0])

    app = create_app(settings.replace(redis_url="redis://127.0.0.1:1/0"), warm=False)
    app.config["TESTING"] = True
    engine = app.extensions["gridbot"].domain.db.engine
    sqlalchemy.event.listen(engine, "before_cursor_execute", seen)
    try:
        kinds = {}
        for name in ("tbbl", "no-such-admin"):
            statements.clear()
            assert log_in(client_at(app, ATTACKER), name, "wrong-password")[0] == 401
            kinds[name] = sorted(statements)
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", seen)
        app.extensions["gridbot"].close()
    assert kinds["tbbl"] == kinds["no-such-admin"]


def test_an_unknown_name_is_not_written_out(
    settings: Settings,
    app: Flask,
    db: Database,
    admins: dict[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A password typed into the name field must not land in the audit log, nor in the
    process log when Redis is down; attempts on one name still show as one run."""
    typed = "Hunter2-secret"
    for _ in range(2):
        assert log_in(client_at(app, ATTACKER), typed, "wrong-password")[0] == 401
    assert log_in(client_at(app, ATTACKER), "another-name", "wrong-password")[0] == 401
    down = create_app(settings.replace(redis_url="redis://127.0.0.1:1/0"), warm=False)
    down.config["TESTING"] = True
    try:
        with caplog.at_level(logging.WARNING):
            assert log_in(client_at(down, ATTACKER), typed, "wrong-password")[0] == 401
    finally:
        down.extensions["gridbot"].close()
    with db.session() as session:
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        actors = [row.actor for row in rows if row.action == "login.failed"]
        written = " ".join(f"{row.actor} {row.detail}" for row in rows)
    assert typed not in written and typed.lower() not in written
    assert not [r for r in caplog.records if typed in r.getMessage()]
    first, again, other, while_down = actors
    assert first == again == while_down == accounts.unknown_actor(typed, settings.secret_key)
    assert other != first and other.startswith("login:unknown-")
    # A known name stays readable.
    assert log_in(client_at(app, ATTACKER), "tbbl", "wrong-password")[0] == 401
    with db.session() as session:
        last = session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
        assert last is not None and last.actor == "admin:tbbl"
