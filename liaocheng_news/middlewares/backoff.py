"""Scrapy's retries, with exponential backoff: a failing server is given time to recover.

Retries 5xx, 408/429 and timeouts/connection errors (RETRY_HTTP_CODES, RETRY_EXCEPTIONS),
waiting RETRY_BACKOFF_BASE * 2**(attempt-1) seconds (at most RETRY_BACKOFF_MAX) before each.
"""

from __future__ import annotations

import asyncio

from scrapy.downloadermiddlewares.retry import RetryMiddleware


class BackoffRetryMiddleware(RetryMiddleware):
    @classmethod
    def from_crawler(cls, crawler):
        mw = super().from_crawler(crawler)
        mw.base = crawler.settings.getfloat("RETRY_BACKOFF_BASE")
        mw.cap = crawler.settings.getfloat("RETRY_BACKOFF_MAX")
        return mw

    async def _wait(self, retry):
        if retry is not None:
            attempt = retry.meta.get("retry_times", 1)
            delay = min(self.cap, self.base * 2 ** (attempt - 1))
            self.crawler.stats.inc_value("retry/backoff_seconds", delay)
            await asyncio.sleep(delay)
        return retry

    async def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        if result is response:
            return response
        return await self._wait(result)

    async def process_exception(self, request, exception, spider=None):
        result = super().process_exception(request, exception)
        return await self._wait(result)
