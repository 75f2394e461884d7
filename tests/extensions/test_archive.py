"""The archive extension: one open archive and one crawl run per crawl, from open to close."""

from __future__ import annotations

import psycopg
import pytest
from scrapy import Spider
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.http import HtmlResponse

from liaocheng_news.db.server import ArchiveUnavailable
from liaocheng_news.extensions.archive import RUN_SUMMARY, ArchiveExtension
from tests.helpers import project_crawler, run


class Lcxw(Spider):
    name = "lcxw"


def extension(**settings) -> ArchiveExtension:
    crawler = project_crawler(Lcxw, **settings)
    crawler.stats.open_spider()
    return crawler.get_extension(ArchiveExtension)


def test_off_means_no_extension_and_no_store():
    from liaocheng_news.pipelines.store import StorePipeline

    crawler = project_crawler(Lcxw, ARCHIVE_ENABLED=False)
    assert crawler.get_extension(ArchiveExtension) is None
    with pytest.raises(NotConfigured):
        ArchiveExtension.from_crawler(crawler)
    with pytest.raises(NotConfigured):
        StorePipeline.from_crawler(crawler)


def test_one_archive_and_one_run_from_the_spider_opening_to_its_close(archive_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SCRAPY_JOB", "job-7")
    ext = extension(LIAOCHENG_NEWS_DATABASE_URL=archive_url, LIAOCHENG_NEWS_HOME=str(tmp_path))
    spider = ext.crawler.spider

    async def crawl():
        first = await ext.archive()  # the store pipeline asks first
        await ext.spider_opened(spider)  # then the spider opens: the same archive, no second run
        assert await ext.archive() is first and ext.run_id is not None
        ext.crawler.stats.inc_value("pages_fetched", 3)
        for status in (200, 200, 200):
            ext.response_received(HtmlResponse("https://www.lcxw.cn/a.html", status=status), None, spider)
        ext.response_received(HtmlResponse("https://www.lcxw.cn/robots.txt", status=200), None, spider)
        ext.spider_error(None, None, spider)
        await ext.spider_closed(spider, "finished")
        return first

    archive = run(crawl())
    assert archive.pool.closed
    with psycopg.connect(archive_url) as conn:
        rows = conn.execute("SELECT id, spider, job_id, status, finished_at, stats FROM crawl_runs").fetchall()
    assert len(rows) == 1
    run_id, name, job, status, finished, stats = rows[0]
    # pages fetched, one spider exception: the run is degraded, and says why
    assert (run_id, name, job, status) == (ext.run_id, "lcxw", "job-7", "degraded") and finished
    assert stats["pages_fetched"] == 3 and stats["errors"] == 1 and stats["crawl_run_id"] == run_id
    assert stats["responses/ok"] == 3 and stats["status_detail"] == "errors 1"  # robots.txt not counted
    assert all(key in stats for _, key in RUN_SUMMARY)  # every summary figure, 0 when nothing happened


def test_an_unreachable_archive_stops_the_crawl_once_with_a_reason(tmp_path):
    ext = extension(LIAOCHENG_NEWS_DATABASE_URL=f"postgresql://nobody@/x?host={tmp_path}",
                    LIAOCHENG_NEWS_HOME=str(tmp_path), ARCHIVE_CONNECT_TIMEOUT=1)

    async def crawl():
        with pytest.raises(ArchiveUnavailable) as first:  # the store pipeline asks first
            await ext.archive()
        with pytest.raises(ArchiveUnavailable) as again:  # asked again: the same answer, no new try
            await ext.archive()
        with pytest.raises(CloseSpider) as stopped:  # the spider opens: the crawl stops
            await ext.spider_opened(ext.crawler.spider)
        await ext.spider_closed(ext.crawler.spider, "archive_unavailable")  # nothing to record, no error
        return first.value, again.value, stopped.value

    first, again, stopped = run(crawl())
    assert again is first and stopped.reason == "archive_unavailable"
    assert "cannot reach the archive" in ext.crawler.stats.get_value("archive_unavailable")


def test_runs_left_running_by_a_dead_process_of_this_host_are_closed_as_interrupted(archive_url):
    import os
    import subprocess
    import sys

    from liaocheng_news.db import runs

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    gone = int(dead.stdout)  # a pid that existed and ended
    host = runs.this_host()
    # a crawl of six spiders ended by a double Ctrl-C leaves six runs of one pid (finding 2 of issue 17):
    # lcxw's (the first row) and these five
    others = ("import", "lcrb", "yybnet", "achie", "linqing_gov")
    with psycopg.connect(archive_url) as conn:
        ids = [conn.execute("INSERT INTO crawl_runs (spider, host, pid) VALUES (%s, %s, %s) RETURNING id",
                            values).fetchone()[0]
               for values in (("lcxw", host, gone), ("lcxw", host, os.getpid()), ("lcxw", "other-host", gone),
                              ("lcxw", host, None), *((name, host, gone) for name in others))]

    async def close():
        from liaocheng_news.db.archive import Archive

        async with await Archive.open(archive_url) as archive:
            return await runs.close_stale_runs(archive.pool)

    dead_runs = [ids[0], *ids[4:]]
    assert run(close()) == dead_runs  # the live process, another host's run and an unknown pid stay
    with psycopg.connect(archive_url) as conn:
        rows = dict(conn.execute("SELECT id, status FROM crawl_runs").fetchall())
        detail = conn.execute("SELECT stats->>'status_detail' FROM crawl_runs WHERE id = %s", (ids[0],)).fetchone()[0]
    assert [rows[i] for i in ids[:4]] == ["interrupted", "running", "running", "running"]
    assert [rows[i] for i in dead_runs] == ["interrupted"] * 6
    assert run(close()) == []  # closed once
    assert "its process ended" in detail
    assert runs.process_alive(os.getpid()) and not runs.process_alive(gone)
