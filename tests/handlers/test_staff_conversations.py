"""Staff take, resolve and pass up cases from WeChat; residents rate; permissions hold."""

from __future__ import annotations

import redis
from sqlalchemy import select

from cases.db import Database
from cases.models import Case
from config.settings import Settings
from tests.handlers.conftest import case_of, number_in, play, send_photo
from tests.live import Phone


def open_repair(resident: Phone) -> str:
    [reply] = play(resident, [("铝厂小区3号楼楼道灯坏了", "工单号")])
    return number_in(reply)


def test_take_resolve_and_rate(resident: Phone, grid_worker: Phone, db: Database) -> None:
    number = open_repair(resident)
    play(
        grid_worker,
        [
            ("我的工单", f"1 件…{number}"),
            (f"接单 {number}", f"已接单 {number}"),
            (f"接单 {number}", "当前状态为“处理中”"),
            (f"办结 {number} 已更换灯泡", "已办结"),
        ],
    )
    play(resident, [("5", "感谢您的评价（5 分）")])
    case = case_of(db, number)
    assert (case.status, case.rating) == ("closed", 5)
    assert [e.kind for e in case.events] == ["opened", "take", "resolve", "rate"]
    assert case.events[1].actor == "赵网格 oGRID001"
    assert case.events[2].note == "已更换灯泡"


def test_bad_rating_reopens(resident: Phone, grid_worker: Phone, db: Database) -> None:
    number = open_repair(resident)
    play(grid_worker, [(f"办结 {number} 修好了", "已办结")])
    play(resident, [("不满意", "重新办理")])
    case = case_of(db, number)
    assert (case.status, case.level, case.rating) == ("reopened", "grid", 2)


def test_bare_take_takes_the_only_waiting_case(resident: Phone, grid_worker: Phone) -> None:
    number = open_repair(resident)
    play(grid_worker, [("接单", f"已接单 {number}")])


def test_bare_take_lists_when_several(resident: Phone, grid_worker: Phone) -> None:
    first, second = open_repair(resident), open_repair(resident)
    play(grid_worker, [("接单", f"有 2 件待接工单…{first}…{second}")])


def test_staff_of_another_unit_is_refused(
    resident: Phone, other_grid_worker: Phone, db: Database
) -> None:
    number = open_repair(resident)
    play(
        other_grid_worker,
        [(f"接单 {number}", "不在您的权限范围内"), (f"办结 {number} 好了", "不在您的权限范围内")],
    )
    assert case_of(db, number).status == "open"


def test_resident_cannot_use_staff_commands(resident: Phone, db: Database) -> None:
    number = open_repair(resident)
    resident.say(f"接单 {number}")
    assert case_of(db, number).status == "open"


def test_pass_up_moves_to_the_council(
    resident: Phone, grid_worker: Phone, council: Phone, db: Database
) -> None:
    number = open_repair(resident)
    play(
        grid_worker,
        [
            (f"上报 {number}", "上报 工单号 原因"),
            (f"上报 {number} 需要理事会协调", "已上报至楼院理事会"),
            (f"接单 {number}", "不在您的权限范围内"),
        ],
    )
    play(council, [(f"接单 {number}", f"已接单 {number}")])
    case = case_of(db, number)
    assert (case.level, case.stage, case.status) == ("courtyard", 1, "acknowledged")


def test_long_lists_stay_within_one_reply(resident: Phone, grid_worker: Phone) -> None:
    """WeChat shows a text reply over 2048 bytes as "该公众号暂时无法提供服务": twenty
    waiting cases are listed as far as they fit, and the rest are counted."""
    long_text = "铝厂小区3号楼楼道灯坏了，晚上一片漆黑，上下楼很不方便，麻烦尽快来修一下"
    numbers = [number_in(play(resident, [(long_text, "工单号")])[0]) for _ in range(20)]
    for command in ("我的工单", "接单"):
        reply = grid_worker.say(command)
        assert len(reply.encode()) <= 2048, (command, len(reply.encode()))
        shown = [n for n in numbers if n in reply]
        assert 5 < len(shown) < 20 and f"另有 {20 - len(shown)} 件未列出" in reply


def resolved_repair(resident: Phone, grid_worker: Phone) -> str:
    number = open_repair(resident)
    play(grid_worker, [(f"办结 {number} 已更换灯泡", "已办结")])
    return number


