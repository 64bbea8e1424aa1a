"""The link in a staff push: it opens that one case read-only for that staff member, without a
dashboard account; a tampered, foreign or expired link opens nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from cases.db import Database
from cases.links import BadLink, read_staff_link, staff_link_token
from cases.models import AuditLog
from config.settings import Settings

from .conftest import open_case


def test_a_token_names_the_case_and_the_person_and_nothing_else_opens_it() -> None:
    token = staff_link_token("key-1", "261121-0007", "oGRID001")
    assert read_staff_link("key-1", token) == ("261121-0007", "oGRID001")
    with pytest.raises(BadLink) as other_key:
        read_staff_link("key-2", token)  # the secret key changed: every old link dies
    assert not other_key.value.expired
    with pytest.raises(BadLink):
        read_staff_link("key-1", token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(BadLink) as old:
        read_staff_link("key-1", token, max_age=timedelta(seconds=-1))
    assert old.value.expired


def test_the_link_opens_the_case_for_its_staff_member(
    app: Flask, db: Database, settings: Settings
) -> None:
    opened = open_case(db, "2号楼门口下水道堵了", building="2", phone="13900001111")
    token = staff_link_token(settings.secret_key, opened.number, "oGRID001")
    answer = app.test_client().get(f"/s/{token}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert opened.number in page and "2号楼门口下水道堵了" in page and "13900001111" in page
    assert f"接单 {opened.number}" in page and "赵网格" in page  # what to send, and for whom
    assert answer.headers["Referrer-Policy"] == "no-referrer"  # the token stays here
    assert answer.headers["Cache-Control"] == "no-store"
    assert "退出" not in page  # no dashboard session, no dashboard
    with db.session() as session:
        (line,) = session.scalars(select(AuditLog).where(AuditLog.action == "staff_link_view"))
    assert line.actor == "wechat:oGRID001" and line.detail == opened.number


@pytest.mark.parametrize(
    ("token_of", "status", "says"),
    [
        (lambda key, number: staff_link_token("another key", number, "oGRID001"), 404, "链接无效"),
        (lambda key, number: staff_link_token(key, number, "oNOBODY"), 404, "链接无效"),
        (lambda key, number: staff_link_token(key, "991231-9999", "oGRID001"), 404, "链接无效"),
        (lambda key, number: "not-a-token", 404, "链接无效"),
    ],
)
def test_a_bad_link_opens_nothing(
    app: Flask, db: Database, settings: Settings, token_of: object, status: int, says: str
) -> None:
    opened = open_case(db)
    token = token_of(settings.secret_key, opened.number)  # type: ignore[operator]
    answer = app.test_client().get(f"/s/{token}")
    assert answer.status_code == status
    page = answer.get_data(as_text=True)
    assert says in page and opened.number not in page
