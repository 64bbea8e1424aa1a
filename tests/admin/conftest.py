"""Fixtures of the dashboard tests: the app, admins of each scope, cases opened through
cases.lifecycle, and a logged-in test client.

Password hashing (scrypt) costs ~0.1 s, so accounts are stored with hashes made once per
session, and most tests log in by setting the session; the login form has its own tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from admin.accounts import create_token
from bot.app import create_app
from cases import lifecycle
from cases.db import Database
from cases.models import AdminUser, Resident
from cases.org import load_org
from cases.policy import load_policy
from config.settings import CONFIG_DIR, Settings

ORG = load_org(CONFIG_DIR / "org.yaml")
POLICY = load_policy(CONFIG_DIR / "escalation.yaml")
PASSWORD = "correct-horse-battery"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
# name -> scope: the district, the street 林山寨 (community 互助路), and the community 桐本北路.
ADMINS = {"district": None, "lsz": "street:lsz", "tbbl": "community:tbbl"}


@pytest.fixture(scope="session")
def password_hash() -> str:
    return generate_password_hash(PASSWORD)


@pytest.fixture
def app(settings: Settings, db: Database, redis_conn: object) -> Iterator[Flask]:
    app = create_app(settings, warm=False)
    app.config["TESTING"] = True
    yield app
    app.extensions["gridbot"].close()


@pytest.fixture
def admins(db: Database, password_hash: str) -> dict[str, int]:
    """One admin per scope of ADMINS, all with PASSWORD; name -> id."""
    ids = {}
    with db.session() as session:
        for name, scope in ADMINS.items():
            level, _, code = (scope or "").partition(":")
            admin = AdminUser(
                name=name,
                password_hash=password_hash,
                scope_level=level or None,
                scope_code=code or None,
            )
            session.add(admin)
            session.flush()
            ids[name] = admin.id
    return ids


@pytest.fixture
def tokens(db: Database, admins: dict[str, int]) -> dict[str, str]:
    return {name: create_token(db, name) for name in admins}


def client_as(app: Flask, admin_id: int) -> FlaskClient:
    """A client whose session is logged in as `admin_id` (what a real login leaves)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["admin_id"] = admin_id
        session["csrf_token"] = "test-csrf-token"
    return client


@pytest.fixture
def district(app: Flask, admins: dict[str, int]) -> FlaskClient:
    return client_as(app, admins["district"])


@pytest.fixture
def community(app: Flask, admins: dict[str, int]) -> FlaskClient:
    return client_as(app, admins["tbbl"])


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


@dataclass
class Opened:
    id: int
    number: str


def open_case(
    db: Database,
    text: str = "3号楼楼道灯坏了",
    *,
    courtyard: str | None = "lvchang",
    building: str = "3",
    intent: str = "repair",
    phone: str | None = "13812345678",
    openid: str = "oRESIDENT0001",
    now: datetime | None = None,
) -> Opened:
    """A case opened as the bot opens one, by the resident `openid`."""
    with db.session() as session:
        resident = session.query(Resident).filter_by(openid=openid).one_or_none()
        if resident is None:
            resident = Resident(openid=openid, phone=phone)
            session.add(resident)
            session.flush()
        address = ORG.address(courtyard, building) if courtyard else None
        new = lifecycle.NewCase(intent, text, address, building if courtyard else None, phone=phone)
        case = lifecycle.open_case(session, POLICY, resident, new, now=now)
        return Opened(case.id, case.number)
