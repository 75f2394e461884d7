"""The frontier's rows in a real archive: passes planned and resumed, pending URLs, and several
runs (scrapyd nodes) on one archive at once, each holding its lease as an advisory lock."""

from __future__ import annotations

import asyncio

import psycopg

from liaocheng_news.db.archive import Archive
from liaocheng_news.db.frontier import FrontierStore, Lease
from tests.helpers import article, run

SECTIONS = {"要闻/社会": "https://www.lcxw.cn/yaowen/shehui/index.html", "快讯": "https://www.lcxw.cn/kuaixun/index.html"}
LINKS = [(f"https://www.lcxw.cn/kuaixun/20251130/{n}.html",) * 2 for n in range(1, 4)]


async def node(url: str, run_id: int | None = None) -> tuple[Archive, Lease, FrontierStore]:
    """One crawl's view of the archive: its pool, its lease, its frontier."""
    archive = await Archive.open(url)
    lease = Lease(url)
    return archive, lease, FrontierStore(archive.pool, await lease.acquire(), run_id)


async def close(archive: Archive, lease: Lease) -> None:
    await lease.close()
    await archive.close()


def test_a_first_run_reads_every_section_to_its_end_and_the_next_resumes_where_it_stopped(archive_url):
    async def go():
        archive, lease, store = await node(archive_url)
        first = await store.plan("lcxw", SECTIONS)
        assert [(c.section, c.page_no, c.stop_at_known, c.resumed) for c in first] == [
            ("要闻/社会", 1, False, False), ("快讯", 1, False, False)]  # never crawled: read to the end
        shehui, kuaixun = first
        # 快讯 is read to its end; 要闻/社会 stops after page 1 (killed, a database lost …)
        assert await store.page_read("lcxw", kuaixun, LINKS, None)
        assert await store.page_read("lcxw", shehui, [], ("https://www.lcxw.cn/yaowen/shehui/index_2.html", 2))
        await close(archive, lease)  # the run ends: its lease goes with its connection

        archive, lease, store = await node(archive_url)
        second = await store.plan("lcxw", SECTIONS)
        await close(archive, lease)
        return second

    second = run(go())
    resumed = [c for c in second if c.resumed]
    tops = [c for c in second if not c.resumed]
    # 要闻/社会 resumes at page 2, still reading to the end; both tops may stop at known pages now
    assert [(c.section, c.page_no, c.url, c.stop_at_known) for c in resumed] == [
        ("要闻/社会", 2, "https://www.lcxw.cn/yaowen/shehui/index_2.html", False)]
    assert sorted((c.section, c.page_no, c.stop_at_known) for c in tops) == [("快讯", 1, True), ("要闻/社会", 1, True)]


def test_a_live_run_keeps_its_passes_and_pending_urls_a_dead_one_frees_them_at_once(archive_url):
    async def go():
        a_archive, a_lease, a = await node(archive_url)
        b_archive, b_lease, b = await node(archive_url)
        passes = await a.plan("lcxw", SECTIONS)
        assert await a.page_read("lcxw", passes[1], LINKS, ("https://www.lcxw.cn/kuaixun/index_2.html", 2))
        # node B starts while A crawls: it neither takes A's passes nor reads the tops A reads
        assert await b.plan("lcxw", SECTIONS) == []
        assert (await b.claim_pending("lcxw", 100, 5))[0] == []
        # A's process dies (its connection with it): B takes over at once, where A stood
        await a_lease.close()
        # the server ends A's session (and its lease lock) just after the socket closes: B sees it
        # within moments, never only after a lease time-out
        for _ in range(50):
            taken = await b.plan("lcxw", SECTIONS)
            if taken:
                break
            await asyncio.sleep(0.1)
        pending, _ = await b.claim_pending("lcxw", 100, 5)
        # A cannot move a pass that is B's now
        moved = await a.page_read("lcxw", passes[1], [], ("https://www.lcxw.cn/kuaixun/index_3.html", 3))
        await a_archive.close()
        await close(b_archive, b_lease)
        return taken, pending, moved

    taken, pending, moved = run(go())
    # A's unfinished passes, resumed; and 快讯's top read again (A's pass over it had moved on)
    assert sorted((c.section, c.page_no, c.resumed) for c in taken) == [
        ("快讯", 1, False), ("快讯", 2, True), ("要闻/社会", 1, True)]
    assert sorted(p.url for p in pending) == sorted(u for u, _ in LINKS) and all(p.attempts == 1 for p in pending)
    assert moved is False


def test_two_runs_planning_at_once_read_each_top_once(archive_url):
    async def go():
        nodes = [await node(archive_url) for _ in range(2)]
        plans = await asyncio.gather(*(store.plan("lcxw", SECTIONS) for _, _, store in nodes))
        for archive, lease, _ in nodes:
            await close(archive, lease)
        return plans

    plans = run(go())
    assert sorted(c.section for plan in plans for c in plan) == sorted(SECTIONS)


def test_pending_urls_are_done_once_stored_and_given_up_after_their_attempts(archive_url):
    async def go():
        archive, lease, store = await node(archive_url)
        passes = await store.plan("lcxw", SECTIONS)
        await store.page_read("lcxw", passes[1], LINKS, None)
        await archive.store([article(LINKS[0][0])])  # stored, but the run died before marking it done
        await store.resolve([LINKS[1][0]])  # dropped: done with
        await close(archive, lease)
        claims = []
        for _ in range(4):  # three runs claim the last one and never store it; the fourth gives it up
            archive, lease, store = await node(archive_url)
            claims.append(await store.claim_pending("lcxw", 100, 3))
            await close(archive, lease)
        return claims

    claims = run(go())
    assert [[p.url for p in pending] for pending, _ in claims] == [[LINKS[2][0]]] * 3 + [[]]
    assert [gone for _, gone in claims] == [[], [], [], [LINKS[2][0]]]
    with psycopg.connect(archive_url) as conn:
        assert conn.execute("SELECT count(*) FROM crawl_pending").fetchone()[0] == 0