def test_a_rating_while_asked_where_rates_and_asks_again(
    resident: Phone, grid_worker: Phone, db: Database
) -> None:
    """The rating request came while the resident was reporting something else."""
    rated = resolved_repair(resident, grid_worker)
    replies = play(
        resident,
        [
            ("下水道堵了", "哪个小区"),
            ("5分", f"感谢您的评价（5 分）！工单 {rated}…“下水道堵了”还没有地址"),
            ("铝厂小区2号楼", "已受理您的报修（铝厂小区2号楼）"),
        ],
    )
    assert (case_of(db, rated).status, case_of(db, rated).rating) == ("closed", 5)
    assert case_of(db, number_in(replies[-1])).text == "下水道堵了"


def test_a_rating_while_binding_or_while_an_emergency_waits(
    resident: Phone, grid_worker: Phone, db: Database
) -> None:
    first, second = resolved_repair(resident, grid_worker), resolved_repair(resident, grid_worker)
    play(
        resident,
        [
            ("绑定", "请发送您的小区"),
            ("不满意", f"工单 {second} 已重新办理…请发送您的小区"),
            ("取消", "已取消"),
            ("救命 有人晕倒了", "120"),
            ("非常满意", f"感谢您的评价（5 分）！工单 {first}…还没有地址"),
        ],
    )
    assert (case_of(db, second).status, case_of(db, second).rating) == ("reopened", 2)
    assert (case_of(db, first).status, case_of(db, first).rating) == ("closed", 5)


def test_a_bare_number_while_asked_where_is_the_answer(
    resident: Phone, grid_worker: Phone, db: Database
) -> None:
    """ "3" may be meant as the building asked for; only "3分" or "满意" is a rating there."""
    rated = resolved_repair(resident, grid_worker)
    play(resident, [("铝厂小区楼道灯坏了", "几号楼"), ("3", "还没认出地址")])
    assert case_of(db, rated).status == "resolved"


def test_a_rating_with_nothing_to_rate_while_asked_where_is_an_answer(
    resident: Phone, db: Database
) -> None:
    play(resident, [("楼道灯坏了", "哪个小区"), ("5分", "还没认出地址")])


def test_a_rating_aside_gives_the_question_its_full_time_again(
    resident: Phone, grid_worker: Phone, settings: Settings, redis_conn: redis.Redis
) -> None:
    resolved_repair(resident, grid_worker)
    play(resident, [("下水道堵了", "哪个小区")])
    key = f"{settings.queue_prefix}:dialogue:{resident.openid}"
    redis_conn.expire(key, 100)
    play(resident, [("5分", "感谢您的评价…还没有地址")])
    assert redis_conn.ttl(key) > 100


def test_the_rating_command_while_asked_where_asks_again(
    resident: Phone, grid_worker: Phone
) -> None:
    rated = resolved_repair(resident, grid_worker)
    play(
        resident,
        [
            ("下水道堵了", "哪个小区"),
            (f"评价 {rated} 4", "感谢您的评价（4 分）…“下水道堵了”还没有地址"),
        ],
    )


def test_a_rating_after_the_emergency_was_closed_asks_about_the_waiting_report(
    resident: Phone, grid_worker: Phone, db: Database
) -> None:
    resolved_repair(resident, grid_worker)
    replies = play(resident, [("楼道灯坏了", "哪个小区"), ("救命 有人晕倒了", "120")])
    with db.session() as session:
        emergency = session.scalar(select(Case).where(Case.number == number_in(replies[-1])))
        assert emergency is not None
        emergency.status = "closed"
    play(resident, [("5分", "感谢您的评价…“楼道灯坏了”：请问是哪个小区")])


def test_a_photo_kept_after_the_emergency_was_over_survives_a_rating(
    resident: Phone, grid_worker: Phone, db: Database
) -> None:
    resolved_repair(resident, grid_worker)
    replies = play(resident, [("救命 有人晕倒了", "120")])
    with db.session() as session:
        emergency = session.scalar(select(Case).where(Case.number == number_in(replies[-1])))
        assert emergency is not None
        emergency.status = "closed"
    sent = send_photo(resident, "LATEPHOTO")
    assert "已收到" in sent
    replies = play(resident, [("5分", "感谢您的评价"), ("铝厂小区3号楼下水道堵了", "工单号")])
    drain = case_of(db, number_in(replies[-1]))
    assert [a.media_id for a in drain.attachments] == ["LATEPHOTO"]


def test_a_score_asked_for_while_asked_where_is_asked_for_with_its_unit(
    resident: Phone, grid_worker: Phone, db: Database
) -> None:
    """A bare 5 answers the address question there, so the bot asks for "5分"."""
    rated = resolved_repair(resident, grid_worker)
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("评价", f"请为工单 {rated} 打分：回复“5分”…“楼道灯坏了”还没有地址"),
            ("5分", "感谢您的评价（5 分）"),
        ],
    )
    assert case_of(db, rated).rating == 5
