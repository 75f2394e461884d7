"""A crawler's stop: once asked (by a signal, :mod:`liaocheng_news.shutdown`), nothing more is downloaded.

:class:`StopRequest` (an extension) holds whether and by which signal the crawl was asked to
stop; the stat ``interrupted`` names the signal, so the run closes as ``interrupted``
(:mod:`liaocheng_news.outcomes`).  When the stop is asked, the requests waiting in the
downloader's queues (for their host's politeness delay) are dropped, and
:class:`StopGateMiddleware` drops every request that comes
after (the last middleware before the download): no page is fetched and no browser is
launched once a stop was asked.  Backoff sleeps
(:mod:`liaocheng_news.middlewares.backoff`) end at once and give up their retry.
"""

from __future__ import annotations

import asyncio
import logging

from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)


class StopRequest:
    def __init__(self, crawler):
        self.crawler = crawler
        self.signame: str | None = None
        self._waiters: set[asyncio.Future] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def requested(self) -> bool:
        return self.signame is not None

    def request(self, signame: str) -> None:
        """Stop: no more downloads (idempotent; the first signal's name is kept)."""
        if self.signame is not None:
            return
        self.signame = signame
        self.crawler.stats.set_value("interrupted", signame)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drop_queued()

    async def sleep(self, seconds: float) -> bool:
        """Sleep ``seconds``, or less when a stop is asked meanwhile; True when it was."""
        if self.requested:
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), seconds)
        except asyncio.TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)
        return self.requested

    def _drop_queued(self) -> None:
        """Fail the requests that wait in the downloader's per-host queues (Scrapy's
        ``Downloader.slots``, as its AutoThrottle reads them) with IgnoreRequest."""
        try:
            downloader = self.crawler.engine.downloader
        except (AttributeError, RuntimeError):  # Scrapy 2.19 raises RuntimeError before the crawl starts
            return  # no engine yet: nothing is queued
        dropped = 0
        for slot in list(downloader.slots.values()):
            while slot.queue:
                request, deferred = slot.queue.popleft()
                dropped += 1
                deferred.errback(Failure(IgnoreRequest(f"the crawl is stopping ({self.signame}): {request.url}")))
        if dropped:
            self.crawler.stats.inc_value("stop/requests_dropped", dropped)


class StopGateMiddleware:
    """The last downloader middleware before the download: after a stop, every request is dropped
    (IgnoreRequest), also one that was held up by an earlier middleware (robots.txt) meanwhile."""

    def __init__(self, stop: StopRequest):
        self.stop = stop

    @classmethod
    def from_crawler(cls, crawler):
        stop = crawler.get_extension(StopRequest)
        if stop is None:  # the extension is switched off: a gate of its own, which is never asked
            stop = StopRequest(crawler)
        return cls(stop)

    def process_request(self, request):
        if self.stop.requested:
            self.stop.crawler.stats.inc_value("stop/requests_dropped")
            raise IgnoreRequest(f"the crawl is stopping ({self.stop.signame}): {request.url}")
        return None
