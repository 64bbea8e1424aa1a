"""A new report while the bot waits for an answer is never swallowed. Address fragments still
answer the question; a message that reads as a report, a question or an opinion of its own is
handled as one, and the question is asked again (binding, which is optional, is given up and
the resident told so)."""

from __future__ import annotations

from sqlalchemy import select

from cases.db import Database
from cases.models import Resident
from tests.handlers.conftest import (
    case_of,
    cases_of,
    media_of,
    notes_of,
    number_in,
    play,
    send_photo,
)
from tests.live import Phone


def bound_courtyard(db: Database, openid: str) -> str | None:
    with db.session() as session:
        resident = session.scalar(select(Resident).where(Resident.openid == openid))
        return resident.courtyard if resident is not None else None


def test_a_report_during_binding_gives_binding_up(resident: Phone, db: Database) -> None:
    play(
        resident,
        [
            ("绑定", "请发送您的小区"),
            ("楼道灯坏了", "已退出住址绑定…收到您的报修…哪个小区、几号楼"),
            ("铝厂小区3号楼", "工单号"),
        ],
    )
    [case] = cases_of(db, resident.openid)
    assert (case.intent, case.text, case.building) == ("repair", "楼道灯坏了", "3")
    assert bound_courtyard(db, resident.openid) is None


def test_a_report_with_its_address_during_binding_is_filed_not_bound(
    resident: Phone, db: Database
) -> None:
    """The address of a report is where the problem is, not necessarily the resident's home."""
    play(
        resident, [("绑定", "请发送您的小区"), ("铝厂小区3号楼下水道堵了", "已退出住址绑定…工单号")]
    )
    [case] = cases_of(db, resident.openid)
    assert (case.courtyard, case.building, case.text) == ("lvchang", "3", "铝厂小区3号楼下水道堵了")
    assert bound_courtyard(db, resident.openid) is None


def test_address_fragments_still_answer_binding(resident: Phone, db: Database) -> None:
    play(resident, [("绑定", "请发送您的小区"), ("铝厂小区", "楼号"), ("3号楼", "已绑定")])
    assert bound_courtyard(db, resident.openid) == "lvchang"
    assert cases_of(db, resident.openid) == []


def test_address_fragments_still_answer_where(resident: Phone, db: Database) -> None:
    replies = play(
        resident,
        [
            ("楼道灯坏了", "哪个小区、几号楼"),
            ("501", "还没认出地址"),
            ("铝厂小区", "还没认出地址"),
            ("3号楼", "工单号"),
        ],
    )
    [case] = cases_of(db, resident.openid)
    assert number_in(replies[-1]) == case.number
    assert (case.courtyard, case.building, case.text) == ("lvchang", "3", "楼道灯坏了")


def test_the_same_report_with_its_address_answers_where(resident: Phone, db: Database) -> None:
    """Said again with the address: one case, not two."""
    play(resident, [("楼道灯坏了", "哪个小区"), ("铝厂小区3号楼的楼道灯坏了", "工单号")])
    [case] = cases_of(db, resident.openid)
    assert (case.courtyard, case.building) == ("lvchang", "3")
    assert "铝厂小区3号楼的楼道灯坏了" in case.text


def test_more_words_about_the_report_are_kept_with_it(resident: Phone, db: Database) -> None:
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("灯一直不亮，晚上看不见路", "还没认出地址"),
            ("铝厂小区3号楼", "工单号"),
        ],
    )
    [case] = cases_of(db, resident.openid)
    assert "楼道灯坏了" in case.text and "晚上看不见路" in case.text


