"""Database calls of a crawl that wait out a blip: retried with exponential backoff.

The store's writes, the list pages' archive checks and the frontier's records all go through
:func:`with_retries`: a failing database (:data:`~liaocheng_news.db.archive.DATABASE_ERRORS`, not
bad data) is tried again after ``backoff * 2**attempt`` seconds, ``retries`` times
(ARCHIVE_WRITE_RETRIES, ARCHIVE_RETRY_BACKOFF); the last error is raised past that budget, for
the caller to decide (spool the batch, leave the section unfinished).  Between tries the pool's
idle connections are checked, so connections broken by a restarted server are not handed out
again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from liaocheng_news.db.archive import DATABASE_ERRORS

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def with_retries(operation: Callable[[], Awaitable[T]], *, retries: int, backoff: float, what: str,
                       stats=None, error_key: str | None = None, pool=None) -> T:
    """``await operation()``, tried ``retries + 1`` times while the database fails."""
    for attempt in range(retries + 1):
        try:
            return await operation()
        except DATABASE_ERRORS as exc:
            if stats is not None and error_key:
                stats.inc_value(error_key)
            logger.warning("%s failed (attempt %d/%d): %s", what, attempt + 1, retries + 1,
                           str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            if attempt == retries:
                raise
            if pool is not None:
                try:
                    await pool.check()  # drop connections a restarted server broke
                except Exception:  # noqa: BLE001 - only a clean-up; the next try says what is wrong
                    pass
            await asyncio.sleep(backoff * (2 ** attempt))
    raise AssertionError("unreachable")
