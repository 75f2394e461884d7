"""Page decoding, template versions, the generic fallback and the parser registry."""

from __future__ import annotations

from datetime import datetime

import pytest

from liaocheng_news.items import Article
from liaocheng_news.parsers import (
    ArticleParser,
    DecodeError,
    NotAnArticle,
    Page,
    TemplateVersion,
    get_parser,
    parser_names,
)
from liaocheng_news.parsers.base import breadcrumb_parts, is_byline_line
from liaocheng_news.parsers.encoding import decode_html, looks_like_mojibake, normalise_charset
from liaocheng_news.text.fields import SHANGHAI

TEXT = "聊城市今年新建改建农村公路三百公里,惠及沿线群众二十余万人,群众出行条件明显改善。高唐县的喆园也已开放。"


def html_doc(charset_meta: str | None, body: str = TEXT) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">' if charset_meta else ""
    return f"<html><head>{meta}<title>测试</title></head><body><p>{body}</p></body></html>"


# --- encoding ---------------------------------------------------------------------------------


def test_gbk_page_with_a_header_claiming_utf8_decodes_right() -> None:
    page = Page("https://www.yybnet.net/x", html_doc("gbk").encode("gbk"), {"Content-Type": "text/html; charset=utf-8"})
    assert TEXT in page.text
    assert page.encoding == "gb18030"


def test_gbk_page_without_any_declaration_decodes_right() -> None:
    page = Page("https://www.yybnet.net/x", html_doc(None).encode("gbk"))
    assert TEXT in page.text


def test_meta_gb2312_with_gbk_only_characters_is_read_as_gb18030() -> None:
    # 喆 is in GBK, not in GB2312: a strict gb2312 decoder would fail on it
    page = Page("https://www.lcxw.cn/x", html_doc("gb2312").encode("gbk"), {"Content-Type": "text/html"})
    assert "喆园" in page.text
    assert normalise_charset("GB2312") == "gb18030"


def test_utf8_page_whose_header_and_meta_say_gbk_decodes_as_utf8() -> None:
    body = html_doc("gbk").encode("utf-8")
    page = Page("https://www.lcxw.cn/x", body, {"content-type": "text/html; charset=GBK"})
    assert TEXT in page.text
    assert page.encoding == "utf-8"


def test_latin1_header_over_a_gbk_page_is_not_believed() -> None:
    page = Page("https://www.lcxw.cn/x", html_doc(None).encode("gbk"), {"Content-Type": "text/html; charset=ISO-8859-1"})
    assert TEXT in page.text


def test_bom_wins() -> None:
    page = Page("https://www.lcxw.cn/x", b"\xef\xbb\xbf" + html_doc("gbk").encode("utf-8"))
    assert TEXT in page.text and not page.text.startswith("\ufeff")


def test_double_encoded_utf8_is_a_decode_error() -> None:
    mojibake = html_doc("utf-8").encode("utf-8").decode("latin-1").encode("utf-8")
    with pytest.raises(DecodeError):
        _ = Page("https://www.lcxw.cn/x", mojibake, {"Content-Type": "text/html; charset=utf-8"}).text


def test_utf8_text_stored_after_a_gbk_misreading_is_a_decode_error() -> None:
    # what a broken mirror serves: UTF-8 bytes read as GBK, then saved as UTF-8 (浠婃棩鑱婂煄…)
    garbled = TEXT.encode("utf-8").decode("gb18030", errors="replace") * 2
    assert looks_like_mojibake(garbled)
    with pytest.raises(DecodeError):
        _ = Page("https://www.lcxw.cn/x", html_doc("utf-8", garbled).encode("utf-8")).text


def test_random_bytes_are_a_decode_error_and_parse_raises_it() -> None:
    noise = bytes((i * 37 + 11) % 256 for i in range(4000))
    page = Page("https://www.lcxw.cn/yaowen/shehui/20260122/151679.html", b"<html><body>" + noise + b"</body></html>")
    with pytest.raises(DecodeError):
        get_parser("lcxw").parse(page)