def test_another_report_while_asked_where_waits_its_turn(resident: Phone, db: Database) -> None:
    """Two problems, neither with an address: the first is asked about, then the second."""
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("另外5号楼电梯也坏了", "已记下…电梯也坏了…楼道灯坏了…哪个小区、几号楼"),
            ("铝厂小区3号楼", "工单号…电梯也坏了…哪个小区"),
            ("铝厂小区", "工单号"),
        ],
    )
    light, lift = cases_of(db, resident.openid)
    assert (light.text, light.courtyard, light.building) == ("楼道灯坏了", "lvchang", "3")
    assert (lift.text, lift.courtyard, lift.building) == ("另外5号楼电梯也坏了", "lvchang", "5")


def test_another_report_with_its_address_is_filed_at_once(resident: Phone, db: Database) -> None:
    """Filed where it says, and the first report is asked about again, not given its place."""
    replies = play(
        resident,
        [
            ("楼上天天半夜噪音", "哪个小区"),
            ("铝厂小区3号楼楼道灯坏了", "已受理您的报修…工单号…噪音…哪个小区、几号楼"),
            ("前进路50号院2号楼", "已受理您的矛盾纠纷…工单号"),
        ],
    )
    light, noise = cases_of(db, resident.openid)
    assert number_in(replies[1]) == light.number and number_in(replies[2]) == noise.number
    assert (light.intent, light.courtyard, light.building) == ("repair", "lvchang", "3")
    assert (noise.intent, noise.courtyard, noise.building) == ("dispute", "qjl50", "2")


def test_giving_a_report_up_for_another(resident: Phone, db: Database) -> None:
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("算了 我要投诉楼上噪音", "报修“楼道灯坏了”不再登记…收到您的矛盾纠纷…哪个小区"),
            ("铝厂小区2号楼", "已受理您的矛盾纠纷…工单号"),
        ],
    )
    [case] = cases_of(db, resident.openid)
    # Staff read the report's own words, not the word that gave up the other one.
    assert (case.intent, case.text, case.building) == ("dispute", "我要投诉楼上噪音", "2")


def test_reports_waiting_their_turn_are_few_and_the_rest_refused_aloud(
    resident: Phone, db: Database
) -> None:
    play(
        resident,
        [
            ("楼上天天半夜噪音", "哪个小区"),
            ("电梯坏了", "已记下您的报修“电梯坏了”"),
            ("门禁坏了", "已记下您的报修“门禁坏了”"),
            ("水管漏水了", "已记下您的报修“水管漏水了”"),
            ("楼道灯坏了", "请先回复地址…这件报修稍后再发…噪音…哪个小区"),
            ("前进路50号院2号楼", "已受理您的矛盾纠纷…“电梯坏了”：请问是哪个小区"),
            ("铝厂小区1号楼", "已受理您的报修…“门禁坏了”"),
            ("铝厂小区2号楼", "已受理您的报修…“水管漏水了”"),
            ("铝厂小区3号楼", "已受理您的报修"),
        ],
    )
    assert [c.text for c in cases_of(db, resident.openid)] == [
        "楼上天天半夜噪音",
        "电梯坏了",
        "门禁坏了",
        "水管漏水了",
    ]


def test_a_question_while_asked_where_is_answered(resident: Phone, db: Database) -> None:
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("我上次报的修怎么样了", "没有进行中的工单…楼道灯坏了…哪个小区"),
            ("铝厂小区3号楼", "工单号"),
        ],
    )
    assert [c.text for c in cases_of(db, resident.openid)] == ["楼道灯坏了"]


def test_a_report_while_an_emergency_asks_where_waits(resident: Phone, db: Database) -> None:
    [first] = play(resident, [("救命 有人晕倒了", "120…回复您所在的小区")])
    play(
        resident,
        [
            ("另外5号楼电梯也坏了", "已记下…电梯也坏了…小区和楼号"),
            ("铝厂小区2号楼", f"已更新紧急工单 {number_in(first)}…电梯也坏了…哪个小区"),
            ("铝厂小区", "已受理您的报修…工单号"),
        ],
    )
    emergency, lift = cases_of(db, resident.openid)
    assert (emergency.intent, emergency.courtyard, emergency.building) == (
        "emergency",
        "lvchang",
        "2",
    )
    assert (lift.intent, lift.courtyard, lift.building) == ("repair", "lvchang", "5")
    notes = notes_of(db, emergency.number)
    assert not any("电梯" in note for note in notes)  # a report of its own, not a note


