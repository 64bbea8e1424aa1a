"""The whole chain on real Redis, real rq workers (burst SimpleWorkers) and the WeChat API
stand-in, with a policy of seconds: every level has one second to take a case."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from cases import lifecycle
from cases.clock import utcnow
from cases.db import Database
from cases.followups import Followup
from cases.links import read_staff_link
from config.settings import Settings
from workers.context import WorkerContext
from wxstub import StubWeChat

from .conftest import FAST, TEMPLATE_ID, installed
from .support import change, drain, enqueue, open_case, snapshot

CHAIN = [
    ("grid", "oGRID001"),
    ("courtyard", "oCOUNCIL001"),
    ("community", "oCOMM001"),
    ("street", "oSTREET001"),
]


def test_a_case_climbs_every_level_to_the_street_and_is_reminded_there(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    case_id, stage = open_case(ctx)
    enqueue(ctx, Followup.dispatch(case_id, stage))
    snap = drain(
        ctx,
        lambda: (s := snapshot(ctx, case_id)).sent("remind") and s,
        timeout=12,
        what="a reminder at the street level",
    )
    assert snap.moves[:5] == [
        ("opened", None, "grid"),
        ("escalate", "grid", "courtyard"),
        ("escalate", "courtyard", "community"),
        ("escalate", "community", "street"),
        ("remind", "street", "street"),
    ]
    assert snap.case.overdue and snap.case.level == "street" and snap.case.stage == 3
    # One push per level, to that level's staff member for this courtyard, each once.
    assert snap.sent("dispatch") == [(i, level, openid) for i, (level, openid) in enumerate(CHAIN)]
    for _, openid in CHAIN[:3]:
        assert len(stub.messages(openid)) == 1
    # Never early: each level got its full second, and moved on within about two more.
    events = snap.events
    for previous, event in zip(events[:4], events[1:5], strict=True):
        assert timedelta(seconds=1) <= event.at - previous.at < timedelta(seconds=3.5)
    # The resident was told each time the case went up.
    notices = [c.text for c in stub.messages("oRESIDENT1")]
    assert len(notices) == 3
    for notice, holder in zip(notices, ["楼院理事会", "桐本北路社区", "新华路街道"], strict=True):
        assert holder in notice


def test_the_push_is_a_template_message_with_everything_staff_need(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    case_id, stage = open_case(ctx, text="3号楼2单元楼道灯坏了，晚上很黑")
    enqueue(ctx, Followup.dispatch(case_id, stage))
    drain(ctx, lambda: stub.messages("oGRID001"), what="the grid worker's push")
    (call,) = stub.messages("oGRID001")
    case = snapshot(ctx, case_id).case
    assert call.path == "message/template/send"
    assert call.body["template_id"] == TEMPLATE_ID
    # The link opens the case for this staff member, without a dashboard account.
    prefix = f"{ctx.settings.public_url}/s/"
    assert call.body["url"].startswith(prefix)
    token = call.body["url"].removeprefix(prefix)
    assert read_staff_link(ctx.settings.secret_key, token) == (case.number, "oGRID001")
    values = {key: item["value"] for key, item in call.body["data"].items()}
    assert values["keyword1"] == case.number
    assert values["keyword2"] == "报修"
    assert values["keyword3"] == "铝厂小区 3号楼"
    assert values["keyword4"] == "3号楼2单元楼道灯坏了，晚上很黑"
    assert values["keyword5"]  # the deadline, in China time
    assert "新工单" in values["first"] and case.number in values["remark"]


def test_taking_the_case_stops_the_climb(ctx: WorkerContext, stub: StubWeChat) -> None:
    case_id, stage = open_case(ctx)
    enqueue(ctx, Followup.dispatch(case_id, stage))
    drain(ctx, lambda: stub.messages("oGRID001"), what="the grid worker's push")
    event = change(
        ctx, case_id, lambda s, c: lifecycle.take(s, ctx.domain.policy, c, "赵网格 oGRID001")
    )
    enqueue(ctx, Followup.notify(event.id))
    ack_deadline = utcnow() + timedelta(seconds=1.5)
    drain(ctx, lambda: utcnow() > ack_deadline, what="past the take deadline")
    snap = snapshot(ctx, case_id)
    assert (snap.case.level, snap.case.status) == ("grid", "acknowledged")
    assert [m for m in snap.moves if m[0] == "escalate"] == []
    (notice,) = stub.messages("oRESIDENT1")
    assert "已由铝厂一网格 网格员接单" in notice.text
    # Resolved in time: the resident is told, and nothing more happens.
    event = change(ctx, case_id, lambda s, c: lifecycle.resolve(s, c, "oGRID001", "已换灯泡"))
    enqueue(ctx, Followup.notify(event.id))
    drain(ctx, lambda: len(stub.messages("oRESIDENT1")) == 2, what="the resolved notice")
    assert "已办结：已换灯泡" in stub.messages("oRESIDENT1")[1].text
    assert len(stub.messages("oCOUNCIL001")) == 0


@pytest.fixture
def unswept(worker_settings: Settings, db: Database, redis_conn: object) -> Iterator[WorkerContext]:
    """A context whose sweeper would wait an hour: what happens on time is the jobs' doing."""
    with installed(worker_settings, replace(FAST, sweep_every=3600, grace=3600)) as context:
        yield context


