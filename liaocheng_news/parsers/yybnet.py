"""yybnet — 地方网 (www.yybnet.net, m.yybnet.net), an aggregator with Liaocheng city/county channels.

Evidence (shared/portals.md, seed 000 and the search look-ups named in the fixtures' metadata):
- known: article URLs ``/<city>/news/<YYYYMM>/<id>.html`` on www., m. or the bare host; page
  text: the channel bar ``今日聊城 今日临清 …``, the breadcrumb ``地方网 > 山东 > 聊城市 > 今日临清 >
  正文``, the line ``来源:聊城日报 2021-10-28 11:20   https://www.yybnet.net/``, the reporter line
  ``■本报记者 苑莘``, then 新闻推荐 / 相关推荐: / 猜你喜欢: / 评论:(…) / 频道推荐 / 热点阅读 blocks.
- guess: class names (``crumbs``, ``article``, ``source``, ``content``), the list page markup and
  its pagination, and the encoding (fixtures cover both UTF-8 and GBK).
"""

from __future__ import annotations

import re

from liaocheng_news.parsers.base import ArticleParser, Page, TemplateVersion

CHANNELS = ("今日聊城", "今日临清", "今日阳谷", "今日莘县", "今日茌平", "今日东阿", "今日冠县", "今日高唐")


class Current(TemplateVersion):
    """The yybnet article page as seen in 2018-2022 text dumps (class names guessed)."""

    name = "current"
    title = ("div.article h1", "div.main h1")
    body = ("div.article div.content", "#content")
    info = ("div.article div.source",)
    breadcrumb = ("div.crumbs",)


class YybnetParser(ArticleParser):
    portal = "yybnet"
    versions = (Current(),)
    article_url = re.compile(r"^https?://(?:www\.|m\.)?yybnet\.net/[a-z]+/news/\d{6}/\d+\.html$")
    list_links = ("div.news-list li a", "ul.list li a")
    next_page = ('//div[@class="pages"]//a[normalize-space()="下一页"]/@href',)

    def channel_of(self, crumbs: list[str], page: Page | None = None) -> str | None:
        """The 今日… channel of the breadcrumb (地方网 > 山东 > 聊城市 > 今日临清)."""
        for crumb in reversed(crumbs):
            if crumb in CHANNELS or crumb.startswith("今日"):
                return crumb
        return crumbs[-1] if crumbs else None
