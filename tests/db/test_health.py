"""Each portal's health figures (db/health): one definition that both ``liaocheng-news status``
and the web's portals page read (the page through the site's own read-only connections)."""

import asyncio
from datetime import datetime, timedelta, timezone

import psycopg
from psycopg_pool import AsyncConnectionPool

from liaocheng_news.db.health import article_figures, portal_health
from liaocheng_news.web import queries
from liaocheng_news.web.reader import open_pool

NOW = datetime.now(timezone.utc)


def _plant(url: str) -> None:
    rows = [  # portal, first seen this long ago, published?, source, authors
        ("lcxw", timedelta(hours=2), True, "聊城日报", ["张三"]),
        ("lcxw", timedelta(hours=30), False, "", []),
        ("lcxw", timedelta(days=3), True, " \u3000\t", ["李四"]),  # whitespace only: no source
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


def _plant_runs(url: str) -> dict[str, int]:
    """Runs whose ids do not follow their start: lcxw's later run has the lower id, and achie's two
    runs started at the same moment.  Returns each portal's last run: the one that started last,
    of those the higher id."""
    runs = [("lcxw", timedelta(hours=1)), ("lcxw", timedelta(hours=5)),
            ("achie", timedelta(hours=3)), ("achie", timedelta(hours=3)), ("achie", timedelta(hours=9))]
    with psycopg.connect(url) as conn:
        ids = [conn.execute("INSERT INTO crawl_runs (spider, started_at, finished_at, status, stats) "
                            "VALUES (%s, %s, %s, 'finished', '{\"pages_fetched\": 4}') RETURNING id",
                            (spider, NOW - ago, NOW - ago + timedelta(minutes=1))).fetchone()[0]
               for spider, ago in runs]
    assert ids == sorted(ids)
    return {"lcxw": ids[0], "achie": ids[3]}


def _both(url: str, portals: list[str], judged: set[str]) -> tuple[dict, dict]:
    """What ``status`` reads of ``portals``, and what the portals page reads (as the site reads)."""
    async def both():
        async with AsyncConnectionPool(url, open=False) as pool:
            status = await portal_health(pool, portals)
        pool, _ = await open_pool(url)
        try:
            async with pool.connection() as conn:
                drift = await queries.has_drift_checks(conn)
                page = await queries.portals(conn, portals, judged, datetime.now(timezone.utc), 30, 7, drift=drift)
        finally:
            await pool.close()
        return status, page

    return asyncio.run(both())


def test_status_and_the_portals_page_read_the_same_figures(archive_url):
    _plant(archive_url)
    status, page = _both(archive_url, ["lcxw", "achie", "yybnet"], {"lcxw", "achie", "yybnet"})
    page = page["health"]
    for figures in (status["lcxw"]["articles"], page["lcxw"]["articles"]):  # the planted rows, either way
        assert (figures["new_24h"], figures["new_7d"], figures["source_fill"]) == (1, 3, 1 / 3)
    for figures in (status["achie"]["articles"], page["achie"]["articles"]):
        assert (figures["new_7d"], figures["authors_fill"]) == (0, None)
        assert abs(figures["last_new"] - (NOW - timedelta(days=20))) < timedelta(seconds=1)
    assert status["yybnet"]["articles"] is None and page["yybnet"]["articles"] is None
    assert status == page


def test_status_and_the_portals_page_name_the_same_last_run(archive_url):
    """The last run is the one that started last (ties: the higher id), not the highest id."""
    last = _plant_runs(archive_url)
    status, page = _both(archive_url, ["lcxw", "achie", "yybnet"], {"lcxw", "achie", "yybnet"})
    for name, run_id in last.items():
        assert status[name]["last_run"]["id"] == run_id == page["health"][name]["last_run"]["id"], name
        assert status[name]["last_run"]["stats"] == {"pages_fetched": 4}
    assert status["yybnet"]["last_run"] is None and page["health"]["yybnet"]["last_run"] is None


def test_the_api_portals_view_names_the_same_last_run(archive_url):
    """api.portals (migration 8) orders runs as db.health does: with runs planted out of id order
    and two started at the same moment, the consumers' view names the run status names."""
    last = _plant_runs(archive_url)
    _plant(archive_url)  # the view lists the portals the archive holds articles from
    status, _ = _both(archive_url, ["lcxw", "achie"], {"lcxw", "achie"})
    with psycopg.connect(archive_url) as conn:
        view = dict(conn.execute("SELECT portal, last_run_id FROM api.portals").fetchall())
    assert view == last == {name: status[name]["last_run"]["id"] for name in last}


def test_a_whitespace_only_source_is_not_filled_for_status_or_the_page(archive_url):
    _plant(archive_url)  # lcxw: one source, one empty, one of spaces, a tab and U+3000
    status, page = _both(archive_url, ["lcxw"], {"lcxw"})
    assert status["lcxw"]["articles"]["source_fill"] == 1 / 3
    assert page["filled"]["lcxw"]["articles"] == 3 and page["filled"]["lcxw"]["source"] == 1


def test_the_page_reads_only_the_last_run_of_a_portal_it_does_not_judge(archive_url):
    """An import-only portal gets no attention marks: its articles' figures are not read."""
    _plant(archive_url)
    last = _plant_runs(archive_url)
    _, page = _both(archive_url, ["lcxw", "achie"], {"lcxw"})
    assert page["health"]["achie"] == {"last_run": page["health"]["achie"]["last_run"], "runs": None,
                                       "articles": None, "drift": None}
    assert page["health"]["achie"]["last_run"]["id"] == last["achie"]
    assert page["health"]["lcxw"]["articles"]["new_7d"] == 3 and page["health"]["lcxw"]["runs"]["runs"] == 2