def test_one_truncated_character_in_a_long_page_is_tolerated() -> None:
    body = html_doc("gbk", TEXT * 20).encode("gbk")
    body = body.replace("</p>".encode(), b"\xb8</p>", 1)  # a lead byte with no trail byte
    text, codec = decode_html(body, "text/html")
    assert codec == "gb18030" and TEXT in text and text.count("\ufffd") == 1


@pytest.mark.parametrize(("text", "encoding", "codec"), [
    *((text, "big5", "big5hkscs") for text in ("臺北市政府今日宣布新措施", "聊城市新建農村公路", "新聞", "颱風來襲 學校停課一天")),
    *((text, "gbk", "gb18030") for text in ("聊城市政府今日宣布新措施", "聊城市新建农村公路", "新闻", "台风来袭 学校停课一天")),
])
def test_a_short_undeclared_page_decodes_as_big5_or_gbk_whichever_it_is(text: str, encoding: str, codec: str) -> None:
    # Big5 bytes also decode without error as GB18030 (into 籓カ現┎さら…), and GBK bytes as Big5
    page = Page("https://example.org/x", f"<html><body><p>{text}</p></body></html>".encode(encoding))
    assert text in page.text
    assert page.encoding == codec


def test_a_declared_charset_is_not_second_guessed_on_a_short_page() -> None:
    html = '<html><head><meta charset="big5"></head><body><p>臺北市政府今日宣布新措施</p></body></html>'
    page = Page("https://example.org/x", html.encode("big5"))
    assert "臺北市政府今日宣布新措施" in page.text and page.encoding == "big5hkscs"


def test_real_text_is_not_mojibake() -> None:
    assert not looks_like_mojibake(TEXT * 3)
    assert not looks_like_mojibake("發(fā)展產(chǎn)業(yè)鏈,聊城市傳統(tǒng)產(chǎn)業(yè)產(chǎn)值占比70%,擁有31個製造業(yè)大類")


# --- template versions, fallback, NotAnArticle --------------------------------------------------

LCXW_URL = "https://www.lcxw.cn/yaowen/shehui/20260302/160001.html"
PARAGRAPHS = [f"第{i}段:聊城市今年新建改建农村公路三百公里,惠及沿线群众二十余万人,群众出行条件明显改善。" for i in range(1, 5)]


def redesigned_page() -> bytes:
    """An lcxw article in a template none of the parser's versions knows."""
    body = "".join(f"<p>\u3000\u3000{p}</p>" for p in PARAGRAPHS)
    return f"""<html><head><meta charset="utf-8"><title>聊城农村公路建设提速_聊城新闻网</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/yaowen/">要闻</a> <a href="/xianyu/">县域</a></div>
<div class="location">您的位置:首页&gt;要闻 &gt; 社会 &gt;</div>
<div class="news-detail"><h2 class="headline">聊城农村公路建设提速</h2>
<div class="meta">来源:新聊城客户端  2026-03-02 09:10:00</div>
<section class="txt">{body}<p>编辑:李明</p><p>审核:刘 飞</p></section>
<div class="related"><h3>相关推荐</h3><ul><li><a href="/a.html">另一条新闻的标题</a></li></ul></div></div>
<div class="footer">聊城新闻网 2006-2026 版权所有</div></body></html>""".encode()


def test_changed_template_falls_back_to_the_generic_extractor() -> None:
    article = get_parser("lcxw").parse(Page(LCXW_URL, redesigned_page(), {"Content-Type": "text/html; charset=utf-8"}))
    assert article.extraction == "fallback"
    assert article.title == "聊城农村公路建设提速"
    assert article.body == PARAGRAPHS
    assert article.published_at == datetime(2026, 3, 2, 9, 10, tzinfo=SHANGHAI)
    assert article.source == "新聊城客户端"
    assert (article.editor, article.reviewer) == ("李明", "刘飞")
    assert article.channel == "要闻/社会"
    assert article.portal == "lcxw" and article.url == LCXW_URL


