"""Dashboard accounts and API tokens: creation (for `python -m bot create-admin` and
`create-token`), password checks with a lockout, and token lookup.

Passwords are kept as werkzeug scrypt hashes; tokens as SHA-256 digests (a token is 256 random
bits, so a fast hash is enough, and a lookup by digest needs no per-row check)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from admin.audit import audit
from admin.scope import Scope
from cases.clock import utcnow
from cases.db import Database
from cases.models import AdminUser, ApiToken
from cases.org import OrgTree

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8
NAME_RE = re.compile(r"^[\w.@-]{1,64}$")
TOKEN_PREFIX = "gbt_"


def create_admin(
    db: Database, name: str, password: str, scope: str | None, *, org: OrgTree | None = None
) -> AdminUser:
    """A new account; `scope` is None (the district), 'street:CODE' or 'community:CODE'.
    Raises ValueError with a message for the operator when something is wrong."""
    if not NAME_RE.match(name):
        raise ValueError("the name must be 1-64 letters, digits or . _ @ -")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_PASSWORD} characters")
    parsed = Scope.parse(scope, org)
    with db.session() as session:
        if session.scalar(select(AdminUser.id).where(AdminUser.name == name)) is not None:
            raise ValueError(f"admin {name!r} exists already")
        admin = AdminUser(
            name=name,
            password_hash=generate_password_hash(password),
            scope_level=parsed.level,
            scope_code=parsed.code,
        )
        session.add(admin)
        audit(session, "cli", "admin.create", f"{name} scope={parsed.text() or 'district'}")
        session.flush()
    return admin


def create_token(db: Database, name: str) -> str:
    """A new API token for admin `name`, returned once; only its digest is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.session() as session:
        admin = session.scalar(select(AdminUser).where(AdminUser.name == name))
        if admin is None:
            raise ValueError(f"there is no admin {name!r}: create it with create-admin first")
        session.add(ApiToken(admin_id=admin.id, token_hash=token_digest(token)))
        audit(session, "cli", "token.create", name)
    return token


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def admin_for_token(session: Session, token: str) -> AdminUser | None:
    """The admin whose live token this is, else None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    return session.scalar(
        select(AdminUser)
        .join(ApiToken, ApiToken.admin_id == AdminUser.id)
        .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked.is_(False))
    )


@dataclass(frozen=True)
class Login:
    admin: AdminUser | None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.admin is not None


def authenticate(session: Session, name: str, password: str, now: datetime | None = None) -> Login:
    """Check a password; MAX_FAILURES wrong ones in a row lock the account for LOCKOUT.

    A locked account refuses even the right password until the lock ends, and an unknown name
    costs as much time as a known one, so that neither guessing nor timing tells much."""
    now = now or utcnow()
    admin = session.scalar(select(AdminUser).where(AdminUser.name == name))
    if admin is None:
        check_password_hash(_dummy_hash(), password)
        audit(session, f"login:{name[:64]}", "login.failed", "unknown name")
        return Login(None)
    if admin.locked_until is not None and admin.locked_until > now:
        audit(session, f"admin:{admin.name}", "login.locked", "refused while locked")
        return Login(None, admin.locked_until)
    if check_password_hash(admin.password_hash, password):
        admin.failed_logins = 0
        admin.locked_until = None
        audit(session, f"admin:{admin.name}", "login", "")
        return Login(admin)
    # Counted in the database, not in the loaded row: guesses sent in parallel (to several web
    # processes) each read the same count during the slow hash check, and `+= 1` on the row
    # would keep one failure of them all.
    failures = session.execute(
        update(AdminUser)
        .where(AdminUser.id == admin.id)
        .values(failed_logins=AdminUser.failed_logins + 1)
        .returning(AdminUser.failed_logins)
    ).scalar_one()
    if failures >= MAX_FAILURES:
        until = now + LOCKOUT
        session.execute(
            update(AdminUser)
            .where(AdminUser.id == admin.id)
            .values(failed_logins=0, locked_until=until)
        )
        audit(session, f"admin:{admin.name}", "login.lockout", f"locked until {until}")
        return Login(None, until)
    audit(session, f"admin:{admin.name}", "login.failed", f"failure {failures}")
    return Login(None)


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))
