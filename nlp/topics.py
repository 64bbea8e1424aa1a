"""Which part of community life an opinion is about, so the dashboard can group them.

Keyword scoring, not a model: topics are few, their words are distinctive, and the handlers
need the answer to be explainable to staff. Ties go to the more specific topic (renovation,
the broadest, loses every tie)."""

from __future__ import annotations

from nlp.text import canonical, normalize

TOPICS: tuple[str, ...] = (
    "elevator", "parking", "greening", "renovation", "property", "safety", "activities", "other",
)  # fmt: skip

# topic -> {keyword: weight}; the order of this dict is the tie-break order.
KEYWORDS: dict[str, dict[str, int]] = {
    "elevator": {"加装电梯": 3, "装电梯": 3, "电梯": 2},
    "parking": {"停车": 2, "车位": 2, "车库": 2, "停车场": 2, "充电桩": 2, "充电棚": 2,
                "充电车棚": 2, "地锁": 2, "僵尸车": 2, "废弃车": 2, "外来车": 1, "车棚": 1,
                "减速带": 1, "拓宽": 1},
    "greening": {"绿化": 2, "绿地": 2, "种树": 2, "种点": 1, "树": 1, "花草": 2, "花坛": 2,
                 "草坪": 2, "竹林": 2, "月季": 2, "果树": 2, "修剪": 1, "菜园": 1, "光秃秃": 1},
    "safety": {"安全": 2, "监控": 2, "摄像头": 2, "门禁": 2, "消防": 2, "灭火器": 2, "巡逻": 2,
               "报警": 2, "防火": 2, "危险": 2, "隐患": 2, "照明": 1, "路灯": 1, "外来人员": 1,
               "烟雾": 1, "防滑": 1, "扶手": 1},
    "property": {"物业": 3, "保安": 2, "保洁": 2, "门卫": 2, "业委会": 2, "业主委员会": 2,
                 "物业费": 3, "收费": 1, "账目": 1},
    "activities": {"活动": 2, "广场舞": 2, "书法": 2, "义诊": 2, "托管": 2, "课堂": 2,
                   "合唱": 2, "演出": 2, "比赛": 2, "旅游": 2, "老年大学": 2, "培训班": 2,
                   "图书": 2, "邻里节": 2, "乒乓球": 2, "篮球": 1, "健身": 1, "活动室": 2},
    "renovation": {"改造": 2, "管网": 2, "外墙": 2, "保温": 2, "防水": 2, "雨污分流": 2,
                   "施工": 2, "工期": 2, "铺": 1, "路面": 1, "无障碍": 1, "坡道": 1, "窗户": 1,
                   "刷": 1, "公示": 1, "方案": 1},
}  # fmt: skip


def opinion_topic(text: str) -> str:
    """One of TOPICS for an opinion's text; "other" when no topic's words appear."""
    text = canonical(normalize(text))
    best, best_score = "other", 0
    for topic, words in KEYWORDS.items():
        score = sum(weight for word, weight in words.items() if word in text)
        if score > best_score:
            best, best_score = topic, score
    return best
