"""The dashboard's pages through the test client: overview, the list's filters, a case and
its moves, opinions, the org tree; residents' text is always escaped."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from admin import jobs
from cases import lifecycle
from cases.clock import local, utcnow
from cases.db import Database
from cases.followups import Followup
from cases.models import Case, CaseEvent, Opinion
from tests.admin.conftest import POLICY, open_case

NUMBER_RE = re.compile(r"\d{6}-\d{4}")
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def numbers(client: FlaskClient, path: str) -> set[str]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    table = response.get_data(as_text=True).split('id="case-table"')
    return set(NUMBER_RE.findall(table[1])) if len(table) > 1 else set()


def move(db: Database, number: str, fn: str, *args: object, **kw: object) -> None:
    with db.session() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        getattr(lifecycle, fn)(session, *[case if a is Case else a for a in args], **kw)


@pytest.fixture
def sample(db: Database) -> dict[str, str]:
    """Cases in each community, intent and status, with known times."""
    now = utcnow()
    made = {
        "light": open_case(db, "3号楼楼道灯坏了", now=now - timedelta(days=2)),
        "noise": open_case(db, "楼上半夜噪音", intent="dispute", courtyard="tbl191"),
        "elder": open_case(db, "帮独居老人买菜", intent="elder_help", courtyard="hzl24"),
        "late": open_case(db, "下水道堵了 100%_满", now=now - timedelta(hours=3)),
        "old": open_case(db, "路灯不亮", courtyard="qjl50", now=now - timedelta(days=40)),
    }
    numbers = {key: value.number for key, value in made.items()}
    light = now - timedelta(days=2)
    grid_worker = lifecycle.staff_actor("赵网格", "oGRID001")  # as handlers/staff records them
    move(db, numbers["light"], "take", POLICY, Case, grid_worker, now=light + timedelta(minutes=10))
    move(
        db,
        numbers["light"],
        "resolve",
        Case,
        grid_worker,
        "换了灯泡",
        now=light + timedelta(hours=1),
    )
    move(
        db,
        numbers["light"],
        "rate",
        POLICY,
        Case,
        "oRESIDENT0001",
        5,
        now=light + timedelta(hours=2),
    )
    move(db, numbers["old"], "cancel", Case, "oRESIDENT0001", "不用了")
    return numbers


def test_overview_shows_counts_figures_and_charts(
    district: FlaskClient, sample: dict[str, str]
) -> None:
    page = district.get("/admin/").get_data(as_text=True)
    assert re.search(r'id="kpi-open">\s*3<', page)  # noise, elder, late
    assert re.search(r'id="kpi-overdue">\s*1<', page)  # late: 3 h old, due after 30 min
    assert "按时接单率" in page and "100.0%" in page  # the light was taken in 10 minutes
    assert "10分" in page  # median time to take
    assert sample["late"] in page.split("超时工单")[-1]
    assert 'id="chart-data"' in page and "echarts.min.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    for days in (7, 90):
        assert district.get(f"/admin/?days={days}").status_code == 200
    assert district.get("/admin/?days=13").status_code == 400


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"light", "noise", "elder", "late", "old"}),
        ("?status=active", {"noise", "elder", "late"}),
        ("?status=closed", {"light"}),
        ("?status=cancelled", {"old"}),
        ("?intent=dispute", {"noise"}),
        ("?level=courtyard", {"noise"}),
        ("?community=hzl", {"noise", "elder", "old"}),
        ("?courtyard=lvchang", {"light", "late"}),
        ("?street=xhl", {"light", "late"}),
        ("?overdue=1", {"late"}),
        ("?q=噪音", {"noise"}),
        ("?q=100%25_", {"late"}),  # % and _ are plain characters, not wildcards
        ("?q=%25", {"late"}),
        ("?q=_", {"late"}),
        ("?q=' OR 1=1 --", set()),
        ("?intent=repair&courtyard=lvchang&status=active", {"late"}),
    ],
)
def test_case_list_filters(
    district: FlaskClient, sample: dict[str, str], query: str, expected: set[str]
) -> None:
    assert numbers(district, f"/admin/cases{query}") == {sample[k] for k in expected}


def test_date_range_is_china_days(district: FlaskClient, sample: dict[str, str]) -> None:
    today = local(utcnow()).date()
    week = (today - timedelta(days=7)).isoformat()
    found = numbers(district, f"/admin/cases?from={week}&to={today.isoformat()}")
    assert found == {sample[k] for k in ("light", "noise", "elder", "late")}
    old = (today - timedelta(days=40)).isoformat()
    assert numbers(district, f"/admin/cases?from={old}&to={old}") == {sample["old"]}


def test_search_by_number_and_paging_and_sort(
    district: FlaskClient, sample: dict[str, str]
) -> None:
    assert numbers(district, f"/admin/cases?q={sample['elder']}") == {sample["elder"]}
    first = numbers(district, "/admin/cases?per_page=2&sort=created")
    second = numbers(district, "/admin/cases?per_page=2&sort=created&page=2")
    third = numbers(district, "/admin/cases?per_page=2&sort=created&page=3")
    assert first == {sample["old"], sample["light"]}
    assert len(second) == 2 and len(third) == 1 and not (first & second)
    page = district.get("/admin/cases?per_page=2").get_data(as_text=True)
    assert "第 1 / 3 页" in page and "下一页" in page


@pytest.mark.parametrize(
    "query",
    ["status=nope", "level=moon", "from=yesterday", "sort=password", "page=x", "courtyard=A;B"],
)
def test_bad_filters_are_400(district: FlaskClient, query: str) -> None:
    response = district.get(f"/admin/cases?{query}")
    assert response.status_code == 400
    assert "请求有误" in response.get_data(as_text=True)


def test_phone_is_masked_in_the_list_and_shown_on_the_case(
    district: FlaskClient, db: Database
) -> None:
    number = open_case(db, phone="13812345678").number
    listing = district.get("/admin/cases").get_data(as_text=True)
    assert "138****5678" in listing and "13812345678" not in listing
    assert "13812345678" in district.get(f"/admin/cases/{number}").get_data(as_text=True)


def test_resident_text_is_escaped_everywhere(district: FlaskClient, db: Database) -> None:
    number = open_case(db, SCRIPT).number
    with db.session() as session:
        session.add(Opinion(courtyard="lvchang", community="tbbl", topic="other", text=SCRIPT))
    move(db, number, "note", Case, "admin:x", SCRIPT)
    for path in ("/admin/cases", f"/admin/cases/{number}", "/admin/opinions", "/admin/"):
        page = district.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
    page = district.get(f"/admin/cases/{number}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_case_page_shows_fields_timeline_and_location(
    district: FlaskClient, db: Database, sample: dict[str, str]
) -> None:
    with db.session() as session:
        case = session.scalar(select(Case).where(Case.number == sample["light"]))
        assert case is not None
        case.latitude, case.longitude, case.location_label = 34.7466, 113.6253, "铝厂小区北门"
    page = district.get(f"/admin/cases/{sample['light']}").get_data(as_text=True)
    for words in ("铝厂小区", "铝厂一网格", "桐本北路社区", "新华路街道", "3号楼楼道灯坏了"):
        assert words in page
    timeline = page.split('id="timeline"')[1]
    for words in (
        "受理",
        "接单",
        "办结",
        "评价",
        "赵网格（铝厂一网格·网格员）",
        "换了灯泡",
        "评价 5 分",
    ):
        assert words in timeline
    assert "居民 · 待接单 → 处理中" not in timeline  # the take is the grid worker's, by name
    assert re.search(r"<dt>接单</dt><dd>[^<]* · 赵网格（铝厂一网格·网格员）</dd>", page)
    assert "34.746600, 113.625300" in page and "uri.amap.com" in page
    assert district.get("/admin/cases/999999-0000").status_code == 404


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[Followup]:
    """The follow-ups the admin's moves hand to the workers."""
    seen: list[Followup] = []

    def fake(followups: list[Followup]) -> bool:
        seen.extend(followups)
        return True

    monkeypatch.setattr("admin.views_cases.enqueue", fake)
    return seen


