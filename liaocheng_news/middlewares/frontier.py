"""Spider middleware: an article page whose callback yields nothing is no longer pending.

An article request (``meta[ARTICLE_META]``, made by ``PortalSpider.article_request``) ends one
of three ways: its item reaches the store (which marks the URL done once it is written), its
callback asks for it again (the browser, for an app shell), or the callback yields nothing (a
counted drop: not an article, too large, not about Liaocheng …).  This middleware sees the last
case for every spider, whatever its subclass drops, and tells the crawl's frontier
(:mod:`liaocheng_news.extensions.frontier`), so the next run does not fetch the page again.  An
exception in the callback leaves the URL pending (fetched again, up to
FRONTIER_PENDING_MAX_ATTEMPTS runs).
"""

from __future__ import annotations

from scrapy import Request

from liaocheng_news.extensions.frontier import CrawlFrontier
from liaocheng_news.middlewares.render import original_url
from liaocheng_news.middlewares.replay import portal_url

ARTICLE_META = "frontier_article"


def listed_url(request: Request, replay_url: str | None) -> str:
    """The portal URL a list page gave for ``request``: before any redirect, also on a replay."""
    redirects = request.meta.get("redirect_urls")
    if redirects:
        return portal_url(redirects[0], replay_url)
    return portal_url(original_url(request), replay_url)


class ArticleOutcomeMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.replay_url = crawler.settings.get("REPLAY_URL")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _done(self, response) -> None:
        frontier = self.crawler.get_extension(CrawlFrontier)
        if frontier is not None:
            frontier.resolve(listed_url(response.request, self.replay_url))

    def process_spider_output(self, response, result):
        if not response.meta.get(ARTICLE_META):
            yield from result
            return
        produced = False
        for out in result:
            produced = True
            yield out
        if not produced:
            self._done(response)

    async def process_spider_output_async(self, response, result):
        if not response.meta.get(ARTICLE_META):
            async for out in result:
                yield out
            return
        produced = False
        async for out in result:
            produced = True
            yield out
        if not produced:
            self._done(response)
