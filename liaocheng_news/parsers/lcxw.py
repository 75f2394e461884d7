"""lcxw — 聊城新闻网 / 新聊城客户端 (www.lcxw.cn), 聊城市新闻传媒中心.

Evidence (shared/portals.md and the search look-ups named in the fixtures' metadata):
- known: article URLs ``/<section>/<subsection>/<YYYYMMDD>/<id>.html``; page text (nav, the
  breadcrumb ``您的位置:首页>要闻 > 社会 >``, ``来源:新聊城客户端  2026-01-22 11:02:37``, ``A+A-``,
  ``分享``, the print note ``…《聊城日报》1版``, ``编辑:`` / ``审核:`` lines, footer).
- known (2019 public Scrapy spider): the old template on news.lcxw.cn: title ``//div/h1``, date
  ``//div[@class="info"]/span[2]``, source ``//div[@class="box_l"]/div[2]/a``, body
  ``//*[@id="divcontent"]/p``, lists ``//*[@id="newsList"]/ul/li/a`` paginated ``index_<n>.html``.
- guess: the class names of today's template (``location``, ``article-title``, ``article-info``,
  ``article-content``, ``article-editor``); the real markup was not seen.  If they are wrong,
  pages still parse through the generic fallback and the rise in fallbacks says so.
"""

from __future__ import annotations

import re

from liaocheng_news.parsers.base import ArticleParser, Page, TemplateVersion


class Current(TemplateVersion):
    """Today's www.lcxw.cn article page (2020s; class names guessed, page text known)."""

    name = "current"
    title = ("div.article h1.article-title", "div.article h1")
    subtitle = ("div.article .article-subtitle",)
    body = ("#articleContent", "div.article-content")
    info = ("div.article-info",)
    byline = ("div.article-editor",)
    breadcrumb = ("div.location",)


class Old2019(TemplateVersion):
    """The news.lcxw.cn template of 2019 (selectors from a public spider of that year)."""

    name = "2019"
    title = ('//div[@class="box_l"]/h1', "//div/h1")
    body = ('//*[@id="divcontent"]',)
    info = ('//div[@class="info"]', '//div[@class="box_l"]/div[2]')
    breadcrumb = ('//div[@class="box_l"]/div[1]',)


class LcxwParser(ArticleParser):
    portal = "lcxw"
    versions = (Current(), Old2019())
    article_url = re.compile(
        r"^https?://(?:www|news)\.lcxw\.cn/(?:[a-z0-9_]+/)+(?:\d{8}|\d{4}-\d{2}-\d{2})/\d+\.html?$"
    )
    list_links = ('//*[@id="newsList"]//li/a', "div.news-list li a")
    next_page = ('//div[@class="page"]//a[normalize-space()="下一页"]/@href', '//a[normalize-space()="下一页"]/@href')

    def channel_of(self, crumbs: list[str], page: Page | None = None) -> str | None:
        """Section and subsection as in the breadcrumb: ``要闻/社会``, ``聊城/县域``."""
        return "/".join(crumbs) if crumbs else None