def test_another_report_with_a_place_is_filed_but_does_not_locate_the_emergency(
    resident: Phone, db: Database
) -> None:
    """Marked as another matter (也), the report is filed where it says; that place is the
    report's, not the emergency's, which is asked about again."""
    [first] = play(resident, [("救命 有人晕倒了", "120…回复您所在的小区")])
    play(
        resident,
        [
            (
                "铝厂小区3号楼 楼道灯也坏了",
                f"已受理您的报修…紧急工单 {number_in(first)}…小区和楼号",
            ),
            ("前进路50号院2号楼", f"已更新紧急工单 {number_in(first)}"),
        ],
    )
    emergency, light = cases_of(db, resident.openid)
    assert (emergency.courtyard, emergency.building) == ("qjl50", "2")
    assert (light.intent, light.courtyard, light.building) == ("repair", "lvchang", "3")


def test_an_opinion_naming_a_place_does_not_locate_the_emergency(
    resident: Phone, db: Database
) -> None:
    """An opinion is answered aside; the place it names is not where the emergency is."""
    [first] = play(resident, [("救命 有人晕倒了", "120…回复您所在的小区")])
    play(
        resident,
        [("建议前进路50号院加装电梯", f"感谢您的意见…紧急工单 {number_in(first)}…小区和楼号")],
    )
    [emergency] = cases_of(db, resident.openid)
    assert (emergency.courtyard, emergency.stage) == (None, 0)


def test_a_question_naming_a_place_does_not_locate_the_emergency(
    resident: Phone, db: Database
) -> None:
    [first] = play(resident, [("救命 有人晕倒了", "120…回复您所在的小区")])
    play(resident, [("铝厂小区3号楼的工单怎么样了", f"{number_in(first)}…小区和楼号")])
    [emergency] = cases_of(db, resident.openid)
    assert (emergency.courtyard, emergency.stage) == (None, 0)


def test_details_of_the_emergency_are_notes_on_it(resident: Phone, db: Database) -> None:
    """What reads as elder help or a repair, unmarked, is more about the emergency itself."""
    [first] = play(resident, [("救命 有人晕倒了", "120…回复您所在的小区")])
    play(
        resident,
        [
            ("老人八十多岁了一个人住", "已记录…小区和楼号"),
            ("门锁坏了进不去", "已记录…小区和楼号"),
        ],
    )
    [emergency] = cases_of(db, resident.openid)
    notes = notes_of(db, number_in(first))
    assert notes == ["老人八十多岁了一个人住", "门锁坏了进不去"]


def test_a_report_with_a_place_is_a_note_and_filed_but_the_address_is_asked(
    resident: Phone, db: Database
) -> None:
    """A report's place may be the emergency's or not; a wrong address sends help to the wrong
    door. So the words go on the emergency, the report is filed at its place, and the
    emergency's address is asked again, not guessed."""
    [first] = play(resident, [("救命 有人晕倒了", "120…回复您所在的小区")])
    number = number_in(first)
    for text in ("铝厂小区2号楼 老人八十多岁了一个人住", "前进路50号院2号楼下水道堵了"):
        play(resident, [(text, f"已受理…工单号…紧急工单 {number} 还没有地址")])
    emergency, elder, drain = cases_of(db, resident.openid)
    assert emergency.number == number and emergency.courtyard is None
    notes = notes_of(db, number)
    assert notes == ["铝厂小区2号楼 老人八十多岁了一个人住", "前进路50号院2号楼下水道堵了"]
    assert (elder.intent, elder.courtyard, elder.building) == ("elder_help", "lvchang", "2")
    assert (drain.intent, drain.courtyard, drain.building) == ("repair", "qjl50", "2")
    play(resident, [("铝厂小区2号楼", f"已更新紧急工单 {number}")])
    assert case_of(db, number).courtyard == "lvchang"


