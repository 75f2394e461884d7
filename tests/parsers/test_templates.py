"""Portal templates on the variants real pages of their CMS family show, and the checks that keep
a template from making a page worse.

The pages below are small reconstructions of shapes seen on real pages (shared/realpages, named
per test): TRS and Hanweb government pages, TRS news pages, Founder e-papers.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from liaocheng_news.parsers import ArticleParser, Page, TemplateVersion, get_parser, parser_names
from liaocheng_news.text.fields import SHANGHAI

PROSE = [
    "近日,阳谷县政务服务中心企业开办专区推出“一窗受理、并联审批”服务,企业设立登记、公章刻制、发票申领等事项一次提交、半天办结。",
    "今年以来,该县新登记市场主体3216户,同比增长12.4%,其中企业1024户,个体工商户2192户。",
]
BODY_HTML = "".join(f"<p>{p}</p>" for p in PROSE)


def page(url: str, html: str) -> Page:
    return Page(url, html.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


# --- liaocheng_gov: TRS / Hanweb government pages ----------------------------------------------

GOV_URL = "http://www.liaocheng.gov.cn/xwzx/xqdt/202403/t20240327_4412561.html"


def test_gov_template_reads_a_lower_case_zoom_body_and_an_h2_headline_beside_an_h1_logo() -> None:
    # 吉林 信息公开 and 浙江发改委 pages: id="zoom"; 山西/松花江网: <h1> logo, <h2> headline;
    # every real government page: the guideline's ArticleTitle/PubDate/ContentSource meta tags
    html = f"""<html><head><meta charset="utf-8"><title>阳谷县:“一窗受理”让企业开办半天办结_聊城市人民政府</title>
<meta name="ArticleTitle" content="阳谷县:“一窗受理”让企业开办半天办结">
<meta name="PubDate" content="2024-03-27 09:30"><meta name="ContentSource" content="阳谷县人民政府">
<meta name="ColumnName" content="县区动态"></head><body>
<h1>聊城市人民政府</h1><h2>阳谷县:“一窗受理”让企业开办半天办结</h2>
<div id="zoom"><div class="TRS_Editor">{BODY_HTML}</div></div>
<div class="footer">主办：聊城市人民政府办公室</div></body></html>"""
    article = get_parser("liaocheng_gov").parse(page(GOV_URL, html))
    assert article.template == "liaocheng_gov/trs" and article.extraction == "portal"
    assert article.title == "阳谷县:“一窗受理”让企业开办半天办结"
    assert article.body == PROSE
    # the template has no info line here, only the URL's day: the reader makes the date precise
    # from PubDate and fills the source from ContentSource, and says so
    assert article.published_at == datetime(2024, 3, 27, 9, 30, tzinfo=SHANGHAI)
    assert article.source == "阳谷县人民政府"
    assert {"filled/time", "filled/source"} <= set(article.extraction_checks)


def test_gov_template_skips_the_information_table_before_the_headline_in_the_body() -> None:
    # 吉林 信息公开: #zoom holds the 索引号/发文机关 table, then the headline broken by <br>
    html = f"""<html><head><meta charset="utf-8"><title>聊城市人民政府关于做好春季农业生产的通知</title>
<meta name="ArticleTitle" content="聊城市人民政府关于做好春季农业生产的通知"></head><body>
<div id="zoom"><table><tr><td>索 引 号：</td><td>11371500004/2024-00101</td></tr>
<tr><td>发文机关：</td><td>聊城市人民政府</td></tr><tr><td>标 题：</td><td>聊城市人民政府关于做好春季农业生产的通知</td></tr></table>
<div class="title">聊城市人民政府<br>关于做好春季农业生产的通知</div>{BODY_HTML}</div></body></html>"""
    article = get_parser("liaocheng_gov").parse(page(GOV_URL, html))
    assert article.template == "liaocheng_gov/trs"
    assert article.body == PROSE


# --- dzwww_liaocheng: TRS news pages -------------------------------------------------------------

DZWWW_URL = "https://liaocheng.dzwww.com/hailiao/202401/t20240126_9746270.htm"


def test_dzwww_template_never_takes_a_breadcrumb_h2_for_the_headline() -> None:
    # 长江网 (TRS): <h2>您的当前位置：…</h2> before the <h1> headline
    html = f"""<html><head><meta charset="utf-8"><title>聊城:年味渐浓 古城里的年货大集热起来_大众网·聊城</title></head><body>
