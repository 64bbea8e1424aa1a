"""Normalising a resident's message: width, case, spacing, common pinyin-input typos and the
local dialect (中原区 is Zhengzhou: 俺, 恁, 咋, 中不中). Slots read the `normalize`d text; the
classifier and the safety rules read the `canonical` one, so 楼到灯, 俺家 and 中不中 look
like 楼道灯, 我家 and 行不行 to them."""

from __future__ import annotations

import re
import unicodedata

from nlp.numerals import arabize

# Placeholders put where a known courtyard, a case number or a phone number was: the model
# should learn "a courtyard was named here", not which one (the corpus is not the org tree).
COURTYARD_MARK = "\ue000"
CASE_MARK = "\ue001"
PHONE_MARK = "\ue002"
MARKS = COURTYARD_MARK + CASE_MARK + PHONE_MARK

# Frequent pinyin-IME slips on the words that matter here (same or near pinyin), and dialect.
TYPOS: dict[str, str] = {
    "楼到": "楼道", "楼道等": "楼道灯", "路等": "路灯", "电题": "电梯", "电提": "电梯",
    "点梯": "电梯", "下水到": "下水道", "化粪吃": "化粪池", "化粪词": "化粪池", "暖器": "暖气",
    "单元们": "单元门", "门进": "门禁", "物叶": "物业", "网格元": "网格员", "理事汇": "理事会",
    "工但": "工单", "公单": "工单", "查寻": "查询", "查讯": "查询", "进读": "进度", "近度": "进度",
    "建意": "建议", "建仪": "建议", "改照": "改造", "家装电梯": "加装电梯", "食唐": "食堂",
    "养佬": "养老", "噪因": "噪音", "装休": "装修", "停车为": "停车位", "打驾": "打架",
    "着伙": "着火", "着活": "着火", "找火": "着火", "救名": "救命", "就命": "救命",
    "煤汽": "煤气", "燃汽": "燃气", "然气": "燃气", "晕到": "晕倒", "昏到": "昏倒",
    "摔到了": "摔倒了", "跌到": "跌倒", "滑到了": "滑倒了", "困电题": "困电梯",
    "你号": "你好", "在马": "在吗", "你门": "你们",
}  # fmt: skip
DIALECT: dict[str, str] = {
    "中不中": "行不行", "不中了": "不行了", "不中": "不行", "弄啥嘞": "干什么", "弄啥哩": "干什么",
    "干啥哩": "干什么", "俺们": "我们", "俺": "我", "恁": "你", "咋": "怎么", "啥": "什么",
    "木有": "没有", "冇": "没", "中了": "好了", "找不着": "找不到", "搁家": "在家",
}  # fmt: skip
_REPLACE = {**DIALECT, **TYPOS}
_REPLACE_RE = re.compile("|".join(sorted(map(re.escape, _REPLACE), key=len, reverse=True)))

_SPACE_RE = re.compile(r"\s+")
# Everything that carries no meaning for the classifier: spaces and punctuation.
PUNCT = set(" \t\r\n,.!?;:'\"()[]{}<>~`@$%^&*_+=|\\/-，。！？；：、“”‘’（）【】《》〈〉…—·～")
_PUNCT_RE = re.compile("[" + re.escape("".join(sorted(PUNCT))) + "]+")


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, runs of spaces to one, address numerals
    to digits. Keeps every character that means something, so slots can read it."""
    text = unicodedata.normalize("NFKC", text).lower()
    return arabize(_SPACE_RE.sub(" ", text).strip())


def canonical(normalized: str) -> str:
    """The normalized text with typos and dialect rewritten to standard Mandarin."""
    return _REPLACE_RE.sub(lambda m: _REPLACE[m.group(0)], normalized)


def compact(text: str) -> str:
    """`text` without spaces and punctuation: what the safety rules and n-grams read."""
    return _PUNCT_RE.sub("", text)


def mask(text: str, spans: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, mark) span replaced by its one-character mark."""
    out, last = [], 0
    for start, end, mark in sorted(spans):
        if start < last:
            continue
        out.append(text[last:start])
        out.append(mark)
        last = end
    out.append(text[last:])
    return "".join(out)