def test_words_said_with_the_emergencys_address_are_kept(resident: Phone, db: Database) -> None:
    [first] = play(resident, [("救命 有人晕倒了", "120")])
    play(resident, [("铝厂小区2号楼 老人有心脏病", f"已更新紧急工单 {number_in(first)}")])
    notes = notes_of(db, number_in(first))
    assert notes == ["铝厂小区2号楼 老人有心脏病"]


def test_a_dispute_or_a_detail_with_ye_while_an_emergency_asks_where(
    resident: Phone, db: Database
) -> None:
    """A noise complaint is no detail of a fainting: filed aside. "门锁也坏了进不去" (the door
    is locked too) is: a note, not a report of its own."""
    [first] = play(resident, [("救命 有人晕倒了", "120")])
    play(
        resident,
        [
            ("我要投诉楼上噪音", "已记下您的矛盾纠纷…还没有地址"),
            ("门锁也坏了进不去", "已记录…正在处理"),
            ("铝厂小区2号楼", "已更新紧急工单…噪音…哪个小区"),
            ("铝厂小区3号楼", "已受理您的矛盾纠纷…工单号"),
        ],
    )
    emergency, dispute = cases_of(db, resident.openid)
    assert (dispute.intent, dispute.building) == ("dispute", "3")
    notes = notes_of(db, number_in(first))
    assert notes == ["门锁也坏了进不去", "铝厂小区2号楼"]


def test_cancel_word_with_a_report_while_an_emergency_asks_where(
    resident: Phone, db: Database
) -> None:
    """The address question is dropped (the emergency stays open), the rest is handled."""
    play(resident, [("救命 有人晕倒了", "120")])
    play(
        resident,
        [
            ("取消 我要投诉楼上噪音", "已取消…矛盾纠纷…哪个小区"),
            ("铝厂小区3号楼", "已受理您的矛盾纠纷…工单号"),
        ],
    )
    emergency, dispute = cases_of(db, resident.openid)
    assert emergency.status == "open" and dispute.text == "我要投诉楼上噪音"


def test_a_report_being_asked_about_waits_behind_an_emergency(
    resident: Phone, db: Database
) -> None:
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("救命 有人晕倒了", "120…回复您所在的小区"),
            ("铝厂小区2号楼", "已更新紧急工单…楼道灯坏了…哪个小区"),
            ("铝厂小区3号楼", "已受理您的报修…工单号"),
        ],
    )
    emergency, light = cases_of(db, resident.openid)
    assert (emergency.intent, emergency.building) == ("emergency", "2")
    assert (light.intent, light.building) == ("repair", "3")


def test_a_photo_of_the_report_asked_about_stays_with_it_behind_an_emergency(
    resident: Phone, db: Database
) -> None:
    play(resident, [("楼道灯坏了", "哪个小区")])
    send_photo(resident, "LIGHTPHOTO")
    play(
        resident,
        [
            ("救命 有人晕倒了", "120…回复您所在的小区"),
            ("铝厂小区2号楼", "已更新紧急工单…楼道灯坏了…哪个小区"),
            ("铝厂小区3号楼", "已受理您的报修…工单号"),
        ],
    )
    emergency, light = cases_of(db, resident.openid)
    assert media_of(db, emergency.number) == []
    assert media_of(db, light.number) == ["LIGHTPHOTO"]


def test_cancel_drops_only_the_report_asked_about(resident: Phone, db: Database) -> None:
    """The waiting one was promised (已记下): it is asked about next, not dropped with it."""
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("另外5号楼电梯也坏了", "已记下"),
            ("取消", "“楼道灯坏了”不再登记…“另外5号楼电梯也坏了”：请问是哪个小区"),
            ("铝厂小区", "已受理您的报修（铝厂小区5号楼）…工单号"),
            ("取消", "没有进行中"),
        ],
    )
    assert [c.text for c in cases_of(db, resident.openid)] == ["另外5号楼电梯也坏了"]