def act(client: FlaskClient, number: str, **form: str) -> str:
    response = client.post(
        f"/admin/cases/{number}/act", data={"csrf_token": "test-csrf-token", **form}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def events(db: Database, number: str) -> list[tuple[str, str, str | None, str]]:
    with db.session() as session:
        rows = session.execute(
            select(CaseEvent.kind, CaseEvent.actor, CaseEvent.to_level, CaseEvent.note)
            .join(Case)
            .where(Case.number == number)
            .order_by(CaseEvent.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_admin_moves_are_events_and_reach_the_workers(
    district: FlaskClient, db: Database, queued: list[Followup]
) -> None:
    number = open_case(db).number
    page = act(district, number, action="note", text="已电话联系居民")
    assert "已添加备注" in page and "已电话联系居民" in page
    page = act(district, number, action="level", level="community", text="涉及多个楼院")
    assert "已调整至社区层级" in page
    page = act(district, number, action="close", text="重复工单")
    assert "工单已关闭" in page
    page = act(district, number, action="reopen", text="居民反映未解决")
    assert "工单已重新办理" in page
    assert [e[:3] for e in events(db, number)[1:]] == [
        ("note", "admin:district", "grid"),
        ("set_level", "admin:district", "community"),
        ("close", "admin:district", "community"),
        ("reopen", "admin:district", "community"),
    ]
    assert [f.job for f in queued] == [
        "dispatch_case", "notify_resident", "notify_resident", "dispatch_case", "notify_resident",
    ]  # fmt: skip
    with db.session() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None and case.status == "reopened" and case.stage == 2
    assert queued[0].args == (case.id, 1) and queued[3].args == (case.id, 2)


def test_moves_need_a_reason_a_token_and_a_legal_state(
    district: FlaskClient, db: Database, queued: list[Followup]
) -> None:
    number = open_case(db).number
    assert "请填写原因" in act(district, number, action="close", text="  ")
    assert "不能进行这个操作" in act(district, number, action="reopen", text="再看看")
    assert "工单已在该层级" in act(district, number, action="level", level="grid", text="x")
    no_token = district.post(f"/admin/cases/{number}/act", data={"action": "note", "text": "x"})
    assert no_token.status_code == 400
    assert "未知的层级" in act(district, number, action="level", level="moon", text="x")
    unknown = district.post(
        f"/admin/cases/{number}/act", data={"csrf_token": "test-csrf-token", "action": "drop"}
    )
    assert unknown.status_code == 400
    assert [e[0] for e in events(db, number)] == ["opened"]
    assert queued == []


def test_enqueue_tolerates_missing_workers(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_workers(name: str, *args: object, **kw: object) -> object:
        if name == "workers.enqueue":
            raise ImportError(name)
        return real_import(name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_workers)
    with app.app_context():
        assert jobs.enqueue([Followup.notify(1)]) is False
        assert jobs.enqueue([]) is True


def test_opinions_grouped_by_topic_and_courtyard(district: FlaskClient, db: Database) -> None:
    with db.session() as session:
        for yard, community, topic, text in [
            ("lvchang", "tbbl", "elevator", "3号楼加装电梯"),
            ("lvchang", "tbbl", "elevator", "5号楼也想加装电梯"),
            ("hzl24", "hzl", "parking", "停车太乱"),
            (None, None, "other", "感谢网格员"),
        ]:
            session.add(Opinion(courtyard=yard, community=community, topic=topic, text=text))
    page = district.get("/admin/opinions").get_data(as_text=True)
    assert "共 4 条" in page
    assert "加装电梯 · 铝厂小区" in page and "2 条" in page
    assert "停车 · 互助路24号院" in page and "未注明楼院" in page
    one = district.get("/admin/opinions?topic=elevator&courtyard=lvchang").get_data(as_text=True)
    assert "5号楼也想加装电梯" in one and "停车太乱" not in one
    assert district.get("/admin/opinions?courtyard=nowhere").status_code == 400
    assert district.get("/admin/opinions?days=2").status_code == 400


def test_org_tree_with_staff_and_load(district: FlaskClient, sample: dict[str, str]) -> None:
    page = district.get("/admin/org").get_data(as_text=True)
    for words in ("新华路街道", "王国栋", "铝厂一网格", "赵网格", "网格员", "楼号 1、2、3"):
        assert words in page
    assert re.search(r"网格层级在办</span>\s*<span class=\"value\">2<", page)  # late, elder
    assert re.search(r"楼院层级在办</span>\s*<span class=\"value\">1<", page)  # noise


def test_moves_land_on_the_real_queues(
    district: FlaskClient, db: Database, redis_conn: redis.Redis
) -> None:
    """With workers.enqueue: a level change queues the dispatch of the new stage."""
    pytest.importorskip("workers.enqueue", reason="workers/ is not installed")
    from rq import Queue

    case = open_case(db)
    act(district, case.number, action="level", level="courtyard", text="楼院协调")
    main, low = Queue("gridbot", connection=redis_conn), Queue("gridbot-low", connection=redis_conn)
    assert f"gridbot-dispatch-{case.id}-1" in main.job_ids
    assert any(job_id.startswith("gridbot-notify-") for job_id in low.job_ids)
