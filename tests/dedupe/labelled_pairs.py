"""The labelled pair set: is B a copy of A's story?  Built from the seeds and variations of them.

Stories: the five seed articles (their body lines cut out of the page dumps by the markers
below; the mirror seeds 001, 002 and 004 normalised with the project's Normaliser), two long
hand-written Liaocheng articles of eleven paragraphs, five short hand-written items (4–5
paragraphs, 200–250 characters: the short-body cases) and a series whose items share an
editor's note and a closing line.  All are about the same few topics (industry, agriculture,
the city), as the archive is.  Each text carries its title (the lead rule and title candidates
read it).

Same-story variations (label True): trimmed (one or two paragraphs dropped), re-chromed
(another portal's source/byline/print-note/editor lines leaked into the body), mirror-corrupted
(Traditional + pinyin after converted characters, word pinyin, doubled annotations, a spam
word) then normalised, e-paper layout (paragraphs broken across columns, a caption between),
and — the forms copies really take (issue 14) — excerpts of two or three paragraphs of an
article of ten or more, lead-only copies (the headline and the first paragraph(s), as
aggregators post them), e-paper copies where a photo caption cuts a paragraph in two, light
rewrites under another title (about 60 % of the sentences verbatim, the rest reworded), and
content-farm copies of an excerpt (phrase-level Traditional conversion that writes 著 for 着,
as seed 004's farm did, pinyin, spam) then normalised; and combinations of these.

Different-story pairs (label False): every two stories (all share a topic), one shared
paragraph, a shared quote, shared boilerplate (the same long footer on both; series items that
share an editor's note and a closing line), variants of two different stories, a short brief
made of one paragraph of a long story, seeds 003/004 (both quote the same company, 易斯特), the
same title over a different body (图片新闻, and a real headline reused), and a follow-up that
repeats a story's lead under its title before reporting something else.
"""

from __future__ import annotations

import random
import re
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
    a_title: str = ""
    b_title: str = ""
    a_story: str = ""  # the story each text was made from (corpus() and the boilerplate it implies)
    b_story: str = ""


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

TITLES = {
    "seed000": "动能转换聚起发展新优势",
    "seed001": "特别策划·词说聊城丨追高逐新的飞跃“密码”——回眸2024系列报道②",
    "seed002": "逐绿向新、链上发力,聊城高质量发展“提级换挡”——江北水城“焕新”记",
    "seed003": "砥砺前行芳华 起航风正劲",
    "seed004": "聊城实施制造业强市战略,壮大产业规模、优化产业结构、提升产业能级20条产业链挺起制造脊梁",
    "bearings": "临清轴承产业集群加快向高端迈进",
    "old_town": "聊城古城保护利用激活文旅新动能",
    "canal": "第五届中国(聊城)运河文化旅游节开幕",
    "wheat_shenxian": "莘县四十余万亩冬小麦播种进入扫尾阶段",
    "wheat_yanggu": "阳谷县抢抓晴好天气推进小麦机播",
    "jobs_fair": "聊城大学秋季双选会提供岗位一万两千余个",
    "gaotang_road": "国道308线高唐段改建工程全线通车",
}

