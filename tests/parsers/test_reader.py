"""The reader on the page shapes issue 13 names, each as a small page built the way real pages are
(shared/realpages shows every one of them on at least one site)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from liaocheng_news.parsers import Page
from liaocheng_news.parsers.reader import read_page
from liaocheng_news.text.fields import SHANGHAI

P1 = "土豆，听名字就“土”得掉渣。可这几天，在中国著名的土豆产区宁夏固原市西吉县，记者却看到了另外一番景致。"
P2 = "2月11日，走进西吉县城近郊的脱毒种薯繁育中心，透过玻璃墙，只见无菌组培室内一排排架子上，育有脱毒种苗的玻璃瓶整齐列队。"
P3 = "西吉县土豆种植面积为66万亩，其种薯除满足当地需求外，还销往国内其他土豆产区，全部是订单生产，农民增收明显。"
PROSE = [P1, P2, P3]
NAV = "".join(f"<li><a href='/c{i}/'>频道{i}</a></li>" for i in range(12))
RELATED = "".join(f"<li><a href='/n{i}.html'>另一条新闻的标题第{i}条</a></li>" for i in range(6))


def read(html: str, url: str = "https://news.example.org/a/123.html"):
    reading = read_page(Page(url, html.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"}))
    assert reading is not None
    return reading


def doc(head_title: str, middle: str, *, before: str = "", after: str = "", paragraphs=PROSE) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<html><head><meta charset="utf-8"><title>{head_title}</title></head><body>
<ul class="nav">{NAV}</ul>{before}<div class="main">{middle}<div class="content">{body}</div>{after}</div>
<div class="related"><h3>相关新闻</h3><ul>{RELATED}</ul></div><div class="footer">版权所有 某某网</div></body></html>"""


def sh(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


# --- title ----------------------------------------------------------------------------------------


def test_a_site_logo_in_h1_is_not_the_headline() -> None:
    reading = read(doc("土豆不“土” 土豆无“土” 松花江网", "<h2>土豆不“土” 土豆无“土”</h2>", before="<h1>松花江网</h1>"))
    assert reading.title == "土豆不“土” 土豆无“土”"


def test_the_site_suffix_is_cut_without_cutting_the_title() -> None:
    reading = read(doc("1-10月德清县固定资产投资结构趋稳趋优_省发改委_浙江", '<div class="title">1-10月德清县固定资产投资结构趋稳趋优</div>'))
    assert reading.title == "1-10月德清县固定资产投资结构趋稳趋优"
    # with no headline in the text, the head title loses only its site part
    reading = read(doc("1-10月德清县固定资产投资结构趋稳趋优_省发改委_浙江", ""))
    assert reading.title == "1-10月德清县固定资产投资结构趋稳趋优"


def test_a_title_with_a_bar_in_it_stays_whole() -> None:
    title = "书记市长这一周 | 奋马扬鞭争春色，“虎”力全开向未来"
    assert read(doc(title, f"<h1>{title}</h1>")).title == title


def test_a_headline_broken_by_br_is_joined() -> None:
    reading = read(doc("全国人大常委会关于批准特别国债的决议__国务院公报_中国政府网",
                       "<p><strong>全国人大常委会<br>关于批准特别国债的决议</strong></p>"))
    assert reading.title == "全国人大常委会关于批准特别国债的决议"


def test_a_page_without_a_head_title_takes_its_nearest_heading() -> None:
    html = doc("", '<div class="Heading">广汽回应现代合资内幕 全面合作项目即将展开</div>')
    assert read(html).title == "广汽回应现代合资内幕 全面合作项目即将展开"


# --- date -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "expected", "source"), [
    ("2022-02-13 09:57 光明网", sh(2022, 2, 13, 9, 57), "光明网"),
    ("2022年02月13日07:48 | 来源：新华日报", sh(2022, 2, 13, 7, 48), "新华日报"),
    ("发布日期：2022-02-11 08:52", sh(2022, 2, 11, 8, 52), None),
    ("2022-02-13 07:00:00来源：央广网", sh(2022, 2, 13, 7, 0), "央广网"),
    ("中国网 2019-11-25 10:37:31", sh(2019, 11, 25, 10, 37, 31), "中国网"),
    ("发布日期：2016-11-22 浏览次数： 信息来源：省发改委", sh(2016, 11, 22), "省发改委"),
    ("来源于：东区办事处 2019-03-06", sh(2019, 3, 6), "东区办事处"),
    ("http://www.sina.net 2005年03月21日 11:21 《理财周刊》", sh(2005, 3, 21, 11, 21), "《理财周刊》"),
])
def test_the_info_line_under_the_headline_gives_time_and_source(line: str, expected: datetime, source) -> None:
    reading = read(doc("土豆不“土” 土豆无“土”_某某网", f'<h1>土豆不“土” 土豆无“土”</h1><div class="info">{line}</div>'))
    assert reading.published_at == expected
    assert reading.source == source


