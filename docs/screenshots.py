"""Take the README's screenshots of the dashboard: a database filled by bench/fill_cases.py,
the app on a local server, and Debian's headless Chromium driven by Playwright.

    .venv/bin/python docs/screenshots.py [--count 20000] [--out docs/screenshots]

Needs `pip install playwright`, `apt-get install chromium fonts-noto-cjk` (the font, or the
Chinese shows as boxes). Never runs `playwright install`: it uses /usr/bin/chromium."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from admin.accounts import create_admin  # noqa: E402
from bench.fill_cases import fill  # noqa: E402
from cases import lifecycle  # noqa: E402
from cases.clock import utcnow  # noqa: E402
from cases.db import Database  # noqa: E402
from cases.models import Attachment, Case  # noqa: E402
from config.settings import Settings  # noqa: E402
from tests.live import CHROMIUM, CHROMIUM_ARGS, serving  # noqa: E402

PASSWORD = "screenshot-password"


def showcase(db: Database) -> str:
    """A case with a life worth showing: escalated, taken, a note, a location, a voice note."""
    with db.session() as session:
        case = session.scalars(
            select(Case)
            .where(Case.status == "acknowledged", Case.escalations > 0, Case.courtyard.is_not(None))
            .order_by(Case.id.desc())
            .limit(1)
        ).one()
        now = utcnow()
        case.latitude, case.longitude, case.location_label = 34.7532, 113.6401, "铝厂小区北门"
        session.add(
            Attachment(
                case=case,
                kind="voice",
                media_id="demo-media",
                created_at=now,
                recognition="楼道里的灯坏了好几天了，晚上老人看不见",
            )
        )
        session.add(
            Attachment(
                case=case,
                kind="location",
                latitude=34.7532,
                longitude=113.6401,
                label="铝厂小区北门",
                created_at=now,
            )
        )
        lifecycle.note(session, case, "admin:demo", "已电话联系居民，物业明天上午带灯具上门更换。")
        return case.number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/screenshots")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/screenshots.sqlite3"
        fill(url, args.count, 120, 600, 11, reset=False)
        db = Database(url)
        create_admin(db, "demo", PASSWORD, None)
        number = showcase(db)
        db.dispose()
        settings = Settings(database_url=url, media_dir=Path(tmp) / "media")
        with serving(settings) as live:
            base = live.url
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1360, "height": 900}, locale="zh-CN")
                page.goto(f"{base}/admin/login")
                page.fill("input[name=name]", "demo")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_selector("html[data-charts='4']")
                page.wait_for_timeout(1200)  # ECharts' entry animation
                shots = [
                    ("overview.png", None, True),
                    ("case.png", f"/admin/cases/{number}", True),
                    ("cases.png", "/admin/cases?status=active", False),
                    ("opinions.png", "/admin/opinions", False),
                    ("org.png", "/admin/org", True),
                ]
                for name, path, full in shots:
                    if path:
                        page.goto(base + path)
                    page.screenshot(path=str(args.out / name), full_page=full)
                    print(args.out / name)
                browser.close()


if __name__ == "__main__":
    main()