# Two long articles (eleven paragraphs): excerpts and lead-only copies need articles of ten or more.
LONG_STORIES = {
    "bearings": [
        "走进临清市烟店镇,沿街的轴承门店一家挨着一家,货车进进出出,装卸工人忙着把一箱箱轴承搬上车厢。",
        "临清是全国重要的轴承生产和集散基地之一,烟店镇更被称为“中国轴承之乡”。目前,全市共有轴承及配套企业四千余家,从业人员近六万人,产品销往全国三十多个省份和五十多个国家和地区。",
        "“过去我们主要做低端通用轴承,拼的是价格;现在客户要的是精度和寿命,拼的是技术。”山东一家精密轴承有限公司总经理张明远说。",
        "今年以来,这家企业投入三千多万元引进数控磨床和自动装配线,高精度轴承的产量占比从两成提高到六成,产品进入了新能源汽车和风电设备的供应链。",
        "企业转型的背后,是临清市持续推进的产业集群提升行动。市里设立了每年两亿元的轴承产业发展基金,对企业技术改造、研发投入和品牌建设给予补助。",
        "在烟店镇轴承产业园,一座检验检测中心已经投入使用。中心配备了轴承寿命试验机、圆度仪等一百二十多台设备,中小企业不用出县就能完成产品检测。",
        "“以前做一次全项检测要把样品寄到外地,来回得半个月,现在三天就能出报告。”一家轴承企业的质检负责人李红霞说。",
        "人才是产业升级的关键。临清市与聊城大学、山东理工职业学院等院校合作,开设轴承制造技术订单班,每年为企业输送技术工人三百多名。",
        "市场拓展同样在加快。当地建设了轴承跨境电商产业园,组织企业参加国内外展会,去年全市轴承出口额同比增长百分之二十三。",
        "与此同时,临清市还在推动企业“抱团”发展,鼓励龙头企业牵头组建产业联盟,统一采购原材料、共享检测设备和销售渠道,降低中小企业的经营成本。",
        "“下一步,我们将围绕高端轴承、智能装备两个方向,力争三年内培育十家以上专精特新企业,让临清轴承从‘量大’走向‘质优’。”临清市工业和信息化局负责人说。",
    ],
    "old_town": [
        "初冬时节,漫步聊城古城,青砖灰瓦的院落错落有致,光岳楼下游人如织,不少外地游客举着手机记录古城的街巷风貌。",
        "聊城古城始建于北宋,是全国少有的水城相依的古城之一。近年来,东昌府区坚持“修旧如旧、以用促保”的原则,对古城内的历史建筑进行保护性修缮。",
        "截至目前,古城内已完成二百余处传统院落的修缮,山陕会馆、海源阁等文物保护单位得到系统保护,古城的历史格局和街巷肌理基本恢复。",
        "“修缮时我们尽量使用传统材料和传统工艺,屋顶的瓦片很多都是从老房子上拆下来重新利用的。”参与修缮工程的老匠人王德顺说。",
        "保护是为了更好地利用。古城引入了非遗工坊、特色民宿、书店和茶社等业态,东昌府木版年画、郎庄面塑等非遗项目在这里有了展示和销售的空间。",
        "在一家木版年画工坊里,传承人正在为游客演示刻版和套印。“不少年轻人专门来体验,还会买几张年画带回去当礼物。”工坊负责人介绍。",
        "夜间经济也让古城热了起来。每到周末,古城内举办灯光秀、传统戏曲演出和美食市集,吸引大量市民和游客前来打卡。",
        "数据显示,今年前十个月,聊城古城累计接待游客六百八十多万人次,同比增长百分之三十五,带动周边餐饮、住宿收入明显增长。",
        "为提升游客体验,东昌府区还对古城周边的交通进行了优化,新增停车位一千二百个,开通了连接高铁站和古城的旅游公交专线。",
        "同时,古城管理部门加强了对商户的规范管理,统一了店招店牌,推行明码标价和诚信经营承诺,维护古城的良好形象。",
        "“我们将继续统筹好保护与发展的关系,让古城既留得住历史记忆,又焕发出新的生机活力。”东昌府区相关负责人表示。",
    ],
}

# A series: every item opens with the editor's note and closes with the same line (boilerplate).
SERIES_NOTE = ("编者按:非物质文化遗产是中华优秀传统文化的重要组成部分。即日起,本报推出“聊城非遗故事”系列报道,"
               "走近非遗传承人,讲述他们守护传统技艺的故事。")
