"""The dashboard in headless Chromium (Debian's, driven by Playwright): log in, look at the
overview's charts, filter, open a case, add a note, export. Skipped when either is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cases.db import Database
from cases.models import AdminUser
from tests.admin.conftest import PASSWORD, open_case
from tests.live import CHROMIUM, CHROMIUM_ARGS, LiveServer

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert('xss')</script>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed", exc_type=ImportError
    )
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_login_filter_open_note_export(
    browser: Any, live: LiveServer, db: Database, password_hash: str, tmp_path: Path
) -> None:
    with db.session() as session:
        session.add(AdminUser(name="wang", password_hash=password_hash))
    wanted = open_case(db, f"3号楼楼道灯坏了{SCRIPT}", phone="13812345678").number
    other = open_case(db, "楼上半夜噪音", intent="dispute", courtyard="hzl24").number
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    foreign: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []  # script errors and CSP violations
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(live.url) else foreign.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(f"{live.url}/admin/")
        assert "/admin/login" in page.url
        page.fill("input[name=name]", "wang")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("html[data-charts='4']", timeout=10_000)
        assert page.inner_text("#kpi-open") == "2"

        page.click("nav >> text=工单")
        page.select_option("select[name=courtyard]", "lvchang")
        page.fill("input[name=q]", "楼道灯")
        page.click("#filters button[type=submit]")
        page.wait_for_url("**/admin/cases?*")
        rows = page.inner_text("#case-table")
        assert wanted in rows and other not in rows and "138****5678" in rows

        page.click(f"text={wanted}")
        page.wait_for_selector("#case-number")
        assert SCRIPT in page.inner_text("#case-text")  # shown as text, not run
        page.fill("#note-form textarea", "已电话联系，明早维修")
        page.click("#note-form button[type=submit]")
        page.wait_for_selector(".flash.ok")
        assert "已电话联系，明早维修" in page.inner_text("#timeline")
        assert "管理员 wang" in page.inner_text("#timeline")

        page.go_back()
        page.goto(f"{live.url}/admin/cases?courtyard=lvchang")
        with page.expect_download() as download_info:
            page.click("#export-csv")
        saved = tmp_path / "cases.csv"
        download_info.value.save_as(saved)
        body = saved.read_bytes()
        assert body.startswith(b"\xef\xbb\xbf")
        text = body.decode("utf-8-sig")
        assert wanted in text and other not in text and "13812345678" not in text
        assert dialogs == [] and foreign == [] and errors == []
    finally:
        context.close()
