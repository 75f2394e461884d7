"""The change feed (migration 0004, db/feed.py): numbers in commit order, no gaps, no repeats."""

import asyncio
import json
import random
import threading
import time
from datetime import datetime, timezone

import psycopg
import pytest
from psycopg.rows import dict_row

from liaocheng_news.db import feed
from liaocheng_news.db.archive import Archive
from liaocheng_news.db.feed import Filters, changes_after
from tests.db.test_archive import _with_archive
from tests.helpers import SH, article, run

HAN = "聊城临清阳谷莘县茌平东阿冠县高唐轴承产业项目招商发展经济建设农业工业园区企业技术创新服务群众"


def story_article(i: int, **fields):
    """An article whose body is its own (never a copy of another ``story_article``)."""
    rng = random.Random(i)
    body = ["".join(rng.choice(HAN) for _ in range(90)) + "。" for _ in range(3)]
    return article(f"https://www.lcxw.cn/yaowen/shehui/20260122/{200000 + i}.html", body=body,
                   title=f"第{i}条新闻", **fields)


async def _read(url, after, **options):
    async with await psycopg.AsyncConnection.connect(url) as conn:
        async with changes_after(conn, after, **options) as changes:
            return [r async for r in changes], changes.last_seq


def _insert(conn, n: int) -> int:
    """A bare INSERT (no placement lock), as any writer of the table might do; its change_seq."""
    return conn.execute("INSERT INTO articles (url, portal, title, body, content_hash) "
                        "VALUES (%s, 'lcxw', %s, '正文', 'h') RETURNING change_seq",
                        (f"https://www.lcxw.cn/t/{n}.html", f"标题{n}")).fetchone()[0]


def _visible_seqs(url, after=0):
    with psycopg.connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT change_seq FROM api.articles WHERE change_seq > %s "
                                           "ORDER BY change_seq", (after,))]


def _wait_for_lock_wait(url, pid, seconds=10.0) -> str | None:
    deadline = time.monotonic() + seconds
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT wait_event_type, wait_event FROM pg_stat_activity WHERE pid = %s",
                               (pid,)).fetchone()
            if row and row[0] == "Lock":
                return row[1]
            time.sleep(0.02)
    return None


def test_a_plain_sequence_loses_a_row_that_commits_late(archive_url):
    """The hazard the feed lock removes: numbered in one order, committed in the other."""
    with psycopg.connect(archive_url, autocommit=True) as setup:
        setup.execute("CREATE TABLE naive (seq bigserial PRIMARY KEY, v int)")
    with psycopg.connect(archive_url) as a, psycopg.connect(archive_url) as b:
        first = a.execute("INSERT INTO naive (v) VALUES (1) RETURNING seq").fetchone()[0]
        second = b.execute("INSERT INTO naive (v) VALUES (2) RETURNING seq").fetchone()[0]
        b.commit()
        with psycopg.connect(archive_url, autocommit=True) as reader:
            seen = [r[0] for r in reader.execute("SELECT seq FROM naive WHERE seq > 0 ORDER BY seq")]
            a.commit()
            later = [r[0] for r in reader.execute("SELECT seq FROM naive WHERE seq > %s ORDER BY seq", (seen[-1],))]
    assert first < second and seen == [second] and later == []  # the row numbered first is never read


def test_two_concurrent_transactions_take_numbers_in_commit_order(archive_url):
    with psycopg.connect(archive_url) as a, psycopg.connect(archive_url) as b:
        seq_a = _insert(a, 1)  # A holds the feed lock until it commits
        result = {}
        committed = threading.Event()

        def writer_b():
            result["seq"] = _insert(b, 2)  # waits for A
            committed.wait(30)
            b.commit()

        thread = threading.Thread(target=writer_b)
        thread.start()
        try:
            assert _wait_for_lock_wait(archive_url, b.info.backend_pid) == "advisory"
            assert "seq" not in result  # B has no number while A is open
            assert _visible_seqs(archive_url) == []
            a.commit()
            for _ in range(500):
                if "seq" in result:
                    break
                time.sleep(0.01)
            assert result["seq"] > seq_a
            assert _visible_seqs(archive_url) == [seq_a]  # B took its number but has not committed
        finally:
            committed.set()
            thread.join(30)
    assert _visible_seqs(archive_url, after=seq_a) == [result["seq"]]


