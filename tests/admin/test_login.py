"""Logging in: hashed passwords, CSRF on the form, cookie flags, lockout, safe redirects."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from admin.accounts import MAX_FAILURES
from bot.app import create_app
from cases.clock import utcnow
from cases.db import Database
from cases.models import AdminUser, AuditLog
from config.settings import Settings
from tests.admin.conftest import PASSWORD, client_as, csrf_of


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


def test_lockout_after_repeated_failures(app: Flask, admins: dict[str, int], db: Database) -> None:
    client = app.test_client()
    for _ in range(MAX_FAILURES - 1):
        assert log_in(client, "tbbl", "wrong-password")[0] == 401
    status, _, page = log_in(client, "tbbl", "wrong-password")
    assert status == 403 and "账户已锁定" in page
    # Even the right password is refused while the lock lasts.
    status, _, page = log_in(client, "tbbl")
    assert status == 403 and "账户已锁定" in page
    with db.session() as session:
        admin = session.scalar(select(AdminUser).where(AdminUser.name == "tbbl"))
        assert admin is not None and admin.locked_until is not None
        assert admin.locked_until > utcnow() + timedelta(minutes=14)
        admin.locked_until = utcnow() - timedelta(seconds=1)  # the lock has run out
        actions = session.scalars(select(AuditLog.action)).all()
    assert actions.count("login.lockout") == 1 and "login.locked" in actions
    assert log_in(client, "tbbl")[0] == 302
    # Other accounts were never affected.
    assert log_in(app.test_client(), "district")[0] == 302


def test_parallel_guesses_all_count(app: Flask, admins: dict[str, int], db: Database) -> None:
    """Guesses sent at once (to several web processes) each read the same failure count during
    the slow hash check; every one of them must still count towards the lock."""
    clients = [app.test_client() for _ in range(2 * MAX_FAILURES)]
    tokens = [csrf_of(c.get("/admin/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client: FlaskClient, token: str) -> None:
        start.wait()
        form = {"name": "tbbl", "password": "wrong-password", "csrf_token": token, "next": ""}
        statuses.append(client.post("/admin/login", data=form).status_code)

    pairs = zip(clients, tokens, strict=True)
    threads = [threading.Thread(target=guess, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(statuses)) in ([401, 403], [403])
    with db.session() as session:
        admin = session.scalar(select(AdminUser).where(AdminUser.name == "tbbl"))
        assert admin is not None and admin.locked_until is not None
    assert log_in(app.test_client(), "tbbl")[0] == 403  # the right password waits out the lock


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
