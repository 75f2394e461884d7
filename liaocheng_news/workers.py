"""Worker processes for a crawl's CPU-bound work, so the reactor's process keeps downloading.

Scrapy runs a crawl in one process and one thread.  Parsing an article page and writing it to
the archive (psycopg, story placement) each cost more CPU than downloading the page, so in one
process they, not the network, would set the crawl's pace.  Two kinds of work therefore run in
worker processes:

* article parsing (:mod:`liaocheng_news.spiders.base` → :func:`parse_article_page`), in a pool of
  ``CPU_WORKERS`` processes shared by the crawls of one process;
* archive writes (:mod:`liaocheng_news.pipelines.store` → :mod:`liaocheng_news.db.writer`), in
  one writer process per crawl that holds its own database connection.

Workers start by the ``forkserver`` method: a fresh interpreter that imports the parsing and
archive modules once and forks a worker from that clean state (never a fork of a process that
runs an event loop and threads).  ``CPU_WORKERS = 0`` keeps everything in the crawl's process,
as on a one-CPU machine.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

# imported once by the fork server, so a new worker starts in milliseconds
PRELOAD = ["liaocheng_news.parsers.lcxw", "liaocheng_news.db.writer", "liaocheng_news.dedupe.cluster"]
MAX_AUTO_WORKERS = 4


def cpu_workers(value: Any) -> int:
    """Worker processes for a ``CPU_WORKERS`` setting: ``auto`` is one per CPU but one (at most
    four); 0 runs the work in the crawl's own process."""
    if value in (None, "", "auto"):
        return min(MAX_AUTO_WORKERS, max(0, (os.cpu_count() or 1) - 1))
    try:
        workers = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"CPU_WORKERS wants a number or 'auto', not {value!r}") from None
    if workers < 0:
        raise ValueError(f"CPU_WORKERS wants 0 or more, not {workers}")
    return workers


def process_pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(workers, mp_context=context)


class Offload:
    """Runs picklable functions in worker processes (or inline with 0 workers), awaitably.

    A worker that dies (killed, out of memory) breaks the pool; the call raises
    :class:`WorkerLost` and the next call starts a fresh pool.
    """

    def __init__(self, workers: int):
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    @property
    def inline(self) -> bool:
        return self.workers == 0

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self.inline:
            return fn(*args)
        if self._executor is None:
            self._executor = process_pool(self.workers)
        executor = self._executor
        try:
            return await asyncio.wrap_future(executor.submit(fn, *args))
        except BrokenProcessPool as exc:
            if self._executor is executor:
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            raise WorkerLost(f"a worker process died: {exc}") from None

    async def close(self) -> None:
        """Stop the workers after the work already given to them (off the event loop)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown)


class WorkerLost(RuntimeError):
    """A worker process died while (or before) running a call."""


# -- the parse pool ------------------------------------------------------------------------------
_ATTR = "_liaocheng_news_parse_pool"


def parse_pool(crawler) -> Offload:
    """The crawler's parse pool (``CPU_WORKERS`` setting), closed at engine stop."""
    pool = getattr(crawler, _ATTR, None)
    if pool is None:
        pool = Offload(cpu_workers(crawler.settings.get("CPU_WORKERS", "auto")))
        setattr(crawler, _ATTR, pool)
        from scrapy import signals

        async def close() -> None:
            setattr(crawler, _ATTR, None)
            await pool.close()

        crawler.signals.connect(close, signal=signals.engine_stopped, weak=False)
    return pool


_parsers: dict[str, Any] = {}  # a worker's parser per portal


def parse_article_page(portal: str, url: str, body: bytes, headers: Mapping[str, str], status: int):
    """A portal parser's :class:`~liaocheng_news.items.Article` for a page (runs in a worker)."""
    from liaocheng_news.parsers import Page, get_parser

    parser = _parsers.get(portal)
    if parser is None:
        parser = _parsers[portal] = get_parser(portal)
    return parser.parse(Page(url=url, body=body, headers=headers, status=status))
