"""Courtyard names as data: variants residents use, and ambiguity handled by refusing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlp import courtyards
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


def _typos_by_brute_force(matcher: CourtyardMatcher, text: str) -> list[tuple[str, int, int]]:
    """The typo search as specified, with no shortcut: every window around every distinctive
    character of every form of four characters or more, checked in full. The matcher skips
    most of these windows (by digits, by exact mentions, by foreign characters); this is the
    answer it must give all the same."""
    exact = [(m.start(), m.end()) for m in matcher._exact.finditer(text)] if matcher.forms else []
    best: dict[int, tuple[int, int, str]] = {}
    for j, ch in enumerate(text):
        for form in sorted(matcher.forms, key=len, reverse=True):
            if len(form) < 4:
                continue
            for i in (i for i, c in enumerate(form) if c == ch and c not in courtyards._GENERIC):
                if not courtyards._is_cjk(ch):
                    continue
                limit = 2 if len(form) >= 7 else 1
                for start in range(j - i - limit, j - i + limit + 1):
                    for end in range(start + len(form) - limit, start + len(form) + limit + 1):
                        if start < 0 or end > len(text):
                            continue
                        window = text[start:end]
                        if courtyards._DIGITS_RE.findall(window) != courtyards._DIGITS_RE.findall(
                            form
                        ):
                            continue
                        if courtyards._cuts_number(text, start, end):
                            continue
                        if any(start < e and s < end for s, e in exact):
                            continue
                        d = courtyards._edit_distance(window, form, limit)
                        if d <= limit and (start not in best or d < best[start][0]):
                            best[start] = (d, end, form)
    chosen: list[tuple[str, int, int]] = []
    for start in sorted(best, key=lambda s: (best[s][0], s)):
        _, end, form = best[start]
        if all(end <= s or start >= e for _, s, e in chosen):
            chosen.append((matcher.forms[form], start, end))
    return sorted(chosen, key=lambda m: m[1])


# No bare 191号院 or 24号院 here: those would match exactly inside the typo'd names.
TYPO_COURTYARDS = [
    Courtyard("lvchang", "铝厂小区", ("铝厂院", "铝厂家属院")),
    Courtyard("tbl191", "桐柏路191号院", ("桐柏路191院",)),
    Courtyard("hzl24", "互助路24号院"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("铝场小区", [("lvchang", 0, 4)]),
        ("吕厂家属院3号楼", [("lvchang", 0, 5)]),  # the first character is the typo
        ("同柏路191号院", [("tbl191", 0, 8)]),
        ("3号楼 同柏路191号院", [("tbl191", 4, 12)]),  # other numbers in the message
        ("桐柏路192号院", []),  # another number: another courtyard
        ("桐柏路1191号院", []),
        ("铝厂小区和铝场家属院", [("lvchang", 0, 4), ("lvchang", 5, 10)]),  # next to an exact one
        ("互助路24号院 互住路24号院", [("hzl24", 0, 7), ("hzl24", 8, 15)]),
        ("同柏路191号院3号楼铝场小区", [("tbl191", 0, 8), ("lvchang", 11, 15)]),
        ("互助路24号院厂家属院", [("hzl24", 0, 7), ("lvchang", 7, 11)]),  # right against one
    ],
)
def test_typos_are_found_around_exact_names_and_numbers(
    text: str, expected: list[tuple[str, int, int]]
) -> None:
    matcher = CourtyardMatcher(TYPO_COURTYARDS)
    assert [(m.code, m.start, m.end) for m in matcher.find_all(text)] == expected


# Texts full of near-names: names, typo'd names, pieces of names, digits and filler.
_PIECES = (
    "铝厂小区", "铝场小区", "吕厂家属院", "铝厂家院", "铝厂", "小区", "家属院", "桐柏路191号院",
    "同柏路191号院", "桐柏路19号院", "桐柏路1191号院", "桐柏191院", "互助路24号院", "互住路24号院",
    "互助路2号院", "互助24号院", "191", "24", "3号楼", "号院", "路", "厂", "的", "了", " ",
)  # fmt: skip
_NEAR_NAMES = st.lists(st.sampled_from(_PIECES), max_size=6).map("".join)


@settings(max_examples=400, database=None, deadline=None)
@given(_NEAR_NAMES)
def test_typo_search_finds_what_a_full_search_finds(text: str) -> None:
    matcher = CourtyardMatcher(TYPO_COURTYARDS)
    typos = [(m.code, m.start, m.end) for m in matcher.find_all(text) if not m.exact]
    assert typos == _typos_by_brute_force(matcher, text)