def test_a_label_and_its_date_in_two_cells_are_read_together() -> None:
    middle = "<h1>土豆不“土” 土豆无“土”</h1><table><tr><td>发布日期：</td><td>2022年01月28日</td></tr></table>"
    assert read(doc("土豆不“土” 土豆无“土”", middle)).published_at == sh(2022, 1, 28)


def test_a_day_only_line_is_made_precise_by_meta_data_of_the_same_day() -> None:
    html = doc("土豆不“土” 土豆无“土”", '<h1>土豆不“土” 土豆无“土”</h1><div class="info">2019-06-15 来源：人民网</div>')
    html = html.replace("<head>", '<head><meta name="publishdate" content="2019-06-15 08:18:00">')
    assert read(html).published_at == sh(2019, 6, 15, 8, 18)


def test_meta_data_of_another_day_does_not_replace_the_info_line() -> None:
    html = doc("土豆不“土” 土豆无“土”", '<h1>土豆不“土” 土豆无“土”</h1><div class="info">2019-06-15 来源：人民网</div>')
    html = html.replace("<head>", '<head><meta name="publishdate" content="2023-10-23 11:23:36">')
    assert read(html).published_at == sh(2019, 6, 15)


def test_json_ld_and_open_graph_times_keep_their_offset() -> None:
    html = doc("马克龙星期一在莫斯科与普京会面", "<h1>马克龙星期一在莫斯科与普京会面</h1>")
    html = html.replace("<head>", '<head><meta property="article:published_time" content="2022-02-06T12:48:06+00:00">')
    assert read(html).published_at == datetime(2022, 2, 6, 12, 48, 6, tzinfo=timezone.utc)
    html = html.replace('<meta property="article:published_time" content="2022-02-06T12:48:06+00:00">',
                        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2022-02-06T13:48:06+01:00"}</script>')
    assert read(html).published_at == datetime(2022, 2, 6, 13, 48, 6, tzinfo=timezone(timedelta(hours=1)))


def test_a_quoted_source_in_the_body_never_replaces_the_info_line() -> None:
    paragraphs = [*PROSE, "（资料来源：参考消息、海外网等）"]
    html = doc("外媒眼中的武汉长假", '<h1>外媒眼中的武汉长假</h1><div class="info">2020-10-04 20:30 来源: 长江网</div>',
               paragraphs=paragraphs)
    reading = read(html)
    assert reading.source == "长江网" and reading.published_at == sh(2020, 10, 4, 20, 30)


def test_the_url_date_is_the_last_resort() -> None:
    reading = read(doc("土豆不“土” 土豆无“土”", "<h1>土豆不“土” 土豆无“土”</h1>"), url="http://auto.example.com/20050513/n225551143.shtml")
    assert reading.published_at == sh(2005, 5, 13)


def test_a_labelled_date_after_the_article_is_read_when_none_is_above_it() -> None:
    after = '<div class="bottom">发布日期：2019-03-06 责任编辑：龙慧</div>'
    reading = read(doc("顺德区调研众创金融街", "<h1>顺德区调研众创金融街</h1>", after=after))
    assert reading.published_at == sh(2019, 3, 6) and reading.editor == "龙慧"


# --- authors and editor ---------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "authors"), [
    ("光明日报记者 王建宏 张文攀", ["王建宏", "张文攀"]),
    ("本报记者罗科苏盈发自北京", ["罗科苏盈"]),
    ("新京报记者 彭冲 山东冠县报道", ["彭冲"]),
    ("执笔/叨叨姐、胡一刀&李小飞刀", ["叨叨姐", "胡一刀", "李小飞刀"]),
    ("文/记者 夏旭光 韩庆阳", ["夏旭光", "韩庆阳"]),
    ("石佳/中国青年报", ["石佳"]),
])
def test_byline_lines_give_names_and_leave_the_body(line: str, authors: list[str]) -> None:
    reading = read(doc("土豆不“土” 土豆无“土”", f"<h1>土豆不“土” 土豆无“土”</h1><p>{line}</p>"))
    assert reading.authors == authors
    assert reading.body == PROSE


@pytest.mark.parametrize(("lead", "authors"), [
    ("新华社巴黎12月9日电（记者 唐霁）", ["唐霁"]),
    ("长江网10月4日讯（记者陈智 整合）", ["陈智"]),
    ("本站讯（职工通讯员 李琴雯 刘会）", ["李琴雯", "刘会"]),
])
def test_the_reporters_credited_at_the_start_of_a_dispatch(lead: str, authors: list[str]) -> None:
    paragraphs = [lead + P1, P2, P3]
    reading = read(doc("土豆不“土” 土豆无“土”", "<h1>土豆不“土” 土豆无“土”</h1>", paragraphs=paragraphs))
    assert reading.authors == authors
    assert reading.body[0] == lead + P1  # the credit is part of the first sentence


