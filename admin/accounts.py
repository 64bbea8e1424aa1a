"""Dashboard accounts and API tokens: creation (for `python -m bot create-admin` and
`create-token`), password checks with the lockout of admin.lockout, and token lookup.

Passwords are kept as werkzeug scrypt hashes; tokens as SHA-256 digests (a token is 256 random
bits, so a fast hash is enough, and a lookup by digest needs no per-row check)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import redis
from sqlalchemy import Engine, or_, select, update
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
NO_ADMIN = 0  # an id no account has (ids start at 1)
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
        session.add(ApiToken(admin_id=_admin_id(session, name), token_hash=token_digest(token)))
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
        raise ValueError(f"there is no admin {name!r}: create it with create-admin first")
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
    secret: str,
    now: datetime | None = None,
) -> Login:
    """Check a password. The attempt is counted before the slow hash check (LoginThrottle.begin),
    and one past MAX_FAILURES for the name from one network, or past ACCOUNT_MAX_FAILURES for
    the name from anywhere, is refused without a check: guesses sent at once get no more
    checks than guesses sent one by one. A wrong password keeps its attempt and locks at the
    limit; a right one gives it back. A lock refuses even the right password.

    Known and unknown names get the same answers at the same cost: a hash check (a dummy one
    for an unknown name) when the attempt is let through, none when it is refused. When Redis
    fails, the account's row counts the same way at the ACCOUNT_MAX_FAILURES threshold and
    every such login is logged (see _redis_failed). A name that is no account's is logged as
    `unknown_actor` writes it: a digest keyed with `secret` (the app's secret key)."""
    now = now or utcnow()
    admin = session.scalar(select(AdminUser).where(AdminUser.name == name))
    actor = f"admin:{admin.name}" if admin is not None else unknown_actor(name, secret)
    held = _database_lock(admin, now)
    if held is not None:
        return _refused(session, actor, network, held)
    try:
        attempt = throttle.begin(name, network)
    except redis.RedisError as exc:
        _redis_failed(exc, actor, network)
        return _in_database(session, admin, actor, password, network, now)
    if attempt.locked is not None:
        return _refused(session, actor, network, now + attempt.locked)
    if _password_is_right(admin, password):
        assert admin is not None  # for the type checker: a made-up name has no right password
        try:
            throttle.give_back(name, network)
        except redis.RedisError as exc:
            _redis_failed(exc, actor, network, "its attempt stays counted")
        return _logged_in(session, admin, network)
    try:
        locking = throttle.fail(name, network, attempt)
    except redis.RedisError as exc:
        _redis_failed(exc, actor, network, "counted, but no lock set at the limit")
        locking = None
    if locking is not None:
        return _locked_now(session, actor, network, now, locking)
    which = f"failure {attempt.pair}" if admin else f"unknown name, failure {attempt.pair}"
    audit(session, actor, "login.failed", f"{which} from {network}")
    return Login(None)


def unknown_actor(name: str, secret: str) -> str:
    """The audit log's actor for a name that is no account's: people type their password into
    the name field, so the name is not kept, only a digest keyed with the app's secret (the
    log alone does not let a weak password be guessed back from it). Attempts on one name
    share it, so a guessing run still shows as one."""
    digest = hmac.new(secret.encode(), name.encode(), hashlib.sha256).hexdigest()[:12]
    return f"login:unknown-{digest}"


def _password_is_right(admin: AdminUser | None, password: str) -> bool:
    """The hash check, at the same cost for a made-up name: who times the answers must not
    learn which names exist."""
    hashed = admin.password_hash if admin is not None else _dummy_hash()
    return check_password_hash(hashed, password) and admin is not None


def _logged_in(session: Session, admin: AdminUser, network: str) -> Login:
    """Start the account's count in its row afresh, and log the login with its address."""
    session.execute(
        update(AdminUser)
        .where(AdminUser.id == admin.id, AdminUser.failed_logins != 0)
        .values(failed_logins=0)
    )
    audit(session, f"admin:{admin.name}", "login", f"from {network}")
    return Login(admin)


def _refused(session: Session, actor: str, network: str, until: datetime) -> Login:
    """A lock holds: refused without a check and without counting."""
    audit(session, actor, "login.locked", f"refused while locked, from {network}")
    return Login(None, until)


def _locked_now(session: Session, actor: str, network: str, now: datetime, what: str) -> Login:
    """This attempt set a lock: 'name' (from every network) or 'address' (from `network`)."""
    until = now + LOCKOUT
    whom = "from every address" if what == "name" else f"from {network}"
    audit(session, actor, "login.lockout", f"locked {whom} until {until}")
    return Login(None, until)


def _in_database(
    session: Session,
    admin: AdminUser | None,
    actor: str,
    password: str,
    network: str,
    now: datetime,
) -> Login:
    """Redis failed: count per account in its row, at the backstop's threshold and in the same
    order (count, then check), so that guessing stays bounded without locking out the admins
    no one is guessing at. The row's count does not expire: a right password or a lock starts
    it afresh. (Made-up names are not counted here: a name that locks while Redis is down
    exists.)"""
    if admin is None:
        # The same UPDATE on no row, committed the same way: a made-up name must cost what a
        # real one does, or the time of the answer tells which names exist.
        _count_in_row(session, NO_ADMIN, now)
        _password_is_right(None, password)
        audit(session, actor, "login.failed", f"unknown name from {network}, not counted")
        return Login(None)
    failures = _count_in_row(session, admin.id, now)
    if failures is None:  # locked meanwhile by an attempt sent alongside
        until = session.scalar(select(AdminUser.locked_until).where(AdminUser.id == admin.id))
        return _refused(session, actor, network, until or now + LOCKOUT)
    limit = lockout.ACCOUNT_MAX_FAILURES
    if failures <= limit and _password_is_right(admin, password):
        return _logged_in(session, admin, network)
    if failures >= limit:
        _lock_row(session, admin.id, now + LOCKOUT)
        return _locked_now(session, actor, network, now, "name")
    audit(session, actor, "login.failed", f"failure {failures} from {network}, counted in SQL")
    return Login(None)


def _count_in_row(session: Session, admin_id: int, now: datetime) -> int | None:
    """This attempt's number in the account's row, or None if the row is locked. Committed at
    once on a connection of its own: attempts sent alongside (to several web processes) must
    see it before their own hash check, not when this request's transaction ends."""
    with _engine(session).begin() as conn:
        return conn.execute(
            update(AdminUser)
            .where(
                AdminUser.id == admin_id,
                or_(AdminUser.locked_until.is_(None), AdminUser.locked_until <= now),
            )
            .values(failed_logins=AdminUser.failed_logins + 1)
            .returning(AdminUser.failed_logins)
        ).scalar_one_or_none()


def _lock_row(session: Session, admin_id: int, until: datetime) -> None:
    """Lock the account until `until` and start its count afresh, committed at once as the
    count is."""
    with _engine(session).begin() as conn:
        conn.execute(
            update(AdminUser)
            .where(AdminUser.id == admin_id)
            .values(failed_logins=0, locked_until=until)
        )


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _database_lock(admin: AdminUser | None, now: datetime) -> datetime | None:
    """A lock set in the account's row while Redis was down lasts its time after Redis is back."""
    if admin is not None and admin.locked_until is not None and admin.locked_until > now:
        return admin.locked_until
    return None


def _redis_failed(
    exc: Exception, actor: str, network: str, what: str = "counting per account in SQL"
) -> None:
    """Logged on every login Redis could not count, so that guessing during an outage is seen
    (the per-address count is off then; the per-account count in SQL still holds). `actor` as
    in the audit log: an unknown name is not written out."""
    log.warning("login of %s from %s: Redis unavailable (%s), %s", actor, network, exc, what)


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))
