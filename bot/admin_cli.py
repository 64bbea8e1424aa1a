"""`python -m bot create-admin`, `create-token`, `tokens` and `revoke-token`: accounts for the
dashboard and the API."""

from __future__ import annotations

import secrets

from cases.db import Database
from cases.org import load_org
from config.settings import Settings


def create_admin_command(
    settings: Settings, name: str, password: str | None, scope: str | None
) -> int:
    from admin.accounts import create_admin

    generated = not password  # none given, or an empty one: generate it and say it
    password = password or secrets.token_urlsafe(12)
    database = Database(settings.database_url)
    try:
        create_admin(database, name, password, scope, org=load_org(settings.org_path))
    except ValueError as error:
        print(f"error: {error}")
        return 2
    finally:
        database.dispose()
    print(f"admin {name!r} created" + (f" with password: {password}" if generated else ""))
    return 0


def create_token_command(settings: Settings, name: str) -> int:
    from admin.accounts import create_token

    database = Database(settings.database_url)
    try:
        token = create_token(database, name)
    except ValueError as error:
        print(f"error: {error}")
        return 2
    finally:
        database.dispose()
    print(token)
    return 0


def tokens_command(settings: Settings, name: str) -> int:
    from admin.accounts import tokens_of

    database = Database(settings.database_url)
    try:
        lines = tokens_of(database, name)
    except ValueError as error:
        print(f"error: {error}")
        return 2
    finally:
        database.dispose()
    if not lines:
        print(f"admin {name!r} has no tokens")
    for line in lines:
        state = "revoked" if line.revoked else "live"
        print(f"{line.id:>6}  created {line.created_at:%Y-%m-%d %H:%M} UTC  {state}")
    return 0


def revoke_token_command(settings: Settings, name: str, token_id: int | None) -> int:
    from admin.accounts import revoke_tokens

    database = Database(settings.database_url)
    try:
        revoked = revoke_tokens(database, name, token_id)
    except ValueError as error:
        print(f"error: {error}")
        return 2
    finally:
        database.dispose()
    if revoked:
        print(f"revoked token(s) {', '.join(map(str, revoked))} of admin {name!r}")
    else:
        print(f"admin {name!r} had no live token to revoke")
    return 0
