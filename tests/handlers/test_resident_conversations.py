"""Residents' conversations, end to end through signed XML, the webhook and a real Redis."""

from __future__ import annotations

import threading

from sqlalchemy import select

from cases import lifecycle
from cases.db import Database
from cases.models import Case, Opinion, Resident
from tests.handlers.conftest import case_of, number_in, play, send_photo
from tests.live import Phone


def test_repair_in_one_message_opens_at_once(resident: Phone, db: Database) -> None:
    [reply] = play(resident, [("铝厂小区3号楼楼道灯坏了", "工单号…铝厂一网格 网格员")])
    case = case_of(db, number_in(reply))
    assert (case.intent, case.status, case.level) == ("repair", "open", "grid")
    assert (case.courtyard, case.building, case.grid) == ("lvchang", "3", "lc-1")
    assert case.openid == resident.openid


def test_missing_address_is_asked_for(resident: Phone, db: Database) -> None:
    replies = play(
        resident,
        [
            ("楼道里的水管漏水了", "哪个小区、几号楼"),
            ("在互助路24号院", "楼号"),
            ("2号楼1单元", "工单号…互助路24号院网格"),
        ],
    )
    case = case_of(db, number_in(replies[-1]))
    assert case.text == "楼道里的水管漏水了"
    assert (case.courtyard, case.building, case.unit) == ("hzl24", "2", "1")


def test_cancel_ends_the_dialogue(resident: Phone) -> None:
    play(resident, [("水管漏水了", "哪个小区"), ("取消", "已取消"), ("取消", "没有进行中")])


def test_binding_then_report_without_address(resident: Phone, db: Database) -> None:
    play(
        resident,
        [
            ("我的信息", "还没有绑定"),
            ("绑定 铝厂小区 5号楼1单元302", "已绑定住址：铝厂小区5号楼1单元302"),
            ("我的信息", "铝厂小区5号楼1单元302"),
        ],
    )
    [reply] = play(resident, [("下水道堵了", "工单号…铝厂二网格")])
    assert case_of(db, number_in(reply)).building == "5"
    play(resident, [("解绑", "已解除"), ("我的信息", "还没有绑定")])


def test_guided_binding(resident: Phone, db: Database) -> None:
    play(
        resident,
        [("绑定", "请发送您的小区"), ("桐柏路191号院", "楼号"), ("4号楼2单元101", "已绑定")],
    )
    with db.session() as session:
        bound = session.scalar(select(Resident).where(Resident.openid == resident.openid))
        assert bound is not None and (bound.courtyard, bound.building) == ("tbl191", "4")


def test_dispute_starts_with_the_council(resident: Phone, db: Database) -> None:
    [reply] = play(resident, [("前进路50号院2号楼楼上天天半夜噪音", "工单号…楼院理事会")])
    assert case_of(db, number_in(reply)).level == "courtyard"


def test_emergency_without_address_opens_then_asks(resident: Phone, db: Database) -> None:
    first, second = play(
        resident,
        [
            ("救命 家里着火了", "119…紧急工单…回复您所在的小区"),
            ("铝厂小区2号楼", "已更新紧急工单"),
        ],
    )
    number = number_in(first)
    assert number == number_in(second)
    case = case_of(db, number)
    assert (case.intent, case.priority, case.courtyard) == ("emergency", 2, "lvchang")
    assert "address" in [e.kind for e in case.events]


def test_one_key_call_uses_binding(resident: Phone, db: Database) -> None:
    play(resident, [("绑定 铝厂小区 1号楼", "已绑定")])
    reply = resident.event("CLICK", "ONE_KEY_CALL")
    assert "120" in reply and "紧急工单" in reply
    case = case_of(db, number_in(reply))
    assert (case.intent, case.building) == ("emergency", "1")


def test_opinion_is_stored_with_topic(resident: Phone, db: Database) -> None:
    play(resident, [("建议铝厂小区3号楼加装电梯", "感谢您的意见…加装电梯…桐本北路社区")])
    with db.session() as session:
        opinion = session.scalars(select(Opinion)).one()
        assert (opinion.topic, opinion.courtyard, opinion.community) == (
            "elevator",
            "lvchang",
            "tbbl",
        )


def test_query_lists_own_cases_and_hides_others(resident: Phone, neighbour: Phone) -> None:
    play(resident, [("查询", "没有进行中的工单")])
    [opened] = play(resident, [("铝厂小区3号楼楼道灯坏了", "工单号")])
    number = number_in(opened)
    play(resident, [("查询", f"1 件工单…{number}…待接单"), (number, "受理")])
    play(neighbour, [(f"查询 {number}", "没有找到")])


