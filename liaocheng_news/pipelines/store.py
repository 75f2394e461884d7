"""Last stage: batched upserts into the archive, never blocking the crawl, never losing an item.

Items are collected into batches (ARCHIVE_BATCH_SIZE items, or ARCHIVE_FLUSH_SECONDS); a batch is
written in one transaction.  When the database fails, the batch is retried with exponential
backoff (ARCHIVE_WRITE_RETRIES, :mod:`liaocheng_news.db.retry`); if it still fails, the batch is
spooled (:mod:`liaocheng_news.pipelines.spool`) and written at the start of the next run.  An item
the archive itself rejects (bad data, not a bad connection) is isolated from its batch and kept in
``spool/rejected/`` for an operator; it never blocks the rest.

When neither the archive nor the spool can take a batch (the database down and the disk full or
read-only), the crawl stops scheduling and closes with the reason ``spool_unwritable``; the stats
say why (``spool/unwritable``) and how many items were neither written nor spooled
(``items_unsaved``).  Those items' URLs stay pending in the crawl frontier, so the next run fetches
them again.  Written items are marked done in the frontier (:mod:`liaocheng_news.extensions.frontier`).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from liaocheng_news.db.archive import DATABASE_ERRORS
from liaocheng_news.db.retry import with_retries
from liaocheng_news.db.server import ArchiveUnavailable, home_dir
from liaocheng_news.extensions.archive import ArchiveExtension
from liaocheng_news.extensions.frontier import CrawlFrontier
from liaocheng_news.items import Article
from liaocheng_news.pipelines.spool import Spool

logger = logging.getLogger(__name__)

WRITTEN, UNAVAILABLE, REJECTED = "written", "unavailable", "rejected"
SPOOL_UNWRITABLE = "spool_unwritable"  # the close reason when neither archive nor spool takes items


def spool_dir(settings) -> Path:
    """``$LIAOCHENG_NEWS_HOME/spool`` (created when it can be)."""
    path = home_dir(settings.get("LIAOCHENG_NEWS_HOME")) / "spool"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a read-only home: said when an item has to be spooled
        logger.warning("the spool folder %s cannot be made: %s", path, exc)
    return path


async def _close(engine) -> None:
    """Close the crawl (not awaited by the pipeline: the engine waits for the items in progress)."""
    try:
        await engine.close_spider_async(reason=SPOOL_UNWRITABLE)
    except RuntimeError:  # closed already
        pass


class StorePipeline:
    def __init__(self, crawler, owner: ArchiveExtension):
        self.crawler = crawler
        self.owner = owner  # opens the archive and holds the run id (extensions.archive)
        self.stats = crawler.stats
        s = crawler.settings
        self.batch_size = s.getint("ARCHIVE_BATCH_SIZE")
        self.flush_seconds = s.getfloat("ARCHIVE_FLUSH_SECONDS")
        self.retries = s.getint("ARCHIVE_WRITE_RETRIES")
        self.backoff = s.getfloat("ARCHIVE_RETRY_BACKOFF")
        self.spool = Spool(spool_dir(s))
        self.batch: list[Article] = []
        self.lock = asyncio.Lock()
        self.archive = None
        self.frontier: CrawlFrontier | None = crawler.get_extension(CrawlFrontier)
        self._ticker: asyncio.Task | None = None
        self._unwritable: str | None = None  # why the spool could not be written, once it could not

    @classmethod
    def from_crawler(cls, crawler):
        owner = crawler.get_extension(ArchiveExtension)
        if owner is None:
            raise NotConfigured("no archive (ARCHIVE_ENABLED is off): nothing to store into")
        pipeline = cls(crawler, owner)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def spider_closed(self, spider, reason) -> None:
        # items met an unwritable spool while the crawl was closing for another reason (its last
        # batch): the run's outcome is still that one (Scrapy's stats have just recorded the reason)
        if self._unwritable is not None and reason != SPOOL_UNWRITABLE:
            logger.error("the crawl closed (%s), and items could not be kept: its close reason is recorded as %s",
                         reason, SPOOL_UNWRITABLE)
            self.stats.set_value("finish_reason", SPOOL_UNWRITABLE)

    @property
    def spider_name(self) -> str:
        spider = getattr(self.crawler, "spider", None)
        return getattr(spider, "name", "unknown")

    async def open_spider(self):
        try:
            self.archive = await self.owner.archive()
        except ArchiveUnavailable as exc:
            # the extension stops the crawl; whatever is scraped before the engine stops goes
            # to the spool, so nothing is lost
            logger.error("no archive: items are spooled to %s (%s)", self.spool.directory, exc)
        else:
            await self._replay_spool()
        self._ticker = asyncio.ensure_future(self._tick())

    async def _tick(self):
        while True:
            await asyncio.sleep(self.flush_seconds)
            # shielded: stopping the ticker never interrupts a write (close_spider's own flush
            # waits for it on the lock)
            await asyncio.shield(self.flush())

    async def process_item(self, item):
        self.batch.append(item)
        if len(self.batch) >= self.batch_size:
            await self.flush()
        return item

    async def close_spider(self):
        if self._ticker:
            self._ticker.cancel()
        await self.flush()
        if self.frontier is not None:
            await self.frontier.flush()  # the pages dropped since the last batch

    async def flush(self) -> None:
        async with self.lock:
            batch, self.batch = self.batch, []
            if not batch:
                return
            try:
                later, rejected = await self._write(batch)
            except BaseException:
                # cancelled or failed mid-write: keep the whole batch (re-writing what was already
                # stored is harmless: upserts are idempotent)
                self._keep(batch, "pending")
                raise
            self._keep(later, "pending")
            self._keep(rejected, "rejected")

    async def _attempt(self, batch: list[Article]) -> str:
        """One batch, one transaction: 'written', 'unavailable' (after retries) or 'rejected'."""
        if self.archive is None:
            return UNAVAILABLE
        run_id = self.owner.run_id
        try:
            results = await with_retries(lambda: self.archive.store(batch, run_id=run_id), retries=self.retries,
                                         backoff=self.backoff, what=f"writing a batch of {len(batch)} items",
                                         stats=self.stats, error_key="archive/write_errors", pool=self.archive.pool)
        except DATABASE_ERRORS:
            return UNAVAILABLE
        except Exception:  # noqa: BLE001 - the data, not the database: isolated by the caller
            self.stats.inc_value("archive/rejected_batches")
            logger.exception("archive rejected a batch of %d items", len(batch))
            return REJECTED
        self._count(results)
        if self.frontier is not None:
            await self.frontier.flush(stored=[r.url for r in results])
        return WRITTEN

    async def _write(self, batch: list[Article]) -> tuple[list[Article], list[Article]]:
        """Write what the archive takes; returns (items to retry later, items it rejects)."""
        outcome = await self._attempt(batch)
        if outcome == WRITTEN:
            return [], []
        if outcome == UNAVAILABLE:
            return batch, []
        if len(batch) == 1:
            return [], batch
        later: list[Article] = []
        rejected: list[Article] = []
        for item in batch:  # find the bad item(s); the rest are written
            more_later, more_rejected = await self._write([item])
            later += more_later
            rejected += more_rejected
        return later, rejected

    def _keep(self, items: list[Article], kind: str) -> None:
        """Spool items: 'pending' ones are written by the next run, 'rejected' ones wait for an operator.
        When the spool cannot be written either, the crawl stops (:meth:`_cannot_keep`)."""
        if not items:
            return
        try:
            path = self.spool.write(items, self.spider_name, rejected=(kind == "rejected"))
        except OSError as exc:
            self._cannot_keep(items, exc)
            return
        if kind == "rejected":
            self.stats.inc_value("items_rejected", len(items))
            logger.error("%d items rejected by the archive kept in %s for inspection", len(items), path)
            if self.frontier is not None:
                for item in items:
                    self.frontier.resolve(item.url)
        else:
            self.stats.inc_value("items_spooled", len(items))
            logger.error("%d items could not be written; spooled to %s and written by the next run",
                         len(items), path)

    def _cannot_keep(self, items: list[Article], exc: OSError) -> None:
        """Neither the archive nor the spool takes ``items``: counted, named, and the crawl stops
        scheduling (close reason ``spool_unwritable``); their URLs stay pending for the next run."""
        self.stats.inc_value("items_unsaved", len(items))
        first = self._unwritable is None
        self._unwritable = f"{self.spool.directory}: {exc.strerror or exc}"
        self.stats.set_value("spool/unwritable", self._unwritable)
        logger.error("%d items could be neither written to the archive nor spooled (%s); their pages are "
                     "fetched again by the next run: %s", len(items), self._unwritable,
                     ", ".join(i.url for i in items[:5]) + (" …" if len(items) > 5 else ""))
        try:
            engine = self.crawler.engine
        except (AttributeError, RuntimeError):  # no crawl running (a pipeline used on its own)
            engine = None
        if first and engine is not None and getattr(engine, "spider", None) is not None:
            logger.error("the crawl stops: neither the archive nor the spool can take items (%s)", self._unwritable)
            asyncio.ensure_future(_close(engine))

    def _count(self, results) -> None:
        for r in results:
            if r.outcome == "new":
                self.stats.inc_value("items_stored")
            elif r.outcome == "revised":
                self.stats.inc_value("items_stored")
                self.stats.inc_value("items_revised")
            else:
                self.stats.inc_value("items_duplicate")
                self.stats.inc_value("dedupe/resightings")
            if r.created:
                self.stats.inc_value("dedupe/stories_new")
            elif r.placement in ("copy", "exact"):
                self.stats.inc_value("dedupe/copies_new")
                self.stats.inc_value(f"dedupe/copies_{r.placement}")
            if r.merged:  # a bridging copy: the stories it joined are one now
                self.stats.inc_value("dedupe/stories_merged", len(r.merged))

    async def _replay_spool(self) -> None:
        """Write what earlier runs spooled.  Each line is checked; lines that are not an article are
        set aside in ``spool/bad/`` (file, line, reason) and the good lines of the file written."""
        for path in self.spool.files():
            try:
                read = self.spool.read(path)
            except OSError as exc:
                logger.error("unreadable spool file %s kept for inspection: %s", path, exc)
                self.stats.inc_value("spool/unreadable")
                continue
            if read.bad:
                self.stats.inc_value("spool/bad_lines", len(read.bad))
                try:
                    aside = self.spool.set_aside(read)
                except OSError as exc:
                    logger.error("%d bad line(s) of spool file %s could not be set aside (%s): the file is kept",
                                 len(read.bad), path, exc)
                    aside = None
                else:
                    logger.error("%d line(s) of spool file %s are not articles (first: line %d, %s); set aside "
                                 "in %s", len(read.bad), path.name, read.bad[0][0], read.bad[0][1], aside)
            batch = read.articles
            later, rejected = await self._write(batch) if batch else ([], [])
            self._keep(rejected, "rejected")
            written = len(batch) - len(later) - len(rejected)
            self.stats.inc_value("spool/items_recovered", written)
            try:
                if later:
                    self.spool.replace(path, later)
                elif read.bad and aside is None:
                    self.spool.replace(path, [])  # the bad lines stay only in a file that says which they are
                else:
                    path.unlink()
            except OSError as exc:
                logger.error("spool file %s could not be updated (%s): its items are written again by the next "
                             "run (as unchanged)", path, exc)
            if later:
                break  # the database is failing again; the rest waits for the next run
            logger.info("wrote %d spooled items from %s", written, path.name)