def test_taken_but_not_resolved_in_time_goes_up(unswept: WorkerContext, stub: StubWeChat) -> None:
    ctx = unswept
    case_id, stage = open_case(ctx)
    enqueue(ctx, Followup.dispatch(case_id, stage))
    drain(ctx, lambda: stub.messages("oGRID001"), what="the grid worker's push")
    # As the staff handler does: the take, and the notice job after its commit.
    take = change(ctx, case_id, lambda s, c: lifecycle.take(s, ctx.domain.policy, c, "oGRID001"))
    enqueue(ctx, Followup.notify(take.id))
    snap = drain(
        ctx,
        lambda: (s := snapshot(ctx, case_id)).case.level == "courtyard" and s,
        timeout=6,
        what="escalation after the resolve deadline",
    )
    escalation = snap.events[-1] if snap.events[-1].kind == "escalate" else snap.events[-2]
    assert escalation.note == "超时未办结，自动上报"
    assert snap.case.status == "open" and snap.case.acked_on_time


def test_an_emergency_reaches_three_levels_at_once(ctx: WorkerContext, stub: StubWeChat) -> None:
    case_id, stage = open_case(ctx, "emergency", text="有老人摔倒了")
    enqueue(ctx, Followup.dispatch(case_id, stage))
    snap = drain(
        ctx,
        lambda: len((s := snapshot(ctx, case_id)).sent()) == 3 and s,
        what="pushes to three levels",
    )
    assert snap.sent() == [
        (0, "grid", "oGRID001"),
        (0, "courtyard", "oCOUNCIL001"),
        (0, "community", "oCOMM001"),
    ]
    assert snap.case.level == "grid"  # it sits at the first
    for openid in ("oGRID001", "oCOUNCIL001", "oCOMM001"):
        (call,) = stub.messages(openid)
        assert "紧急求助" in call.text
    assert stub.messages("oSTREET001") == []


def test_pass_up_by_staff_is_dispatched_at_once(ctx: WorkerContext, stub: StubWeChat) -> None:
    case_id, stage = open_case(ctx, "dispute")  # disputes start with the courtyard council
    enqueue(ctx, Followup.dispatch(case_id, stage))
    drain(ctx, lambda: stub.messages("oCOUNCIL001"), what="the council's push")

    def pass_up(session, case):  # type: ignore[no-untyped-def]
        event = lifecycle.escalate(
            session, ctx.domain.policy, case, "张理事 oCOUNCIL001", "需社区协调"
        )
        session.flush()
        return event.id, case.stage

    event_id, new_stage = change(ctx, case_id, pass_up)
    enqueue(ctx, Followup.dispatch(case_id, new_stage), Followup.notify(event_id))
    run = drain(ctx, lambda: stub.messages("oCOMM001"), timeout=0.9, what="before the deadline")
    assert "已上报至社区" in run[0].text
    snap = snapshot(ctx, case_id)
    assert [m for m in snap.moves if m[0] == "escalate"] == [("escalate", "courtyard", "community")]
    assert "已转至桐本北路社区处理" in stub.messages("oRESIDENT1")[0].text


def test_a_case_without_an_address_reaches_the_street_offices(
    ctx: WorkerContext, stub: StubWeChat
) -> None:
    case_id, stage = open_case(ctx, "emergency", courtyard=None, building=None)
    enqueue(ctx, Followup.dispatch(case_id, stage))
    drain(ctx, lambda: stub.messages("oSTREET001") and stub.messages("oSTREET002"))
    assert "地址待补充" in stub.messages("oSTREET001")[0].text
    assert len(stub.messages("oSTREET001")) == 1  # once, though pushed "as" three levels
