"""`python -m bot create-admin`, `create-token`, `tokens` and `revoke-token`: accounts for the
dashboard and the API."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar

from cases.db import Database
from cases.org import load_org
from config.settings import Settings

T = TypeVar("T")


def _on_database(settings: Settings, action: Callable[[Database], T]) -> T:
    """`action` on the configured database, which is closed afterwards. An operator's mistake
    is a ValueError from admin.accounts, for `python -m bot` to print."""
    database = Database(settings.database_url)
    try:
        return action(database)
    finally:
        database.dispose()


def create_admin_command(
    settings: Settings, name: str, password: str | None, scope: str | None
) -> int:
    from admin.accounts import create_admin

    generated = not password  # none given, or an empty one: generate it and say it
    password = password or secrets.token_urlsafe(12)
    _on_database(
        settings,
        lambda db: create_admin(db, name, password, scope, org=load_org(settings.org_path)),
    )
    print(f"admin {name!r} created" + (f" with password: {password}" if generated else ""))
    return 0


def create_token_command(settings: Settings, name: str) -> int:
    from admin.accounts import create_token

    print(_on_database(settings, lambda db: create_token(db, name)))
    return 0


def tokens_command(settings: Settings, name: str) -> int:
    from admin.accounts import tokens_of

    lines = _on_database(settings, lambda db: tokens_of(db, name))
    if not lines:
        print(f"admin {name!r} has no tokens")
    for line in lines:
        state = "revoked" if line.revoked else "live"
        print(f"{line.id:>6}  created {line.created_at:%Y-%m-%d %H:%M} UTC  {state}")
    return 0


def revoke_token_command(settings: Settings, name: str, token_id: int | None) -> int:
    from admin.accounts import revoke_tokens

    revoked = _on_database(settings, lambda db: revoke_tokens(db, name, token_id))
    if revoked:
        print(f"revoked token(s) {', '.join(map(str, revoked))} of admin {name!r}")
    else:
        print(f"admin {name!r} had no live token to revoke")
    return 0