def test_cancel_while_an_emergency_asks_where_keeps_the_waiting_report(
    resident: Phone, db: Database
) -> None:
    [first] = play(resident, [("救命 有人晕倒了", "120…回复您所在的小区")])
    play(
        resident,
        [
            ("另外5号楼电梯也坏了", "已记下"),
            ("算了", "已取消…“另外5号楼电梯也坏了”：请问是哪个小区"),
            ("铝厂小区", "已受理您的报修（铝厂小区5号楼）"),
        ],
    )
    emergency, lift = cases_of(db, resident.openid)
    assert (emergency.number, emergency.status, emergency.courtyard) == (
        number_in(first),
        "open",
        None,
    )
    assert (lift.text, lift.building) == ("另外5号楼电梯也坏了", "5")


def test_a_new_report_after_the_cancel_word_gives_the_asked_one_up(
    resident: Phone, db: Database
) -> None:
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("取消 我要投诉楼上噪音", "“楼道灯坏了”不再登记…收到您的矛盾纠纷…哪个小区"),
            ("铝厂小区2号楼", "已受理您的矛盾纠纷…工单号"),
        ],
    )
    [case] = cases_of(db, resident.openid)
    assert (case.intent, case.text, case.building) == ("dispute", "我要投诉楼上噪音", "2")


def test_a_new_report_after_the_cancel_word_gives_binding_up(resident: Phone, db: Database) -> None:
    play(
        resident,
        [
            ("绑定", "请发送您的小区"),
            ("取消 铝厂小区3号楼下水道堵了", "已退出住址绑定…已受理您的报修…工单号"),
        ],
    )
    [case] = cases_of(db, resident.openid)
    assert (case.courtyard, case.building, case.text) == ("lvchang", "3", "铝厂小区3号楼下水道堵了")
    assert bound_courtyard(db, resident.openid) is None


def test_the_cancel_word_with_more_words_and_no_question_still_cancels(
    resident: Phone, db: Database
) -> None:
    play(resident, [("取消 我要投诉楼上噪音", "没有进行中")])
    assert cases_of(db, resident.openid) == []


def test_binding_while_asked_where_files_the_report_at_the_new_home(
    resident: Phone, db: Database
) -> None:
    """Asked where, the resident binds their address: the report is theirs, and a bound
    resident's report without an address is filed at home."""
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("绑定 铝厂小区3号楼2单元501", "已绑定住址…已受理您的报修（铝厂小区3号楼…工单号"),
            ("取消", "没有进行中"),
        ],
    )
    [case] = cases_of(db, resident.openid)
    assert (case.intent, case.text, case.courtyard, case.building) == (
        "repair",
        "楼道灯坏了",
        "lvchang",
        "3",
    )
    assert bound_courtyard(db, resident.openid) == "lvchang"


def test_guided_binding_keeps_every_waiting_report_with_its_photo(
    resident: Phone, db: Database
) -> None:
    play(resident, [("楼道灯坏了", "哪个小区")])
    send_photo(resident, "LIGHTPHOTO")
    play(
        resident,
        [
            ("另外我要投诉楼上噪音", "已记下"),
            ("绑定", "请发送您的小区"),
            ("铝厂小区", "楼号"),
            ("2号楼", "已绑定…已受理您的报修…已受理您的矛盾纠纷"),
        ],
    )
    light, noise = cases_of(db, resident.openid)
    assert (light.intent, light.building, noise.intent, noise.building) == (
        "repair",
        "2",
        "dispute",
        "2",
    )
    assert media_of(db, light.number) == ["LIGHTPHOTO"]
    assert case_of(db, noise.number).attachments == []