def test_photo_attaches_to_newest_case(resident: Phone, db: Database) -> None:
    [opened] = play(resident, [("铝厂小区3号楼楼道灯坏了", "工单号")])
    reply = resident.send_xml(
        resident.sim.message(
            resident.openid, "image", MediaId="MEDIA1", PicUrl="http://example.invalid/1.jpg"
        )
    )
    assert "已将照片补充到工单" in reply
    reply = resident.send_xml(
        resident.sim.message(
            resident.openid,
            "location",
            Location_X="34.75",
            Location_Y="113.62",
            Scale="15",
            Label="铝厂小区",
        )
    )
    assert "位置" in reply
    case = case_of(db, number_in(opened))
    assert [a.kind for a in case.attachments] == ["image", "location"]
    assert case.latitude == 34.75


def test_photo_before_words_is_kept_for_the_report(resident: Phone, db: Database) -> None:
    reply = send_photo(resident, "M0")
    assert "已收到照片" in reply
    [opened] = play(resident, [("铝厂小区3号楼门禁坏了", "工单号")])
    assert [a.media_id for a in case_of(db, number_in(opened)).attachments] == ["M0"]


def test_photos_sent_in_a_burst_are_all_kept(resident: Phone, db: Database) -> None:
    """Photos arriving at once are turns of one resident: taken one after the other, each
    adds to what the one before kept (none is lost to a concurrent write)."""
    photos = [f"BURST{i}" for i in range(4)]
    replies: list[str] = []
    senders = [
        threading.Thread(
            target=lambda media: replies.append(send_photo(resident, media)),
            args=(media,),
        )
        for media in photos
    ]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert len(replies) == 4 and all("已收到照片" in r for r in replies)
    [opened] = play(resident, [("铝厂小区3号楼门禁坏了", "工单号")])
    kept = [a.media_id for a in case_of(db, number_in(opened)).attachments]
    assert sorted(kept) == photos


def test_voice_with_recognition_is_read_and_kept(resident: Phone, db: Database) -> None:
    reply = resident.send_xml(
        resident.sim.message(
            resident.openid,
            "voice",
            MediaId="VOICE1",
            Format="amr",
            Recognition="铝厂小区3号楼下水道堵了",
        )
    )
    case = case_of(db, number_in(reply))
    assert [a.kind for a in case.attachments] == ["voice"]


def test_other_gets_the_menu(resident: Phone) -> None:
    play(resident, [("你好", "我可以帮您")])


def test_retry_of_a_report_opens_one_case(resident: Phone, db: Database) -> None:
    xml = resident.sim.text(resident.openid, "铝厂小区3号楼楼道灯坏了", msg_id=4242)
    first, second = resident.send_xml(xml), resident.send_xml(xml)
    assert first == second
    from cases.models import Case

    with db.session() as session:
        assert len(session.scalars(select(Case)).all()) == 1


def location(phone: Phone, label: str, x: str = "34.75", y: str = "113.62") -> str:
    xml = phone.sim.message(
        phone.openid, "location", Location_X=x, Location_Y=y, Scale="15", Label=label
    )
    return phone.send_xml(xml)


def cases_of(db: Database, openid: str) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(select(Case.number).where(Case.openid == openid).order_by(Case.id))
        )


def test_what_follows_an_emergency_goes_to_it(resident: Phone, db: Database) -> None:
    """ "救命", then the address with another cry for help, then "快点来人啊", then the button:
    one emergency case, with its address and every word on it, pushed once per stage."""
    [first] = play(resident, [("救命 家里着火了", "119…紧急工单…回复您所在的小区")])
    number = number_in(first)
    play(
        resident,
        [
            ("在铝厂小区2号楼，快来救命", f"已更新紧急工单 {number}"),
            ("快点来人啊", f"已补充到紧急工单 {number}"),
        ],
    )
    assert "119" in resident.event("CLICK", "ONE_KEY_CALL")  # the advice for this emergency
    assert cases_of(db, resident.openid) == [number]
    case = case_of(db, number)
    assert (case.courtyard, case.building) == ("lvchang", "2")
    notes = [e.note for e in case.events if e.kind == "note"]
    assert notes[:2] == ["在铝厂小区2号楼，快来救命", "快点来人啊"] and "一键呼叫" in notes[2]


