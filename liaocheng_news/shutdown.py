"""SIGINT and SIGTERM for a crawl process: stop cleanly and quickly, and at once when asked twice.

Used by ``liaocheng-news crawl``/``import`` (:mod:`liaocheng_news.ops.cli`) and by ``scrapy crawl``,
which scrapyd runs (:mod:`liaocheng_news.commands.crawl`), in place of Scrapy's own handlers:

* the first signal asks every crawler to stop (:class:`~liaocheng_news.extensions.stop.StopRequest`:
  nothing more is downloaded, no browser is launched, queued requests are dropped) and stops
  the engines: each spider closes, its store pipeline writes its last batch (or spools it when the
  archive cannot take it) and its run is recorded as ``interrupted``.  If that takes longer than
  ``STOP_GRACE_SECONDS`` (a download hanging on a slow host), the batches are handed to the
  store's flush for at most a second (what it cannot write, it spools), the runs are recorded
  within another second, and the process ends anyway;
* a second signal ends the process at once: what the store pipelines hold is spooled (a file
  write, no database), and the runs are recorded as ``interrupted`` (or their record already
  under way ends) within ``RECORD_TIMEOUT`` seconds; nothing else is waited for.  A run the
  archive could not take in that time stays ``running`` until the next crawl on this host closes
  it as ``interrupted`` (:mod:`liaocheng_news.db.runs`).

:meth:`Shutdown.finish` runs after the reactor has stopped: a write still in flight is cancelled,
which makes the store spool its batch (written or spooled, never both, never twice).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from liaocheng_news.extensions.stop import StopRequest

logger = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)
RECORD_TIMEOUT = 1.0  # seconds for a forced stop's last database writes


def store_pipelines(crawler) -> list:
    """The crawler's store pipeline(s) (Scrapy's item pipeline manager lists them)."""
    from liaocheng_news.pipelines.store import StorePipeline

    scraper = getattr(getattr(crawler, "engine", None), "scraper", None)
    manager = getattr(scraper, "itemproc", None)
    return [p for p in getattr(manager, "middlewares", ()) if isinstance(p, StorePipeline)]


def spool_held(crawler) -> int:
    """Spool the items a crawler's store pipeline holds and has not begun to write (no database)."""
    kept = 0
    for pipeline in store_pipelines(crawler):
        items = list(pipeline.batch)
        if not items:
            continue
        pipeline.batch.clear()  # taken: neither a later flush nor the store's close writes them again
        path = pipeline.spool.write(items, crawler.spider.name if crawler.spider else "unknown")
        crawler.stats.inc_value("items_spooled", len(items))
        kept += len(items)
        logger.warning("%d items fetched but not yet written spooled to %s (written by the next run)", len(items), path)
    return kept


class Shutdown:
    """The signal handling of one crawl process (a Scrapy ``CrawlerProcess`` and its crawlers)."""

    def __init__(self, process, crawlers, grace: float):
        self.process = process
        self.crawlers = list(crawlers)
        self.grace = grace
        self.signame: str | None = None
        self.forced = False
        self._deadline = None

    def install(self) -> "Shutdown":
        """Install the handlers; start the process with ``install_signal_handlers=False``."""
        for signum in SIGNALS:
            signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum, frame) -> None:
        from twisted.internet import reactor

        name = signal.Signals(signum).name
        if self.signame is None:
            self.signame = name
            reactor.callFromThread(self._stop)
        else:  # the second one: end now
            for other in SIGNALS:
                signal.signal(other, signal.SIG_IGN)
            reactor.callFromThread(self._force, f"{name} again")

    def _stop(self) -> None:
        from twisted.internet import reactor

        logger.warning("%s: stopping (closing runs, writing what was fetched); send it again to end at once",
                       self.signame)
        for crawler in self.crawlers:
            stop = crawler.get_extension(StopRequest) if hasattr(crawler, "get_extension") else None
            if stop is not None:
                stop.request(self.signame)
            else:
                crawler.stats.set_value("interrupted", self.signame)
        self._deadline = reactor.callLater(self.grace, self._out_of_time)
        stopping = self.process.stop()  # the engines stop; with every crawl ended, the reactor stops
        if asyncio.iscoroutine(stopping):  # an AsyncCrawlerProcess (what `scrapy crawl` makes)
            asyncio.ensure_future(stopping)

    def _out_of_time(self) -> None:
        from twisted.internet.defer import Deferred

        logger.warning("the crawl did not stop within %g s: ending it", self.grace)
        Deferred.fromFuture(asyncio.ensure_future(self._close_in_time())).addBoth(lambda _: self._halt())

    async def _close_in_time(self) -> None:
        for crawler in self.crawlers:
            for pipeline in store_pipelines(crawler):
                try:  # a flush cut short spools what it took (pipelines.store)
                    await asyncio.wait_for(pipeline.flush(), RECORD_TIMEOUT)
                except (asyncio.TimeoutError, Exception) as exc:  # noqa: BLE001
                    logger.warning("the last batch was not written in time (%s): spooled", exc or type(exc).__name__)
            spool_held(crawler)
        await self._record_runs()

    async def _record_runs(self, close: bool = True) -> None:
        """Each crawler's run recorded as stopped within RECORD_TIMEOUT (its archive extension's
        ``close_now``; ``close=False``: without closing the archive, which waits for writes)."""
        from liaocheng_news.extensions.archive import ArchiveExtension

        archives = [crawler.get_extension(ArchiveExtension) for crawler in self.crawlers
                    if hasattr(crawler, "get_extension")]
        # all at once: a process of many portals takes RECORD_TIMEOUT, not that many times over
        await asyncio.gather(*(a.close_now(RECORD_TIMEOUT, close=close) for a in archives if a is not None))

    def _force(self, why: str) -> None:
        from twisted.internet import reactor
        from twisted.internet.defer import Deferred

        logger.warning("%s: ending at once (the runs are recorded as interrupted within %g s)", why, RECORD_TIMEOUT)
        self.forced = True
        for crawler in self.crawlers:
            crawler.stats.set_value("interrupted", crawler.stats.get_value("interrupted") or self.signame)
            spool_held(crawler)
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        # the process ends by then whatever the records do (a cancelled query may wait on its server)
        self._deadline = reactor.callLater(RECORD_TIMEOUT + 0.5, self._halt)
        Deferred.fromFuture(asyncio.ensure_future(self._record_runs(close=False))).addBoth(lambda _: self._halt())

    def _halt(self) -> None:
        from twisted.internet import reactor

        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        if reactor.running:
            reactor.stop()

    def finish(self) -> None:
        """After the reactor stopped: cancel what is still in flight (an unfinished write spools its
        batch), for at most a second."""
        if self.signame is None:
            return
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            return
        if loop.is_closed() or loop.is_running():
            return
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.wait(pending, timeout=RECORD_TIMEOUT))
