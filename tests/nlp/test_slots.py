"""The slot grammar: addresses in every spelling, courtyard names, aliases and typos, phone
and case numbers, urgency."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp import Analyzer, Slots

ADDRESSES = [
    ("3号楼2单元501", ("3", "2", "501")),
    ("三号楼二单元", ("3", "2", None)),
    ("5栋1门302", ("5", "1", "302")),
    ("3-2-501", ("3", "2", "501")),
    ("3 - 2 - 501", ("3", "2", "501")),
    ("三号楼二单元五零一", ("3", "2", "501")),
    ("十二号楼三单元", ("12", "3", None)),
    ("２号楼１单元", ("2", "1", None)),  # full-width digits
    ("第三栋", ("3", None, None)),
    ("3#2单元", ("3", "2", None)),
    ("3楼2单元", ("3", "2", None)),
    ("3号楼501", ("3", None, "501")),
    ("4号楼2单元101", ("4", "2", "101")),
    ("2号楼3单元302门口的灯坏了", ("2", "3", "302")),
    ("楼道灯坏了 501室", (None, None, "501")),
    ("五单元", (None, "5", None)),
    # The floor between unit and room, and a room right before 楼道.
    ("3号楼2单元5楼501楼道灯坏了", ("3", "2", "501")),
    ("3号楼2单元501楼道灯坏了", ("3", "2", "501")),
    ("3号楼2单元5层的501", ("3", "2", "501")),
    ("3号楼2单元12楼1201", ("3", "2", "1201")),
    ("5栋1门3楼302", ("5", "1", "302")),
    ("三号楼二单元五楼五零一", ("3", "2", "501")),
]


@pytest.mark.parametrize(("text", "expected"), ADDRESSES)
def test_address_forms(analyzer: Analyzer, text: str, expected: tuple) -> None:
    slots = analyzer.extract_slots(text)
    assert (slots.building, slots.unit, slots.room) == expected


@pytest.mark.parametrize("text", ["我住3楼", "一楼的邻居", "两栋楼之间", "3号", "楼道灯坏了"])
def test_floors_and_other_numbers_are_not_buildings(analyzer: Analyzer, text: str) -> None:
    assert analyzer.extract_slots(text).building is None


@pytest.mark.parametrize(
    "text", ["我住3楼", "3楼", "3号楼2单元3楼", "3号楼2单元12楼 楼道灯坏了", "3号楼2单元501号楼"]
)
def test_a_floor_is_not_a_room(analyzer: Analyzer, text: str) -> None:
    assert analyzer.extract_slots(text).room is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("铝厂小区3号楼楼道灯坏了", "lvchang"),
        ("铝厂院的路灯", "lvchang"),  # alias
        ("铝厂家属院", "lvchang"),  # alias
        ("铝厂大院", "lvchang"),  # variant of the name: another suffix
        ("铝场小区三号楼", "lvchang"),  # typo (pinyin: chang)
        ("吕厂家属院", "lvchang"),  # typo in an alias
        ("铝厂 小区", "lvchang"),  # a stray space
        ("在互助路24号院", "hzl24"),
        ("24号院2号楼", "hzl24"),  # short alias
        ("桐柏路191院", "tbl191"),  # alias
        ("桐柏路191号", "tbl191"),  # variant without 院
        ("同柏路191号院", "tbl191"),  # typo
        ("前进路五十号院", "qjl50"),  # numerals
    ],
)
def test_courtyard_names_aliases_variants_and_typos(
    analyzer: Analyzer, text: str, code: str
) -> None:
    assert analyzer.extract_slots(text).courtyard == code


@pytest.mark.parametrize(
    "text",
    [
        "桐柏路192号院",  # another number is another courtyard, not a typo
        "124号院",  # 24号院 inside a longer number
        "互助路25号院",
        "这个小区",
        "我们小区的路灯",
        "191号楼",  # an alias with nothing distinctive is matched exactly only
    ],
)
def test_no_courtyard_is_guessed(analyzer: Analyzer, text: str) -> None:
    assert analyzer.extract_slots(text).courtyard is None


def test_courtyard_digits_are_not_a_building(analyzer: Analyzer) -> None:
    slots = analyzer.extract_slots("互助路24号院2号楼1单元")
    assert (slots.courtyard, slots.building, slots.unit) == ("hzl24", "2", "1")
    slots = analyzer.extract_slots("桐柏路191号院")
    assert (slots.courtyard, slots.building) == ("tbl191", None)


def test_full_address_in_a_sentence(analyzer: Analyzer) -> None:
    slots = analyzer.extract_slots("绑定 铝厂小区 5号楼1单元302 电话13800138000")
    assert slots == Slots("lvchang", "5", "1", "302", "13800138000", None, False)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13800138000", "13800138000"),
        ("我电话138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("座机0371-67891234", "037167891234"),
        ("(0371)67891234", "037167891234"),
        ("0371-6789-1234", "037167891234"),
        ("010 8888 6666", "01088886666"),
        ("12345678901", None),  # not a mobile prefix
        ("1380013800", None),  # ten digits
        ("138001380001", None),  # twelve digits
    ],
)
def test_phone_numbers(analyzer: Analyzer, text: str, phone: str | None) -> None:
    assert analyzer.extract_slots(text).phone == phone


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("工单261121-0007到哪一步了", "261121-0007"),
        ("261121 - 0007", "261121-0007"),
        ("工单号 2611210007", "261121-0007"),
        ("工单号是2611210007", "261121-0007"),
        ("2611210007", None),  # ten bare digits are not called a case number
        ("261321-0007", None),  # month 13
        ("261100-0007", None),  # day 0
        ("3-2-501", None),
    ],
)
def test_case_numbers(analyzer: Analyzer, text: str, number: str | None) -> None:
    assert analyzer.extract_slots(text).case_number == number


def test_case_number_is_not_read_as_an_address_or_phone(analyzer: Analyzer) -> None:
    slots = analyzer.extract_slots("261121-0007")
    assert (slots.building, slots.unit, slots.room, slots.phone) == (None, None, None, None)


@pytest.mark.parametrize(
    ("text", "urgent"),
    [("楼道灯坏了 麻烦尽快修", True), ("赶紧来人看看", True), ("着火了", True),
     ("楼道灯坏了", False), ("不急 有空来修", False)],
)  # fmt: skip
def test_urgency(analyzer: Analyzer, text: str, urgent: bool) -> None:
    assert analyzer.extract_slots(text).urgent is urgent


@settings(max_examples=150, database=None, deadline=None)
@given(
    b=st.integers(1, 99), u=st.integers(1, 9), r=st.integers(101, 2999),
    style=st.sampled_from(["{b}号楼{u}单元{r}", "{b}栋{u}门{r}", "{b}-{u}-{r}",
                           "{b}号楼 {u}单元 {r}室", "{b}号楼{u}单元{f}楼{r}"]),
)  # fmt: skip
def test_generated_addresses_read_back(
    analyzer: Analyzer, b: int, u: int, r: int, style: str
) -> None:
    text = style.format(b=b, u=u, r=r, f=r // 100)  # the floor of room r
    slots = analyzer.extract_slots("铝厂小区" + text)
    assert (slots.courtyard, slots.building, slots.unit, slots.room) == (
        "lvchang",
        str(b),
        str(u),
        str(r),
    )


PLACES_ONLY = [
    "就在我家楼下", "东门那边", "在东边", "楼道里", "在小区里面", "我住的那栋", "中间那个单元",
    "靠近大门", "车棚", "二楼", "铝厂小区", "在铝厂小区东门", "铝厂院3号楼楼下", "3号楼2单元501",
    "3-2-501", "501",
]  # fmt: skip
MORE_THAN_A_PLACE = [
    "楼下太吵了", "楼道灯坏了", "大门坏了", "门口堆满了垃圾", "东门那边有人打架", "楼上漏水",
    "13812345678", "261121-0001", "不知道", "好的", "😊", "？", "电梯",
]  # fmt: skip


@pytest.mark.parametrize("text", PLACES_ONLY)
def test_a_place_said_in_words_alone(analyzer: Analyzer, text: str) -> None:
    assert analyzer.read(text).found.only_place


@pytest.mark.parametrize("text", MORE_THAN_A_PLACE)
def test_a_problem_a_number_or_no_place_is_more_than_a_place(analyzer: Analyzer, text: str) -> None:
    assert not analyzer.read(text).found.only_place
