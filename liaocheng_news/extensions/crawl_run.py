"""Records each crawl in the archive's crawl_runs table: start, end, close reason and stats."""

from __future__ import annotations

import logging
import os

from scrapy import signals

from liaocheng_news.db.crawler import archive_for, close_archive
from liaocheng_news.db.server import ArchiveUnavailable

logger = logging.getLogger(__name__)

# the figures a run's summary prints, in order
SUMMARY_KEYS = (
    "pages_fetched", "articles_fetched", "items_stored", "items_revised", "items_duplicate",
    "items_dropped", "fallback_extractions", "dedupe/stories_new", "dedupe/copies_new",
    "items_spooled", "render/requests", "render/escalations", "render/unavailable", "errors",
)


class CrawlRunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        self.run_id = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        return ext

    async def spider_opened(self, spider):
        try:
            archive = await archive_for(self.crawler)
        except ArchiveUnavailable as exc:
            logger.error("crawl run not recorded: %s", exc)
            return
        # scrapyd passes its job id as the spider argument _job (older versions: SCRAPY_JOB)
        job_id = getattr(spider, "_job", None) or os.environ.get("SCRAPY_JOB")
        self.run_id = await archive.start_run(spider.name, job_id=job_id)
        self.crawler.liaocheng_news_run_id = self.run_id
        self.crawler.stats.set_value("crawl_run_id", self.run_id)

    def spider_error(self, failure, response, spider):
        self.crawler.stats.inc_value("errors")

    async def spider_closed(self, spider, reason):
        stats = self.crawler.stats.get_stats()
        for key in ("pages_fetched", "articles_fetched", "items_stored", "items_duplicate",
                    "items_dropped", "fallback_extractions", "errors"):
            stats.setdefault(key, 0)
        # this crawler's own failures (log counts are shared by every crawler of a process):
        # spider exceptions, requests given up after their retries, batches the archive rejected
        stats["errors"] = (stats["errors"] + stats.get("retry/max_reached", 0)
                           + stats.get("archive/rejected_batches", 0))
        summary = ", ".join(f"{k}={stats.get(k, 0)}" for k in SUMMARY_KEYS)
        logger.info("run summary (%s): %s", spider.name, summary)
        try:
            if self.run_id is not None:
                archive = await archive_for(self.crawler)
                await archive.finish_run(self.run_id, reason, stats)
        except Exception as exc:  # noqa: BLE001 - the run's items are safe; only its record is lost
            logger.error("could not record the end of crawl run %s: %s", self.run_id, exc)
        finally:
            await close_archive(self.crawler)
