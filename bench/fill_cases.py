"""Fill a database with realistic cases for the dashboard benchmark and for screenshots.

    .venv/bin/python bench/fill_cases.py --database-url sqlite:///var/bench/admin.sqlite3 \
        [--count 100000] [--days 365] [--opinions 5000] [--seed 7] [--reset]

Each case gets a life drawn from the escalation policy (taken in time or escalated, resolved
in time or late, rated, sometimes reopened, a few still open and overdue) and the timeline
events such a life leaves. Rows are inserted in bulk, not through cases.lifecycle: 100,000
cases one by one would take many minutes, and what is measured is reading, not writing."""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from cases.clock import local, utcnow  # noqa: E402
from cases.db import Database  # noqa: E402
from cases.migrations import upgrade  # noqa: E402
from cases.models import (  # noqa: E402
    Base,
    Case,
    CaseCounter,
    CaseEvent,
    Opinion,
    Resident,
)
from cases.org import OrgTree, load_org  # noqa: E402
from cases.policy import Policy, load_policy  # noqa: E402
from config.settings import CONFIG_DIR  # noqa: E402

INTENTS = [("repair", 55), ("dispute", 15), ("elder_help", 15), ("emergency", 3), ("other", 12)]
TEXTS = {
    "repair": [
        "{b}号楼楼道灯坏了，晚上看不见",
        "{b}号楼{u}单元下水道堵了，污水外溢",
        "{b}号楼门禁坏了，陌生人随便进出",
        "{b}号楼楼顶漏水，家里天花板发霉",
        "{b}号楼前路面塌陷，老人走路容易摔",
        "{b}号楼{u}单元电梯停运两天了",
        "{b}号楼外墙瓷砖脱落，很危险",
        "小区路灯不亮，{b}号楼门口一片黑",
    ],
    "dispute": [
        "楼上{b}号楼住户天天半夜噪音",
        "{b}号楼楼道被邻居堆满杂物，占用消防通道",
        "{b}号楼有人私拉电线给电动车充电",
        "邻居装修砸了承重墙，{b}号楼裂缝",
        "{b}号楼前车位被长期占用",
    ],
    "elder_help": [
        "{b}号楼独居老人需要帮忙买菜",
        "{b}号楼{u}单元王奶奶腿脚不便，需要上门理发",
        "{b}号楼老人想办理高龄补贴，不会操作手机",
        "帮{b}号楼的李大爷预约体检",
    ],
    "emergency": [
        "救命 {b}号楼有人晕倒了",
        "{b}号楼闻到很大的煤气味",
        "{b}号楼楼道冒烟了",
    ],
    "other": [
        "{b}号楼垃圾清运不及时，味道很大",
        "小区流浪猫太多了",
        "{b}号楼前的树枝挡住窗户",
        "想问一下社区什么时候办活动",
    ],
}
TOPICS = {
    "elevator": ["建议{b}号楼加装电梯，老人上下楼太难", "{b}号楼加装电梯费用怎么分摊"],
    "parking": ["小区停车太乱，建议划线", "希望增设电动车充电桩"],
    "greening": ["建议在{b}号楼前多种点树", "小区绿地被占用种菜"],
    "renovation": ["老旧小区改造什么时候轮到我们", "希望改造时把管道一起换了"],
    "property": ["物业服务太差，保洁不到位", "建议成立业主委员会"],
    "safety": ["{b}号楼消防栓没水", "建议装监控，最近电动车被偷"],
    "activities": ["希望多组织老年人活动", "暑假能不能办儿童托管"],
    "other": ["感谢网格员的帮助", "建议开通线上缴费"],
}
RATINGS = [(5, 50), (4, 30), (3, 10), (2, 6), (1, 4)]
BATCH = 5000
STUCK = 0.005  # share of cases that no level takes


def weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def life(
    rng: random.Random,
    policy: Policy,
    org: OrgTree,
    intent: str,
    created: datetime,
    now: datetime,
    place: dict[str, Any],
    resident: tuple[int, str, str],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One case row and its events, following the state machine's rules."""
    rule = policy.rule(intent)
    resident_id, openid, phone = resident
    level = rule.start
    events: list[dict[str, Any]] = []

    def event(at: datetime, kind: str, actor: str, fs: Any, ts: Any, fl: Any, tl: Any, note=""):
        events.append(
            dict(
                at=at,
                kind=kind,
                actor=actor,
                from_status=fs,
                to_status=ts,
                from_level=fl,
                to_level=tl,
                note=note,
            )
        )

    text = rng.choice(TEXTS[intent]).format(b=place.get("building") or 1, u=rng.randint(1, 3))
    event(created, "opened", openid, None, "open", None, level, text)
    row: dict[str, Any] = dict(
        intent=intent,
        text=text,
        status="open",
        level=level,
        created_at=created,
        level_since=created,
        priority=2 if intent == "emergency" else 0,
        escalations=0,
        reopen_count=0,
        stage=0,
        dispatched_stage=0,
        overdue=False,
        resident_id=resident_id,
        openid=openid,
        phone=phone,
        acked_on_time=None,
        resolved_on_time=None,
        rating=None,
        acknowledged_at=None,
        acknowledged_by=None,
        resolved_at=None,
        closed_at=None,
        due_at=created + rule.ack_within,
        **place,
    )

    def staff(at_level: str) -> str:
        code = place.get(at_level)
        if not code:
            return "system"
        return org.unit(at_level, code).staff[0].openid

    t = created
    status = "open"
    if rng.random() < 0.02 and now - created > timedelta(hours=1):
        at = created + timedelta(minutes=rng.randint(2, 50))
        event(at, "cancel", openid, "open", "cancelled", level, level, "居民取消")
        row.update(status="cancelled", due_at=None, updated_at=at)
        return row, events
    # Taking: most in time; the slow ones go up a level first.
    take_delay = timedelta(seconds=rng.expovariate(1 / (rule.ack_within.total_seconds() * 0.45)))
    if rng.random() < STUCK:
        take_delay = timedelta(days=10 * 365)  # nobody takes it: it climbs and stays overdue
    while take_delay > rule.ack_within and policy.level_above(level):
        t = t + rule.ack_within
        if t > now:
            break
        above = policy.level_above(level)
        event(t, "escalate", "system", status, "open", level, above, "超时未接单，自动上报")
        level, take_delay = above, take_delay - rule.ack_within
        row.update(
            level=level, level_since=t, escalations=row["escalations"] + 1, stage=row["stage"] + 1
        )
        row["acked_on_time"] = False
        row["dispatched_stage"] = row["stage"]
    take_at = t + take_delay
    if take_at > now:
        row.update(level=level, due_at=t + rule.ack_within, updated_at=t)
        row["overdue"] = row["due_at"] < now and policy.level_above(level) is None
        return row, events
    event(take_at, "take", staff(level), status, "acknowledged", level, level)
    status = "acknowledged"
    if row["acked_on_time"] is None:
        row["acked_on_time"] = True
    row.update(
        status=status,
        acknowledged_at=take_at,
        acknowledged_by=staff(level),
        due_at=take_at + rule.resolve_within,
    )
    resolve_delay = timedelta(
        seconds=rng.expovariate(1 / (rule.resolve_within.total_seconds() * 0.5))
    )
    resolve_at = take_at + resolve_delay
    if resolve_at > now:
        row["updated_at"] = take_at
        return row, events
    event(resolve_at, "resolve", staff(level), status, "resolved", level, level, "已处理完毕")
    row.update(
        status="resolved",
        resolved_at=resolve_at,
        due_at=None,
        updated_at=resolve_at,
        resolved_on_time=resolve_delay <= rule.resolve_within and row["escalations"] == 0,
    )
    rate_at = resolve_at + timedelta(hours=rng.uniform(0.5, 30))
    if rate_at > now or rng.random() < 0.2:
        if rate_at < now and rng.random() < 0.5:
            event(rate_at, "close", "system", "resolved", "closed", level, level, "超期未评价")
            row.update(status="closed", closed_at=rate_at, updated_at=rate_at)
        return row, events
    rating = weighted(rng, RATINGS)
    row["rating"] = rating
    if rating > 2:
        event(rate_at, "rate", openid, "resolved", "closed", level, level, f"评价 {rating} 分")
        row.update(status="closed", closed_at=rate_at, updated_at=rate_at)
        return row, events
    event(
        rate_at,
        "reopen",
        openid,
        "resolved",
        "reopened",
        level,
        level,
        f"评价 {rating} 分（不满意）",
    )
    row.update(
        status="reopened",
        reopen_count=1,
        resolved_at=None,
        stage=row["stage"] + 1,
        dispatched_stage=row["stage"] + 1,
        level_since=rate_at,
        acknowledged_at=None,
        due_at=rate_at + rule.ack_within,
        updated_at=rate_at,
    )
    second = rate_at + timedelta(hours=rng.uniform(1, 40))
    if second < now:
        event(second, "resolve", staff(level), "reopened", "resolved", level, level, "再次处理")
        event(
            second + timedelta(hours=3),
            "rate",
            openid,
            "resolved",
            "closed",
            level,
            level,
            "评价 4 分",
        )
        row.update(
            status="closed",
            resolved_at=second,
            closed_at=second + timedelta(hours=3),
            due_at=None,
            rating=4,
            updated_at=second + timedelta(hours=3),
        )
    return row, events


def fill(url: str, count: int, days: int, opinions: int, seed: int, reset: bool) -> None:
    upgrade(url)
    db = Database(url)
    org = load_org(CONFIG_DIR / "org.yaml")
    policy = load_policy(CONFIG_DIR / "escalation.yaml")
    rng = random.Random(seed)
    now = utcnow()
    with db.session() as session:
        existing = session.scalar(select(func.count()).select_from(Case)) or 0
        if existing and not reset:
            sys.exit(f"{url}: {existing} cases already; pass --reset to replace them")
        if reset:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name not in ("admin_users", "api_tokens"):
                    session.execute(table.delete())
    started = time.monotonic()
    residents = [
        {
            "openid": f"oFILL{i:06d}",
            "phone": f"13{rng.randint(100000000, 999999999)}",
            "created_at": now - timedelta(days=days + 1),
        }
        for i in range(max(100, count // 20))
    ]
    with db.session() as session:
        session.execute(insert(Resident), residents)
        resident_rows = session.execute(select(Resident.id, Resident.openid, Resident.phone)).all()
    courtyards = org.courtyards
    moments = sorted(
        now - timedelta(days=days) + timedelta(seconds=rng.uniform(0, days * 86400))
        for _ in range(count)
    )
    counters: dict[str, int] = defaultdict(int)
    cases: list[dict[str, Any]] = []
    events: list[list[dict[str, Any]]] = []
    inserted = 0
    grids_of = {
        yard.code: [g for g in org.of_level("grid") if g.parents["courtyard"] == yard.code]
        for yard in courtyards
    }
    for created in moments:
        intent = weighted(rng, INTENTS)
        if intent == "emergency" and rng.random() < 0.3:
            place: dict[str, Any] = {}
        else:
            yard = rng.choice(courtyards)
            building = rng.choice(rng.choice(grids_of[yard.code]).buildings)
            address = org.address(yard.code, building)
            place = dict(
                street=address.street,
                community=address.community,
                courtyard=address.courtyard,
                grid=address.grid,
                building=building,
                unit=str(rng.randint(1, 3)),
                room=f"{rng.randint(1, 6)}0{rng.randint(1, 4)}",
            )
        resident = rng.choice(resident_rows)
        row, timeline = life(rng, policy, org, intent, created, now, place, tuple(resident))
        day = local(created).strftime("%y%m%d")
        counters[day] += 1
        row["number"] = f"{day}-{counters[day]:04d}"
        row.setdefault("updated_at", created)
        if rng.random() < 0.05:
            row.update(
                latitude=34.75 + rng.uniform(-0.02, 0.02),
                longitude=113.62 + rng.uniform(-0.02, 0.02),
                location_label="郑州市中原区",
            )
        cases.append(row)
        events.append(timeline)
        if len(cases) >= BATCH:
            inserted += _flush(db, cases, events)
            cases, events = [], []
            print(f"  {inserted} cases", end="\r", flush=True)
    inserted += _flush(db, cases, events)
    with db.session() as session:
        session.execute(insert(CaseCounter), [{"day": d, "last": n} for d, n in counters.items()])
        rows = []
        for _ in range(opinions):
            yard = rng.choice(courtyards)
            topic = rng.choice(list(TOPICS))
            rows.append(
                dict(
                    resident_id=rng.choice(resident_rows)[0],
                    courtyard=yard.code,
                    community=yard.parents["community"],
                    topic=topic,
                    text=rng.choice(TOPICS[topic]).format(b=rng.randint(1, 6)),
                    created_at=now - timedelta(seconds=rng.uniform(0, days * 86400)),
                )
            )
        if rows:
            session.execute(insert(Opinion), rows)
    db.dispose()
    print(f"{inserted} cases, {opinions} opinions in {time.monotonic() - started:.1f} s: {url}")


def _flush(db: Database, cases: list[dict[str, Any]], events: list[list[dict[str, Any]]]) -> int:
    if not cases:
        return 0
    with db.session() as session:
        ids = session.scalars(insert(Case).returning(Case.id, sort_by_parameter_order=True), cases)
        rows = []
        for case_id, timeline in zip(ids.all(), events, strict=True):
            for event in timeline:
                rows.append({**event, "case_id": case_id})
        session.execute(insert(CaseEvent), rows)
    return len(cases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'var/bench/admin.sqlite3'}")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--opinions", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reset", action="store_true", help="delete existing cases first")
    args = parser.parse_args()
    fill(args.database_url, args.count, args.days, args.opinions, args.seed, args.reset)


if __name__ == "__main__":
    main()
