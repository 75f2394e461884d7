"""Archive writes in a writer process: :meth:`Archive.store`'s contract, off the crawl's process.

A batch's upserts and story placement (psycopg, sketches, candidate scoring) cost more CPU per
item than Scrapy spends downloading the page, so the store pipeline hands each batch to one
writer process (:mod:`liaocheng_news.workers`; one serves all the crawls of a process) that
holds its own connection to the same archive.  Errors come back in the two kinds the store
pipeline tells apart:

* :class:`WriteUnavailable` (an :class:`ArchiveUnavailable`): the database failed; retry later;
* :class:`WriteRejected`: the data was refused (one item of the batch is bad); isolate it.

A writer process that dies counts as unavailable; the next batch starts a new one.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing.util
from collections.abc import Sequence
from datetime import datetime

from liaocheng_news.db.archive import DATABASE_ERRORS, Archive, StoreResult
from liaocheng_news.db.server import ArchiveUnavailable
from liaocheng_news.items import Article
from liaocheng_news.workers import Offload, WorkerLost, release_pool, shared_pool

logger = logging.getLogger(__name__)

_WRITER = "writer"


class WriteUnavailable(ArchiveUnavailable):
    """The writer process could not reach or write the archive."""


class WriteRejected(Exception):
    """The archive refused the batch's data."""


class ArchiveWriter:
    """``store()`` of an open :class:`Archive`, run in a writer process."""

    def __init__(self, archive: Archive, timeout: float = 10.0):
        self.archive = archive
        self.url = archive.url
        self.timeout = timeout  # to connect, in the writer process
        self._offload: Offload | None = None

    @property
    def offload(self) -> Offload:
        if self._offload is None:  # one writer process for all the crawls of this process
            self._offload = shared_pool(_WRITER, self, 1)
        return self._offload

    async def start(self) -> None:
        """Boot the writer process and connect it now, so the first batch does not wait for it.

        Failing here is not final: ``store`` starts a writer again and reports what fails then."""
        try:
            await self.offload.start(_connect, self.url, self.timeout)
        except Exception as exc:  # noqa: BLE001 - the first store meets it again, and says so
            logger.debug("the archive writer did not start ahead of the crawl: %s", exc)

    async def store(self, articles: Sequence[Article], run_id: int | None = None,
                    now: datetime | None = None) -> list[StoreResult]:
        try:
            return await self.offload.run(_store, self.url, self.timeout, list(articles), run_id, now)
        except WorkerLost as exc:
            raise WriteUnavailable(f"the archive writer process is gone: {exc}") from None

    async def close(self) -> None:
        if self._offload is not None:
            self._offload = None
            await release_pool(_WRITER, self)


# -- in the writer process ------------------------------------------------------------------------
_open: dict[str, tuple[asyncio.AbstractEventLoop, Archive]] = {}


def _close_all() -> None:
    for loop, archive in _open.values():
        loop.run_until_complete(archive.close())
        loop.close()
    _open.clear()


def _archive(url: str, timeout: float) -> tuple[asyncio.AbstractEventLoop, Archive]:
    if url not in _open:
        if not _open:  # close the connections when the worker exits
            multiprocessing.util.Finalize(None, _close_all, exitpriority=10)
        loop = asyncio.new_event_loop()
        try:
            archive = loop.run_until_complete(Archive.open(url=url, max_size=1, timeout=timeout))
        except BaseException:
            loop.close()
            raise
        _open[url] = (loop, archive)
    return _open[url]


def _connect(url: str, timeout: float) -> None:
    try:
        _archive(url, timeout)
    except DATABASE_ERRORS as exc:
        raise WriteUnavailable(str(exc).strip() or type(exc).__name__) from None


def _store(url: str, timeout: float, articles: list[Article], run_id: int | None,
           now: datetime | None) -> list[StoreResult]:
    try:
        loop, archive = _archive(url, timeout)
        return loop.run_until_complete(archive.store(articles, run_id=run_id, now=now))
    except DATABASE_ERRORS as exc:
        raise WriteUnavailable(str(exc).strip() or type(exc).__name__) from None
    except Exception as exc:  # noqa: BLE001 - the data, not the database; psycopg errors do not pickle whole
        raise WriteRejected(f"{type(exc).__name__}: {exc}") from None
