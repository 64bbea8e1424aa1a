"""Safety rules: the words of danger that make a message an emergency whatever the model says.

The model is good at the typical emergency; these rules are there for the rest, so an
emergency is not missed because it was written oddly. A rule hit is STRONG (it is an
emergency) or WEAK (it may be one: the Analyzer then lets a small emergency probability, or
an unsure model, decide for emergency). A strong hit becomes weak when the words around it say
the danger is not happening now: prevention (防止老人摔倒), a worry (怕着火), a hazard (火灾隐患),
a drill, a past report being asked about (之前报的着火隐患), or a quarrel about damage
(楼上漏水淹了我家 不肯赔). Danger words that are part of a phrase naming no danger at all are
not read, strong or weak: a stove that will not light (打不着火, 点火器坏了) burns nothing, and
a thing lost (孩子钥匙丢了, 快递丢了) is no person missing, unless the person went somewhere or
with something (孩子和狗都不见了, 老人去银行取钱不见了); the rest of the message still counts
(燃气灶打不着火 一股煤气味 is a gas leak). Rules read `text.canonical` text with spaces and
punctuation removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    NONE = 0
    WEAK = 1
    STRONG = 2


@dataclass(frozen=True)
class Hazard:
    level: Level
    rule: str = ""  # the rule's name, for logs and tests
    words: str = ""  # the words that matched


def _alt(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


# fmt: off
_PEOPLE = (
    "人", "老人", "老太", "老头", "大爷", "大娘", "奶奶", "爷爷", "姥姥", "姥爷", "我爸", "我妈",
    "爸", "妈", "爹", "娘", "老伴", "孩子", "小孩", "儿子", "女儿", "他", "她", "我",
)
PERSON = _alt(*_PEOPLE)
OTHERS = _alt(*(p for p in _PEOPLE if p not in ("人", "我")))  # someone the writer speaks of
HOME = _alt("家", "屋", "室内", "房间", "卧室", "客厅", "一楼", "1楼")  # 一楼 is arabized
# What a robber takes from a person (not a parking place: 车位被人抢了 is a dispute), and what
# a thief takes (not power or water tapped, 偷电 偷接水, which are disputes).
ROBBED = _alt("包", "手机", "钱", "项链", "链子", "耳环", "镯子", "首饰", "金", "东西")
STOLEN = _alt("车", "电动车", "电瓶", "自行车", "摩托", "东西", "钱", "手机", "包", "快递",
              "电缆", "井盖", "铁", "空调外机")

STRONG_RULES: dict[str, str] = {
    "cry_for_help": _alt("救命", "救救", "快救", "救人", "快来人", "来人啊", "来人呐", "出大事",
                         "出事了", "sos", "jiuming", "jiu ming", "救我", "^帮帮我[吧啊呀]*$"),
    "fire": _alt("着火", "起火", "失火", "火灾", "烧起来", "火着了", "火苗", "火势", "大火",
                 "冒火", "明火", "浓烟", "黑烟", "冒烟", "烟很大", "烟好大", "烟太大", "全是烟",
                 "一屋子烟", "一屋烟", "火星", "火花", "灭不了", "灭不掉", "火火", "点火",
                 "冒.{0,3}烟",
                 "(?:屋|家|楼道|房间|门外|门口)里?(?:有|全是|都是)烟", "被.{0,2}烟.{0,2}困",
                 "(?:电线|线路|插座|插排|插线板|电箱|配电箱|电表|电动车|电瓶|车|房子|屋子|厨房|"
                 "油锅|锅|被子|窗帘|沙发|柜子|楼道)(?:给)?(?:着了|烧着|烧了|着起来)",
                 "zhaohuo", "qihuo"),
    "gas": _alt("(?:煤气|燃气|天然气|液化气|瓦斯).{0,12}(?:味|泄|漏(?!水|雨)|中毒|爆|冒气|跑气)",
                "(?:煤气|燃气|天然气|液化气)(?:管|罐|阀|表).{0,4}(?:破|断|裂|爆)",
                "一氧化碳", "臭鸡蛋味", "漏气", "冒气", "嘶嘶", "meiqi", "ranqi"),
    "trapped_in_lift": _alt("困.{0,3}电梯", "(?:关|卡|锁)在电梯", "电梯.{0,8}(?:困|夹)",
                            "电梯.{0,12}(?:(?<!没)里面有|(?<!没)里头有|(?<!没)里有人|出不来|出不去)",
                            "电梯.{0,12}(?<!没)" + PERSON + "还?在(?:里面|里头)",
                            "电梯.{0,6}(?:关着|锁着|困着|卡着|夹着)",
                            "电梯.{0,4}(?:急坠|下坠|往下掉|掉下去)", PERSON + "还?在电梯里",
                            "kunren"),
    "fall_or_faint": _alt("摔倒", "摔了一跤", "摔跤", "跌倒", "滑倒", "绊倒", "摔伤", "摔地上",
                          "摔下来", "滚下来", "晕倒", "昏倒", "晕过去", "昏过去", "昏迷", "晕厥",
                          "不省人事", "(?:叫|喊).{0,3}不(?:太)?醒", "叫不应", "喊不应",
                          "(?:叫|喊|拍).{0,4}没反应", PERSON + ".{0,4}没反应", "没意识",
                          "没有意识", "没呼吸", "没有呼吸", "没气了", "倒地", "倒在地",
                          PERSON + ".{0,4}倒在.{0,4}(?:楼道|楼梯|路边|门口|院里|地上|卫生间|厕所)",
                          "躺在.{0,6}(?:地|楼梯|楼道|路边|门口|楼下|院里)", "一动不动",
                          "(?:躺|倒).{0,6}不动了", PERSON + "不动了", "倒下了", "起不来",
                          "躺.{0,2}地上", "躺着(?:一)?个人", "(?:叫|喊|拍).{0,4}不睁眼",
                          "瘫(?:在|倒在)?(?:那|地上?)(?!的).{0,4}(?:不动|起不来|叫不|没反应|不睁眼)",
                          "shuaidao", "yundao"),
    "medical": _alt("心脏病(?:犯|发作|发了)", "心梗", "心绞痛", "脑梗", "脑溢血", "中风",
                    "胸口(?:疼|痛|闷)", "喘不(?:上|过)气", "呼吸困难", "噎(?:住|着)", "窒息",
                    "抽搐", "抽风", "口吐白沫", "吐血", "大出血",
                    "(?:流|出)了?(?:很多|好多|一地|不少)?血",
                    "血流", "止不住", "头破", "骨折", "烫伤", "烧伤", "触电", "被电", "中毒",
                    "农药", "安眠药", "喝药", "自杀", "轻生", "跳楼", "割腕", "上吊",
                    PERSON + "快?不行了", "说不出话", "不会说话了", "口歪眼斜", "半边身子",
                    "见血", "身上有血", "满身是血", "一身血", "浑身发抖", "误食", "误服",
                    "吞了", "把药当",
                    # Words of someone who may take their own life, or has taken too much.
                    # Not 热得想死, 想死你了.
                    "(?<!得)(?<!得[人我])(?<!得我都)不想活",
                    "(?<!得)(?<!得[人我])(?<!得我都)想死(?![你您他她它咱在])", "活不下去", "寻死",
                    "(?:吃|喝|吞)了?(?:一|半|整)(?:瓶|盒|板|把)安定",
                    "(?:好多|很多|一堆|几十)片?安定",
                    # A whole box of any pills is too many; a bowl of 中药 or a 药酒 is not.
                    "(?:吃|喝|吞)了?(?:一|半|整)(?:瓶|把|盒|板)(?!中药)[^酒]{0,2}药(?![酒膳])",
                    "羊水破", "(?<![猫狗兔鸡羊猪牛鼠月周])(?<!兔子)要生了",
                    "(?:脸|嘴唇|嘴|脸色)(?!.{0,3}冻)[^涂]{0,3}(?:发紫|发青|青紫)",
                    "(?:浑身|身子|手脚|人|孩子|突然|一下子?)(?:就)?(?:一直)?抽(?:起来|过去)"
                    "(?!.{0,4}(?:烟|水))",
                    "(?:开水|热水|热油|滚油).{0,2}(?:浇|泼|洒)了?(?:到|在)?"
                    "(?:一身|身上|脸上|手上|腿上|脚上|胳膊|孩子|人|他|她|我)"),
    "violence": _alt("打架", "斗殴", "打群架", "打起来", "动手了", "动刀", "持刀", "拿刀",
                     "拿着刀", "砍人", "捅人", "被捅", "杀人", "要杀", "行凶", "伤人", "打人",
                     "家暴", "掐.{0,3}脖子", "打孩子.{0,6}(?:厉害|狠|惨|凶)", "打得很(?:凶|厉害)",
                     "抢劫", "抢包", "进贼", "在撬", "正撬", "撬我家", "砸门", "泼汽油",
                     "纵火", "放火", "点房子", "要打我", "在打.{0,3}" + PERSON, "被人?打(?:了|伤)",
                     "抄家伙",
                     "(?:要|想)跳(?!舞|广场|绳)",
                     # A robbery, or a theft under way (a theft that is over is a dispute);
                     # a parking place taken (抢车位) or power tapped (偷电) is no robbery.
                     ROBBED + ".{0,4}(?:被人?|让人|叫人)抢(?!光|完|购)",
                     "抢(?:了|走)(?:我|他|她|老人|孩子)?的?" + ROBBED,
                     "有人(?:在|正在)?抢" + ROBBED,
                     "有人(?:在|正在)?偷" + STOLEN, "(?:进了?|抓|有)小偷",
                     "(?:弄|杀|砍|打)死我", "要(?:弄|砍)死", "跟踪我", "被人?跟踪",
                     "(?<!雪仗)(?<![猫狗])打[成作]一团(?!.{0,4}(?:玩|热闹))",
                     "家里?进了?人了?$", "家里?进了?(?:陌生|生|坏)人",
                     "(?:有人|小偷|贼|陌生人|男的|坏人).{0,4}翻(?:我家|窗|墙|阳台)"),
    "missing_person": _alt("走丢", "走失", "失踪", "人不见了", "迷路",
                           "(?:孩子|小孩|老人|我爸|我妈|老伴|儿子|女儿)[^的]{0,12}?"
                           "(?:不见了|找不到了|丢了)",
                           "找不到(?:孩子|小孩|老人|人了|我爸|我妈)",
                           "没回(?:来|家).{0,12}(?:痴呆|糊涂|关机|联系不上|找不到|记性不好|"
                           "没带手机|手机也?没带)",
                           "(?:孩子|小孩|孙子|孙女|外孙|儿子|闺女|女儿|老人|我爸|我妈|老伴)"
                           "[^的钱车包具]{0,6}(?<![又就])没影了?(?!.{0,6}(?:肯定|准|天天|打球|下棋|打麻将|跳舞))",
                           "(?:痴呆|糊涂).{0,12}(?:没回|找不到|走丢)"),
    "flooding_in": _alt("(?:水|雨|洪).{0,6}(?:灌|漫|涌|冲|淹|倒灌)(?:进|到|入)?.{0,3}" + HOME,
                        HOME + "里?(?:都|全|已经)?(?:被)?(?:淹|进水)", "(?:屋|家)里(?:全|都)是水",
                        "(?:水|雨).{0,3}往.{0,3}" + HOME + ".{0,2}(?:灌|涌|流|冲|倒)",
                        "倒灌", "水漫金山", "满屋子?水", "一屋子?水", "水(?:漫|灌|涌)进来了?$",
                        "水(?:哗哗|不停|一直|全)地?(?:漫|灌|涌)进来",
                        "(?:热水|烫水|开水|滚烫|蒸汽).{0,6}(?:喷|冲|涌)"),
    "falling_hazard": _alt("(?:掉|落|跌)(?:进|下|到)?(?:井|下水道|化粪池|水里|河|坑|水池|水塘)",
                           "(?:要|想|准备)往下跳", "(?:楼顶|楼上|窗台|阳台|天台|桥上).{0,6}往下跳",
                           "被.{0,3}车.{0,2}(?:撞|轧|压)",
                           "落水", "溺水", PERSON + ".{0,3}掉(?:进|下)(?:去|来)",
                           "(?:窗台|阳台|楼顶|房顶).{0,4}(?:外面|边上|边缘)", "挂在阳台",
                           PERSON + ".{0,2}(?:在|爬到|爬上)(?:窗台|阳台|楼顶|房顶|窗户)",
                           "从.{0,4}(?:楼上|窗户|楼).{0,3}(?:掉|摔|跳)",
                           "(?:砸|压)(?:到|伤|住)了?人",
                           "压着人", "(?:房子|楼房?|阳台|墙|屋顶|房顶)(?:塌|倒塌|垮)", "还在掉",
                           "楼在晃", "爆炸", "(?<!气)炸了", "咬人", "被狗咬"),
    "emergency_number": r"(?:打|叫|拨|快|喊)个?(?:120|119|110)|^(?:120|119|110)+$|救护车|"
                        r"(?:快|赶紧|帮忙|马上)报警|"
                        # 120 快, 楼下 120: not an amount (120平, 电费120) or a room (3号楼120)
                        r"^(?:120|119|110)(?:快|来|啊|呀)|"
                        r"(?:楼下|楼上|门口|院里|小区|[东西南北]门|家里|这里|这边)"
                        r"(?:120|119|110)$",
}

WEAK_RULES: dict[str, str] = {
    "maybe": _alt("急救", "紧急", "急急", "快来", "赶紧来", "快点来", "速来", "危险", "不行了",
                  "塌", "掉下来", "往下掉", "爆了", "烧焦", "焦味", "糊味", "着了", "冒烟",
                  "报警", "吓死", "出事", "受伤", "疼得", "血", "晕", "电梯卡", "困在", "火",
                  "几天没", "没开门", "没人应", "不开门", "打不通", "不接电话", "没动静",
                  "没见", "进水", "淹", "掉进", "丢了", "不见了", "找不到",
                  # Someone else dazed or cold to the touch (not 我今天昏昏沉沉的, not 天冷)
                  OTHERS + ".{0,6}(?:昏昏沉沉|说胡话|神志不清|手脚冰凉|冒冷汗|出冷汗)",
                  # 110, 119, 120 with other words (3号楼 120), not an amount or a route
                  "(?<![\\d费号元单尾交在])(?:110|119|120)(?=来|到|车|快|还没|没来|怎么还)"),
}

# An unanswered door: someone not seen + for days or living alone + a person.
_UNSEEN = _alt("没人应", "没人答应", "不应", "没开门", "不开门", "敲门不开", "没开过门",
               "没出门", "没出来", "没下楼", "没动静", "没见", "不接电话", "电话也不接",
               "打不通", "没人接", "关机", "塞满", "没拿", "奶还在", "有股味", "有怪味", "有味")
_DAYS_OR_ALONE = _alt("[几两三四五六七多\\d]天", "礼拜", "星期", "一周", "独居", "一个人住",
                      "孤寡", "平时", "好久")
_ELDER = _alt("老人", "老太", "老头", "大爷", "大娘", "奶奶", "爷爷", "老爷子", "老王", "老李",
              "对门", "隔壁", "楼上", "楼下", "邻居", "独居", "一个人住")

# Words that say the danger is not happening now: just before the hit, near it, or anywhere.
_NEGATED = re.compile(_alt("没有?", "不是", "别", "不会", "未") + "$")
_NEAR_CALM = re.compile(_alt("怕", "担心", "容易", "万一", "小心", "如果", "要是", "假如",
                             "会不会", "可能会", "差点", "险些", "以防", "防止", "避免", "预防",
                             "防(?!盗|护)", "曾经", "以前", "上次", "上回(?!.{0,8}又)",
                             "那回(?!.{0,8}又)", "之前", "昨天",
                             "前天", "上周", "去年"))
_ANY_CALM = re.compile(_alt("隐患", "演练", "演习", "宣传", "培训", "讲座", "知识", "报警器",
                            "烟感", "灭火器", "消防栓", "工单", "单子", "进度", "报过", "报的",
                            "报修", "反映", "投诉", "处理(?:了|得|到|结果|进度)", "跟进", "后续",
                            "建议", "希望",
                            "不肯赔", "不赔", "赔偿", "不认", "不承认", "说了不听", "说了也不听",
                            "他不听", "不修", "不管", "还不道歉", "油烟", "烧烤", "抽烟", "烟味",
                            "烟头", "做饭", "烧纸", "蜂窝煤", "灭鼠", "打药", "报名", "申请",
                            "补贴", "手环", "呼叫器", "扶手", "防滑", "开玩笑"))

# Phrases in which danger words name no danger: a hit that ends inside one is not read.
# Won't light (打不着火, 燃气灶不着火, 点火点不着, 火也打不出来, 点火器坏了, 打着了又灭,
# 能打着火不): the characters of 着火 or 点火 are there, the fire is not. A repair.
_TRIES = "[了也都还就总老是又半天好几次下打点]{0,6}"  # 点火点了半天也点不着
_FAILS = _alt("[打点]?不(?:着|上|燃|起|出)", "没有?反应", "失败", "不灵", "不好使", "不管用")
_UNLIT = _alt("不[着点打]火", "[打点]不着了", "打着火", "[点打]火(?:器|针|开关|按钮|装置)",
              # 火也打不出来, but not the 火 of 着火了打不出去 (a fire, and a phone that fails)
              _alt("[点打]火", "(?<![着起失冒])火") + _TRIES + _FAILS,
              "[打点]着了?[又就]灭")
# A thing lost (孩子钥匙丢了, 我妈手机找不到了), not a person; but a person carrying it (背着书包
# 不见了, 骑着电动车不见了) is the one missing, whichever character of the thing's name we are at.
_CARRIED = "".join(f"(?<![背骑带拿抱推穿开]着{'.' * k})" for k in range(4))
_KINDS = _alt("身份", "银行", "医保", "社保", "公交", "门禁", "饭", "老年", "学生", "电动车",
              "自行车", "车", "家门", "大门", "房门", "门")  # 身份证, 车钥匙: one thing
_THINGS = _alt("钥匙", "快递", "包裹", "手机", "钱包", "书包", "包", "卡", "证", "户口本", "存折",
               "自行车", "电动车", "电瓶车", "车", "狗", "猫", "东西", "钱", "眼镜", "拐杖",
               "助听器", "衣服", "鞋")
_THING_LOST = (f"{_CARRIED}(?P<thing>{_KINDS}?{_THINGS})"
               "(?:又|也|都|给|被人?|让人)?(?:弄|搞)?(?:不见了|找不到了|丢了)")
# The thing is what is lost unless the words between a person just before it and the thing
# say the person went somewhere or with something (孩子和狗, 孩子坐车, 我妈去买衣服, 老人去
# 银行取钱): then the person may be the one missing, and the phrase is read as it stands. Other
# words between them (孩子今天手机又丢了, 孩子在学校手机丢了, 老人老花眼镜丢了) say whose thing
# it is, when or where. Owned (孩子家的狗) or lost (老人把钥匙弄丢了) is never a going. The writer
# (我) and anyone (人) go unreported; a run of person words is one person (孩子他爸), whose name
# may end in 子, 太, 婆 or 们 (小孩子).
_MISSABLE = re.compile(OTHERS + "+")
_OWNED = re.compile("[子太婆们]?(?:家里?)?的?(?:那|这)?个?|.*把")
_WENT = re.compile("和|跟|与|同|带|牵|领|坐|骑|去|出去|走|一起|一块")
_REACH = 12  # as far before the thing as the missing_person rule reaches
# Things whose names hold a danger word: 挨着火车站 (着火), 火锅店, 在打他电话 (在打他),
# 电动车没气了 (没气了), 被电动车占了 (被电).
_NO_DANGER = _alt("[挨靠沿坐顺朝对]着火车", "(?<![着起失冒大明点])火(?:车|锅|腿|柴|龙果)",
                   "在?打[他她你我]?的?电话",
                   "(?:电动车|自行车|电瓶车|车子|胎|气|罐|瓶|球)没气了",
                   "被电(?:动车|瓶车|瓶|车)(?:占|停|堵|挡)",
                   "(?:猫|狗|大黄)(?:天天|又|在)?躺(?:在)?(?:地上|院里|楼下)",
                   "躺(?:着一?个人|在.{0,6}|.{0,2}地上)在?(?:睡觉|晒太阳|午睡|耍赖|玩)")
_NO_DANGER_RE = re.compile(f"(?=({_UNLIT}|{_NO_DANGER}))")  # a lookahead: overlaps found too
_THING_LOST_RE = re.compile(f"(?=({_THING_LOST}))")
# fmt: on

_STRONG = [(name, re.compile(pattern)) for name, pattern in STRONG_RULES.items()]
_WEAK = [(name, re.compile(pattern)) for name, pattern in WEAK_RULES.items()]
_UNSEEN_RE = re.compile(_UNSEEN)
_DAYS_RE = re.compile(_DAYS_OR_ALONE)
_ELDER_RE = re.compile(_ELDER)


def assess(compact_text: str) -> Hazard:
    """How dangerous `compact_text` (canonical, no spaces or punctuation) sounds."""
    calm_anywhere = _ANY_CALM.search(compact_text) is not None
    harmless = _Harmless(compact_text)
    weak: Hazard | None = None
    for name, regex in _STRONG:
        for match in regex.finditer(compact_text):
            if harmless.covers(match):
                continue
            before = compact_text[max(0, match.start() - 10) : match.start()]
            if calm_anywhere or _NEAR_CALM.search(before) or _NEGATED.search(before):
                weak = weak or Hazard(Level.WEAK, name, match.group(0))
                continue
            return Hazard(Level.STRONG, name, match.group(0))
    unseen = _UNSEEN_RE.search(compact_text)
    if unseen and _DAYS_RE.search(compact_text) and _ELDER_RE.search(compact_text):
        level = Level.WEAK if calm_anywhere else Level.STRONG
        return Hazard(level, "unanswered_door", unseen.group(0))
    if weak is not None:
        return weak
    for name, regex in _WEAK:
        for hint in regex.finditer(compact_text):
            if not harmless.covers(hint):
                return Hazard(Level.WEAK, name, hint.group(0))
    return Hazard(Level.NONE)


class _Harmless:
    """The phrases of one message that name no danger (打不着火, 钥匙丢了), searched for only
    once a rule hits: most messages have no danger word and never pay for the search."""

    __slots__ = ("_spans", "_text")

    def __init__(self, compact_text: str) -> None:
        self._text = compact_text
        self._spans: list[tuple[int, int]] | None = None

    def covers(self, hit: re.Match[str]) -> bool:
        """Whether `hit` ends inside such a phrase: its last words, the ones that make it a
        danger (着火, 丢了), are the phrase's and say what the phrase says."""
        if self._spans is None:
            text = self._text
            self._spans = [m.span(1) for m in _NO_DANGER_RE.finditer(text)] + [
                m.span(1)
                for m in _THING_LOST_RE.finditer(text)
                if _nobody_else_lost(text, m.start("thing"))
            ]
        return any(start < hit.end() <= end for start, end in self._spans)


def _nobody_else_lost(text: str, thing_start: int) -> bool:
    """Whether no person named just before the thing at `thing_start` went somewhere or with
    something (和, 坐, 去 …) on the way to it, so that the thing, not the person, is what is
    missing."""
    return not any(
        _WENT.search(text, person.end(), thing_start)
        and not _OWNED.fullmatch(text, person.end(), thing_start)
        for person in _MISSABLE.finditer(text, max(0, thing_start - _REACH - 2), thing_start)
        if person.end() >= thing_start - _REACH
    )
