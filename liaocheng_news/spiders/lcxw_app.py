"""lcxw_app — 新聊城客户端 share pages (app.lcxw.cn), rendered in the browser.

The portal is declared ``needs_browser`` (liaocheng_news.portals), so the render middleware
sends every request of this spider through scrapy-playwright: the list page and the article
pages are shells that fill ``#app`` from the app's JSON API.  Everything else (incremental
fetching, parsing with parsers/lcxw_app.py) is the base spider's.  The host and URLs are a
guess; see the parser's docstring for the evidence.
"""

from liaocheng_news.spiders.base import PortalSpider


class LcxwAppSpider(PortalSpider):
    name = "lcxw_app"
    # channel label -> first list page; more pages only through the list's 下一页 link
    sections = {
        "最新": "https://app.lcxw.cn/share/list.html?channel=latest",
    }
