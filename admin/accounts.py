"""Dashboard accounts and API tokens: creation (for `python -m bot create-admin` and
`create-token`), password checks with the lockout of admin.lockout, and token lookup.

Passwords are kept as werkzeug scrypt hashes; tokens as SHA-256 digests (a token is 256 random
bits, so a fast hash is enough, and a lookup by digest needs no per-row check)."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from admin import lockout
from admin.audit import audit
from admin.lockout import LOCKOUT, LoginThrottle
from admin.scope import Scope
from cases.clock import utcnow
from cases.db import Database
from cases.models import AdminUser, ApiToken
from cases.org import OrgTree

MIN_PASSWORD = 8
NAME_RE = re.compile(r"^[\w.@-]{1,64}$")
TOKEN_PREFIX = "gbt_"

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class TokenLine:
    """One of an admin's tokens as the operator sees it (the token itself is never stored)."""

    id: int
    created_at: datetime
    revoked: bool


def tokens_of(db: Database, name: str) -> list[TokenLine]:
    """Admin `name`'s tokens, oldest first. Raises ValueError for an unknown name."""
    with db.session() as session:
        admin_id = _admin_id(session, name)
        rows = session.execute(
            select(ApiToken.id, ApiToken.created_at, ApiToken.revoked)
            .where(ApiToken.admin_id == admin_id)
            .order_by(ApiToken.id)
        )
        return [TokenLine(*row) for row in rows]


def revoke_tokens(db: Database, name: str, token_id: int | None = None) -> list[int]:
    """Revoke admin `name`'s token `token_id`, or all their live tokens (a leaked one whose id
    is unknown, or an admin who left); the ids revoked. A revoked token answers 401 at once:
    every request looks the token up. Raises ValueError for an unknown name or id."""
    with db.session() as session:
        admin_id = _admin_id(session, name)
        chosen = update(ApiToken).where(ApiToken.admin_id == admin_id, ApiToken.revoked.is_(False))
        if token_id is not None:
            known = session.scalar(
                select(ApiToken.id).where(ApiToken.id == token_id, ApiToken.admin_id == admin_id)
            )
            if known is None:
                raise ValueError(f"admin {name!r} has no token {token_id}: see `tokens {name}`")
            chosen = chosen.where(ApiToken.id == token_id)
        revoked = list(session.scalars(chosen.values(revoked=True).returning(ApiToken.id)))
        if revoked:
            audit(session, "cli", "token.revoke", f"{name} {','.join(map(str, revoked))}")
    return revoked


def _admin_id(session: Session, name: str) -> int:
    admin_id = session.scalar(select(AdminUser.id).where(AdminUser.name == name))
    if admin_id is None:
        raise ValueError(f"there is no admin {name!r}")
    return admin_id


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


def authenticate(
    session: Session,
    name: str,
    password: str,
    *,
    network: str,
    throttle: LoginThrottle,
    now: datetime | None = None,
) -> Login:
    """Check a password. MAX_FAILURES wrong ones for a name from one network lock that name for
    that network for LOCKOUT; ACCOUNT_MAX_FAILURES from anywhere lock it everywhere (see
    LoginThrottle). A lock refuses even the right password until it ends.

    Known and unknown names get the same answers, and an unknown name costs a hash check as a
    known one does. When Redis fails, the account's count in the database takes over at the
    ACCOUNT_MAX_FAILURES threshold and every such login is logged (see _redis_failed)."""
    now = now or utcnow()
    admin = session.scalar(select(AdminUser).where(AdminUser.name == name))
    actor = f"admin:{admin.name}" if admin is not None else f"login:{name[:64]}"
    try:
        left: timedelta | None = throttle.lock_left(name, network)
        counting = True
    except redis.RedisError as exc:
        left, counting = None, False
        _redis_failed(exc, name, network)
    until = _later(now + left if left else None, _database_lock(admin, now))
    if until is not None:
        audit(session, actor, "login.locked", f"refused while locked, from {network}")
        return Login(None, until)
    hashed = admin.password_hash if admin is not None else _dummy_hash()
    if check_password_hash(hashed, password) and admin is not None:
        return _logged_in(session, admin, network, throttle if counting else None)
    if counting:
        try:
            return _count_in_redis(session, throttle, actor, name, network, now, known=bool(admin))
        except redis.RedisError as exc:
            _redis_failed(exc, name, network)
    return _count_in_database(session, admin, actor, network, now)


def _logged_in(
    session: Session, admin: AdminUser, network: str, throttle: LoginThrottle | None
) -> Login:
    """Clear what this admin's own typos left, and log the login with its address."""
    if throttle is not None:
        try:
            throttle.forget_failures(admin.name, network)
        except redis.RedisError as exc:
            _redis_failed(exc, admin.name, network)
    admin.failed_logins = 0
    admin.locked_until = None
    audit(session, f"admin:{admin.name}", "login", f"from {network}")
    return Login(admin)


def _count_in_redis(
    session: Session,
    throttle: LoginThrottle,
    actor: str,
    name: str,
    network: str,
    now: datetime,
    *,
    known: bool,
) -> Login:
    """The normal case: count for (name, network) and name, whether or not the name exists."""
    failures, locked = throttle.count_failure(name, network)
    if locked is not None:
        until = now + LOCKOUT
        whom = "from every address" if locked == "name" else f"from {network}"
        audit(session, actor, "login.lockout", f"locked {whom} until {until}")
        return Login(None, until)
    which = f"failure {failures}" if known else f"unknown name, failure {failures}"
    audit(session, actor, "login.failed", f"{which} from {network}")
    return Login(None)


def _count_in_database(
    session: Session, admin: AdminUser | None, actor: str, network: str, now: datetime
) -> Login:
    """Redis failed: count per account in its row, at the backstop's threshold, so that guessing
    stays bounded without locking out the admins no one is guessing at. (Made-up names are not
    counted here: a name that locks while Redis is down exists.)"""
    if admin is None:
        audit(session, actor, "login.failed", f"unknown name from {network}, not counted")
        return Login(None)
    # Counted in the database, not in the loaded row: guesses sent in parallel (to several web
    # processes) each read the same count during the slow hash check, and `+= 1` on the row
    # would keep one failure of them all.
    failures = session.execute(
        update(AdminUser)
        .where(AdminUser.id == admin.id)
        .values(failed_logins=AdminUser.failed_logins + 1)
        .returning(AdminUser.failed_logins)
    ).scalar_one()
    if failures >= lockout.ACCOUNT_MAX_FAILURES:
        until = now + LOCKOUT
        session.execute(
            update(AdminUser)
            .where(AdminUser.id == admin.id)
            .values(failed_logins=0, locked_until=until)
        )
        audit(session, actor, "login.lockout", f"locked from every address until {until}")
        return Login(None, until)
    audit(session, actor, "login.failed", f"failure {failures} from {network}, counted in SQL")
    return Login(None)


def _database_lock(admin: AdminUser | None, now: datetime) -> datetime | None:
    """A lock set in the account's row while Redis was down lasts its time after Redis is back."""
    if admin is not None and admin.locked_until is not None and admin.locked_until > now:
        return admin.locked_until
    return None


def _later(first: datetime | None, second: datetime | None) -> datetime | None:
    return max((t for t in (first, second) if t is not None), default=None)


def _redis_failed(exc: Exception, name: str, network: str) -> None:
    """Logged on every login Redis could not count, so that guessing during an outage is seen
    (the per-address count is off then; the per-account count in SQL still holds)."""
    log.warning(
        "login of %r from %s: Redis unavailable (%s), counting per account in SQL",
        name[:64],
        network,
        exc,
    )


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))
