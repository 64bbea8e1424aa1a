"""Which number the safety advice tells the resident to call: 119 for fire or gas, 110 for
violence, an intruder or someone missing, else 120."""

from __future__ import annotations

import pytest

from handlers.emergency import advice_key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("楼道着火了", "emergency.advice_fire"),
        ("闻到很重的煤气味", "emergency.advice_fire"),
        ("119", "emergency.advice_fire"),
        ("110", "emergency.advice_police"),
        ("他说要弄死我", "emergency.advice_police"),
        ("有人跟踪我", "emergency.advice_police"),
        ("家里进了陌生人", "emergency.advice_police"),
        ("有人翻墙进了我家", "emergency.advice_police"),
        ("小孙子跑出去没影了", "emergency.advice_police"),
        ("楼下打成一团了", "emergency.advice_police"),
        ("挨着火车站那个院有人打架", "emergency.advice_police"),
        ("老人摔倒了起不来", "emergency.advice_medical"),
        ("我不想活了", "emergency.advice_medical"),
        ("120", "emergency.advice_medical"),
    ],
)
def test_the_number_to_call(text: str, key: str) -> None:
    assert advice_key(text) == key
