"""dzwww_liaocheng — 大众网·聊城 (liaocheng.dzwww.com).

Evidence (shared/portals.md and the look-ups named in the fixtures' metadata):
- known: article URLs ``/<column>/<YYYYMM>/t<YYYYMMDD>_<id>.htm`` (``/hailiao/``, ``/lcxw/``,
  ``/gnxw/``); page text ``2022-01-26 09:40:00 来源: 大众网·海报新闻 作者: 赵志鹏 … 初审编辑:赵志鹏
  责任编辑:李兆辉`` (初审编辑 → editor, 责任编辑 → reviewer, see text.fields.parse_byline).
- known (public scrapers of dzwww.com and its city sites, liaocheng among the "heze type"):
  title ``//div[@class="layout"]/h2`` (``h2``), date = the first 19 characters of
  ``div.layout div.left``, body ``div.TRS_Editor p`` or ``div.news-con p`` (``#news-con``);
  list pages ``default_{n}.htm``.
- known (real TRS pages of other news sites, shared/realpages): the body in ``div.TRS_Editor``;
  ``<h2>`` holding a breadcrumb (``您的当前位置：新闻中心 > 武汉``) or the headline beside an
  ``<h1>`` logo: a bare ``h2`` is never trusted without the head titles' agreement.
- guess: the breadcrumb and editor blocks' class names, the list markup.
"""

from __future__ import annotations

import re

from liaocheng_news.parsers.base import ArticleParser, TemplateVersion


class Layout(TemplateVersion):
    """The TRS article page of dzwww's city sites (``div.layout`` header, ``TRS_Editor`` body).

    The template applies only where its TRS body is (``#news-con`` / ``div.news-con`` /
    ``div.TRS_Editor``), and a heading is its headline only when the page's head titles name it:
    real TRS pages (shared/realpages: 长江网, 松花江网) carry a breadcrumb (您的当前位置：…) or a
    logo in the other ``<h1>``/``<h2>``.
    """

    name = "layout"
    anchors = ("#news-con, div.news-con, div.TRS_Editor",)
    title = ('//div[@class="layout"]/h2', "div.layout h2", "h1", "h2")
    body = ("#news-con div.TRS_Editor", "div.news-con div.TRS_Editor", "div.TRS_Editor", "#news-con")
    info = ('(//div[@class="layout"]/div[@class="left"])[1]',)
    byline = ("div.edit", "#editor")
    breadcrumb = ("div.position", "div.location")


class DzwwwLiaochengParser(ArticleParser):
    portal = "dzwww_liaocheng"
    versions = (Layout(),)
    article_url = re.compile(r"^https?://liaocheng\.dzwww\.com/(?:[a-z0-9_]+/)+\d{6}/t\d{8}_\d+\.s?html?$")
    list_links = ("div.list ul li h3 a", "div.list ul li a", "ul.news-list li a")
    next_page = ('//div[@class="page"]//a[normalize-space()="下一页"]/@href',)

    site_crumbs = frozenset({"大众网", "聊城", "聊城频道"})  # the column (海聊 …) is below these
