"""Scrapy's retries, with exponential backoff: a failing server is given time to recover.

Retries 5xx, 408/429 and timeouts/connection errors (RETRY_HTTP_CODES, RETRY_EXCEPTIONS),
waiting RETRY_BACKOFF_BASE * 2**(attempt-1) seconds (at most RETRY_BACKOFF_MAX) before each.
A 429 or 503 that says how long to wait (``Retry-After``: seconds, or an HTTP date) is waited
at least that long; a server asking for more than RETRY_BACKOFF_MAX is not retried in this run
(``retry/retry_after_too_long``).  A wait ends at once when the crawl is asked to stop
(:mod:`liaocheng_news.extensions.stop`), and the retry is given up: the failure stands.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware

from liaocheng_news.extensions.stop import StopRequest

RETRY_AFTER_CODES = (429, 503)


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header's wait in seconds (delta-seconds or an HTTP date); None if absent
    or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    @classmethod
    def from_crawler(cls, crawler):
        mw = super().from_crawler(crawler)
        mw.base = crawler.settings.getfloat("RETRY_BACKOFF_BASE")
        mw.cap = crawler.settings.getfloat("RETRY_BACKOFF_MAX")
        mw.stop = crawler.get_extension(StopRequest)
        return mw

    async def _wait(self, retry, at_least: float = 0.0) -> bool:
        """Wait before ``retry``; False when the crawl was asked to stop meanwhile (no retry)."""
        attempt = retry.meta.get("retry_times", 1)
        delay = min(self.cap, max(at_least, self.base * 2 ** (attempt - 1)))
        self.crawler.stats.inc_value("retry/backoff_seconds", delay)
        if self.stop is None:
            await asyncio.sleep(delay)
            return True
        return not await self.stop.sleep(delay)

    async def process_response(self, request, response, spider=None):
        wanted = None
        if response.status in RETRY_AFTER_CODES:
            wanted = retry_after_seconds(response.headers.get(b"Retry-After"))
            if wanted is not None:
                self.crawler.stats.inc_value("retry/retry_after")
                if wanted > self.cap:
                    self.crawler.stats.inc_value("retry/retry_after_too_long")
                    return response
        if self.stop is not None and self.stop.requested:
            return response
        result = super().process_response(request, response)
        if result is response:
            return response
        return result if await self._wait(result, wanted or 0.0) else response

    async def process_exception(self, request, exception, spider=None):
        if self.stop is not None and self.stop.requested:
            return None
        result = super().process_exception(request, exception)
        if result is None:
            return None
        return result if await self._wait(result) else None
