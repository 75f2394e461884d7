"""Which requests go through the browser, and what happens when there is none.

A request is rendered when ``meta["render"]`` is true (:func:`render_meta`; the spider asks so
for an article page that came back as an app shell), or when it has no ``render`` key and its
URL belongs to a portal declared ``needs_browser`` (robots.txt excepted).  This middleware
turns that into scrapy-playwright's request meta: one shared context, bounded pages, the page
closed once read, and the page's own requests routed by :func:`liaocheng_news.browser.make_page_init`
(heavy resources aborted; in replay mode every request answered by the replay server).  The
download itself is :mod:`liaocheng_news.handlers`'.

Without a browser (the executable is missing, the handler is not installed, RENDER_ENABLED is
off) nothing crashes: requests that needed rendering are dropped, counted as
``render/unavailable``, logged one line each, and summed up with their first URLs when the
spider closes.  Stats: ``render/requests``, ``render/escalations``, ``render/unavailable``,
``render/failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.misc import load_object

from liaocheng_news.browser import BrowserUnavailable, make_page_init, settings_browser_problem
from liaocheng_news.middlewares.replay import META_KEY as REPLAY_ORIGINAL_URL
from liaocheng_news.portals import portal_for_url

logger = logging.getLogger(__name__)

# the scrapy-playwright context every rendered page opens in (one context, bounded pages)
CONTEXT_NAME = "render"
# how many URLs the end-of-crawl summary names
SUMMARY_URLS = 10


def render_meta(reason: str = "requested") -> Mapping[str, Any]:
    """Request meta that asks for the browser (``scrapy.Request(url, meta=render_meta())``)."""
    return {"render": True, "render_reason": reason}


def original_url(request: Request) -> str:
    """The portal URL of a request, also when the replay middleware has rewritten it."""
    return request.meta.get(REPLAY_ORIGINAL_URL) or request.url


class RenderMiddleware:
    """Sends the requests that need a browser to scrapy-playwright."""

    def __init__(self, crawler, *, problem: str | None, replay_url: str | None, wait_until: str) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.problem = problem
        self.page_init = make_page_init(replay_url)
        self.wait_until = wait_until
        self.unrendered: list[str] = []

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        handlers = {**settings.getdict("DOWNLOAD_HANDLERS_BASE"), **settings.getdict("DOWNLOAD_HANDLERS")}
        if not settings.getbool("RENDER_ENABLED"):
            problem = "rendering is switched off (RENDER_ENABLED=False)"
        elif not all(_renders(handlers.get(scheme)) for scheme in ("http", "https")):
            problem = "DOWNLOAD_HANDLERS do not route http/https to scrapy-playwright"
        else:
            problem = settings_browser_problem(settings)
        middleware = cls(crawler, problem=problem, replay_url=settings.get("REPLAY_URL"),
                         wait_until=settings.get("RENDER_WAIT_UNTIL"))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def wants_browser(self, request: Request) -> bool:
        """meta["render"] decides when present; otherwise the portal's ``needs_browser``."""
        if "render" in request.meta:
            return bool(request.meta["render"])
        url = original_url(request)
        if urlsplit(url).path == "/robots.txt":
            return False
        portal = portal_for_url(url)
        return bool(portal and portal.needs_browser)

    def process_request(self, request: Request, spider: Spider | None = None):
        if request.meta.get("playwright") or not self.wants_browser(request):
            return None
        if self.problem:
            self._could_not_render(request, self.problem)
            raise IgnoreRequest(f"cannot render {original_url(request)}: {self.problem}")
        request.meta.update({
            "playwright": True,
            "playwright_context": CONTEXT_NAME,
            "playwright_include_page": False,  # the handler closes the page once read
            "playwright_page_init_callback": self.page_init,
            "playwright_page_goto_kwargs": {"wait_until": self.wait_until},
        })
        self.stats.inc_value("render/requests")
        if request.meta.get("render_reason") == "escalation":
            self.stats.inc_value("render/escalations")
        return None

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None):
        if not request.meta.get("playwright"):
            return None
        if isinstance(exception, BrowserUnavailable):
            self.problem = self.problem or str(exception)
            self._could_not_render(request, str(exception))
            raise IgnoreRequest(f"cannot render {original_url(request)}: {exception}")
        self.stats.inc_value("render/failed")
        logger.warning("rendering failed for %s: %s: %s", original_url(request), type(exception).__name__,
                       str(exception).splitlines()[0] if str(exception) else "")
        return None  # retries and error logging as for any failed download

    def _could_not_render(self, request: Request, reason: str) -> None:
        url = original_url(request)
        self.stats.inc_value("render/unavailable")
        if len(self.unrendered) < SUMMARY_URLS:  # a count plus the first few: bounded over a long crawl
            self.unrendered.append(url)
        logger.warning("could not render %s: %s", url, reason)

    def spider_closed(self, spider: Spider) -> None:
        total = self.stats.get_value("render/unavailable", 0)
        if not total:
            return
        shown = ", ".join(self.unrendered)
        more = f" and {total - len(self.unrendered)} more" if total > len(self.unrendered) else ""
        logger.error("%d request(s) of %s could not be rendered (%s): %s%s", total, spider.name,
                     self.problem or "browser unavailable", shown, more)


def _renders(path: Any) -> bool:
    """Whether a download handler (class or import path) can render: this project's, or
    scrapy-playwright's own."""
    if not path:
        return False
    from liaocheng_news.handlers import LazyPlaywrightDownloadHandler  # loaded by the downloader already

    try:
        handler = load_object(path) if isinstance(path, str) else path
    except (ImportError, NameError, ValueError):
        return False
    return isinstance(handler, type) and (issubclass(handler, LazyPlaywrightDownloadHandler)
                                          or handler.__module__.startswith("scrapy_playwright."))
