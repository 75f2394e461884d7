"""Upserts, revisions, incremental look-ups and crawl runs against a real PostgreSQL."""

import asyncio
import random
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from liaocheng_news.db.archive import Archive
from liaocheng_news.db.server import ArchiveUnavailable
from tests.helpers import PARAGRAPHS, article, run


async def _with_archive(url, fn):
    archive = await Archive.open(url)
    try:
        return await fn(archive)
    finally:
        await archive.close()


def rows(url, sql, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_same_url_twice_is_one_row_and_unchanged(archive_url):
    a = article(authors=["唐学钰"], editor="李明", reviewer="刘飞", source="聊城日报")

    async def go(archive):
        first = await archive.store([a])
        second = await archive.store([article(authors=["唐学钰"], editor="李明", reviewer="刘飞", source="聊城日报")])
        return first, second

    first, second = run(_with_archive(archive_url, go))
    assert [r.outcome for r in first] == ["new"]
    assert [r.outcome for r in second] == ["unchanged"]
    assert first[0].story_id is not None and second[0].story_id == first[0].story_id
    (row,) = rows(archive_url, "SELECT url, title, authors, editor, reviewer, source, revision, body, "
                               "first_seen < last_seen FROM articles")
    assert row[:7] == (a.url, a.title, ["唐学钰"], "李明", "刘飞", "聊城日报", 1)
    assert row[7] == "\n".join(PARAGRAPHS)
    assert row[8] is True  # last_seen moved on
    assert rows(archive_url, "SELECT count(*) FROM article_revisions") == [(0,)]


def test_changed_content_keeps_the_old_version_as_a_revision(archive_url):
    changed = article(body=PARAGRAPHS[:3] + ["更正：此前报道中的数字有误，现已更正为36个。"])

    async def go(archive):
        await archive.store([article()])
        result = await archive.store([changed])
        return result, await archive.revisions(changed.url)

    result, revisions = run(_with_archive(archive_url, go))
    assert result[0].outcome == "revised"
    assert rows(archive_url, "SELECT revision, body FROM articles") == [(2, changed.body_text)]
    assert [(r["revision"], r["body"]) for r in revisions] == [(1, "\n".join(PARAGRAPHS))]
    assert rows(archive_url, "SELECT count(*) FROM articles") == [(1,)]


def test_a_batch_is_one_transaction(archive_url):
    good = article()
    bad = article(url="https://www.lcxw.cn/yaowen/shehui/20260122/151680.html")
    bad.title = None  # violates NOT NULL: the whole batch must roll back

    async def go(archive):
        with pytest.raises(psycopg.errors.NotNullViolation):
            await archive.store([good, bad])

    run(_with_archive(archive_url, go))
    assert rows(archive_url, "SELECT count(*) FROM articles") == [(0,)]


def test_known_urls_answers_from_the_archive(archive_url):
    a = article()

    async def go(archive):
        await archive.store([a])
        return await archive.known_urls([a.url, "https://www.lcxw.cn/other/1.html"])

    known = run(_with_archive(archive_url, go))
    assert set(known) == {a.url}
    assert known[a.url]["last_seen"] > datetime.now(timezone.utc) - timedelta(minutes=1)


def test_is_empty_until_the_first_article(archive_url):
    async def go(archive):
        before = await archive.is_empty()
        await archive.store([article()])
        return before, await archive.is_empty(), await archive.count()

    assert run(_with_archive(archive_url, go)) == (True, False, 1)


def test_runs_are_recorded_with_their_stats(archive_url):
    async def go(archive):
        run_id = await archive.start_run("lcxw")
        await archive.finish_run(run_id, "finished", {"items_stored": 3, "start_time": datetime.now()})
        return await archive.runs()

    (r,) = run(_with_archive(archive_url, go))
    assert (r["spider"], r["status"], r["stats"]["items_stored"]) == ("lcxw", "finished", 3)
    assert r["finished_at"] >= r["started_at"]


def test_unreachable_database_is_a_clear_error(tmp_path):
    url = f"postgresql://nobody@/nothing?host={tmp_path}&connect_timeout=2"
    with pytest.raises(ArchiveUnavailable, match="cannot reach the archive database"):
        run(Archive.open(url))


def test_two_writers_storing_the_same_urls_at_once_make_one_row_and_one_story_each(archive_url):
    """Two crawls (or scrapyd nodes) with overlapping batches: no deadlock, no duplicate, one story."""
    rng = random.Random(5)
    han = [c for c in "".join(PARAGRAPHS) if "\u4e00" <= c <= "\u9fff"]
    bodies = [["".join(rng.choice(han) for _ in range(120)) + "。" for _ in range(4)] for _ in range(6)]
    batch = [article(f"https://www.lcxw.cn/yaowen/shehui/20260122/{151600 + i}.html", body=bodies[i])
             for i in range(6)]
    mirror = article("https://www.yybnet.net/liaocheng/news/202601/1.html", portal="yybnet",
                     body=bodies[0][:3])  # a trimmed copy of the first story

    async def go():
        first, second = await Archive.open(archive_url), await Archive.open(archive_url)
        try:
            return await asyncio.gather(first.store(batch[:4] + [mirror]), second.store([mirror] + batch[2:][::-1]))
        finally:
            await first.close()
            await second.close()

    results = run(go())
    assert sum(r.outcome == "new" for rs in results for r in rs) == 7  # each URL stored once
    assert rows(archive_url, "SELECT count(*), count(DISTINCT url) FROM articles") == [(7, 7)]
    assert rows(archive_url, "SELECT count(DISTINCT story_id) FROM articles") == [(6,)]  # the copy joined
    assert rows(archive_url, "SELECT count(*) FROM stories") == [(6,)]


def test_the_new_rows_copy_types_are_the_tables(archive_url):
    """New rows go to articles by binary COPY, each column in the type the store names for it."""
    from liaocheng_news.db.archive import _NEW_ROW

    with psycopg.connect(archive_url) as conn:
        for column, type_name in _NEW_ROW.items():
            assert conn.execute("SELECT atttypid = %s::regtype FROM pg_attribute WHERE attrelid = 'articles'::regclass "
                                "AND attname = %s AND NOT attisdropped", (type_name, column)).fetchone() == (True,), column
