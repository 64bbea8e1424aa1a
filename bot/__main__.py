"""`python -m bot …`: serve (everything, for `make run`), web, worker, db upgrade, create-admin,
create-token, tokens, revoke-token. Settings come from the environment (see README)."""

from __future__ import annotations

import argparse
import logging
import sys

from cases.yamlfile import ConfigError
from config.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="web, worker, Redis and the WeChat stand-in")
    serve.add_argument("--web-processes", type=int, default=2)
    web = commands.add_parser("web", help="the web app under gunicorn")
    web.add_argument("--workers", type=int, default=None, help="default: one per core, plus one")
    web.add_argument("--threads", type=int, default=None, help="threads per process (default: 1)")
    web.add_argument("--bind", default=None, help="default: 127.0.0.1:$PORT")
    commands.add_parser("worker", help="an rq worker with its scheduler and sweeper")
    database = commands.add_parser("db", help="database schema")
    database.add_argument("action", choices=["upgrade"])
    admin = commands.add_parser("create-admin", help="a dashboard account")
    admin.add_argument("name")
    admin.add_argument("--password", help="default: ask, or generate and print one")
    admin.add_argument("--scope", help="street:CODE or community:CODE (default: district)")
    token = commands.add_parser("create-token", help="print a new API token for an admin")
    token.add_argument("name")
    listing = commands.add_parser("tokens", help="list an admin's API tokens")
    listing.add_argument("name")
    revoke = commands.add_parser("revoke-token", help="revoke an admin's API token(s)")
    revoke.add_argument("name")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, help="the token's id, as `tokens NAME` lists it")
    which.add_argument("--all", action="store_true", help="every live token of the admin")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
        if args.command in ("serve", "web", "worker"):
            _check_operator_files(settings)
    except (SettingsError, ConfigError) as error:
        print(f"gridbot: {error}", file=sys.stderr, flush=True)
        return 2
    if args.command == "serve":
        from bot.serve import serve as run_serve

        return run_serve(settings, web_processes=args.web_processes)
    if args.command == "web":
        from bot.gunicorn_app import run_gunicorn

        return run_gunicorn(settings, workers=args.workers, threads=args.threads, bind=args.bind)
    if args.command == "worker":
        from workers.runner import run_worker

        run_worker(settings)
        return 0
    if args.command == "db":
        from cases.migrations import upgrade

        upgrade(settings.database_url)
        print(f"database schema is up to date ({settings.database_url.split('@')[-1]})")
        return 0
    from bot import admin_cli

    try:
        if args.command == "create-admin":
            return admin_cli.create_admin_command(settings, args.name, args.password, args.scope)
        if args.command == "tokens":
            return admin_cli.tokens_command(settings, args.name)
        if args.command == "revoke-token":
            return admin_cli.revoke_token_command(settings, args.name, args.id)
        return admin_cli.create_token_command(settings, args.name)
    except ValueError as error:  # an operator's mistake, said by admin.accounts
        print(f"error: {error}")
        return 2


def _check_operator_files(settings: Settings) -> None:
    """Read every file the operator edits before anything starts (Redis, gunicorn's workers,
    serve's children), so that a mistake is said once, as a message naming the file, each
    entry and the fix, not as a traceback from each process."""
    from cases.org import load_org
    from cases.policy import load_policy
    from config.wording import load_wording

    load_org(settings.org_path)
    load_policy(settings.escalation_path)
    load_wording(settings.wording_path)


if __name__ == "__main__":
    sys.exit(main())