SERIES_CLOSING = "欢迎广大读者提供非遗线索,参与非遗故事讲述,报料热线和微信同号,我们将择优刊发。"
SERIES = {  # long items (their own text outweighs the note), then short ones (the note outweighs it)
    "series_paper_cut": ("聊城非遗故事之一:剪纸里的乡愁", [
        "在冠县的一个小院里,七十二岁的剪纸艺人刘桂芝正拿着剪刀在红纸上游走,不一会儿,一幅喜鹊登梅就跃然纸上。",
        "刘桂芝十二岁跟着母亲学剪纸,一剪就是六十年。她的作品多取材于农家生活,赶集、推磨、纺线,件件透着浓浓的乡土气息。",
        "近年来,她走进学校开设剪纸课,已经教出了三百多名学生,其中有十几人能够独立创作。"]),
    "series_woodblock": ("聊城非遗故事之二:木版年画刻出新天地", [
        "东昌府木版年画已有三百多年历史,线条粗犷,色彩浓烈,曾经远销华北各地。",
        "年画传承人张建国把传统门神、灶王的题材和现代设计结合起来,推出书签、冰箱贴等文创产品,很受年轻人欢迎。",
        "今年,他的工作室在网上卖出了两万多件年画文创,传统技艺找到了新的市场。"]),
    "series_dough": ("聊城非遗故事之三:郎庄面塑捏出百态人生", [
        "在茌平区郎庄村,几乎家家户户都会捏面塑。面团在艺人手中揉、搓、捏、挑,很快就变成了栩栩如生的人物和动物。",
        "面塑艺人王秀英介绍,郎庄面塑用料讲究,面要发得恰到好处,颜色全部来自植物和矿物,放上几年都不会开裂。",
        "每逢春节和庙会,村里的面塑总是供不应求,不少外地客商专程上门订货。"]),
    "series_drum": ("聊城非遗故事之四:柳林花鼓敲响丰收年", [
        "柳林花鼓是流传在冠县柳林镇的民间舞蹈,表演时鼓手身背花鼓,边敲边舞,动作刚劲有力。",
        "花鼓队队长赵长海说,队里最年长的队员七十多岁,最小的只有九岁,每周都要集中排练两次。",
        "今年丰收节上,柳林花鼓队的表演赢得了阵阵掌声,视频在网上的播放量超过了一百万次。"]),
    "series_short_kite": ("聊城非遗故事:风筝", ["临清风筝扎制技艺传承人展示新作。"]),
    "series_short_weave": ("聊城非遗故事:草编", ["阳谷草编艺人在农家院里编织提篮。"]),
    "series_short_bell": ("聊城非遗故事:铜铃", ["东阿铜铃铸造工艺在作坊里重现。"]),
}


def series_body(name: str) -> list[str]:
    return [SERIES_NOTE, *SERIES[name][1], SERIES_CLOSING]


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
    found.update({name: tuple(paras) for name, paras in LONG_STORIES.items()})
    found.update({name: tuple(paras) for name, paras in SHORT_STORIES.items()})
    return found


def long_stories() -> dict[str, tuple[str, ...]]:
    """The stories of ten paragraphs or more (what excerpts are cut from)."""
    return {name: paras for name, paras in stories().items() if len(paras) >= 10}


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


def substantive(paras, min_chars: int = 30) -> list[int]:
    """Indexes of the paragraphs that are text, not headings or datelines."""
    return [i for i, p in enumerate(paras) if len(p) >= min_chars]


def excerpt(paras, start: int, count: int) -> list[str]:
    """``count`` consecutive text paragraphs from the ``start``-th one (headings between kept)."""
    text = substantive(paras)
    first, last = text[start % len(text)], text[min(start % len(text) + count, len(text)) - 1]
    return list(paras[first : last + 1])


def lead_only(paras, min_chars: int = 80) -> list[str]:
    """The opening paragraphs an aggregator posts under the headline: up to ``min_chars`` of text."""
    out, size = [], 0
    for p in paras:
        out.append(p)
        size += len(p) if len(p) >= 30 else 0
        if size >= min_chars:
            break
    return out


CAPTIONS = ("图为企业技术人员在生产线上调试设备。", "市民在活动现场参观体验。", "工作人员在田间查看作物长势。")


