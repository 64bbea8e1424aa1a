"""Metrics computed by hand on a small example."""

from __future__ import annotations

import pytest

from nlp.baseline import keyword_intent
from nlp.metrics import report, score


def test_scores_by_hand() -> None:
    truth = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "c", "c"]
    s = score(truth, predicted, ("a", "b", "c"))
    assert s.confusion == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert s.precision == {"a": 1.0, "b": 0.5, "c": 0.5}
    assert s.recall == pytest.approx({"a": 2 / 3, "b": 0.5, "c": 1.0})
    assert s.f1["a"] == pytest.approx(0.8)
    assert s.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert s.accuracy == pytest.approx(4 / 6)
    table = report(s)
    assert "| a | 1.000 | 0.667 | 0.800 | 3 |" in table
    assert "| b | 0 | 1 | 1 |" in table


def test_a_label_never_predicted_scores_zero() -> None:
    s = score(["a", "b"], ["a", "a"], ("a", "b"))
    assert (s.precision["b"], s.recall["b"], s.f1["b"]) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("text", "intent"),
    [("救命", "emergency"), ("查询进度", "query"), ("建议加装电梯", "opinion"),
     ("帮老人买菜", "elder_help"), ("楼上太吵", "dispute"), ("楼道灯坏了", "repair"),
     ("你好", "other")],
)  # fmt: skip
def test_keyword_baseline(text: str, intent: str) -> None:
    assert keyword_intent(text) == intent
