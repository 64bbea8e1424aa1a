"""Chinese numerals to arabic digits where they count buildings, units and rooms.

Residents write 三号楼二单元, 十二栋, 五零一 as often as 3号楼2单元501; everything downstream
(slots, features) then sees one spelling. Only numerals next to an address word are touched,
so 一点 or 十几度 stay as they are. 两 is left alone on purpose: 两栋楼之间 is not building 2;
so is a lone 一 that counts rather than names (这一栋楼都停电了, 一栋楼都没水: one building)."""

from __future__ import annotations

import re

DIGITS = {"零": 0, "〇": 0, "一": 1, "幺": 1, "二": 2, "三": 3, "四": 4,
          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
POWERS = {"十": 10, "百": 100, "千": 1000}
NUMERAL_CHARS = "".join(DIGITS) + "".join(POWERS)

# A numeral run right before a counter word, or a 3-4 digit run right after a unit (a room),
# also after the unit's floor, already in digits by then (二单元五楼五零一 -> 2单元5楼501).
_BEFORE_COUNTER = re.compile(
    rf"[{NUMERAL_CHARS}]+(?=号|栋|幢|座|楼|单元|门|洞|室|房|户|院|排|层|路)"
)
_UNIT_ENDS = ("单元", "[门洞栋幢座]", "号楼")  # 三号楼五零一 too
_FLOORS = (r"\d[楼层]", r"\d\d[楼层]")  # a lookbehind has one width: one per floor width
_ROOM_AFTER_UNIT = re.compile(
    "(?:"
    + "|".join(f"(?<={unit}{floor})" for unit in _UNIT_ENDS for floor in ("", *_FLOORS))
    + f")[{''.join(DIGITS)}]{{3,4}}"
)
# 一 that counts buildings rather than names one: after 这/那/哪/每/整/同, or before 栋楼.
_COUNTING_ONE = re.compile(r"(?:(?<=[这那哪每整同])一(?=[栋幢座])|一(?=栋楼))")


def numeral_value(run: str) -> str | None:
    """'十二' -> '12', '二十三' -> '23', '一百零五' -> '105', '五零一' -> '501'; None if malformed.

    Runs without 十/百/千 are read digit by digit, as people read room numbers aloud."""
    if not run or any(ch not in DIGITS and ch not in POWERS for ch in run):
        return None
    if not any(ch in POWERS for ch in run):
        return "".join(str(DIGITS[ch]) for ch in run)
    total, pending = 0, None
    for ch in run:
        if DIGITS.get(ch) == 0:  # 一百零五: the zero only marks an empty place
            continue
        if ch in DIGITS:
            if pending is not None:  # two digits in a row inside a positional number
                return None
            pending = DIGITS[ch]
        else:
            total += (1 if pending is None else pending) * POWERS[ch]
            pending = None
    if pending is not None:
        total += pending
    return str(total)


def arabize(text: str) -> str:
    """`text` with address numerals in arabic digits; everything else (and every length) kept."""

    def convert(match: re.Match[str]) -> str:
        if match.group(0) == "一" and _COUNTING_ONE.match(match.string, match.start()):
            return match.group(0)
        value = numeral_value(match.group(0))
        return value if value is not None else match.group(0)

    text = _BEFORE_COUNTER.sub(convert, text)
    return _ROOM_AFTER_UNIT.sub(convert, text)
