"""Dashboard benchmark: the overview, the case list with filters, search and the API, on a
database of 100,000 cases (bench/fill_cases.py fills it when it has fewer).

    .venv/bin/python bench/bench_admin.py [--database-url URL ...] [--count 100000] [--runs 20]

Without --database-url: SQLite in var/bench/admin.sqlite3, and PostgreSQL too when
BENCH_POSTGRES_URL is set (a database of its own: its cases are replaced). Requests go through
the real app in-process (Flask's test client: routing, auth, SQL, templates, no network), as a
district admin and as a community admin; the figure is the server's time per request."""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from admin.accounts import create_admin  # noqa: E402
from bench.fill_cases import fill  # noqa: E402
from bot.app import create_app  # noqa: E402
from cases.clock import local, utcnow  # noqa: E402
from cases.db import Database  # noqa: E402
from cases.migrations import upgrade  # noqa: E402
from cases.models import Case  # noqa: E402
from config.settings import Settings  # noqa: E402

PASSWORD = "bench-password"
LIMIT_MS = 300.0


def scenarios() -> list[tuple[str, str, str]]:
    """(who, label, path): the pages the issue names, then the API and heavier extras."""
    today = local(utcnow()).date()
    month = (today - timedelta(days=30)).isoformat()
    return [
        ("district", "overview (30 days)", "/admin/"),
        ("district", "overview (90 days)", "/admin/?days=90"),
        ("district", "case list, no filter", "/admin/cases"),
        ("district", "list: active + repair + courtyard, by deadline",
         "/admin/cases?status=active&intent=repair&courtyard=lvchang&sort=due"),
        ("district", "list: overdue", "/admin/cases?overdue=1"),
        ("district", "list: closed, last 30 days, level street",
         f"/admin/cases?status=closed&from={month}&to={today}&level=street"),
        ("district", "list: text search 漏水", "/admin/cases?q=%E6%BC%8F%E6%B0%B4"),
        ("district", "list: page 200", "/admin/cases?page=200"),
        ("community", "overview, community admin", "/admin/"),
        ("community", "list: community admin, dispute", "/admin/cases?intent=dispute"),
        ("district", "API /api/cases?status=active", "/api/cases?status=active"),
        ("district", "API /api/stats", "/api/stats"),
        ("district", "org tree", "/admin/org"),
        ("district", "opinions", "/admin/opinions"),
        ("district", "CSV export, last 30 days (~8,000 rows)", f"/admin/cases.csv?from={month}"),
    ]  # fmt: skip


def login(app, name: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/admin/login", data={"name": name, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code
    return client


def bench(url: str, count: int, runs: int) -> list[tuple[str, float, float, bool]]:
    upgrade(url)
    database = Database(url)
    with database.session() as session:
        have = session.scalar(select(func.count()).select_from(Case)) or 0
    if have < count:
        print(f"filling {url.split('@')[-1]} with {count} cases …", flush=True)
        fill(url, count, 365, 5000, 7, reset=True)
    for name, scope in (("bench-district", None), ("bench-community", "community:tbbl")):
        try:
            create_admin(database, name, PASSWORD, scope)
        except ValueError:
            pass  # made by an earlier run
    database.dispose()
    settings = Settings(database_url=url, media_dir=ROOT / "var/bench/media")
    app = create_app(settings, warm=False)
    clients = {"district": login(app, "bench-district"), "community": login(app, "bench-community")}
    results = []
    for who, label, path in scenarios():
        client = clients[who]
        for _ in range(2):
            assert client.get(path).status_code == 200, path
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path)
            _ = response.data
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
        times.sort()
        p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
        results.append((label, statistics.median(times), p95, ".csv" not in path))
    app.extensions["gridbot"].close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    urls = args.database_url or [f"sqlite:///{ROOT / 'var/bench/admin.sqlite3'}"]
    if not args.database_url and os.environ.get("BENCH_POSTGRES_URL"):
        urls.append(os.environ["BENCH_POSTGRES_URL"])
    slow = 0
    for url in urls:
        kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        results = bench(url, args.count, args.runs)
        print(f"\n{kind}, {args.count:,} cases, {args.runs} runs each (ms):\n")
        print("| request | median | p95 |")
        print("| --- | ---: | ---: |")
        for label, median, p95, judged in results:
            mark = " ⚠" if judged and p95 > LIMIT_MS else ""
            slow += bool(mark)
            print(f"| {label} | {median:.0f} | {p95:.0f}{mark} |")
    if slow:
        print(f"\n{slow} request(s) over {LIMIT_MS:.0f} ms at p95")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
