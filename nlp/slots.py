"""The slot grammar: where (courtyard, building, unit, room), who (phone), which case.

Reads `text.normalize`d input, where numerals are already digits (三号楼二单元 -> 3号楼2单元).
Forms understood: 3号楼2单元501, 5栋1门302, 3-2-501, 3号楼501, 3#2单元, 第3栋, 501室, a floor
between unit and room (3号楼2单元5楼501), and bare 3楼2单元 (but a bare 3楼 is a floor, not a
building, and never a room). Spans are returned too, so the classifier can mask what it should
not learn from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.courtyards import CourtyardMatcher, first_mention

_DASH = r"\s*[-_—–~]\s*"
CASE_RE = re.compile(rf"(?<!\d)(\d{{2}})(\d{{2}})(\d{{2}}){_DASH}(\d{{4}})(?!\d)")
# Ten digits in a row are a case number only when the message calls them one.
LOOSE_CASE_RE = re.compile(r"(?:工单|单号|编号|工单号)\s*[:：是为]?\s*(\d{6})\s?(\d{4})(?!\d)")
MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
# Area code, then 7 or 8 digits, written whole or in two groups (0371-6789-1234).
LANDLINE_RE = re.compile(r"(?<!\d)\(?(0[1-9]\d{1,2})\)?[\s-]?([2-9]\d{2,3})[\s-]?(\d{4})(?![\d-])")
DASHED_ADDRESS_RE = re.compile(
    rf"(?<![\d-])(\d{{1,3}}){_DASH}(\d{{1,2}}){_DASH}(\d{{3,4}})(?![\d-])"
)
_UNIT_AHEAD = r"(?=\s*\d{1,2}\s*(?:单元|门|洞))"
BUILDING_RE = re.compile(
    rf"(?<!\d)第?(\d{{1,3}})\s*(?:号楼|号院楼|#楼|栋楼|栋|幢|号座|座|(?:号|#|楼){_UNIT_AHEAD})"
)
UNIT_RE = re.compile(r"(?<!\d)第?(\d{1,2})\s*(?:单元|洞)")
GATE_UNIT_RE = re.compile(r"\s*(\d{1,2})\s*门")  # 5栋1门: only right after a building
# The room right after a building or unit, maybe after its floor (2单元5楼501, 5层的501).
# Digits before 号/栋/层/楼 name something else (501号楼), unless 楼 begins a word (501楼道灯).
ROOM_AFTER_RE = re.compile(
    r"\s*[的,]?\s*(?:\d{1,2}\s*[楼层]\s*[的,]?\s*)?(\d{3,4})(?:\s*(?:室|房|号|户))?"
    r"(?![\d号栋层]|楼(?![道梯上下顶门]))"
)
ROOM_RE = re.compile(r"(?<![\d-])(\d{3,4})\s*(?:室|房间|房|户)(?!\d)")
_DIGIT_RE = re.compile(r"\d")
URGENT_RE = re.compile(
    r"(?<![不别])(?:紧急|急急|十万火急|火速|赶紧|赶快|马上|立刻|立即|尽快|快点|快来|速来|急死)"
)


@dataclass(frozen=True)
class Found:
    """Raw slot values with the spans they came from (offsets into the normalized text)."""

    courtyard: str | None
    building: str | None
    unit: str | None
    room: str | None
    phone: str | None
    case_number: str | None
    urgent_words: bool
    spans: tuple[tuple[int, int, str], ...]  # (start, end, kind): courtyard|case|phone
    only_place: bool = False  # says where and nothing else (see `names_only_a_place`)


def find_slots(text: str, courtyards: CourtyardMatcher) -> Found:
    """Every slot in `text` (normalized). The first mention of each kind wins."""
    spans: list[tuple[int, int, str]] = []
    # Case numbers, phone numbers and addresses are all written in digits (normalize made
    # numerals digits): most messages have none, and then none of their patterns can match.
    has_digits = _DIGIT_RE.search(text) is not None
    case_number = _case_number(text, spans) if has_digits else None
    phone = _phone(text, spans) if has_digits else None
    mentions = courtyards.find_all(text)
    spans += [(m.start, m.end, "courtyard") for m in mentions]
    first = first_mention(mentions)
    courtyard_code = first.code if first else None
    building, unit, room = _address(_blank(text, spans)) if has_digits else (None, None, None)
    return Found(
        courtyard=courtyard_code,
        building=building,
        unit=unit,
        room=room,
        phone=phone,
        case_number=case_number,
        urgent_words=bool(URGENT_RE.search(text)),
        spans=tuple(sorted(spans)),
        only_place=names_only_a_place(text, [s for s in spans if s[2] == "courtyard"]),
    )


# The words of a place said in words: where in the compound or the building, which way, how
# near, and the little words around them. Longest first, so that 楼道 is read whole (道 alone
# is no place word).
_PLACE_WORDS = (
    "我们家", "我家", "俺家", "咱家", "自家", "家里", "家", "我们", "我住的", "住的", "住在",
    "住", "就在", "就是", "是在", "在", "就", "是", "的", "那个", "这个", "那栋", "这栋", "那",
    "这", "个",
    "小区", "家属院", "大院", "院子", "院里", "院", "单元门", "单元", "楼道", "楼梯间", "楼梯",
    "楼下", "楼上", "楼前", "楼后", "楼顶", "楼", "栋", "号", "层", "大门", "侧门", "后门",
    "门口", "门", "车棚", "车库", "停车场", "花园", "广场", "路口", "路边", "马路", "地下室",
    "电梯口", "拐角", "角落", "里面", "里头", "外面", "外边", "附近", "旁边", "边上", "对面",
    "后面", "后边", "前面", "前边", "中间", "那边", "这边", "那里", "这里", "那儿", "这儿",
    "一带", "位置", "地方", "挨着", "靠近", "靠", "东", "西", "南", "北", "左", "右", "上",
    "下", "头", "边", "侧", "里",
)  # fmt: skip
_PLACE_RE = re.compile("|".join(sorted(_PLACE_WORDS, key=len, reverse=True)))
# A building, unit, floor or room number (a phone or case number has more digits: it stays).
_PLACE_NUMBER_RE = re.compile(
    r"第?(?<!\d)\d{1,4}(?!\d)\s*(?:号楼|号院|号|#|栋|幢|座|单元|门|洞|楼|层|室|房|户)?"
)
_NOT_WORDS_RE = re.compile(r"[\s\W_]+")


def names_only_a_place(text: str, courtyards: list[tuple[int, int, str]]) -> bool:
    """Whether `text` (normalized; `courtyards`: where it names one) names a place and nothing
    else: 就在我家楼下, 东门那边, 3号楼2单元, or a courtyard's name alone. In answer to
    哪个小区、几号楼 such words are an answer, however the intent model reads them (it reads
    在东边 as an emergency and 就在我家楼下 as a neighbour's dispute); a problem or a request
    leaves words over (楼下太吵了: 太吵了), and so does a phone or case number."""
    if len(text) > 24:
        return False
    blanked = _blank(text, courtyards)
    rest = _PLACE_RE.sub("", _PLACE_NUMBER_RE.sub("", blanked))
    named = bool(courtyards) or rest != blanked  # not 😊 or ？ alone
    return named and not _NOT_WORDS_RE.sub("", rest)


def _case_number(text: str, spans: list[tuple[int, int, str]]) -> str | None:
    found = None
    for match in CASE_RE.finditer(text):
        _, month, day, _ = match.groups()
        if 1 <= int(month) <= 12 and 1 <= int(day) <= 31:
            spans.append((match.start(), match.end(), "case"))
            found = found or "".join(match.groups()[:3]) + "-" + match.group(4)
    for match in LOOSE_CASE_RE.finditer(text):
        if not any(s <= match.start(1) < e for s, e, _ in spans):
            spans.append((match.start(1), match.end(2), "case"))
            found = found or f"{match.group(1)}-{match.group(2)}"
    return found


def _phone(text: str, spans: list[tuple[int, int, str]]) -> str | None:
    found = None
    for regex in (MOBILE_RE, LANDLINE_RE):
        for match in regex.finditer(text):
            if any(s < match.end() and match.start() < e for s, e, _ in spans):
                continue
            spans.append((match.start(), match.end(), "phone"))
            found = found or "".join(match.groups())
    return found


def _blank(text: str, spans: list[tuple[int, int, str]]) -> str:
    """`text` with spans overwritten by spaces, offsets kept (so 24号院 is no building 24)."""
    chars = list(text)
    for start, end, _ in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _address(text: str) -> tuple[str | None, str | None, str | None]:
    dashed = DASHED_ADDRESS_RE.search(text)
    if dashed:
        return _num(dashed.group(1)), _num(dashed.group(2)), _num(dashed.group(3))
    building = unit = room = None
    position = 0
    match = BUILDING_RE.search(text)
    if match:
        building, position = _num(match.group(1)), match.end()
        gate = GATE_UNIT_RE.match(text, position)
        if gate:
            unit, position = _num(gate.group(1)), gate.end()
    if unit is None:
        unit_match = UNIT_RE.search(text, position)
        if unit_match:
            unit, position = _num(unit_match.group(1)), unit_match.end()
    if building or unit:
        after = ROOM_AFTER_RE.match(text, position)
        if after:
            room = _num(after.group(1))
    if room is None:
        room_match = ROOM_RE.search(text)
        if room_match:
            room = _num(room_match.group(1))
    return building, unit, room


def _num(digits: str) -> str:
    """'03' -> '3' for buildings and units; rooms keep their digits (0501 stays 0501)."""
    return digits if len(digits) >= 3 else str(int(digits))