def test_a_reader_polling_during_concurrent_writers_ends_with_every_row_exactly_once(archive_url):
    """Four writers insert and update with pauses inside their transactions; a reader that only
    ever asks for change_seq > last ends holding the table's final state, with no number twice."""
    writers, transactions = 4, 12
    done = threading.Event()
    errors = []

    def write(w: int):
        rng = random.Random(w)
        try:
            with psycopg.connect(archive_url) as conn:
                for t in range(transactions):
                    for k in range(rng.randint(1, 3)):
                        _insert(conn, w * 1000 + t * 10 + k)
                        time.sleep(rng.random() * 0.01)
                    if t and rng.random() < 0.5:  # change a row of an earlier transaction
                        conn.execute("UPDATE articles SET title = title || '改' WHERE url = %s",
                                     (f"https://www.lcxw.cn/t/{w * 1000 + rng.randrange(t) * 10}.html",))
                    time.sleep(rng.random() * 0.01)
                    conn.commit()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    async def read():
        mirror, seen, last = {}, set(), 0
        async with await psycopg.AsyncConnection.connect(archive_url) as conn:
            while True:
                finished = done.is_set()
                async with changes_after(conn, last) as changes:
                    async for r in changes:
                        assert r["change_seq"] > last and r["change_seq"] not in seen
                        seen.add(r["change_seq"])
                        mirror[r["id"]] = (r["title"], r["change_seq"])
                    assert changes.last_seq >= last
                    last = changes.last_seq
                if finished:
                    return mirror
                await asyncio.sleep(0.003)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()

    def wait_writers():
        for t in threads:
            t.join(120)
        done.set()

    waiter = threading.Thread(target=wait_writers)
    waiter.start()
    mirror = run(read())
    waiter.join()
    assert not errors
    with psycopg.connect(archive_url) as conn:
        final = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, title, change_seq FROM articles")}
    assert len(final) >= writers * transactions
    assert mirror == final


def test_store_revisions_and_touches_in_the_feed(archive_url):
    changed = story_article(1, subtitle="更正")

    async def go(archive):
        await archive.store([story_article(1), story_article(2)])
        first, last1 = await _read(archive_url, 0)
        await archive.store([story_article(2)])  # unchanged: only last_seen moves
        touched, last2 = await _read(archive_url, last1)
        await archive.store([changed])
        revised, last3 = await _read(archive_url, last2, revisions=True)
        everything, last4 = await _read(archive_url, 0, revisions=True)
        return first, last1, touched, last2, revised, last3, everything, last4

    first, last1, touched, last2, revised, last3, everything, last4 = run(_with_archive(archive_url, go))
    assert [r["kind"] for r in first] == ["article", "article"]
    assert [r["change_seq"] for r in first] == sorted(r["change_seq"] for r in first)
    assert last1 == max(r["change_seq"] for r in first)
    assert touched == [] and last2 == last1
    # the old version first (as a revision), then the article's new version
    assert [(r["kind"], r["revision"]) for r in revised] == [("revision", 1), ("article", 2)]
    assert revised[0]["url"] == revised[1]["url"] == changed.url and revised[0]["subtitle"] is None
    assert revised[1]["subtitle"] == "更正" and last3 == revised[1]["change_seq"]
    # from the start: each row's current version once, in order
    assert [(r["kind"], r["id"]) for r in everything] == [("article", first[1]["id"]), *(
        (r["kind"], r["id"]) for r in revised)]
    assert last4 == last3


def test_a_new_canonical_copy_re_enters_the_old_one(archive_url):
    aggregator = article("https://www.yybnet.net/liaocheng/news/202601/9.html", portal="yybnet")
    origin = article()  # the same text on the origin portal: becomes the canonical copy

    async def go(archive):
        await archive.store([aggregator])
        before, last = await _read(archive_url, 0)
        await archive.store([origin])
        after, _ = await _read(archive_url, last)
        return before, after

    before, after = run(_with_archive(archive_url, go))
    assert [(r["portal"], r["is_canonical"]) for r in before] == [("yybnet", True)]
    assert sorted((r["portal"], r["is_canonical"]) for r in after) == [("lcxw", True), ("yybnet", False)]
    assert len({r["story_id"] for r in after}) == 1