<h2>您的当前位置：首页 &gt; 海聊</h2><h1 class="art-title">聊城:年味渐浓 古城里的年货大集热起来</h1>
<div class="info">2024-01-26 09:40 来源：大众网·海报新闻</div>
<div class="TRS_Editor">{BODY_HTML}</div></body></html>"""
    article = get_parser("dzwww_liaocheng").parse(page(DZWWW_URL, html))
    assert article.template == "dzwww_liaocheng/layout"
    assert article.title == "聊城:年味渐浓 古城里的年货大集热起来"
    assert "title_not_in_head" not in article.extraction_checks
    assert article.published_at == datetime(2024, 1, 26, 9, 40, tzinfo=SHANGHAI)
    assert article.source == "大众网·海报新闻"


def test_a_page_without_the_templates_anchors_goes_to_the_reader() -> None:
    html = f"""<html><head><meta charset="utf-8"><title>聊城:年味渐浓 古城里的年货大集热起来_大众网·聊城</title></head><body>
<h2>您的当前位置：首页 &gt; 海聊</h2><div class="article"><h1>聊城:年味渐浓 古城里的年货大集热起来</h1>
<p class="meta">2024-01-26 09:40 来源：大众网·海报新闻</p><div class="text">{BODY_HTML}</div></div></body></html>"""
    article = get_parser("dzwww_liaocheng").parse(page(DZWWW_URL, html))
    assert (article.extraction, article.template) == ("fallback", "generic")
    assert article.title == "聊城:年味渐浓 古城里的年货大集热起来" and article.body == PROSE


# --- lcrb: Founder e-papers ------------------------------------------------------------------------

LCRB_URL = "http://lcrb.lcxw.cn/paper/pc/content/content_47876.html"


def test_founder_template_reads_an_empty_h1_an_h2_headline_and_the_enpproperty_date() -> None:
    # 西藏日报: <h2 id="Title" class="art-title">, body in <founder-content>, date in the comment
    html = f"""<html><head><meta charset="utf-8"><title>全市一季度重点项目集中开工</title></head><body>
<div class="article"><h1></h1><h2 id="Title" class="art-title">全市一季度重点项目集中开工</h2>
<div id="ozoom"><founder-content><!--enpcontent-->{BODY_HTML}<!--/enpcontent--></founder-content>
<!--enpproperty <articleid>47876</articleid><date>2024-03-29 00:00:00:0</date><author></author>
<title>全市一季度重点项目集中开工</title><founder-pagenum>1</founder-pagenum>/enpproperty--></div></div>
</body></html>"""
    article = get_parser("lcrb").parse(page(LCRB_URL, html))
    assert article.template == "lcrb/founder-pc"
    assert article.title == "全市一季度重点项目集中开工"
    assert article.published_at == datetime(2024, 3, 29, tzinfo=SHANGHAI)
    assert article.body == PROSE and (article.edition, article.page_no) == ("聊城日报", "1")


def test_founder_template_reads_the_older_mpproperty_comment_and_a_title_table_in_h1() -> None:
    # 河南商报: <h1> holds a table of title and subtitle; the comment is <!--mpproperty …-->
    html = f"""<html><head><meta charset="utf-8"><title>全市一季度重点项目集中开工--聊城日报</title></head><body>
<h1><table><tr><td class="font01">全市一季度重点项目集中开工</td></tr>
<tr><td class="font02">总投资超过六百亿元</td></tr></table></h1>
<div id="ozoom"><!--enpcontent-->{BODY_HTML}<!--/enpcontent--></div></body></html>
<!--mpproperty <founder-date>
2024-03-29
</founder-date><founder-title>全市一季度重点项目集中开工
</founder-title><founder-subtitle>总投资超过六百亿元</founder-subtitle><founder-pagenum>A01</founder-pagenum> /mpproperty-->"""
    article = get_parser("lcrb").parse(page(LCRB_URL, html))
    assert article.template == "lcrb/founder-pc"
    assert (article.title, article.subtitle) == ("全市一季度重点项目集中开工", "总投资超过六百亿元")
    assert article.published_at == datetime(2024, 3, 29, tzinfo=SHANGHAI)
    assert article.body == PROSE and article.page_no == "A01"


# --- the checks --------------------------------------------------------------------------------------


class _Loose(TemplateVersion):
    name = "loose"
    anchors = ("div.body",)
    title = ("h3",)
    body = ("div.body",)


class _Demo(ArticleParser):
    portal = "demo"
    versions = (_Loose(),)


def test_a_template_title_the_head_does_not_name_is_counted_and_the_readers_is_used() -> None:
    html = f"""<html><head><meta charset="utf-8"><title>聊城农村公路建设提速_聊城新闻网</title></head><body>
