"""Safety: emergencies are caught by rules even when the model disagrees or is unsure, and
danger words that are not a danger now (prevention, a hazard, a past report) do not fire."""

from __future__ import annotations

import numpy as np
import pytest

from nlp import Analyzer
from nlp.analyzer import decide
from nlp.safety import Hazard, Level, assess
from nlp.text import canonical, compact, normalize


def level(text: str) -> Level:
    return assess(compact(canonical(normalize(text)))).level


STRONG = [
    "救命", "救名啊", "jiuming", "快来人啊", "三号楼着火了", "着伙了", "楼道里冒黑烟",
    "闻到很重的煤气味", "燃气管道破了", "天然气漏了 嘶嘶响", "电梯里困人了",
    "我在电梯里出不来", "电梯停了我妈还在里面", "老人摔倒了起不来", "我爸晕到了",
    "俺娘叫不醒", "心脏病犯了", "喘不上气", "孩子抽搐", "有人拿刀砍人", "楼下打起来了",
    "孩子走丢了", "老人迷路了", "独居老人好几天没开门了", "对门大爷三天没动静了",
    "家里进水了", "水往屋里灌", "有人掉进井里了", "有人要跳楼", "快打120", "孩子触电了",
    "电线着了", "我被人打了",
    # Real fires and missing people next to the phrases below that name no danger.
    "厨房着火", "油锅着了", "楼道有人点火", "点火烧东西", "点火器着火了", "着火了打不出去电话",
    "燃气灶打不着火 一股煤气味", "老人走丢了", "我爸找不到了", "孩子丢了 钥匙也丢了",
    "孩子背着书包不见了", "老人骑着电动车不见了",
    # A robbery, or a theft under way.
    "包被人抢了", "我妈项链让人抢了", "有人抢包", "抢了我的手机", "楼下有人偷车",
    "有人正在偷井盖", "家里进了小偷", "抓小偷",
    # Found by review, none of them read as an emergency before: words of someone who may
    # take their life or has taken too much, threats, a birth, a fit, a burn, someone lying on
    # the ground, an intruder, a person about to jump, water coming in, an elder gone.
    "我想死", "我不想活了", "她吃了一瓶安定", "俺孙子吃了一把药片 不知道是啥药", "他说要弄死我",
    "我被人跟踪了", "楼下打成一团了", "救我", "帮帮我", "女的喊救我", "我媳妇要生了 羊水破了",
    "我妈脸发紫了", "突然就抽起来了", "开水浇了一身", "3号楼楼下有人躺地上不动",
    "有人躺在三号楼楼下不动", "二单元门口躺着个人", "老伴儿一下子瘫那了 咋叫都不睁眼",
    "有小偷正在翻我家窗户", "我家进人了", "有个女的要往下跳", "水漫进来了",
    "姥姥出去买菜一直没回来 她记性不好", "老爷子出门到现在没回来 手机也没带", "小孙子跑出去没影了",
    "120", "120 120", "楼下 120", "东门110", "120 快",
]  # fmt: skip
# A person who went somewhere or with something and is missing: the thing is not what is lost.
MISSING_NEAR_A_THING = [
    "孩子和狗都不见了", "孩子坐车不见了", "老人和狗都丢了", "我妈去买衣服不见了",
    "孩子在小区骑自行车不见了", "老人去银行取钱不见了", "老人去办卡不见了", "孩子牵着狗不见了",
    "老伴跟狗一块出去找不到了",
]  # fmt: skip


@pytest.mark.parametrize("text", STRONG + MISSING_NEAR_A_THING)
def test_strong_danger_words(text: str) -> None:
    assert level(text) is Level.STRONG


CALM = [
    "建议楼道装扶手 防止老人摔倒",  # prevention
    "楼道堆杂物有火灾隐患",  # a hazard
    "冬天楼道结冰 怕有人摔跤",  # a worry
    "之前报的着火隐患处理了没有",  # a past report
    "社区搞一次消防演练吧",
    "楼上洗衣机漏水淹了我家 不肯赔",  # a quarrel about damage
    "电梯坏了 里面没人 就是不动",
    "电梯一直停在五楼不动 没人在里面",
    "想申请个防走失手环",
    "楼下烧烤店天天冒烟",
    "有人在楼道里抽烟 一楼道烟味",
    "老人的户口本找不到了",
]  # fmt: skip


@pytest.mark.parametrize("text", CALM)
def test_calm_contexts_are_not_strong(text: str) -> None:
    assert level(text) is not Level.STRONG


