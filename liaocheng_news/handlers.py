"""The http/https download handler: Scrapy's, and scrapy-playwright's for the pages that ask for it.

:class:`LazyPlaywrightDownloadHandler` downloads every request with Scrapy's HTTP/1.1 handler,
except those with ``meta["playwright"]`` (set by :mod:`liaocheng_news.middlewares.render`), which
go to scrapy-playwright's handler.  That one is made on the first such request: before it,
neither Playwright nor its driver nor a browser is imported or started, so a crawl of static
portals pays nothing for them.

Only scrapy-playwright's public surface is used: the handler is built with ``from_crawler``,
driven with ``download_request`` and ``close``, and started by the ``engine_started`` signal
it listens for (it starts Playwright when its engine starts).  It gets a view of the crawler
with signals of its own (that signal is sent when the first page needs the browser, not when
the crawl starts) and with ``PLAYWRIGHT_LAUNCH_OPTIONS`` for the system Chromium
(:func:`liaocheng_news.browser.launch_options`) unless the settings give their own.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import ClassVar

from scrapy import Request, signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import Response
from scrapy.signalmanager import SignalManager
from twisted.python.failure import Failure

from liaocheng_news.browser import BrowserUnavailable, playwright_launch_options, settings_browser_problem


class _BrowserCrawler:
    """The crawler as scrapy-playwright's handler sees it: its settings name the browser to launch,
    and its signals are its own."""

    def __init__(self, crawler):
        self._crawler = crawler
        settings = crawler.settings.copy()
        settings.frozen = False  # a copy of the crawl's (frozen) settings, for this view only
        settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", playwright_launch_options(crawler.settings), priority="cmdline")
        settings.freeze()
        self.settings = settings
        self.signals = SignalManager(self)

    def __getattr__(self, name):
        return getattr(self._crawler, name)


class LazyPlaywrightDownloadHandler:
    lazy = False  # one instance per crawler serves http and https (see from_crawler)

    # one handler per crawler for both schemes (one Playwright, one browser, one page bound)
    _per_crawler: ClassVar[weakref.WeakKeyDictionary] = weakref.WeakKeyDictionary()

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.http = HTTP11DownloadHandler.from_crawler(crawler)
        self.browser = None  # scrapy-playwright's handler, from the first rendered request on
        self._start = asyncio.Lock()
        self._problem: str | None = None
        self._closed = False

    @classmethod
    def from_crawler(cls, crawler):
        handler = cls._per_crawler.get(crawler)
        if handler is None:
            handler = cls._per_crawler[crawler] = cls(crawler)
        return handler

    async def download_request(self, request: Request) -> Response:
        if request.meta.get("playwright"):
            return await (await self._browser()).download_request(request)
        return await self.http.download_request(request)

    async def _browser(self):
        """scrapy-playwright's handler, made and started now if this is the first rendered page;
        :class:`BrowserUnavailable` (one line saying why) when there is no browser to start."""
        async with self._start:
            if self.browser is not None:
                return self.browser
            if self._problem is None:
                self._problem = settings_browser_problem(self.crawler.settings) or ""
            if self._problem:
                raise BrowserUnavailable(self._problem)
            from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

            view = _BrowserCrawler(self.crawler)
            handler = ScrapyPlaywrightDownloadHandler.from_crawler(view)
            for _, result in await view.signals.send_catch_log_async(signal=signals.engine_started):
                if isinstance(result, Failure):
                    await handler.close()
                    self._problem = f"Playwright did not start: {result.getErrorMessage()}"
                    raise BrowserUnavailable(self._problem)
            self.browser = handler
            return handler

    async def close(self) -> None:  # Scrapy closes the handler once per scheme it serves
        if self._closed:
            return
        self._closed = True
        await self.http.close()
        if self.browser is not None:
            await self.browser.close()
