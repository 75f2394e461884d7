"""The labelled pair set: is B a copy of A's story?  Built from the seeds and variations of them.

Stories: the five seed articles (their body lines cut out of the page dumps by the markers
below; the mirror seeds 001, 002 and 004 normalised with the project's Normaliser) and five
short hand-written Liaocheng items (4–5 paragraphs, 300–500 characters: the short-body cases).
All ten are about the same few topics (industry, agriculture, the city), as the archive is.

Same-story variations (label True): trimmed (one or two paragraphs dropped), re-chromed
(another portal's source/byline/print-note/editor lines leaked into the body), mirror-corrupted
(Traditional + pinyin after converted characters, word pinyin, doubled annotations, a spam
word) then normalised, e-paper layout (paragraphs broken across columns, a caption between),
and combinations of these compared with each other.

Different-story pairs (label False): every two stories (all share a topic), one shared
paragraph, a shared quote, shared boilerplate (the same long footer on both), variants of two
different stories, a short brief made of one paragraph of a long story, and seeds 003/004
(both quote the same company, 易斯特).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from pathlib import Path

from opencc import OpenCC
from pypinyin import Style, pinyin

from liaocheng_news.text.normalise import Normaliser

SEEDS = Path(__file__).resolve().parents[2] / "liaocheng_news" / "seeds"


@dataclass(frozen=True)
class Pair:
    name: str
    a: str  # body: one paragraph a line
    b: str
    same: bool


# --- the stories --------------------------------------------------------------------------

# (file prefix, first body line starts with …, body ends before the line starting with …)
_SEED_CUTS = {
    "000": ("黄河岸边", "新闻推荐"),
    "001": ("  12月16日", "編輯:"),
    "002": ("提及山东聊城", "逐绿向新、链上发力"),
    "003": ("产业发展提质增效", None),
    "004": ("聊城緊緊圍繞", "相關"),
}

SHORT_STORIES = {
    "canal": [
        "9月28日,第五届中国(聊城)运河文化旅游节在东昌湖畔开幕,来自全国各地的二十余支非遗展演队伍参加了开幕式。",
        "本届旅游节以“千年运河 水韵聊城”为主题,历时一个月,设置运河古城夜游、非遗市集、水上实景演出等十二项活动。",
        "“我们把东昌府木版年画、临清贡砖烧制技艺都搬到了市集上,游客可以亲手体验。”市文化和旅游局相关负责人介绍。",
        "开幕当天,古城区接待游客超过八万人次,周边餐饮、住宿订单同比明显增长,不少外地游客专程前来打卡光岳楼。",
        "据悉,旅游节期间还将举办运河城市文旅合作论坛,邀请沿运河八省市代表共商文旅融合发展。",
    ],
    "wheat_shenxian": [
        "眼下正值秋种关键期,莘县四十余万亩冬小麦播种已进入扫尾阶段,田间处处是农机轰鸣的繁忙景象。",
        "在莘县张鲁回族镇,种粮大户王建军的五百亩地里,三台播种机正在同时作业。“今年墒情好,种子和化肥都提前备齐了。”王建军说。",
        "为确保麦播质量,县农业农村局组织六十多名农技人员分包到村,指导农户推广宽幅精播、播后镇压等技术。",
        "“适期适量播种、播后及时镇压,是明年夏粮丰收的基础。”县农业技术推广站站长刘晓东说。",
        "截至10月20日,全县小麦播种面积已完成计划的百分之九十五,良种覆盖率达到百分之百。",
    ],
    "wheat_yanggu": [
        "连日来,阳谷县抢抓晴好天气,组织农机手开展小麦机播作业,目前全县已播种小麦三十二万亩。",
        "在阳谷县石佛镇的一处高标准农田里,新型北斗导航播种机沿着直线往返作业,播种、施肥、镇压一次完成。",
        "“适期适量播种、播后及时镇压,是明年夏粮丰收的基础。”县农业技术推广站站长刘晓东说。",
        "今年阳谷县还建设了五个小麦绿色高质高效示范片,统一供种、统一技术指导,示范面积达到三万亩。",
        "县里同时开通农资质量投诉热线,开展种子、化肥市场专项检查,保障农民用上放心农资。",
    ],
    "jobs_fair": [
        "11月5日,聊城大学2025届毕业生秋季双选会在体育馆举行,共有六百余家用人单位进场招聘,提供岗位一万两千余个。",
        "参会单位涵盖装备制造、新材料、生物医药、教育和金融等行业,其中市内企业占到一半以上。",
        "“我们今年计划招聘机械、材料方向的毕业生八十人,上午已经收到了两百多份简历。”一家轴承企业的人力资源经理说。",
        "学校就业指导中心还在现场设置了简历诊断、模拟面试和政策咨询台,为毕业生提供一对一服务。",
    ],
    "gaotang_road": [
        "记者从高唐县交通运输局获悉,国道308线高唐段改建工程日前全线通车,道路由双向两车道拓宽为双向四车道。",
        "该工程全长二十一公里,总投资五点六亿元,新建桥梁三座,同步完善了交通标志、照明和排水设施。",
        "改建完成后,高唐县城至济聊高速入口的车程由四十分钟缩短至二十五分钟,沿线六个乡镇的群众出行更加便捷。",
        "施工期间,项目部采取半幅施工、半幅通行的方式,最大限度减少了对群众出行和企业运输的影响。",
        "下一步,县里将加快推进县乡道路提档升级,力争年底前完成农村公路新改建一百公里。",
    ],
}

# Chrome lines another portal's page leaks into an extracted body (text as seen on the portals).
CHROME = {
    "yybnet": (["来源:聊城日报 2021-10-28 11:20   https://www.yybnet.net/", "■本报记者 苑莘"], []),
    "lcxw": (["来源:新聊城客户端  2024-12-20 14:44:41", "A+A-", "分享", "2024年12月20日《聊城日报》2版"],
             ["编辑:李明", "审核:刘 飞"]),
    "dzwww": (["2022-01-26 09:40:00 来源: 大众网·海报新闻 作者: 赵志鹏"], ["初审编辑:赵志鹏 责任编辑:李兆辉"]),
    "achie": (["来源:高新院 achie.org 日期:2022-08-10 点击:次"], ["相关文章推荐:"]),
}

FOOTER = [
    "关于我们 | 广告服务 | 版权声明 | 联系我们 | 跟帖评论自律管理承诺书",
    "聊城新闻网 2006-2023 版权所有 聊城市新闻传媒中心/聊城市政府新闻办公室 联合主办",
    "互联网新闻信息服务许可证编号:37120180030 鲁ICP备09083931号 鲁公网安备 37150202000134号",
    "信息网络传播视听节目许可证编号:115330086 广播电视节目制作经营许可证(鲁)字第720号",
    "本网违法和不良信息举报电话:18663509279 举报邮箱:lcxw@lcxw.cn",
    "聊城新闻网是聊城市委、市政府主办的重点新闻网站,坚持正确舆论导向,传播聊城好声音,讲好聊城故事,欢迎广大网友投稿。",
]


@cache
def _normaliser() -> Normaliser:
    return Normaliser()


@cache
def seed_paragraphs(prefix: str) -> tuple[str, ...]:
    """The body paragraphs of a seed, cut out of its page dump and normalised."""
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()
    start, end = _SEED_CUTS[prefix]
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    last = next((i for i, line in enumerate(lines) if end and i > first and line.startswith(end)), len(lines))
    raw = [line.strip() for line in lines[first:last] if line.strip()]
    if prefix == "002":  # one line on the page, paragraphs separated by spaces
        raw = [p for p in raw[0].split(" ") if p]
    return tuple(_normaliser().paragraphs(raw))


def stories() -> dict[str, tuple[str, ...]]:
    found = {f"seed{p}": seed_paragraphs(p) for p in _SEED_CUTS}
    found.update({name: tuple(paras) for name, paras in SHORT_STORIES.items()})
    return found


# --- variations ---------------------------------------------------------------------------


def body(paras) -> str:
    return "\n".join(paras)


def trim(paras, *drop: int) -> list[str]:
    """Drop paragraphs by index (negative counts from the end)."""
    gone = {i % len(paras) for i in drop}
    return [p for i, p in enumerate(paras) if i not in gone]


def rechrome(paras, portal: str) -> list[str]:
    top, bottom = CHROME[portal]
    return [*top, *paras, *bottom]


_S2T = OpenCC("s2t")


def corrupt(text: str, rng: random.Random) -> str:
    """A content farm's copy: Traditional with pinyin after converted characters, word pinyin, spam."""
    out = []
    for ch in text:
        trad = _S2T.convert(ch)
        if trad != ch:
            out.append(f"{trad}({pinyin(ch, style=Style.TONE)[0][0]})")
        elif "\u4e00" <= ch <= "\u9fff" and rng.random() < 0.04:
            reading = pinyin(ch, style=Style.TONE)[0][0]
            out.append(f"{ch}({reading})" + (f"({reading})" if rng.random() < 0.3 else ""))
        else:
            out.append(ch)
        if ch == "。" and rng.random() < 0.05:
            out.append("开云体育")
    return "".join(out)