def test_binding_given_up_asks_about_the_waiting_report_again(
    resident: Phone, db: Database
) -> None:
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("绑定", "请发送您的小区"),
            ("取消", "已退出住址绑定…“楼道灯坏了”：请问是哪个小区"),
            ("铝厂小区3号楼", "已受理您的报修…工单号"),
        ],
    )
    [case] = cases_of(db, resident.openid)
    assert (case.text, case.building) == ("楼道灯坏了", "3")
    assert bound_courtyard(db, resident.openid) is None


def test_a_waiting_report_in_another_courtyard_than_home_is_asked_about(
    resident: Phone, db: Database
) -> None:
    """It named its courtyard, not the building: home's building is not its building."""
    play(
        resident,
        [
            ("桐柏路191号院楼道灯坏了", "几号楼"),
            ("绑定 铝厂小区3号楼", "已绑定…“桐柏路191号院楼道灯坏了”：请问是哪个小区"),
            ("4号楼", "已受理您的报修（桐柏路191号院4号楼…工单号"),
        ],
    )
    [case] = cases_of(db, resident.openid)
    assert (case.courtyard, case.building) == ("tbl191", "4")


def test_binding_waits_while_an_emergency_asks_where(resident: Phone, db: Database) -> None:
    """The emergency's address comes first, and a home bound meanwhile is not taken as it."""
    play(
        resident,
        [
            ("救命 有人晕倒了", "120"),
            ("绑定 铝厂小区3号楼", "请先回复紧急工单的地址…还没有地址"),
            ("绑定", "请先回复紧急工单的地址"),
            ("铝厂小区2号楼", "已更新紧急工单"),
        ],
    )
    [emergency] = cases_of(db, resident.openid)
    assert (emergency.courtyard, emergency.building) == ("lvchang", "2")
    assert bound_courtyard(db, resident.openid) is None


def test_a_photo_sent_while_binding_goes_with_the_waiting_report(
    resident: Phone, db: Database
) -> None:
    """Not to a case filed a moment earlier: the waiting report is what the resident is on."""
    play(
        resident,
        [("铝厂小区5号楼电梯坏了", "工单号"), ("楼道灯坏了", "哪个小区"), ("绑定", "小区")],
    )
    assert "已收到" in send_photo(resident, "LIGHTPHOTO")
    play(resident, [("铝厂小区3号楼", "已绑定…已受理您的报修（铝厂小区3号楼")])
    lift, light = cases_of(db, resident.openid)
    assert case_of(db, lift.number).attachments == []
    assert media_of(db, light.number) == ["LIGHTPHOTO"]


def test_a_photo_sent_while_binding_is_kept_when_binding_is_given_up(
    resident: Phone, db: Database
) -> None:
    play(resident, [("楼道灯坏了", "哪个小区"), ("绑定", "小区")])
    send_photo(resident, "LIGHTPHOTO")
    play(
        resident,
        [("取消", "已退出住址绑定…“楼道灯坏了”：请问是哪个小区"), ("铝厂小区3号楼", "工单号")],
    )
    [light] = cases_of(db, resident.openid)
    assert media_of(db, light.number) == ["LIGHTPHOTO"]


def test_a_photo_before_any_report_survives_binding(resident: Phone, db: Database) -> None:
    send_photo(resident, "EARLYPHOTO")
    play(resident, [("绑定", "小区")])
    send_photo(resident, "BINDPHOTO")
    play(resident, [("铝厂小区3号楼", "已绑定"), ("楼道灯坏了", "已受理您的报修（铝厂小区3号楼")])
    [light] = cases_of(db, resident.openid)
    media = media_of(db, light.number)
    assert media == ["EARLYPHOTO", "BINDPHOTO"]


