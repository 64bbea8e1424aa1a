"""The filter parser on its own, and search text that never reaches SQL as SQL."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admin.filters import BadFilter, CaseFilter, list_cases
from admin.scope import Scope
from cases.clock import utcnow
from cases.db import Database
from tests.admin.conftest import open_case

TEXTS = ["楼道灯坏了", "100%的问题", "a_b 下划线", "引号'\"反斜杠\\", "[括号]^$", "普通"]


def test_defaults_and_round_trip() -> None:
    flt = CaseFilter.from_args({})
    assert (flt.sort, flt.page, flt.per_page, flt.args()) == ("-created", 1, 50, {})
    args = {"status": "active", "from": "2025-11-01", "overdue": "1", "q": "灯", "page": "3"}
    parsed = CaseFilter.from_args(args)
    assert parsed.date_from == date(2025, 11, 1) and parsed.overdue
    assert parsed.args() == args
    assert CaseFilter.from_args(parsed.args(page=1)).page == 1
    assert CaseFilter.from_args({"per_page": "100000"}).per_page == 200


@pytest.mark.parametrize(
    "args",
    [{"status": "x"}, {"intent": "DROP TABLE"}, {"level": "top"}, {"community": "../x"},
     {"to": "2025-13-01"}, {"sort": "-text"}, {"page": "-1"}, {"per_page": "²"}],
)  # fmt: skip
def test_impossible_values(args: dict[str, str]) -> None:
    with pytest.raises(BadFilter):
        CaseFilter.from_args(args)


@pytest.fixture
def searchable(db: Database) -> Database:
    for text in TEXTS:
        open_case(db, text)
    return db


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(alphabet="%_'\"\\[]^$-;灯问下a b1", min_size=1, max_size=8))
def test_search_is_literal(searchable: Database, query: str) -> None:
    """Whatever the text, the cases found are exactly those whose words contain it."""
    flt = CaseFilter.from_args({"q": query, "per_page": "200"})
    with searchable.session() as session:
        page = list_cases(session, Scope(), flt, utcnow())
    expected = {t for t in TEXTS if flt.q and flt.q in t}
    assert {c.text for c in page.items} == expected or not flt.q
