"""The articles figures of each portal (db/health.article_figures): one definition that both
``liaocheng-news status`` and the web page's portals page read."""

import asyncio
from datetime import datetime, timedelta, timezone

import psycopg
from psycopg_pool import AsyncConnectionPool

from liaocheng_news.db.health import article_figures, portal_health
from liaocheng_news.web import queries

NOW = datetime.now(timezone.utc)


def _plant(url: str) -> None:
    rows = [  # portal, first seen this long ago, published?, source, authors
        ("lcxw", timedelta(hours=2), True, "聊城日报", ["张三"]),
        ("lcxw", timedelta(hours=30), False, "", []),
        ("lcxw", timedelta(days=3), True, "", ["李四"]),
        ("lcxw", timedelta(days=40), True, "旧", ["旧"]),  # before the window: not counted
        ("achie", timedelta(days=20), True, "", []),  # quiet: nothing in the last 7 days
    ]
    with psycopg.connect(url) as conn:
        for i, (portal, ago, dated, source, authors) in enumerate(rows):
            conn.execute("INSERT INTO articles (url, portal, title, body, content_hash, first_seen, published_at, "
                         "source, authors) VALUES (%s, %s, %s, '正文', %s, %s, %s, %s, %s)",
                         (f"https://example.test/{i}", portal, f"标题{i}", f"h{i}", NOW - ago,
                          NOW - ago if dated else None, source, authors))


def test_the_figures_count_the_window_and_name_a_quiet_portal(archive_url):
    _plant(archive_url)

    async def read():
        async with await psycopg.AsyncConnection.connect(archive_url) as conn:
            return await article_figures(conn, ["lcxw", "achie", "yybnet"], NOW)

    figures = asyncio.run(read())
    assert set(figures) == {"lcxw", "achie"}  # a portal with no article at all has no figures
    lcxw = figures["lcxw"]
    assert (lcxw["new_24h"], lcxw["new_7d"]) == (1, 3)
    assert abs(lcxw["last_new"] - (NOW - timedelta(hours=2))) < timedelta(seconds=1)
    assert (lcxw["published_at_fill"], lcxw["source_fill"], lcxw["authors_fill"]) == (2 / 3, 1 / 3, 2 / 3)
    achie = figures["achie"]
    assert (achie["new_24h"], achie["new_7d"], achie["published_at_fill"]) == (0, 0, None)
    assert abs(achie["last_new"] - (NOW - timedelta(days=20))) < timedelta(seconds=1)


def test_status_and_the_portals_page_read_the_same_figures(archive_url):
    _plant(archive_url)

    async def both():
        async with AsyncConnectionPool(archive_url, open=False) as pool:
            status = await portal_health(pool, ["lcxw", "achie", "yybnet"])
            async with pool.connection() as conn:
                conn.row_factory = psycopg.rows.dict_row
                page = await queries.portals(conn, ["lcxw", "achie", "yybnet"], datetime.now(timezone.utc), 30, 7)
        return status, page

    status, page = asyncio.run(both())
    for figures in (status["lcxw"]["articles"], page["articles"]["lcxw"]):  # the planted rows, either way
        assert (figures["new_24h"], figures["new_7d"], figures["source_fill"]) == (1, 3, 1 / 3)
    for figures in (status["achie"]["articles"], page["articles"]["achie"]):
        assert (figures["new_7d"], figures["authors_fill"]) == (0, None)
        assert abs(figures["last_new"] - (NOW - timedelta(days=20))) < timedelta(seconds=1)
    assert status["yybnet"]["articles"] is None and "yybnet" not in page["articles"]
