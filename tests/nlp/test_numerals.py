"""Chinese numerals in addresses: positional (十二, 一百零五) and read digit by digit (五零一)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.numerals import arabize, numeral_value

DIGIT = "零一二三四五六七八九"


def spoken(n: int) -> str:
    """How a resident writes 1..999 in characters (十二, 二十, 一百零五, 三百一十)."""
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    out = ""
    if hundreds:
        out += DIGIT[hundreds] + "百"
        if tens == 0 and ones:
            out += "零"
    if tens:
        out += ("" if tens == 1 and not hundreds else DIGIT[tens]) + "十"
    if ones:
        out += DIGIT[ones]
    return out


@pytest.mark.parametrize(
    ("run", "value"),
    [("三", "3"), ("十", "10"), ("十二", "12"), ("二十", "20"), ("二十三", "23"),
     ("一百零五", "105"), ("三百", "300"), ("五零一", "501"), ("幺零二", "102"),
     ("〇三", "03")],
)  # fmt: skip
def test_numeral_value(run: str, value: str) -> None:
    assert numeral_value(run) == value


@pytest.mark.parametrize("run", ["", "三x", "二三十"])
def test_malformed_runs_are_refused(run: str) -> None:
    assert numeral_value(run) is None


@settings(max_examples=200, database=None, deadline=None)
@given(st.integers(min_value=1, max_value=999))
def test_every_spoken_building_number_reads_back(n: int) -> None:
    assert arabize(f"{spoken(n)}号楼") == f"{n}号楼"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三号楼二单元", "3号楼2单元"),
        ("二单元五零一", "2单元501"),
        ("前进路五十号院", "前进路50号院"),
        ("第三栋", "第3栋"),
        # Not next to an address word, or 两 (两栋楼之间 is not building 2): left alone.
        ("十几度", "十几度"),
        ("两栋楼之间", "两栋楼之间"),
        ("一点都不热", "一点都不热"),
        # A lone 一 that counts buildings: one building, not building 1.
        ("这一栋楼都停电了", "这一栋楼都停电了"),
        ("一栋楼都没水", "一栋楼都没水"),
        ("一栋2单元", "1栋2单元"),
        ("十一栋楼", "11栋楼"),
        # A room read aloud straight after the building.
        ("三号楼五零一", "3号楼501"),
        ("五栋三零二", "5栋302"),
        # ... or after the floor of a unit or building.
        ("三号楼二单元五楼五零一", "3号楼2单元5楼501"),
        ("五栋一门十二层一二零一", "5栋1门12层1201"),
    ],
)
def test_arabize_touches_only_address_numerals(text: str, expected: str) -> None:
    assert arabize(text) == expected