def test_known_template_is_portal_extraction() -> None:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = f"""<html><body><div class="article"><h1 class="article-title">标题</h1>
<div class="article-info">来源:新聊城客户端 2026-03-02 09:10:00</div><div id="articleContent">{body}</div></div></body></html>"""
    article = get_parser("lcxw").parse(Page(LCXW_URL, html.encode()))
    assert article.extraction == "portal" and article.body == PARAGRAPHS


def test_list_page_is_not_an_article() -> None:
    html = """<html><head><meta charset="utf-8"></head><body><div id="newsList"><ul>
<li><a href="/yaowen/shehui/20260122/151679.html">我市启动2026年“春风行动”暨就业援助月活动</a></li>
<li><a href="/yaowen/shehui/20260121/151402.html">东昌府区:“暖冬行动”为环卫工人送温暖</a></li></ul></div></body></html>"""
    with pytest.raises(NotAnArticle):
        get_parser("lcxw").parse(Page("https://www.lcxw.cn/yaowen/shehui/index.html", html.encode()))


def test_empty_article_shell_is_not_an_article() -> None:
    html = '<html><body><div class="nav"><a href="/">首页</a></div><p>页面不存在或已删除</p></body></html>'
    with pytest.raises(NotAnArticle):
        get_parser("yybnet").parse(Page("https://www.yybnet.net/liaocheng/news/202110/11551327.html", html.encode()))


def test_error_status_is_not_an_article() -> None:
    with pytest.raises(NotAnArticle):
        get_parser("lcxw").parse(Page(LCXW_URL, redesigned_page(), status=404))


def test_versions_are_tried_in_order_and_the_first_fit_wins() -> None:
    class Newer(TemplateVersion):
        name = "newer"
        title = ("h1.new",)
        body = ("div.new-body",)

    class Older(TemplateVersion):
        name = "older"
        title = ("h1",)
        body = ("div.body",)

    class Demo(ArticleParser):
        portal = "demo"
        versions = (Newer(), Older())

    old = "<html><body><h1>旧版标题</h1><div class='body'><p>旧版正文第一段。</p></div></body></html>"
    new = "<html><body><h1 class='new'>新版标题</h1><div class='new-body'><p>新版正文。</p></div><div class='body'><p>x</p></div></body></html>"
    assert Demo().parse(Page("https://example.org/a", old.encode())).title == "旧版标题"
    article = Demo().parse(Page("https://example.org/a", new.encode()))
    assert (article.title, article.body) == ("新版标题", ["新版正文。"])
    assert isinstance(article, Article)


def test_br_separates_paragraphs_and_chrome_is_removed() -> None:
    html = """<html><body><h1>标题</h1><div class="body">
<p>第一段。<br>第二段。<br/><br/>第三段。</p><script>var a = "不是正文";</script>
<div class="share">分享到:</div><p>A+A-</p><p>猜你喜欢:</p><p>推荐的别的新闻</p></div></body></html>"""

    class Only(TemplateVersion):
        body = ("div.body",)

    class Demo(ArticleParser):
        portal = "demo"
        versions = (Only(),)

    assert Demo().parse(Page("https://example.org/a", html.encode())).body == ["第一段。", "第二段。", "第三段。"]


# --- helpers and the registry -------------------------------------------------------------------


def test_breadcrumb_parts() -> None:
    assert breadcrumb_parts("您的位置:首页>要闻 > 社会 >") == ["要闻", "社会"]
    assert breadcrumb_parts("地方网 > 山东 > 聊城市 > 今日临清 > 正文") == ["地方网", "山东", "聊城市", "今日临清"]


