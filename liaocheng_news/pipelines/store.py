"""Last stage: batched upserts into the archive, never blocking the crawl, never losing an item.

Items are collected into batches (ARCHIVE_BATCH_SIZE items, or ARCHIVE_FLUSH_SECONDS); a batch is
written in one transaction.  When the database fails, the batch is retried with exponential
backoff (ARCHIVE_WRITE_RETRIES); if it still fails, the batch is spooled to
``$LIAOCHENG_NEWS_HOME/spool/*.jsonl`` and written at the start of the next run.  An item the
archive itself rejects (bad data, not a bad connection) is isolated from its batch and kept in
``spool/rejected/`` for an operator; it never blocks the rest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import datetime, timezone
from pathlib import Path

from scrapy.exceptions import NotConfigured

from liaocheng_news.db.archive import DATABASE_ERRORS
from liaocheng_news.db.server import ArchiveUnavailable, home_dir
from liaocheng_news.extensions.archive import ArchiveExtension
from liaocheng_news.items import Article, article_from_json, article_to_json

logger = logging.getLogger(__name__)

WRITTEN, UNAVAILABLE, REJECTED = "written", "unavailable", "rejected"


def spool_dir(settings) -> Path:
    path = home_dir(settings.get("LIAOCHENG_NEWS_HOME")) / "spool"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Spool:
    """Batches that could not be written, as JSON Lines files, oldest first."""

    def __init__(self, directory: Path):
        self.directory = directory

    def write(self, articles: list[Article], spider: str, rejected: bool = False) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        folder = self.directory / "rejected" if rejected else self.directory
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stamp}-{spider}-{uuid.uuid4().hex[:8]}.jsonl"
        self.replace(path, articles)
        return path

    @staticmethod
    def replace(path: Path, articles: list[Article]) -> None:
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for a in articles:
                fh.write(json.dumps(article_to_json(a), ensure_ascii=False) + "\n")
        tmp.replace(path)  # atomic: a half-written spool file is never read

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.jsonl"))

    @staticmethod
    def read(path: Path) -> list[Article]:
        with path.open(encoding="utf-8") as fh:
            return [article_from_json(json.loads(line)) for line in fh if line.strip()]


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
        self._ticker: asyncio.Task | None = None

    @classmethod
    def from_crawler(cls, crawler):
        owner = crawler.get_extension(ArchiveExtension)
        if owner is None:
            raise NotConfigured("no archive (ARCHIVE_ENABLED is off): nothing to store into")
        return cls(crawler, owner)

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
        for attempt in range(self.retries + 1):
            try:
                results = await self.archive.store(batch, run_id=run_id)
            except DATABASE_ERRORS as exc:
                self.stats.inc_value("archive/write_errors")
                logger.warning("archive write failed (attempt %d/%d): %s", attempt + 1, self.retries + 1, exc)
                if attempt < self.retries:
                    await asyncio.sleep(self.backoff * (2 ** attempt))
                continue
            except Exception:  # noqa: BLE001 - the data, not the database: isolated by the caller
                self.stats.inc_value("archive/rejected_batches")
                logger.exception("archive rejected a batch of %d items", len(batch))
                return REJECTED
            self._count(results)
            return WRITTEN
        return UNAVAILABLE

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
        """Spool items: 'pending' ones are written by the next run, 'rejected' ones wait for an operator."""
        if not items:
            return
        path = self.spool.write(items, self.spider_name, rejected=(kind == "rejected"))
        if kind == "rejected":
            self.stats.inc_value("items_rejected", len(items))
            logger.error("%d items rejected by the archive kept in %s for inspection", len(items), path)
        else:
            self.stats.inc_value("items_spooled", len(items))
            logger.error("%d items could not be written; spooled to %s and written by the next run",
                         len(items), path)

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

    async def _replay_spool(self) -> None:
        for path in self.spool.files():
            try:
                batch = self.spool.read(path)
            except (OSError, ValueError) as exc:
                logger.error("unreadable spool file %s kept for inspection: %s", path, exc)
                self.stats.inc_value("spool/unreadable")
                continue
            later, rejected = await self._write(batch)
            self._keep(rejected, "rejected")
            written = len(batch) - len(later) - len(rejected)
            self.stats.inc_value("spool/items_recovered", written)
            if later:
                self.spool.replace(path, later)
                break  # the database is failing again; the rest waits for the next run
            path.unlink()
            logger.info("wrote %d spooled items from %s", written, path.name)