@pytest.mark.parametrize(
    "text",
    ["楼道灯坏了", "你好", "建议加装电梯", "我的工单", "车位被人抢了", "有人抢车位", "有人偷电",
     "有人偷接楼道的电", "有人偷偷在楼道堆东西", "快递被人偷了", "菜都被人抢光了",
     # Danger words inside a name (火车站 has 着火 in 挨着火车站), a phone call, a flat tyre,
     # an amount, a room, a bus.
     "挨着火车站那个院", "靠着火车站", "在火锅店后面", "我在打他电话问问", "电动车没气了",
     "液化气没气了", "车位被电动车占了", "喝了一瓶啤酒", "瘫在沙发上玩手机", "120平的房子",
     "我家120室", "公交120路", "孩子的书包没影了", "帮帮我查一下工单"],
)  # fmt: skip
def test_ordinary_messages_have_no_hazard(text: str) -> None:
    assert level(text) is Level.NONE


WONT_LIGHT = [
    "燃气灶打不着火", "我家燃气灶打不着火了", "热水器点不着火", "燃气灶不着火", "热水器不点火",
    "燃气灶点火点不着", "点火点了半天也点不着", "燃气灶打火打不着", "俺家灶火打不着了",
    "燃气灶点火没反应", "点火器坏了", "打火器坏了", "点火针坏了", "燃气灶打着了又灭",
    "火也打不出来", "恁家燃气灶能打着火不",
]  # fmt: skip
THINGS_LOST = [
    "钥匙丢了", "快递丢了", "家里钥匙丢了进不去门", "孩子钥匙丢了 进不去门",
    "老人把钥匙弄丢了", "我妈手机找不到了", "快递柜里的快递不见了", "我家狗丢了",
    "我家钥匙丢了", "孩子的钥匙丢了", "孩子身份证丢了", "老人车钥匙又丢了",
    "老人出门把钥匙弄丢了", "她家猫不见了", "小孩子钥匙丢了", "我爸爸钥匙丢了",
    # Words between the person and the thing that say when, where or which, not a going.
    "我妈今天手机又丢了", "孩子在学校手机丢了", "孩子校园卡丢了", "孩子新手机丢了",
    "孩子说钥匙丢了", "孩子手机钱包都丢了", "老人老花眼镜丢了", "老伴刚才钥匙丢了",
]  # fmt: skip


@pytest.mark.parametrize("text", WONT_LIGHT + THINGS_LOST)
def test_danger_words_inside_a_harmless_phrase_are_not_read(text: str) -> None:
    """着火 in 打不着火, 点火 in 点火器, 丢了 in 钥匙丢了: not a fire, not a missing person,
    not even a hint of one."""
    assert level(text) is Level.NONE


def test_the_rest_of_the_message_still_counts() -> None:
    assert level("孩子钥匙丢了 人也找不到了") is Level.WEAK  # 找不到 is not the keys'


THRESHOLDS = {"unsure": 0.4, "weak_emergency": 0.1, "unsure_emergency": 0.15}


def probs(**given: float) -> dict[str, float]:
    """A probability table: the given values, the rest shared equally."""
    rest = [
        i
        for i in ("repair", "dispute", "elder_help", "emergency", "opinion", "query", "other")
        if i not in given
    ]
    share = (1.0 - sum(given.values())) / len(rest)
    return {**{i: share for i in rest}, **given}


def test_strong_rule_overrules_a_confident_model() -> None:
    intent, confidence = decide(
        probs(repair=0.97, emergency=0.005), Hazard(Level.STRONG), None, THRESHOLDS
    )
    assert (intent, confidence) == ("emergency", 0.95)


def test_weak_rule_needs_some_emergency_probability() -> None:
    weak = Hazard(Level.WEAK)
    assert decide(probs(repair=0.8, emergency=0.12), weak, None, THRESHOLDS)[0] == "emergency"
    assert decide(probs(repair=0.8, emergency=0.05), weak, None, THRESHOLDS)[0] == "repair"


def test_unsure_model_asks_back_unless_it_may_be_an_emergency() -> None:
    none = Hazard(Level.NONE)
    intent, confidence = decide(probs(repair=0.3, emergency=0.1), none, None, THRESHOLDS)
    assert intent == "other" and confidence == pytest.approx(0.3)
    assert decide(probs(repair=0.3, emergency=0.2), none, None, THRESHOLDS)[0] == "emergency"


def test_model_choosing_emergency_is_never_downgraded() -> None:
    p = probs(emergency=0.2, repair=0.19, dispute=0.19)
    assert decide(p, Hazard(Level.NONE), None, THRESHOLDS)[0] == "emergency"