def caption_cut(paras, seed: int = 0) -> list[str]:
    """An e-paper page: a photo caption cuts the longest paragraph in two, mid-sentence."""
    rng = random.Random(seed)
    i = max(range(len(paras)), key=lambda k: len(paras[k]))
    p = paras[i]
    cut = rng.randrange(len(p) // 3, 2 * len(p) // 3)
    return [*paras[:i], p[:cut], rng.choice(CAPTIONS), p[cut:], *paras[i + 1 :]]


_SYNONYMS = (("近日", "日前"), ("目前", "眼下"), ("进一步", "更加"), ("开展", "进行"), ("加快", "加速"),
             ("推进", "推动"), ("提升", "提高"), ("积极", "主动"), ("据了解", "据悉"), ("今年以来", "年初以来"),
             ("已经", "已"), ("正在", "正"), ("不少", "许多"), ("表示", "介绍"), ("实施", "落实"),
             ("建设", "打造"), ("记者", "笔者"), ("同时", "与此同时"), ("企业", "企业单位"), ("全市", "全市范围内"),
             ("主要", "重点"), ("持续", "不断"), ("发展", "壮大"), ("目标", "方向"), ("群众", "老百姓"))
_OPENERS = ("值得一提的是,", "此外,", "另外,", "据介绍,")
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")


def reword(sentence: str, rng: random.Random) -> str:
    """A reworded sentence: synonyms swapped, two clauses exchanged, a clause dropped, an opener."""
    out = sentence
    for old, new in _SYNONYMS:
        if old in out and rng.random() < 0.8:
            out = out.replace(old, new, 1)
    end = out[len(out.rstrip("。！？!?")):]
    clauses = out.rstrip("。！？!?").split(",")
    if len(clauses) >= 3:
        k = rng.randrange(1, len(clauses) - 1)
        clauses[k], clauses[k + 1] = clauses[k + 1], clauses[k]
        if len(clauses) >= 4:
            del clauses[rng.randrange(1, len(clauses))]
    out = ",".join(clauses) + end
    return rng.choice(_OPENERS) + out if out == sentence or rng.random() < 0.5 else out


def rewrite(paras, seed: int = 0, verbatim: float = 0.6) -> list[str]:
    """A light rewrite: about ``verbatim`` of the sentences kept word for word, the rest reworded."""
    rng = random.Random(seed)
    sentences = [(i, m.group()) for i, p in enumerate(paras) for m in _SENTENCE.finditer(p)]
    changed = set(rng.sample(range(len(sentences)), round(len(sentences) * (1 - verbatim))))
    out = [""] * len(paras)
    for n, (i, sentence) in enumerate(sentences):
        out[i] += reword(sentence, rng) if n in changed else sentence
    return out


def farm_corrupt(text: str, rng: random.Random) -> str:
    """A content farm's phrase-level Traditional conversion (着 written 著, as seed 004's farm did),
    pinyin after some converted characters and some plain ones, spam after a sentence."""
    trad = _S2T.convert(text).replace("着", "著")
    out = []
    for ch, plain in zip(trad, text, strict=True):
        out.append(ch)
        if "\u4e00" <= plain <= "\u9fff" and rng.random() < (0.5 if ch != plain else 0.05):
            out.append(f"({pinyin(plain, style=Style.TONE)[0][0]})")
        if ch == "。" and rng.random() < 0.05:
            out.append("开云体育")
    return "".join(out)


def farm(paras, seed: int = 0) -> list[str]:
    """A farm copy (:func:`farm_corrupt`), normalised as the pipeline does before dedupe."""
    rng = random.Random(seed)
    return _normaliser().paragraphs([farm_corrupt(p, rng) for p in paras])


# --- the pairs ----------------------------------------------------------------------------


def pairs() -> list[Pair]:
    all_stories = stories()
    names = list(all_stories)
    portals = list(CHROME)
    out: list[Pair] = []

    def same(name: str, label: str, a, b, b_title: str | None = None) -> None:
        out.append(Pair(f"{name}: {label}", body(a), body(b), True, TITLES[name],
                        TITLES[name] if b_title is None else b_title, name, name))

    def different(label: str, a, b, a_title: str, b_title: str, a_story: str, b_story: str) -> None:
        out.append(Pair(label, body(a), body(b), False, a_title, b_title, a_story, b_story))

    for n, (name, paras) in enumerate(all_stories.items()):
        portal, other_portal = portals[n % 4], portals[(n + 1) % 4]
        middle = len(paras) // 2
        same(name, "trimmed one paragraph", paras, trim(paras, middle))
        same(name, "trimmed first and last", paras, trim(paras, 0, -1))
        same(name, f"re-chromed ({portal})", paras, rechrome(paras, portal))
        same(name, "mirror copy, normalised", paras, mirror(paras, seed=n))
        same(name, "e-paper layout", paras, epaper(paras, seed=n))
        same(name, "trimmed+re-chromed mirror vs trimmed e-paper",
             mirror(rechrome(trim(paras, 1), other_portal), seed=n + 100), epaper(trim(paras, -2), seed=n + 7))
        same(name, "trimmed mirror vs full e-paper", mirror(trim(paras, middle), seed=n + 200), epaper(paras, seed=n + 9))
        # the forms copies really take (issue 14)
        same(name, "lead-only copy", paras, lead_only(paras))
        same(name, "lead-only copy vs a trimmed copy", trim(paras, -1), rechrome(lead_only(paras), portal))
        same(name, "e-paper copy, a caption cutting a paragraph", paras, caption_cut(paras, seed=n))
        same(name, "light rewrite under another title", paras, rewrite(paras, seed=n), b_title=f"聚焦高质量发展·{n}")
        same(name, "farm copy (phrase-level Traditional + pinyin), normalised", paras, farm(paras, seed=n))

    for n, (name, paras) in enumerate(long_stories().items()):
        two, three = excerpt(paras, 2 + n % 3, 2), excerpt(paras, 5 + n % 2, 3)
        same(name, "excerpt of two paragraphs", paras, two)
        same(name, "excerpt of three paragraphs", paras, three)
        same(name, "excerpt of three paragraphs, re-chromed", rechrome(paras, portals[n % 4]), rechrome(three, portals[(n + 2) % 4]))
        same(name, "farm copy of an excerpt, normalised", paras, farm(two, seed=n + 300))
        same(name, "farm copy of an excerpt vs the excerpt", two, farm(two, seed=n + 400))
        same(name, "e-paper excerpt, a caption cutting a paragraph", paras, caption_cut(three, seed=n))
        same(name, "mirror copy vs an excerpt", mirror(paras, seed=n + 500), excerpt(paras, 1, 2))
        same(name, "lead-only copy vs a farm copy", farm(paras, seed=n + 600), lead_only(paras))
        same(name, "excerpt vs the article's rewrite", rewrite(paras, seed=n + 700, verbatim=0.8), three)

    def title(name: str) -> str:
        return TITLES.get(name) or SERIES[name][0]

    for a, b in combinations(names, 2):
        if a.startswith("seed") == b.startswith("seed"):  # seeds with seeds, the others together
            different(f"{a} vs {b}: different stories", all_stories[a], all_stories[b], title(a), title(b), a, b)

    ring = list(zip(names, names[1:] + names[:1]))
    for a, b in ring:
        pa, pb = all_stories[a], all_stories[b]
        shared = max(pa, key=len)  # the longest paragraph of A, put into B
        different(f"{b} + one paragraph of {a}", pa, with_paragraph(pb, shared, 1), title(a), title(b), a, b)
        different(f"{b} + the lead of {a}, under its title", pa, with_paragraph(pb, lead_only(pa)[-1], 0), title(a),
                  title(a), a, b)
        try:
            quote = quote_of(pa)
        except ValueError:
            continue
        different(f"{b} quoting {a}", pa, with_paragraph(pb, quote, len(pb) // 2), title(a), title(b), a, b)

    for a, b in ring[:5] + ring[5:8]:
        different(f"{a} vs {b}: same footer", [*all_stories[a], *FOOTER], [*all_stories[b], *FOOTER], title(a), title(b),
                  a, b)
    for a, b in ring[:5]:
        different(f"{a} trimmed vs {b} mirror: different stories", trim(all_stories[a], 0),
                  mirror(all_stories[b], seed=3), title(a), title(b), a, b)
    for a, b in ring:  # a brief: one paragraph of A and a lead sentence of its own
        shared = max(all_stories[a], key=len)
        brief = [f"本报讯 近日,{all_stories[b][0][:30]}。", shared]
        different(f"brief quoting one paragraph of {a}", all_stories[a], brief, title(a), f"{title(a)[:6]}简讯", a,
                  f"brief of {a}")
    for a, b in ring:  # the same title over a different body
        different(f"{a} vs {b} under one title: 图片新闻", all_stories[a], all_stories[b], "图片新闻", "图片新闻", a, b)
        different(f"{b} under {a}'s title", all_stories[a], all_stories[b], title(a), title(a), a, b)
    for a, b in combinations(SERIES, 2):  # an editor's note and a closing line shared by a series
        different(f"{a} vs {b}: one series", series_body(a), series_body(b), title(a), title(b), a, b)
    return out


def corpus() -> list[tuple[str, str, str]]:
    """Every text of the labelled set once, as ``(story, title, body)``: each story's original
    first, then its other texts, stories in the order :func:`stories` and ``SERIES`` give them
    (the order an archive would meet them in: articles first, copies later)."""
    texts: dict[str, tuple[str, str]] = {}
    for p in pairs():
        texts.setdefault(p.a, (p.a_story, p.a_title))
        texts.setdefault(p.b, (p.b_story, p.b_title))
    originals = {body(paras) for paras in stories().values()} | {body(series_body(n)) for n in SERIES}
    rank = {name: i for i, name in enumerate([*stories(), *SERIES])}
    ordered = sorted(texts.items(), key=lambda t: (rank.get(t[1][0], len(rank)), t[1][0], t[0] not in originals))
    return [(story, title, text) for text, (story, title) in ordered]