def test_a_location_answers_where_and_is_no_emergency(resident: Phone, db: Database) -> None:
    """A location shared while the bot asks where: its label is read as an address, never as
    a cry for help ("…火车站"), and its coordinates go with the case."""
    play(resident, [("楼道里的水管漏水了", "哪个小区")])
    assert "紧急" not in location(resident, "南阳市宛城区火车站")
    assert cases_of(db, resident.openid) == []
    reply = location(resident, "铝厂小区3号楼", x="34.7466", y="113.6253")
    case = case_of(db, number_in(reply))
    assert (case.intent, case.courtyard, case.building) == ("repair", "lvchang", "3")
    assert [a.kind for a in case.attachments] == ["location", "location"]
    assert case.latitude == 34.75  # the first location shared for it


def test_an_emergencys_location_keeps_its_coordinates(resident: Phone, db: Database) -> None:
    [first] = play(resident, [("救命 有人晕倒了", "120…回复您所在的小区")])
    assert "已更新紧急工单" in location(resident, "铝厂小区东门", x="34.7466", y="113.6253")
    case = case_of(db, number_in(first))
    assert case.courtyard == "lvchang" and case.latitude == 34.7466


def test_a_photo_sent_while_asked_where_goes_with_that_report(
    resident: Phone, db: Database
) -> None:
    [repair] = play(resident, [("铝厂小区3号楼楼道灯坏了", "工单号")])
    play(resident, [("楼上天天半夜噪音", "哪个小区")])
    reply = send_photo(resident, "NOISE")
    assert "已收到照片" in reply
    [dispute] = play(resident, [("铝厂小区2号楼", "工单号")])
    assert [a.media_id for a in case_of(db, number_in(dispute)).attachments] == ["NOISE"]
    assert case_of(db, number_in(repair)).attachments == []


def test_a_report_about_another_building_takes_no_flat_from_the_binding(
    resident: Phone, db: Database
) -> None:
    play(resident, [("绑定 铝厂小区 5号楼2单元501", "已绑定")])
    [opened] = play(resident, [("3号楼楼道灯坏了", "工单号")])
    case = case_of(db, number_in(opened))
    assert (case.courtyard, case.building, case.unit, case.room) == ("lvchang", "3", None, None)
    [own] = play(resident, [("家里水管漏水了", "工单号")])
    case = case_of(db, number_in(own))
    assert (case.building, case.unit, case.room) == ("5", "2", "501")


def test_a_rating_in_full_width_digits_is_read(
    resident: Phone, grid_worker: Phone, db: Database
) -> None:
    [opened] = play(resident, [("铝厂小区3号楼楼道灯坏了", "工单号")])
    number = number_in(opened)
    play(grid_worker, [(f"接单 {number}", "已接单"), (f"办结 {number} 换了灯泡", "已办结")])
    play(resident, [("５分", "感谢")])
    case = case_of(db, number)
    assert (case.status, case.rating) == ("closed", 5)


def test_a_new_emergency_after_one_was_closed_opens_a_case(resident: Phone, db: Database) -> None:
    """The first emergency, still asking where, is closed by staff; the next cry for help is a
    new emergency, not an answer to the old question."""
    [first] = play(resident, [("救命 有人晕倒了", "回复您所在的小区")])
    with db.session() as session:
        case = session.scalar(select(Case).where(Case.number == number_in(first)))
        assert case is not None
        lifecycle.close(session, case, "admin:district", "已送医")
    [second] = play(resident, [("救命 家里着火了", "119…紧急工单")])
    assert number_in(second) != number_in(first)
    assert cases_of(db, resident.openid) == [number_in(first), number_in(second)]


def test_a_cry_for_help_while_asked_where_gets_the_advice(resident: Phone) -> None:
    play(resident, [("救命 有人晕倒了", "120…回复您所在的小区")])
    play(resident, [("着火了 快来人 救命", "119…请回复小区和楼号")])


def test_an_emergency_elsewhere_is_a_case_of_its_own(resident: Phone, db: Database) -> None:
    """Two emergencies at two places within minutes: two cases, each pushed to its place."""
    [first] = play(resident, [("救命 铝厂小区3号楼有人晕倒了", "紧急工单")])
    [second] = play(resident, [("桐柏路191号院5号楼着火了 救命", "119…紧急工单")])
    assert number_in(first) != number_in(second)
    assert case_of(db, number_in(second)).courtyard == "tbl191"