<h3>热点推荐</h3><h1>聊城农村公路建设提速</h1><div class="meta">2026-03-02 09:10 来源:新聊城客户端</div>
<div class="body">{BODY_HTML}</div></body></html>"""
    article = _Demo().parse(page("https://example.org/a.html", html))
    assert article.template == "demo/loose"
    assert article.title == "聊城农村公路建设提速"
    assert {"title_not_in_head", "title_from_reader"} <= set(article.extraction_checks)
    assert article.published_at == datetime(2026, 3, 2, 9, 10, tzinfo=SHANGHAI)
    assert "filled/published_at" in article.extraction_checks


def _read_with_info(info: str, compare: bool | None = None):
    """A page whose template reads its info line from ``div.info`` while the reader reads the
    visible line under the headline (``2026-03-02 09:10 来源:新聊城客户端``)."""

    class Dated(_Loose):
        title = ("h1",)
        info = ("div.info",)

    class Demo(ArticleParser):
        portal = "demo"
        versions = (Dated(),)

    html = f"""<html><head><meta charset="utf-8"><title>聊城农村公路建设提速</title></head><body>
<h1>聊城农村公路建设提速</h1><div class="meta">2026-03-02 09:10 来源:新聊城客户端</div>
<div class="info">{info}</div><div class="body">{BODY_HTML}</div></body></html>"""
    return Demo().parse(page("https://example.org/a.html", html), compare=compare)


def test_a_template_date_without_time_is_made_precise_by_the_reader_on_the_same_day() -> None:
    article = _read_with_info("2026-03-02")
    assert article.published_at == datetime(2026, 3, 2, 9, 10, tzinfo=SHANGHAI)
    assert "filled/time" in article.extraction_checks


def test_fields_that_disagree_are_counted_and_the_templates_are_kept() -> None:
    article = _read_with_info("来源:聊城日报 2025-12-30 08:00", compare=True)
    assert article.published_at == datetime(2025, 12, 30, 8, 0, tzinfo=SHANGHAI)
    assert article.source == "聊城日报"
    assert {"compared", "disagree/published_at", "disagree/source"} <= set(article.extraction_checks)


def test_a_page_outside_the_sample_is_read_the_same_without_the_comparison() -> None:
    # the template gives every field: the reader has nothing to add, and off the sample its
    # disagreement is not looked for; the article is the compared one's, less those checks
    outside = _read_with_info("来源:聊城日报 2025-12-30 08:00", compare=False)
    compared = _read_with_info("来源:聊城日报 2025-12-30 08:00", compare=True)
    assert outside.extraction_checks == []
    assert {**vars(outside), "extraction_checks": None} == {**vars(compared), "extraction_checks": None}


def test_the_compared_sample_is_one_page_in_compare_every_chosen_by_url() -> None:
    parser = _Demo()
    urls = [f"https://example.org/news/{n}.html" for n in range(4000)]
    picked = [url for url in urls if parser.compares(url)]
    assert picked == [url for url in urls if parser.compares(url)]  # the same pages every time
    assert 0.5 / parser.compare_every < len(picked) / len(urls) < 1.5 / parser.compare_every
    html = f"""<html><head><meta charset="utf-8"><title>聊城农村公路建设提速</title></head><body>
<h3>聊城农村公路建设提速</h3><div class="body">{BODY_HTML}</div></body></html>"""
    checks = {url: parser.parse(page(url, html)).extraction_checks for url in urls[:64]}
    assert [url for url in checks if "compared" in checks[url]] == [url for url in urls[:64] if parser.compares(url)]


_BARE_TAG = re.compile(r"^[a-z][a-z0-9]*$")


@pytest.mark.parametrize("portal", parser_names())
def test_every_template_is_anchored_on_its_own_markers_not_on_a_bare_tag(portal: str) -> None:
    for version in get_parser(portal).versions:
        anchors = version.anchors or version.body
        assert anchors, f"{portal}/{version.name}: no anchors and no body selector"
        for query in anchors:
            for alternative in query.split(","):
                assert not _BARE_TAG.match(alternative.strip()), f"{portal}/{version.name}: bare tag {query!r}"