def test_one_notification_per_committed_batch_carries_its_last_number(archive_url):
    async def go():
        listener = await psycopg.AsyncConnection.connect(archive_url, autocommit=True)
        archive = await Archive.open(archive_url)
        try:
            await listener.execute(f"LISTEN {feed.CHANNEL}")
            await archive.store([story_article(i) for i in range(3)])
            await archive.store([story_article(0)])  # unchanged: no number, no notification
            await archive.store([story_article(3)])
            notes = [n.payload async for n in listener.notifies(timeout=1.0)]
            async with listener.transaction():
                seqs = [r[0] for r in await (await listener.execute(
                    "SELECT change_seq FROM api.articles ORDER BY change_seq")).fetchall()]
            return notes, seqs
        finally:
            await archive.close()
            await listener.close()

    notes, seqs = run(go())
    assert notes == [str(seqs[2]), str(seqs[3])]


def test_notifications_helper_yields_high_water_marks(archive_url):
    async def go():
        listener = await psycopg.AsyncConnection.connect(archive_url, autocommit=True)
        archive = await Archive.open(archive_url)
        try:
            got = []

            async def listen():
                async for seq in feed.notifications(listener, timeout=2.0):
                    got.append(seq)
                    if len(got) == 2:
                        return

            task = asyncio.create_task(listen())
            await asyncio.sleep(0.2)
            await archive.store([story_article(10)])
            await archive.store([story_article(11)])
            await asyncio.wait_for(task, 10)
            async with await psycopg.AsyncConnection.connect(archive_url) as conn:
                return got, await feed.high_water(conn)
        finally:
            await archive.close()
            await listener.close()

    got, high = run(go())
    assert got[1] == high and got[0] < got[1]


def test_publication_date_filters_and_undated_rows(archive_url):
    old = story_article(1, published_at=datetime(2025, 12, 31, 23, 30, tzinfo=SH))
    new = story_article(2, published_at=datetime(2026, 1, 1, 0, 30, tzinfo=SH))
    undated = story_article(3, published_at=None)

    async def go(archive):
        await archive.store([old, new, undated])
        since = datetime(2026, 1, 1, tzinfo=SH)
        return (await _read(archive_url, 0, filters=Filters(published_since=since)),
                await _read(archive_url, 0, filters=Filters(published_since=since, undated=True)),
                await _read(archive_url, 0, filters=Filters(published_until=since)),
                await _read(archive_url, 0),
                await _read(archive_url, 0, filters=Filters(portal="yybnet")))

    since, with_undated, until, everything, other_portal = run(_with_archive(archive_url, go))
    urls = lambda rows: [r["url"] for r in rows[0]]  # noqa: E731
    assert urls(since) == [new.url]
    assert urls(with_undated) == [new.url, undated.url]
    assert urls(until) == [old.url]
    assert urls(everything) == [old.url, new.url, undated.url]
    assert urls(other_portal) == []
    # the last number is the snapshot's, whatever the filter kept: a filtered consumer resumes exactly
    assert since[1] == until[1] == other_portal[1] == everything[1]


def test_records_are_the_view_rows_with_shanghai_times(archive_url):
    a = story_article(1, published_at=datetime(2026, 1, 22, 3, 2, 37, tzinfo=timezone.utc))

    async def go(archive):
        await archive.store([a])
        async with await psycopg.AsyncConnection.connect(archive_url) as conn:
            cur = conn.cursor(row_factory=dict_row)
            view = await (await cur.execute("SELECT * FROM api.articles")).fetchall()
        return await _read(archive_url, 0, as_json=True), await _read(archive_url, 0), view

    (texts, _), (records, _), (row,) = run(_with_archive(archive_url, go))
    (record,) = records
    assert [json.loads(t) for t in texts] == records
    assert list(record) == ["kind", *row]  # the view's columns, in order, after the kind
    assert record["kind"] == "article" and record["published_at"] == "2026-01-22T11:02:37+08:00"
    assert record["body"] == a.body_text and record["authors"] == [] and record["id"] == row["id"]
    assert record["normalisation"] == row["normalisation"] and record["is_canonical"] is True


def test_bad_arguments_are_refused(archive_url):
    async def go():
        async with await psycopg.AsyncConnection.connect(archive_url) as conn:
            with pytest.raises(ValueError, match="time zone"):
                async with changes_after(conn, 0, filters=Filters(published_since=datetime(2026, 1, 1))):
                    pass
            with pytest.raises(ValueError, match="0 or more"):
                changes_after(conn, -1)
            async with changes_after(conn, 0) as changes:  # the connection is usable afterwards
                assert [r async for r in changes] == []

    run(go())