def mirror(paras, seed: int = 0) -> list[str]:
    """Mirror-corrupted, then normalised as the pipeline does before dedupe."""
    rng = random.Random(seed)
    return _normaliser().paragraphs([corrupt(p, rng) for p in paras])


def epaper(paras, seed: int = 0) -> list[str]:
    """Print layout: paragraphs broken across columns, a photo caption between two of them."""
    rng = random.Random(seed)
    out: list[str] = []
    for i, p in enumerate(paras):
        if len(p) > 40 and rng.random() < 0.5:
            cut = rng.randrange(10, len(p) - 10)
            out += [p[:cut], p[cut:]]
        else:
            out.append(p)
        if i == len(paras) // 2:
            out.append("图为工作人员在现场查看设备运行情况。")
    return out


def with_paragraph(paras, extra: str, at: int) -> list[str]:
    out = list(paras)
    out.insert(at, extra)
    return out


def quote_of(paras) -> str:
    """The first quoted sentence of a story (a “…”说 quote)."""
    for p in paras:
        start, end = p.find("“"), p.find("”")
        if 0 <= start < end and end - start > 15:
            return p[start : end + 1] + "相关负责人说。"
    raise ValueError("no quote")


# --- the pairs ----------------------------------------------------------------------------


def pairs() -> list[Pair]:
    all_stories = stories()
    names = list(all_stories)
    portals = list(CHROME)
    out: list[Pair] = []

    for n, (name, paras) in enumerate(all_stories.items()):
        original = body(paras)
        portal, other_portal = portals[n % 4], portals[(n + 1) % 4]
        middle = len(paras) // 2
        out += [
            Pair(f"{name}: trimmed one paragraph", original, body(trim(paras, middle)), True),
            Pair(f"{name}: trimmed first and last", original, body(trim(paras, 0, -1)), True),
            Pair(f"{name}: re-chromed ({portal})", original, body(rechrome(paras, portal)), True),
            Pair(f"{name}: mirror copy, normalised", original, body(mirror(paras, seed=n)), True),
            Pair(f"{name}: e-paper layout", original, body(epaper(paras, seed=n)), True),
            Pair(
                f"{name}: trimmed+re-chromed mirror vs trimmed e-paper",
                body(mirror(rechrome(trim(paras, 1), other_portal), seed=n + 100)),
                body(epaper(trim(paras, -2), seed=n + 7)),
                True,
            ),
            Pair(
                f"{name}: trimmed mirror vs full e-paper",
                body(mirror(trim(paras, middle), seed=n + 200)),
                body(epaper(paras, seed=n + 9)),
                True,
            ),
        ]

    for a, b in combinations(names, 2):
        if a.startswith("seed") == b.startswith("seed"):  # seeds with seeds, short with short
            out.append(Pair(f"{a} vs {b}: different stories", body(all_stories[a]), body(all_stories[b]), False))

    ring = list(zip(names, names[1:] + names[:1]))
    for a, b in ring:
        pa, pb = all_stories[a], all_stories[b]
        shared = max(pa, key=len)  # the longest paragraph of A, put into B
        out.append(Pair(f"{b} + one paragraph of {a}", body(pa), body(with_paragraph(pb, shared, 1)), False))
        try:
            quote = quote_of(pa)
        except ValueError:
            continue
        out.append(Pair(f"{b} quoting {a}", body(pa), body(with_paragraph(pb, quote, len(pb) // 2)), False))

    for a, b in ring[:5] + ring[5:8]:
        out.append(
            Pair(f"{a} vs {b}: same footer", body([*all_stories[a], *FOOTER]), body([*all_stories[b], *FOOTER]), False)
        )
    for a, b in ring[:5]:
        out.append(
            Pair(
                f"{a} trimmed vs {b} mirror: different stories",
                body(trim(all_stories[a], 0)),
                body(mirror(all_stories[b], seed=3)),
                False,
            )
        )
    for a, b in ring[:5]:  # a brief: one paragraph of A and a lead sentence of its own
        shared = max(all_stories[a], key=len)
        brief = [f"本报讯 近日,{all_stories[b][0][:30]}。", shared]
        out.append(Pair(f"brief quoting one paragraph of {a}", body(all_stories[a]), body(brief), False))
    return out
