"""One open Archive per Scrapy crawler, shared by the store pipeline, the run recorder and spiders."""

from __future__ import annotations

import asyncio

from liaocheng_news.db.archive import Archive

_ATTR = "_liaocheng_news_archive"
_LOCK = "_liaocheng_news_archive_lock"


async def archive_for(crawler) -> Archive:
    """Open the crawler's archive on first use (settings: LIAOCHENG_NEWS_DATABASE_URL / _HOME)."""
    lock = getattr(crawler, _LOCK, None)
    if lock is None:
        lock = asyncio.Lock()
        setattr(crawler, _LOCK, lock)
    async with lock:
        archive = getattr(crawler, _ATTR, None)
        if archive is None:
            archive = await Archive.open(
                url=crawler.settings.get("LIAOCHENG_NEWS_DATABASE_URL"),
                home=crawler.settings.get("LIAOCHENG_NEWS_HOME"),
                timeout=crawler.settings.getfloat("ARCHIVE_CONNECT_TIMEOUT", 10.0),
            )
            setattr(crawler, _ATTR, archive)
        return archive


async def close_archive(crawler) -> None:
    archive = getattr(crawler, _ATTR, None)
    if archive is not None:
        setattr(crawler, _ATTR, None)
        await archive.close()