def test_case_number_makes_a_query_but_not_over_an_emergency() -> None:
    none = Hazard(Level.NONE)
    assert decide(probs(repair=0.9), none, "261121-0007", THRESHOLDS) == ("query", 0.9)
    assert decide(probs(repair=0.3), none, "261121-0007", THRESHOLDS)[0] == "query"
    strong = Hazard(Level.STRONG)
    assert decide(probs(query=0.9), strong, "261121-0007", THRESHOLDS)[0] == "emergency"


@pytest.mark.parametrize(
    "text", ["救命", "家里着火了 快来", "老人晕倒了", "电梯困人", "俺爹摔倒了起不来", "煤气味很大"]
)
def test_analyzer_calls_emergencies_urgent(analyzer: Analyzer, text: str) -> None:
    analysis = analyzer.analyze(text)
    assert analysis.intent == "emergency"
    assert analysis.slots.urgent is True
    assert analysis.confidence >= 0.9


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("燃气灶打不着火", "repair"),
        ("我家燃气灶打不着火了", "repair"),
        ("燃气灶点火点不着", "repair"),
        ("点火器坏了", "repair"),
        ("钥匙丢了", "other"),
        ("快递丢了", "other"),
        ("家里钥匙丢了进不去门", "other"),
    ],
)
def test_a_stove_that_will_not_light_or_a_lost_thing_is_no_emergency(
    analyzer: Analyzer, text: str, intent: str
) -> None:
    """An emergency pushes staff at three levels at once: these were false ones (the rule read
    着火 in 打不着火; the model had learnt 丢了 from 孩子丢了)."""
    assert analyzer.analyze(text).intent == intent


@pytest.mark.parametrize(
    "text",
    ["老人走丢了", "我爸找不到了", "厨房着火", "油锅着了", "楼道有人点火", "点火烧东西"]
    + MISSING_NEAR_A_THING,
)
def test_real_fires_and_missing_people_stay_emergencies(analyzer: Analyzer, text: str) -> None:
    assert analyzer.analyze(text).intent == "emergency"


def test_rules_win_even_against_a_model_that_never_says_emergency(
    analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sure_repair = np.array([0.99, 0.002, 0.002, 0.0, 0.002, 0.002, 0.002])
    monkeypatch.setattr(analyzer.model, "probabilities", lambda features: sure_repair)
    assert analyzer.analyze("救命啊 有人晕倒了").intent == "emergency"
    assert analyzer.analyze("楼道灯坏了").intent == "repair"


def test_anything_that_may_be_an_emergency_is_one(
    analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    unsure = np.array([0.25, 0.15, 0.1, 0.2, 0.1, 0.1, 0.1])
    monkeypatch.setattr(analyzer.model, "probabilities", lambda features: unsure)
    monkeypatch.setitem(analyzer.thresholds, "unsure", 0.4)
    monkeypatch.setitem(analyzer.thresholds, "unsure_emergency", 0.15)
    assert analyzer.analyze("有点不对劲").intent == "emergency"
    unsure_calm = np.array([0.3, 0.2, 0.2, 0.02, 0.1, 0.1, 0.08])
    monkeypatch.setattr(analyzer.model, "probabilities", lambda features: unsure_calm)
    analysis = analyzer.analyze("有点不对劲")
    assert analysis.intent == "other" and analysis.confidence < 0.4


# Found by a second review of the rules above: the same words in everyday senses.
EVERYDAY_SENSES = [
    "想死你了", "热得人想死", "我家猫要生了", "开水浇花", "喝了半瓶中药", "喝了一瓶药酒",
    "瘫在那玩手机", "两只猫打成一团", "家里进人了 是亲戚来串门", "小孩翻墙玩", "孩子零花钱没影了",
    "120万的房子", "我家猫天天躺地上", "长椅上躺着个人在睡觉", "我今天昏昏沉沉的", "天冷手脚冰凉",
    "刚出生的小猫不睁眼", "工单跟踪一下", "有人抽起来烟了", "顺着火车道往东走",
]  # fmt: skip
# Real danger next to the names the rules leave alone (火车, 火锅, a phone call, a tyre).
DANGER_NEXT_TO_A_NAME = [
    "厨房着火锅都烧黑了", "车棚起火车都烧了", "有人在打他 快打电话", "刚把老人抬上车 没气了",
    "老人被电动车撞了", "上回那个人又来了 正在砸门",
]  # fmt: skip


@pytest.mark.parametrize("text", EVERYDAY_SENSES)
def test_the_new_rules_words_in_everyday_senses_are_not_strong(text: str) -> None:
    assert level(text) is not Level.STRONG


@pytest.mark.parametrize("text", DANGER_NEXT_TO_A_NAME)
def test_danger_next_to_a_name_is_still_read(text: str) -> None:
    assert level(text) is Level.STRONG
