"""The script normaliser on every form of shared/normalisation.md, the seeds and the page debris."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from liaocheng_news.items import Article, Image
from liaocheng_news.text.normalise import COUNT_KEYS, DEFAULT_SPAM_PHRASES, Normaliser
from liaocheng_news.text.pinyin import readings, reads
from liaocheng_news.text.script import TRADITIONAL_CHARS, has_traditional, to_simplified
from liaocheng_news.text.t2s import opencc_t2s

SEEDS = Path(__file__).resolve().parents[2] / "liaocheng_news" / "seeds"
N = Normaliser()


def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(prefix + "_*.txt")
    return path.read_text(encoding="utf-8")


# Characters t2s changes on their own (not only inside a phrase, as 沈 in 沈默): none may remain.
TRADITIONAL_ONLY = frozenset(c for c in TRADITIONAL_CHARS if opencc_t2s(c) != c)
OPEN, CLOSE = "(（[［【《{｛〔〈", ")）]］】》}｝〕〉"
TONE_MARKED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
PINYIN_LEFT = re.compile(
    f"[{re.escape(OPEN)}](?:[^{re.escape(OPEN + CLOSE)}]*[{TONE_MARKED}]|[a-zü' ]+[{re.escape(CLOSE)}]"
    r"|\s*(?:拼音|pinyin|繁体|繁體|繁)\s*[:：])"
)


# --- the forms of normalisation.md ----------------------------------------------------------


@pytest.mark.parametrize(
    ("mirror", "archive"),
    [
        # Traditional, pinyin after each converted character
        ("產(chǎn)業(yè)鏈(liàn)", "产业链"),
        ("產（chǎn）業（yè）", "产业"),  # full-width brackets
        ("數(shù)字報", "数字报"),
        # Simplified, pinyin after words, sometimes doubled
        ("感慨(gǎnkǎi)", "感慨"),
        ("的(de)(de)", "的"),
        ("客车(kèchē)(kèchē)", "客车"),
        ("客车(kèchē)（kèchē）", "客车"),
        ("民间投资(tóuzī)同比增长", "民间投资同比增长"),
        ("东阿县(dōngēxiàn)专攻", "东阿县专攻"),  # syllables run together, ē
        ("碳交易额(jiāoyìé)7.43亿元", "碳交易额7.43亿元"),
        ("绿色(lǜsè)功能铝", "绿色功能铝"),  # ü with a tone mark
        ("绿色(lvse)", "绿色"),  # ü written v, no tone marks
        ("绿色(lüse)", "绿色"),
        ("东阿(dōng'ē)", "东阿"),  # apostrophe between syllables
        ("感慨(gǎn kǎi)", "感慨"),  # space between syllables
        ("感慨 (gǎnkǎi)", "感慨"),  # space before the bracket
        ("强磁场(qiángcíchǎng)", "强磁场"),
        ("三提三敢(tísāngǎn)", "三提三敢"),  # reads the last three characters
        # neutral tone, no tone mark
        ("活跃(huóyuè)着(zhe)", "活跃着"),
        ("他們(men)", "他们"),
        # tagged pinyin
        ("城(拼音:chéng)", "城"),
        ("冀[拼音:jì]", "冀"),
        ("公《pinyin:gōng》", "公"),
        ("年《nián》", "年"),
        ("城（拼音：chéng）", "城"),
        # tagged Traditional form
        ("积《繁:積》", "积"),
        ("称{繁体:稱}", "称"),
        ("类【繁体:類】", "类"),
        # plain Traditional
        ("發展", "发展"),
        ("聊城實施製造業強市戰略", "聊城实施制造业强市战略"),
        # everything at once
        ("產(chǎn)業(yè)積《繁:積》累(lěi)的(de)(de)發(fā)展", "产业积累的发展"),
    ],
)
def test_annotation_forms(mirror: str, archive: str) -> None:
    assert N.text(mirror) == archive


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("30亩(1亩约合666.7平方米)", "30亩(1亩约合666.7平方米)"),
        ("迪之星(聊城)孵化基地", "迪之星(聊城)孵化基地"),
        ("眾鑫精密機械(山東)有限公司", "众鑫精密机械(山东)有限公司"),
        ("税收收入(县级)累计完成", "税收收入(县级)累计完成"),
        ("生物醫藥(阿膠+)", "生物医药(阿胶+)"),
        ("生物醫(yī)藥(阿膠+)", "生物医药(阿胶+)"),
        ("重點縣(市、區(qū))", "重点县(市、区)"),
        ("人工智能(AI)", "人工智能(AI)"),
        ("国内生产总值(GDP)", "国内生产总值(GDP)"),
        ("聊城大学(Liaocheng University)", "聊城大学(Liaocheng University)"),
        ("聊城大学(liaocheng university)", "聊城大学(liaocheng university)"),
        ("许可证(鲁)字第720号", "许可证(鲁)字第720号"),
        ("聊城(Liaocheng)", "聊城(Liaocheng)"),  # a capitalised name is not an annotation
        ("聊城(tóuzī)", "聊城(tóuzī)"),  # pinyin that does not read what precedes it
        ("(de)开头", "(de)开头"),  # nothing before it to read
        ("3C(sān)", "3C(sān)"),  # only Han characters are read
        ("《人世间》让人思考", "《人世间》让人思考"),
        ("文件《繁体字整理》", "文件《繁体字整理》"),  # 繁体 without the tag colon is a title
        ("发表在《nature》上", "发表在《nature》上"),
    ],
)
def test_legitimate_parentheticals_stay(text: str, kept: str) -> None:
    assert N.text(text) == kept


def test_reading_is_checked_against_every_reading_and_the_simplified_form() -> None:
    assert reads("hé", "三和")  # 和 hé / hè / huó …
    assert reads("huò", "和")
    assert reads("qū", "區")  # Traditional character, read as 区
    assert reads("ē", "东阿")  # 阿 ā / ē
    assert not reads("ā", "东")
    assert not reads("Liáo", "聊")  # a capitalised word is a name, not an annotation
    assert not reads("tóuzī", "资")  # a word reading needs all its characters


# --- spam, whitespace, counts ---------------------------------------------------------------


def test_spam_phrases_are_removed_and_the_list_extends() -> None:
    assert {"开云体育", "澳门博彩"} <= set(DEFAULT_SPAM_PHRASES)
    counts: Counter[str] = Counter()
    assert N.text("聊城开云体育新闻 澳门博彩", counts) == "聊城新闻"
    assert counts["spam_removed"] == 2
    assert N.text("開雲體育聊城") == "聊城"  # Traditional spam is caught after conversion
    assert N.text("澳门闽建集团达成合作") == "澳门闽建集团达成合作"  # a place name is not spam
    extended = Normaliser(extra_spam_phrases=["某某娱乐城", "  ", "賭場推薦"])
    assert extended.text("某某娱乐城聊城赌场推荐新闻") == "聊城新闻"
    assert N.text("某某娱乐城聊城") == "某某娱乐城聊城"


def test_spam_removal_that_uncovers_an_annotation_still_converges() -> None:
    assert N.text("积开云体育(jī)累") == "积累"
    assert N.text("开云开云体育体育聊城") == "聊城"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\u3000\u3000聊城\xa0\xa0新闻  ", "聊城 新闻"),
        ("聊\u200b城\ufeff", "聊城"),
        ("a\t\tb\r\nc", "a b c"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_whitespace(raw: str, clean: str) -> None:
    assert N.text(raw) == clean


def test_counts_are_recorded() -> None:
    counts: Counter[str] = Counter()
    N.text("產(chǎn)業(yè)的(de)(de)發展", counts)
    assert counts == {"converted_from_traditional": 3, "annotations_removed": 4}


def test_clean_simplified_text_is_returned_untouched() -> None:
    text = seed("000").splitlines()[14]
    assert not has_traditional(text)
    counts: Counter[str] = Counter()
    assert N.text(text, counts) is text
    assert not counts


def test_pypinyin_is_asked_once_per_character(monkeypatch: pytest.MonkeyPatch) -> None:
    import pypinyin

    asked: list[str] = []
    real = pypinyin.pinyin

    def counting(text, *args, **kwargs):
        asked.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(pypinyin, "pinyin", counting)
    readings.cache_clear()
    first = readings("產")
    assert asked == ["產", "产"]  # the character and its Simplified form
    assert readings("產") == first and "chan" in first
    assert asked == ["產", "产"]


def test_conversion_skip_matches_opencc() -> None:
    for prefix in ("000", "001", "002", "003", "004"):
        text = seed(prefix)
        assert to_simplified(text)[0] == opencc_t2s(text)
    assert to_simplified("反覆沈默")[0] == opencc_t2s("反覆沈默") == "反复沉默"  # phrase-only conversions


# --- bodies ---------------------------------------------------------------------------------


def test_print_layout_breaks_are_joined_and_real_boundaries_kept() -> None:
    lines = [line for line in seed("003").splitlines()]
    counts: Counter[str] = Counter()
    body = N.paragraphs(lines, counts=counts)
    assert any(p.startswith("围绕营造诚实守信的人文环境,高新区倡树") for p in body)
    assert any("强化与高校、科研院所等进行产学研一体化合作" in p for p in body)
    assert counts["paragraphs_joined"] == 2
    for heading in ("产业发展提质增效", "科技创新做精做深", "发展环境向好向上", "记者 唐学钰", "通讯员 梁明波"):
        assert heading in body
    # a caption between the halves of a cut sentence is not glued to the first half
    assert any(p.endswith("于今年2月入驻启") for p in body)
    assert "山东鲁芯之光半导体制造有限公司技术工人调试新上生产线设备。" in body
    assert counts["empty_paragraphs_dropped"] > 0
    assert "" not in body


def test_a_sentence_cut_at_a_column_end_is_joined_once_its_caption_is_gone() -> None:
    """The e-paper parser moves captions to images; the two halves of the sentence then meet."""
    first = "聊城市四维自动化科技有限公司是高新区一家自动化系统集成与开发企业,于今年2月入驻启"
    rest = "迪之星(聊城)孵化基地。受近期疫情影响,企业业务量急剧下降。孵化基地在了解情况后,将企业需求提交到孵化基地“足迹”系统。"
    counts: Counter[str] = Counter()
    assert N.paragraphs([first, rest], counts=counts) == [first + rest]
    assert counts["paragraphs_joined"] == 1
    # with the caption still between them, nothing is glued to the caption
    caption = "山东鲁芯之光半导体制造有限公司技术工人调试新上生产线设备。"
    assert N.paragraphs([first, caption, rest]) == [first, caption, rest]


def test_headings_and_short_lines_are_not_joined() -> None:
    body = N.paragraphs(["传统产业迈向高端", "还是原来的人员，还是原来的厂房。", "采访手记", "发展新质生产力要“喜新不厭舊”"])
    assert body == ["传统产业迈向高端", "还是原来的人员，还是原来的厂房。", "采访手记", "发展新质生产力要“喜新不厌旧”"]


def test_title_repeats_and_inner_newlines() -> None:
    title = "逐绿向新、链上发力,聊城高质量发展“提级换挡”——江北水城“焕新”记"
    counts: Counter[str] = Counter()
    body = N.paragraphs(
        [title, "第一段。\n\n第二段。", f" {title} ", "\u3000\u3000", "第三段(dì sān duàn)。"], title=title, counts=counts
    )
    assert body == ["第一段。", "第二段。", "第三段。"]
    assert counts == {"title_repeats_removed": 2, "empty_paragraphs_dropped": 2, "annotations_removed": 1}


# --- the mirror seeds -----------------------------------------------------------------------

SEED_PARENTHETICALS = {
    "001": ["众鑫精密机械(山东)有限公司", "开发区博远(山东)新能源", "许可证(鲁)字第720号"],
    "002": [],
    "004": [
        "重点县(市、区)工作情况",
        "东阿县生物医药(阿胶+)产业链",
        "“1+4+12+7”工作架构(1个产业链链长制工作办公室,下设4个工作组、12个产业链链长制工作推进组及7个要素保障组)",
    ],
}
SEED_PHRASES = {
    "001": ["在高唐县赵寨子镇精密机械装备产业园内", "新质生产力,起点是“新”,关键在“质”,落脚于“生产力”。", "编辑:李明"],
    "002": ["很多人禁不住感慨:这是一座“低调”且被“低估”的城市。", "东阿县专攻滚动体生产,是亚洲最大钢球生产基地", "中通客车出口智利"],
    "004": ["聊城实施制造业强市战略", "来源:高新院 achie.org 日期:2022-08-10 点击:次", "该项目位于莘县鲁西中昊食品产业园"],
}


@pytest.mark.parametrize("prefix", ["001", "002", "004"])
def test_mirror_seeds_come_out_clean(prefix: str) -> None:
    raw = seed(prefix)
    counts: Counter[str] = Counter()
    body = N.paragraphs(raw.splitlines(), counts=counts)
    text = "\n".join(body)
    assert not TRADITIONAL_ONLY & set(text), sorted(TRADITIONAL_ONLY & set(text))
    assert PINYIN_LEFT.search(text) is None, PINYIN_LEFT.search(text)
    for kept in SEED_PARENTHETICALS[prefix]:
        assert kept in text
    for phrase in SEED_PHRASES[prefix]:
        assert phrase in text
    # every bracket the seed holds is either removed as an annotation or kept whole
    raw_brackets = len(re.findall(f"[{re.escape(OPEN)}]", raw))
    kept_brackets = len(re.findall(f"[{re.escape(OPEN)}]", text))
    assert raw_brackets == kept_brackets + counts["annotations_removed"]
    assert counts["annotations_removed"] > 50
    assert N.paragraphs(body) == body  # idempotent on a whole body


def test_pinyin_left_regex_would_see_annotations() -> None:
    # the check above is only worth something if it catches what it looks for
    for leftover in ("产(chǎn)", "的(de)", "城(拼音:chéng)", "积《繁:積》", "感慨（gǎnkǎi）"):
        assert PINYIN_LEFT.search(leftover)
    for fine in ("(AI)", "(山东)", "(Liaocheng University)", "(1亩约合666.7平方米)"):
        assert PINYIN_LEFT.search(fine) is None


# --- whole articles -------------------------------------------------------------------------


def test_article_normalises_every_text_field() -> None:
    article = Article(
        url="https://example.invalid/a",
        portal="lcxw",
        channel="要聞",
        title="產(chǎn)業(yè)鏈挺起製造脊梁",
        subtitle="  ",
        body=["產(chǎn)業(yè)鏈挺起製造脊梁", "聊城緊緊圍繞省“十強(qiáng)”產業", "", "開云體育"],
        images=[Image(url="https://example.invalid/1.jpg", caption="高新區(qū)科技創新\u3000中心")],
        source="高新院",
        authors=["夏旭光", " 韓慶陽 ", ""],
        editor="李 明",
        reviewer="劉 飛",
        page_name="產業規劃",
    )
    out = N.article(article)
    assert out is article
    assert out.title == "产业链挺起制造脊梁"
    assert out.subtitle is None
    assert out.body == ["聊城紧紧围绕省“十强”产业"]
    assert out.images[0].caption == "高新区科技创新 中心"
    assert out.authors == ["夏旭光", "韩庆阳"]
    assert (out.editor, out.reviewer) == ("李明", "刘飞")
    assert (out.channel, out.page_name, out.source) == ("要闻", "产业规划", "高新院")
    assert set(out.normalisation) == set(COUNT_KEYS)
    assert out.normalisation["title_repeats_removed"] == 1
    assert out.normalisation["spam_removed"] == 1
    assert out.normalisation["empty_paragraphs_dropped"] == 2
    assert out.normalisation["annotations_removed"] == 6  # title 2, repeated title 2, 强, 区
    assert out.normalisation["converted_from_traditional"] > 10
    assert out.normalisation["paragraphs_joined"] == 0
    # a second pass changes nothing and adds nothing to the record
    record = dict(out.normalisation)
    assert N.article(out).normalisation == record
    assert out.body == ["聊城紧紧围绕省“十强”产业"]


def test_clean_article_records_zeros() -> None:
    article = N.article(Article(url="u", portal="lcxw", title="动能转换聚起发展新优势", body=["黄河岸边，秋风送爽。"]))
    assert article.normalisation == dict.fromkeys(COUNT_KEYS, 0)
    assert article.body == ["黄河岸边，秋风送爽。"]