@pytest.mark.parametrize(("tail", "editor"), [
    ("（责编：萧潇、张妍）", "萧潇、张妍"),
    ("（松花江网编辑 孙桂芳）", "孙桂芳"),
    ("【编辑:刘欢】", "刘欢"),
    ("[责任编辑：刘斌]", "刘斌"),
])
def test_editor_notes_after_the_article_are_read_and_cut(tail: str, editor: str) -> None:
    reading = read(doc("土豆不“土” 土豆无“土”", "<h1>土豆不“土” 土豆无“土”</h1>", paragraphs=[*PROSE, tail]))
    assert reading.editor == editor
    assert reading.body == PROSE


def test_a_bare_name_in_brackets_closing_the_article_is_its_author() -> None:
    paragraphs = [P1, P2, P3[:-1] + "。（张巨峰）"]
    assert read(doc("土豆不“土” 土豆无“土”", "<h1>土豆不“土” 土豆无“土”</h1>", paragraphs=paragraphs)).authors == ["张巨峰"]
    paragraphs = [*PROSE, "（袁源）"]
    reading = read(doc("土豆不“土” 土豆无“土”", "<h1>土豆不“土” 土豆无“土”</h1>", paragraphs=paragraphs))
    assert reading.authors == ["袁源"] and reading.body == PROSE


# --- body -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("furniture", [
    "反侵权公告：未经书面许可，擅自转载本报社作品的，将涉嫌侵犯著作权人合法权益。",
    "分享让更多人看到",
    "声明：证券时报力求信息真实、准确，文章提及内容仅供参考，不构成实质性投资建议。",
    "免责声明：本文来自腾讯新闻客户端自媒体，不代表腾讯网的观点和立场。",
    "网友评论",
    "文章关键词： 辟谣 外泄 账号",
])
def test_tail_furniture_ends_the_body(furniture: str) -> None:
    reading = read(doc("土豆不“土” 土豆无“土”", "<h1>土豆不“土” 土豆无“土”</h1>",
                       paragraphs=[*PROSE, furniture, "一、任何单位或个人，在任何公开传播平台上使用著作权归属于本报社的原创内容，必须事先取得书面授权；"]))
    assert reading.body == PROSE


def test_a_table_layout_article_is_found() -> None:
    cells = "<br>".join(PROSE)
    html = f"""<html><head><meta charset="gbk"><title>从上海车展看在华布局-搜狐汽车</title></head><body>
<table><tr><td>{"".join(f"<a href='/x{i}'>栏目{i}</a> " for i in range(20))}</td></tr></table>
<table><tr><td><h1>从上海车展看在华布局</h1></td></tr><tr><td class="date">AUTO.SOHU.COM 2005年05月13日14:15</td></tr>
<tr><td><table><tr><td width="200">{"<br>".join(f"<a href='/r{i}'>热点{i}</a>" for i in range(10))}</td>
<td id="fontzoom">{cells}<br>（ 责任编辑：刘林源 ）</td></tr></table></td></tr></table></body></html>"""
    reading = read_page(Page("http://auto.example.com/20050513/n225551143.shtml", html.encode("gbk")))
    assert reading is not None
    assert (reading.title, reading.body, reading.editor) == ("从上海车展看在华布局", PROSE, "刘林源")
    assert reading.published_at == sh(2005, 5, 13, 14, 15)


def test_a_stray_end_of_html_before_the_article_does_not_end_the_page() -> None:
    html = doc("土豆不“土” 土豆无“土”", "<h1>土豆不“土” 土豆无“土”</h1>").replace('<div class="main">', '</html>\n<div class="main">')
    assert read(html).body == PROSE


def test_the_article_wins_over_a_longer_comment_section() -> None:
    comments = "".join(f'<div class="comment-item"><p>网友{i}：这篇报道写得很好，我们村也种土豆，希望能推广这种脱毒种薯，让更多农民增收致富。</p></div>'
                       for i in range(8))
    html = doc("土豆不“土” 土豆无“土”", "<h1>土豆不“土” 土豆无“土”</h1>",
               after=f'<div class="comment-list"><h3>热门评论</h3>{comments}</div>')
    reading = read(html)
    assert reading.body == PROSE


def test_a_page_with_no_prose_reads_as_nothing() -> None:
    html = f"<html><head><title>频道首页</title></head><body><ul>{NAV}{RELATED}</ul></body></html>"
    assert read_page(Page("https://news.example.org/", html.encode())) is None
