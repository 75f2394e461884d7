"""lcxw_app — 新聊城客户端 share pages (app.lcxw.cn), read after rendering in the browser.

The share page is a shell: its script reads ``?id=`` and renders the JSON of the app's
content API into ``#app``.  This parser reads the *rendered* DOM (the body scrapy-playwright
returns), never the shell; on a shell it finds nothing and raises NotAnArticle.

Evidence (details in tests/fixtures/lcxw_app/*.meta.json):
- known: 新聊城客户端 is the app of 聊城市新闻传媒中心 (``来源:新聊城客户端`` on www.lcxw.cn
  articles, one id sequence); the centre runs one lcxw.cn subdomain per service (www, news,
  finance, tsxz, lcrb).
- guess: the host ``app.lcxw.cn``, the URLs ``/share/article.html?id=<id>`` and
  ``/share/list.html?channel=<c>``, the JSON API and the rendered class names (``share-*``);
  no share link nor app page was found in the searched corpora.
"""

from __future__ import annotations

import re

from liaocheng_news.parsers.base import ArticleParser, TemplateVersion


class Rendered(TemplateVersion):
    """The share page after its script ran (title, 来源/time line, rich-text body, editors)."""

    name = "rendered-share"
    title = ("#app .share-article h1.share-title", "#app h1")
    subtitle = ("#app .share-subtitle",)
    body = ("#app .share-content",)
    info = ("#app .share-meta",)
    byline = ("#app .share-editor",)
    breadcrumb = ("#app .share-channel",)


class LcxwAppParser(ArticleParser):
    portal = "lcxw_app"
    versions = (Rendered(),)
    article_url = re.compile(r"^https?://app\.lcxw\.cn/share/article\.html\?(?:[^#]*&)?id=\d+(?:[&#]|$)")
    list_links = ("#app ul.share-list li a",)
    next_page = ("#app a.share-more",)
