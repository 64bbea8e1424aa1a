"""A keyword-only classifier: the yardstick the model must beat to earn its keep.

First list with a hit wins, in a fixed order (emergency first, as a human operator would
read). Deliberately simple and not tuned on any split."""

from __future__ import annotations

from nlp.text import canonical, compact, normalize

RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("emergency", ("救命", "着火", "火灾", "冒烟", "煤气", "燃气", "摔倒", "晕倒", "困", "打架",
                   "刀", "走丢", "不见了", "淹", "120", "119", "110", "快来人")),
    ("query", ("进度", "查询", "查一下", "工单", "单号", "单子", "报的", "报过", "报修了",
               "处理了吗", "怎么样了", "催")),
    ("opinion", ("建议", "希望", "支持", "反对", "意见", "同意", "点赞", "表扬", "加装电梯")),
    ("elder_help", ("老人", "老年", "奶奶", "爷爷", "大爷", "独居", "养老", "助餐", "食堂", "陪",
                    "轮椅", "残疾")),
    ("dispute", ("邻居", "楼上", "隔壁", "对门", "吵", "噪音", "占", "堆", "投诉", "房东", "租",
                 "物业", "调解", "狗")),
    ("repair", ("坏", "堵", "漏", "不亮", "停水", "停电", "暖气", "垃圾", "修", "坑", "老鼠",
                "蟑螂")),
)  # fmt: skip


def keyword_intent(text: str) -> str:
    """The intent of the first rule whose keyword appears in `text`, else "other"."""
    text = compact(canonical(normalize(text)))
    for intent, words in RULES:
        if any(word in text for word in words):
            return intent
    return "other"