def test_a_voice_answer_to_binding_is_no_reports_attachment(resident: Phone, db: Database) -> None:
    play(
        resident, [("楼道灯坏了", "哪个小区"), ("另外我要投诉楼上噪音", "已记下"), ("绑定", "小区")]
    )
    reply = resident.send_xml(
        resident.sim.message(
            resident.openid, "voice", MediaId="HOMEVOICE", Format="amr", Recognition="铝厂小区3号楼"
        )
    )
    assert "已绑定" in reply
    for case in cases_of(db, resident.openid):
        assert case_of(db, case.number).attachments == []


def test_binding_given_up_with_a_full_queue_files_no_more_than_it_holds(
    resident: Phone, db: Database
) -> None:
    """Binding carries the report asked about and the three behind it; a new report after
    binding is given up waits for those, and the resident is asked about the first."""
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("另外下水道也堵了", "已记下"),
            ("还有门禁也坏了", "已记下"),
            ("另外我要投诉楼上噪音", "已记下"),
            ("绑定", "小区"),
            ("单元门口的路灯坏了好几天了", "您还有几件事在等补充地址…“楼道灯坏了”：请问是哪个小区"),
            ("绑定 铝厂小区3号楼", "已绑定"),
        ],
    )
    texts = sorted(case.text for case in cases_of(db, resident.openid))
    assert texts == sorted(
        ["楼道灯坏了", "另外下水道也堵了", "还有门禁也坏了", "另外我要投诉楼上噪音"]
    )


def test_an_emergency_while_binding_leaves_the_waiting_reports_photo_alone(
    resident: Phone, db: Database
) -> None:
    play(resident, [("楼道灯坏了", "哪个小区"), ("绑定", "小区")])
    send_photo(resident, "LIGHTPHOTO")
    play(
        resident,
        [
            ("救命 有人晕倒了", "120"),
            ("铝厂小区2号楼", "已更新紧急工单…“楼道灯坏了”：请问是哪个小区"),
            ("铝厂小区3号楼", "工单号"),
        ],
    )
    emergency, light = cases_of(db, resident.openid)
    assert case_of(db, emergency.number).attachments == []
    assert media_of(db, light.number) == ["LIGHTPHOTO"]


def test_a_new_report_after_binding_is_given_up_does_not_take_the_waiting_ones_photo(
    resident: Phone, db: Database
) -> None:
    play(resident, [("楼道灯坏了", "哪个小区"), ("绑定", "小区")])
    send_photo(resident, "LIGHTPHOTO")
    play(
        resident,
        [
            ("铝厂小区5号楼下水道堵了", "已退出住址绑定…工单号…“楼道灯坏了”：请问是哪个小区"),
            ("铝厂小区3号楼", "工单号"),
        ],
    )
    drain, light = cases_of(db, resident.openid)
    assert case_of(db, drain.number).attachments == []
    assert media_of(db, light.number) == ["LIGHTPHOTO"]


def test_cancelling_binding_keeps_a_photo_for_the_next_report(
    resident: Phone, db: Database
) -> None:
    play(resident, [("绑定", "小区")])
    assert "已收到" in send_photo(resident, "BINDPHOTO")
    play(resident, [("取消", "已取消"), ("铝厂小区3号楼楼道灯坏了", "工单号")])
    [light] = cases_of(db, resident.openid)
    assert media_of(db, light.number) == ["BINDPHOTO"]


def test_a_place_said_in_words_answers_where_and_opens_nothing(
    resident: Phone, db: Database
) -> None:
    """在东边 once opened an emergency (pushed to three levels at once), and 就在我家楼下
    queued a dispute of those words."""
    play(
        resident,
        [
            ("楼道灯坏了", "哪个小区"),
            ("在东边", "还没认出地址"),
            ("就在我家楼下", "还没认出地址"),
            ("铝厂小区3号楼", "已受理您的报修"),
        ],
    )
    [light] = cases_of(db, resident.openid)
    assert (light.intent, light.text) == ("repair", "楼道灯坏了")
