"""Courtyard names as data: variants residents use, and ambiguity handled by refusing."""

from __future__ import annotations

from nlp.courtyards import CourtyardMatcher, surface_forms
from nlp.schema import Courtyard
from nlp.text import normalize


def test_surface_forms_add_the_usual_variants() -> None:
    forms = surface_forms(Courtyard("lvchang", "铝厂小区", ("铝厂院",)))
    assert {"铝厂小区", "铝厂院", "铝厂家属院", "铝厂大院"} <= set(forms)
    forms = surface_forms(Courtyard("tbl191", "桐柏路191号院", ("191号院",)))
    assert {"桐柏路191号院", "桐柏路191院", "桐柏路191号", "191号院"} <= set(forms)
    assert "191院" not in forms  # too bare to stand for the courtyard


def test_a_variant_two_courtyards_share_names_neither() -> None:
    matcher = CourtyardMatcher(
        [Courtyard("a", "纺织小区"), Courtyard("b", "纺织家属院"), Courtyard("c", "电力小区")]
    )
    assert matcher.find("纺织院") is None  # a variant of both
    assert matcher.find("纺织小区").code == "a"  # exact names still work
    assert matcher.find("纺织家属院").code == "b"
    assert matcher.find("电力院").code == "c"


def test_longest_name_wins_and_first_mention_is_the_slot() -> None:
    matcher = CourtyardMatcher(
        [Courtyard("hzl24", "互助路24号院", ("24号院",)), Courtyard("qjl50", "前进路50号院")]
    )
    found = matcher.find_all("互助路24号院和前进路50号院")
    assert [(m.code, m.start, m.end) for m in found] == [("hzl24", 0, 7), ("qjl50", 8, 15)]
    assert matcher.find("前进路50号院和互助路24号院").code == "qjl50"


def test_exact_mention_beats_an_earlier_typo() -> None:
    matcher = CourtyardMatcher([Courtyard("a", "铝厂小区"), Courtyard("b", "纺织小区")])
    assert matcher.find("铝场小区旁边的纺织小区").code == "b"


def test_no_courtyards_no_matches() -> None:
    matcher = CourtyardMatcher([])
    assert matcher.find_all("铝厂小区") == []
    assert matcher.words() == []


def test_names_are_normalized_like_messages() -> None:
    matcher = CourtyardMatcher([Courtyard("qjl50", "前进路五十号院"), Courtyard("x", "ＡＢ小区")])
    assert matcher.find(normalize("前进路五十号院3号楼")).code == "qjl50"
    assert matcher.find(normalize("ＡＢ小区")).code == "x"  # full width, upper case