def test_byline_lines_are_told_from_prose() -> None:
    assert is_byline_line("■本报记者 苑莘")
    assert is_byline_line("文/记者 夏旭光 韩庆阳 图/资料图")
    assert is_byline_line("(记者 王琳)")
    assert not is_byline_line("记者了解到,今年以来全市新建改建农村公路300公里。")
    assert not is_byline_line("当中通客车氢燃料客车驶入冬奥会赛区时")


def test_registry_maps_module_names_to_parsers() -> None:
    assert {"lcxw", "yybnet"} <= set(parser_names())
    for name in ("lcxw", "yybnet"):
        parser = get_parser(name)
        assert isinstance(parser, ArticleParser) and parser.portal == name
    with pytest.raises(KeyError):
        get_parser("base")
    with pytest.raises(KeyError):
        get_parser("no_such_portal")


def test_the_rare_hanzi_class_says_what_common_hanzi_says_of_every_hanzi():
    from liaocheng_news.parsers import encoding

    rare = encoding._rare_hanzi()
    for cp in range(0x4E00, 0xA000):  # built from the stored everyday hanzi; checked code point by code point
        assert (rare.fullmatch(chr(cp)) is None) == encoding._common_hanzi(chr(cp)), hex(cp)
    assert rare.fullmatch("的") is None and rare.fullmatch("丟") is None and rare.fullmatch("a") is None


def test_the_stored_everyday_hanzi_are_what_the_codecs_give():
    from liaocheng_news.parsers import encoding
    from liaocheng_news.parsers._hanzi_table import COMMON_HANZI

    assert COMMON_HANZI == encoding.everyday_hanzi_from_codecs()  # else regenerate the module from it


def _by_the_definition(text: str) -> tuple[bool, float]:
    """looks_like_mojibake and reading_score as their docstrings define them, character by character."""
    from liaocheng_news.parsers import encoding

    def chars(ranges):
        return frozenset(chr(cp) for low, high in ranges for cp in range(low, high + 1))

    noisy, odd_ones = chars(encoding._NOISE_RANGES), chars(encoding._ODD_RANGES)
    noise = sum(c in noisy for c in text)
    odd = sum(c in odd_ones for c in text)
    hanzi = [c for c in text if 0x4E00 <= ord(c) <= 0x9FFF]
    common = [encoding._common_hanzi(c) for c in hanzi]
    first = common[:3000]
    mojibake = noise > max(8, len(hanzi)) or (len(hanzi) >= 20 and sum(first) / len(first) < 0.7)
    return mojibake, sum(common) / max(1, len(hanzi) + odd)


def _decodings() -> list[str]:
    """Every fixture and real page, read right and read wrong (each byte string decoded
    by every codec the decoder tries that takes it, and double-encoded; their first 6,000
    characters, all of them for the first pages), and a few made-up texts."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = sorted([*root.glob("tests/fixtures/*/*.html"), *Path("/work/shared/realpages/pages").glob("*.html")])
    texts = [TEXT, TEXT * 200, "", "ascii only", "é" * 9 + TEXT[:8], "Ã¤Â¸Â­" * 40 + TEXT * 2]
    for n, path in enumerate(files):
        body = path.read_bytes()
        read = []
        for codec in ("utf-8", "gb18030", "big5hkscs", "cp1252", "latin-1"):
            try:
                read.append(body.decode(codec))
            except UnicodeDecodeError:
                continue
        read.append(body.decode("latin-1").encode("utf-8").decode("utf-8"))  # double-encoded
        texts.extend(read if n < 5 else [text[:6000] for text in read])
    return texts


def test_the_mojibake_check_and_reading_score_count_as_defined():
    from liaocheng_news.parsers.encoding import reading_score

    texts = _decodings()
    assert len(texts) > 100
    verdicts = [looks_like_mojibake(t) for t in texts]
    assert 10 < sum(verdicts) < len(texts) - 10  # both answers are exercised
    for text, verdict in zip(texts, verdicts, strict=True):
        mojibake, score = _by_the_definition(text)
        assert verdict == mojibake and reading_score(text) == pytest.approx(score, abs=1e-12), text[:80]
