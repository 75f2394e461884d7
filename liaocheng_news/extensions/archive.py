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

The run's record tells the truth: its status is decided by :func:`liaocheng_news.outcomes.run_status`
from the close reason and the stats (this extension counts the portal's responses for it, its
robots.txt left out), logged as one line ``run status: <status> (<why>)`` (what a scrapyd job's
log shows last), and a failed run sends an alert (:mod:`liaocheng_news.alerts`).  The run records
its host and process id; when the archive opens, runs of this host whose process is gone
(killed, or stopped twice) are closed as ``interrupted`` (:mod:`liaocheng_news.db.runs`).
"""

from __future__ import annotations

import asyncio
import logging
import os

from psycopg import ProgrammingError
from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from liaocheng_news import alerts, outcomes
from liaocheng_news.db import runs
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
        self.closed = False  # the run's end is recorded (or there was nothing to record)
        self._recording: asyncio.Future | None = None  # the run's end being recorded

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ARCHIVE_ENABLED"):
            raise NotConfigured("ARCHIVE_ENABLED is off")
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
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
                except (ArchiveUnavailable, ProgrammingError) as exc:
                    # ProgrammingError: a LIAOCHENG_NEWS_DATABASE_URL that is no URL at all
                    failure = exc if isinstance(exc, ArchiveUnavailable) else ArchiveUnavailable(
                        f"LIAOCHENG_NEWS_DATABASE_URL is not a PostgreSQL URL: {str(exc).strip().splitlines()[0]}")
                    self._failure = failure
                    self.crawler.stats.set_value("archive_unavailable", str(failure))
                    raise failure from None
                spider = self.crawler.spider
                # scrapyd passes its job id as the spider argument _job (older versions: SCRAPY_JOB)
                job_id = getattr(spider, "_job", None) or os.environ.get("SCRAPY_JOB")
                self.run_id = await archive.start_run(spider.name, job_id=job_id)
                self.crawler.stats.set_value("crawl_run_id", self.run_id)
                self._archive = archive
                await self._bookkeeping(archive)
        return self._archive

    async def _bookkeeping(self, archive: Archive) -> None:
        """This run's pid; the runs of this host whose process is gone closed as interrupted."""
        try:
            await runs.record_pid(archive.pool, self.run_id)
            stale = await runs.close_stale_runs(archive.pool)
        except Exception as exc:  # noqa: BLE001 - bookkeeping must not stop a crawl
            logger.warning("could not check for runs left open by ended processes: %s", exc)
            return
        if stale:
            self.crawler.stats.set_value("runs/stale_closed", len(stale))
            logger.warning("closed %d run(s) left running by processes that ended (killed or stopped twice): "
                           "ids %s, now interrupted", len(stale), ", ".join(map(str, stale)))

    async def spider_opened(self, spider) -> None:
        try:
            await self.archive()
        except ArchiveUnavailable as exc:
            logger.error("archive unavailable, the crawl stops: %s", exc)
            raise CloseSpider("archive_unavailable") from None

    def spider_error(self, failure, response, spider) -> None:
        self.crawler.stats.inc_value("spider_exceptions")

    def response_received(self, response, request, spider) -> None:
        """The portal's answers (its robots.txt aside): what tells a run that fetched nothing."""
        if response.url.endswith("/robots.txt"):
            return
        ok = response.status < 400
        self.crawler.stats.inc_value(outcomes.RESPONSES_OK if ok else outcomes.RESPONSES_ERROR)

    def conclude(self, reason: str | None) -> dict:
        """The run's final stats, its ``run_status`` and ``status_detail`` included (decided once)."""
        stats = self.crawler.stats.get_stats()
        if "run_status" in stats:
            return stats
        for _, key in RUN_SUMMARY:
            stats.setdefault(key, 0)
        # this crawler's own failures (log counts are shared by every crawler of a process)
        stats["errors"] = outcomes.error_count(stats)
        status, detail = outcomes.run_status(reason, stats)
        stats.update(run_status=status, status_detail=detail, close_reason=reason)
        return stats

    async def spider_closed(self, spider, reason) -> None:
        stats = self.conclude(reason)
        status, detail = stats["run_status"], stats["status_detail"]
        logger.info("run summary (%s): %s", spider.name, ", ".join(f"{k}={stats[k]}" for _, k in RUN_SUMMARY))
        level = {outcomes.FINISHED: logging.INFO, outcomes.DEGRADED: logging.WARNING}.get(status, logging.ERROR)
        logger.log(level, "run status: %s%s", status, f" ({detail})" if detail else "")
        if status == outcomes.FAILED:
            await self._alert(spider.name, status, detail, stats)
        await self._record(status, stats)

    async def _record(self, status: str, stats: dict, timeout: float | None = None, close: bool = True) -> None:
        archive, self._archive = self._archive, None
        self.closed = True
        if archive is None:
            return
        self._recording = asyncio.ensure_future(self._write_record(archive, status, stats, timeout, close))
        await self._recording

    async def _write_record(self, archive: Archive, status: str, stats: dict, timeout: float | None,
                            close: bool) -> None:
        try:
            await asyncio.wait_for(archive.finish_run(self.run_id, status, stats), timeout)
        except Exception as exc:  # noqa: BLE001 - the run's items are safe; only its record is lost
            logger.error("could not record the end of crawl run %s (the next crawl on this host closes it): %s",
                         self.run_id, exc or type(exc).__name__)
        finally:
            if close:
                try:
                    await asyncio.wait_for(archive.close(), timeout)
                except Exception as exc:  # noqa: BLE001
                    logger.warning("could not close the archive's connections: %s", exc or type(exc).__name__)

    async def close_now(self, timeout: float, *, close: bool = True) -> None:
        """Record the run as stopped, within ``timeout`` seconds: the end of a crawl whose spider
        cannot close in time (a stop's grace period ran out, or a second signal ends it at once).
        Idempotent: a record already under way is given the same ``timeout`` to end.
        ``close=False``: the archive's connections are left to the process's end (closing them
        would wait for the writes in flight, which a second signal does not)."""
        if self.closed:
            if self._recording is not None and not self._recording.done():
                await asyncio.wait([self._recording], timeout=timeout)
            return
        stats = self.conclude("shutdown")
        logger.warning("run status: %s (%s; the crawl ended before its spider closed)",
                       stats["run_status"], stats["status_detail"])
        await self._record(stats["run_status"], stats, timeout, close)

    async def _alert(self, spider: str, status: str, detail: str, stats: dict) -> None:
        settings = self.crawler.settings
        if not alerts.configured(settings):
            return
        body = alerts.payload("run_" + status, f"liaocheng-news: {spider} run {self.run_id or '-'} {status}: {detail}",
                              spider=spider, status=status, detail=detail, run_id=self.run_id,
                              stats={k: stats.get(k, 0) for _, k in RUN_SUMMARY})
        # off the event loop, bounded by the alert's own timeout
        if not await asyncio.to_thread(alerts.send, settings, body):
            self.crawler.stats.inc_value("alerts/failed")
