"""The crawl's archive and its record: one owner for both, from the spider's opening to its close.

:class:`ArchiveExtension` opens the archive the settings name (``Archive.from_settings``) once per
crawl, starts the crawl's ``crawl_runs`` row with it, and at the end records the run's close
reason and stats and closes the archive.  Spiders (the list pages' archive check) and the store
pipeline reach it with ``crawler.get_extension(ArchiveExtension)`` and ``await ext.archive()``;
whoever asks first opens it (the store pipeline, whose ``open_spider`` runs before the
``spider_opened`` signal), at the latest when the spider opens.

A crawl without its archive refuses to run: when the archive cannot be reached the spider is
closed with the reason ``archive_unavailable`` (what was scraped by then is spooled by the store).
``ARCHIVE_ENABLED = False`` switches the extension off (``NotConfigured``): no archive, no run
record, no archive check (every listed article is fetched) and no store pipeline.
"""

from __future__ import annotations

import asyncio
import logging
import os

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from liaocheng_news.db.archive import Archive
from liaocheng_news.db.server import ArchiveUnavailable

logger = logging.getLogger(__name__)

# a run's summary: the figures the end-of-run log line, `liaocheng-news crawl` and
# `liaocheng-news runs` print, in order (label, stats key); every stat is in crawl_runs.stats
RUN_SUMMARY = (
    ("pages", "pages_fetched"), ("articles", "articles_fetched"), ("stored", "items_stored"),
    ("revised", "items_revised"), ("duplicate", "items_duplicate"), ("dropped", "items_dropped"),
    ("fallback", "fallback_extractions"), ("spooled", "items_spooled"), ("unrendered", "render/unavailable"),
    ("errors", "errors"),
)


class ArchiveExtension:
    def __init__(self, crawler):
        self.crawler = crawler
        self.run_id: int | None = None  # this crawl's crawl_runs row, once the archive is open
        self._archive: Archive | None = None
        self._failure: ArchiveUnavailable | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ARCHIVE_ENABLED"):
            raise NotConfigured("ARCHIVE_ENABLED is off")
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        return ext

    async def archive(self) -> Archive:
        """The crawl's open archive; raises :class:`ArchiveUnavailable` when it cannot be reached
        (once: a crawl that found no archive at its start does not try again)."""
        if self._archive is not None:
            return self._archive
        async with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._archive is None:
                try:
                    archive = await Archive.from_settings(self.crawler.settings)
                except ArchiveUnavailable as exc:
                    self._failure = exc
                    self.crawler.stats.set_value("archive_unavailable", str(exc))
                    raise
                spider = self.crawler.spider
                # scrapyd passes its job id as the spider argument _job (older versions: SCRAPY_JOB)
                job_id = getattr(spider, "_job", None) or os.environ.get("SCRAPY_JOB")
                self.run_id = await archive.start_run(spider.name, job_id=job_id)
                self.crawler.stats.set_value("crawl_run_id", self.run_id)
                self._archive = archive
        return self._archive

    async def spider_opened(self, spider) -> None:
        try:
            await self.archive()
        except ArchiveUnavailable as exc:
            logger.error("archive unavailable, the crawl stops: %s", exc)
            raise CloseSpider("archive_unavailable") from None

    def spider_error(self, failure, response, spider) -> None:
        self.crawler.stats.inc_value("errors")

    async def spider_closed(self, spider, reason) -> None:
        stats = self.crawler.stats.get_stats()
        for _, key in RUN_SUMMARY:
            stats.setdefault(key, 0)
        # this crawler's own failures (log counts are shared by every crawler of a process):
        # spider exceptions, requests given up after their retries, batches the archive rejected
        stats["errors"] = (stats["errors"] + stats.get("retry/max_reached", 0)
                           + stats.get("archive/rejected_batches", 0))
        logger.info("run summary (%s): %s", spider.name, ", ".join(f"{k}={stats[k]}" for _, k in RUN_SUMMARY))
        archive, self._archive = self._archive, None
        if archive is None:
            return
        try:
            await archive.finish_run(self.run_id, reason, stats)
        except Exception as exc:  # noqa: BLE001 - the run's items are safe; only its record is lost
            logger.error("could not record the end of crawl run %s: %s", self.run_id, exc)
        finally:
            await archive.close()
