"""liaocheng_gov — 聊城市人民政府 (www.liaocheng.gov.cn): 政务要闻, 部门动态, 县区动态.

Evidence (shared/portals.md and the look-ups named in the fixtures' metadata):
- known (public scrapers): TRS article URLs ending ``/t<YYYYMMDD>_<id>.html`` (the date is in the
  URL); list pages ``…/list_<channel>.html`` then ``…/list_<channel>_<n>.html``; body
  ``//*[@id="Zoom"]``; an older 信息公开 template with the title in ``#gkml … h2``.
- known (real TRS/Hanweb government pages of other cities, shared/realpages): ``id="zoom"`` as
  often as ``id="Zoom"``, ``div.TRS_Editor``/``TRS_UEDITOR`` bodies, ``<h2>`` headlines beside an
  ``<h1>`` logo, the guideline meta tags ArticleTitle/PubDate/ContentSource/ColumnName.
- known: newer pages under ``/channel_<hex>/doc_<hex>.html`` exist (2025); not covered by
  these fixtures (they parse through the same selectors or the fallback).
- guess: the class names around ``#Zoom`` (position, detail, detail-title, detail-info,
  detail-editor) and the section folders.
"""

from __future__ import annotations

import re

from liaocheng_news.parsers.base import ArticleParser, TemplateVersion


class Trs(TemplateVersion):
    """The TRS WCM article page with the ``Zoom``/``zoom`` body.

    Real TRS and Hanweb government pages (shared/realpages: 巴彦淖尔, 内蒙古, 吉林 信息公开, 山西,
    浙江发改委) put the body in ``#zoom`` or ``#Zoom`` around a ``div.TRS_Editor`` (or
    ``TRS_UEDITOR``), the headline in an ``<h1>`` or ``<h2>`` (with a site logo or a breadcrumb in
    the other), and carry the national guideline's meta tags (ArticleTitle, PubDate,
    ContentSource, ColumnName).  A heading counts as the headline only when the page's head
    titles name it; the ArticleTitle meta is the last resort.
    """

    name = "trs"
    anchors = ("#Zoom, #zoom, div.TRS_Editor, div.TRS_UEDITOR",)
    title = (
        "div.detail h1.detail-title", "div.detail h1", '//*[@id="gkml"]//h2', "h1", "h2",
        '//meta[@name="ArticleTitle"]/@content',
    )
    subtitle = ("div.detail h3.detail-subtitle",)
    body = ("#Zoom", "#zoom", "div.TRS_Editor", "div.TRS_UEDITOR")
    info = ("div.detail div.detail-info",)
    byline = ("div.detail div.detail-editor",)
    breadcrumb = ("div.position",)
    chrome = ("div.detail-tools",)


class LiaochengGovParser(ArticleParser):
    portal = "liaocheng_gov"
    versions = (Trs(),)
    article_url = re.compile(
        r"^https?://www\.liaocheng\.gov\.cn/(?:[a-z0-9_]+/)+(?:\d{6}/)?t\d{8}_\d+\.html?$"
        r"|^https?://www\.liaocheng\.gov\.cn/channel_[0-9a-f]{24}/doc_[0-9a-f]{24}\.html$"
    )
    list_links = ("div.list-box ul li a", "#documentContainer li a", "ul.news-list li a")
    next_page = ('//div[contains(@class,"page")]//a[normalize-space()="下一页"]/@href',)
