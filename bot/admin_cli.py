"""`python -m bot create-admin` and `create-token`: accounts for the dashboard and the API."""

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
