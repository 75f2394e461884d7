"""The store pipeline: batches, and nothing lost when the database goes away mid-crawl."""

import asyncio

import psycopg
from psycopg.conninfo import conninfo_to_dict
from scrapy import Spider

from liaocheng_news.extensions.archive import ArchiveExtension
from liaocheng_news.pipelines.store import StorePipeline
from tests.helpers import article, project_crawler, run


class Dummy(Spider):
    name = "lcxw"


def settings_for(archive_url, home):
    return {"LIAOCHENG_NEWS_DATABASE_URL": archive_url, "LIAOCHENG_NEWS_HOME": str(home),
            "ARCHIVE_BATCH_SIZE": 2, "ARCHIVE_WRITE_RETRIES": 1, "ARCHIVE_RETRY_BACKOFF": 0.01,
            "ARCHIVE_CONNECT_TIMEOUT": 2, "ARCHIVE_FLUSH_SECONDS": 60}


def urls(n):
    return [f"https://www.lcxw.cn/yaowen/shehui/20260122/{151600 + i}.html" for i in range(n)]


def articles(n):
    return [article(u, body=[f"第{i}篇。" + p for p in article().body]) for i, u in enumerate(urls(n))]


async def _pipeline(settings):
    crawler = project_crawler(Dummy, **settings)
    pipeline = StorePipeline.from_crawler(crawler)
    await pipeline.open_spider()
    return crawler, pipeline


async def close_archive(crawler):
    """What the archive extension does when the spider closes: record the run, close the archive."""
    await crawler.get_extension(ArchiveExtension).spider_closed(crawler.spider, "finished")


def stored(url):
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT url FROM articles ORDER BY url")]


def cut_off(admin_url, dbname, allow: bool):
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS {"true" if allow else "false"}')
        if not allow:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,))


def test_items_are_written_in_batches(archive_url, tmp_path):
    async def go():
        crawler, pipeline = await _pipeline(settings_for(archive_url, tmp_path))
        items = articles(3)
        await pipeline.process_item(items[0])
        assert stored(archive_url) == []  # waiting for its batch
        await pipeline.process_item(items[1])
        assert stored(archive_url) == urls(2)  # a full batch is one transaction
        await pipeline.process_item(items[2])
        await pipeline.close_spider()  # the rest is flushed at close
        await close_archive(crawler)
        return crawler.stats.get_value("items_stored")

    assert run(go()) == 3
    assert stored(archive_url) == urls(3)


def test_database_lost_mid_crawl_spools_and_the_next_run_writes_it(archive_url, pg_admin_url, tmp_path):
    dbname = conninfo_to_dict(archive_url)["dbname"]
    items = articles(4)

    async def first_run():
        crawler, pipeline = await _pipeline(settings_for(archive_url, tmp_path))
        for item in items[:2]:
            await pipeline.process_item(item)
        cut_off(pg_admin_url, dbname, allow=False)  # the database goes away
        for item in items[2:]:
            await pipeline.process_item(item)  # retried, then spooled: no exception reaches Scrapy
        await pipeline.close_spider()
        await close_archive(crawler)
        return crawler.stats

    try:
        stats = run(first_run())
    finally:
        cut_off(pg_admin_url, dbname, allow=True)
    assert stats.get_value("items_stored") == 2
    assert stats.get_value("items_spooled") == 2
    assert stats.get_value("archive/write_errors") >= 2
    spooled = list((tmp_path / "spool").glob("*.jsonl"))
    assert len(spooled) == 1
    assert stored(archive_url) == urls(2)

    async def next_run():
        crawler, pipeline = await _pipeline(settings_for(archive_url, tmp_path))
        await pipeline.close_spider()
        await close_archive(crawler)
        return crawler.stats

    stats = run(next_run())
    assert stats.get_value("spool/items_recovered") == 2
    assert stored(archive_url) == urls(4)
    assert list((tmp_path / "spool").glob("*.jsonl")) == []
    with psycopg.connect(archive_url) as conn:
        body = conn.execute("SELECT body FROM articles WHERE url = %s", (urls(4)[3],)).fetchone()[0]
    assert body == items[3].body_text  # spooled items come back whole


def test_unreachable_archive_at_open_spools_everything(tmp_path):
    settings = settings_for(f"postgresql://nobody@/nothing?host={tmp_path}", tmp_path)

    async def go():
        crawler, pipeline = await _pipeline(settings)
        for item in articles(2):
            await pipeline.process_item(item)
        await pipeline.close_spider()
        return crawler.stats

    stats = run(go())
    assert stats.get_value("items_spooled") == 2
    assert "cannot reach the archive" in stats.get_value("archive_unavailable")


def test_a_rejected_item_is_set_aside_and_never_blocks_the_rest(archive_url, tmp_path):
    items = articles(4)
    items[1].title = "坏\x00标题"  # PostgreSQL text cannot hold NUL: the archive rejects this item

    async def first_run():
        crawler, pipeline = await _pipeline(settings_for(archive_url, tmp_path))
        for item in items:
            await pipeline.process_item(item)
        await pipeline.close_spider()
        await close_archive(crawler)
        return crawler.stats

    stats = run(first_run())
    assert stored(archive_url) == [u for i, u in enumerate(urls(4)) if i != 1]  # the others are written
    assert stats.get_value("items_rejected") == 1 and not stats.get_value("items_spooled")
    rejected = list((tmp_path / "spool" / "rejected").glob("*.jsonl"))
    assert len(rejected) == 1 and "坏" in rejected[0].read_text(encoding="utf-8")  # kept for an operator
    assert list((tmp_path / "spool").glob("*.jsonl")) == []  # nothing the next run would trip over


def test_closing_while_a_timed_flush_is_writing_loses_nothing(archive_url, tmp_path):
    settings = {**settings_for(archive_url, tmp_path), "ARCHIVE_FLUSH_SECONDS": 0.01, "ARCHIVE_BATCH_SIZE": 100}
    items = articles(3)

    async def go():
        crawler, pipeline = await _pipeline(settings)
        real_store = pipeline.archive.store
        started = asyncio.Event()

        async def slow_store(batch, **kw):
            started.set()
            await asyncio.sleep(0.3)  # the database is slow: the close comes mid-write
            return await real_store(batch, **kw)

        pipeline.archive.store = slow_store
        for item in items:
            await pipeline.process_item(item)
        await started.wait()  # the timer's flush is writing now
        await pipeline.close_spider()
        await close_archive(crawler)
        return crawler.stats

    stats = run(go())
    assert stored(archive_url) == urls(3)
    assert stats.get_value("items_stored") == 3 and not stats.get_value("items_spooled")
