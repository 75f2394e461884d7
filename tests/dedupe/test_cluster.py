"""place(): stories in a real PostgreSQL archive (a fresh migrated database per test)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from liaocheng_news.dedupe import sketch
from liaocheng_news.dedupe.cluster import Placement, place
from tests.dedupe.labelled_pairs import SHORT_STORIES, body, mirror, pairs, rechrome, seed_paragraphs, trim

T0 = datetime(2024, 12, 20, 6, 0, tzinfo=timezone.utc)
SEED0 = seed_paragraphs("000")


async def insert(conn, url: str, text: str, portal: str = "lcxw", *, title: str = "标题",
                 published_at: datetime | None = T0, first_seen: datetime = T0) -> int:
    """What the lead's store does before it calls place(): one article row, content_hash set."""
    row = await (
        await conn.execute(
            "INSERT INTO articles (url, portal, title, body, content_hash, published_at, first_seen)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (url, portal, title, text, sketch.fingerprint(text), published_at, first_seen),
        )
    ).fetchone()
    return row[0]


async def store(conn, url: str, text: str, **kw) -> tuple[int, Placement]:
    """Insert and place in one transaction, as the store does."""
    async with conn.transaction():
        article_id = await insert(conn, url, text, **kw)
        return article_id, await place(conn, article_id)


async def update_body(conn, article_id: int, text: str) -> Placement:
    async with conn.transaction():
        await conn.execute(
            "UPDATE articles SET body = %s, content_hash = %s, revision = revision + 1 WHERE id = %s",
            (text, sketch.fingerprint(text), article_id),
        )
        return await place(conn, article_id)


async def one(conn, sql: str, *args):
    return (await (await conn.execute(sql, args)).fetchone())[0]


def run(archive_url, scenario):
    async def main():
        async with await psycopg.AsyncConnection.connect(archive_url, autocommit=True) as conn:
            await scenario(conn)

    asyncio.run(main())


def test_first_article_makes_a_new_story_with_itself_canonical(archive_url):
    async def scenario(conn):
        aid, placed = await store(conn, "https://www.lcxw.cn/a/1.html", body(SEED0))
        assert placed.outcome == "new_story" and placed.created and placed.previous_story_id is None
        assert await one(conn, "SELECT story_id FROM articles WHERE id = %s", aid) == placed.story_id
        assert await one(conn, "SELECT canonical_article_id FROM stories WHERE id = %s", placed.story_id) == aid
        assert await one(conn, "SELECT count(*) FROM article_bands WHERE article_id = %s", aid) == sketch.BANDS
        # placing it again (a re-sighting) changes nothing
        async with conn.transaction():
            again = await place(conn, aid)
        assert (again.story_id, again.outcome, again.created) == (placed.story_id, "new_story", False)
        assert await one(conn, "SELECT count(*) FROM article_bands WHERE article_id = %s", aid) == sketch.BANDS
        assert await one(conn, "SELECT count(*) FROM stories") == 1

    run(archive_url, scenario)


def test_exact_copy_at_another_url_joins_as_exact(archive_url):
    async def scenario(conn):
        _, first = await store(conn, "https://www.lcxw.cn/a/1.html", body(SEED0))
        # punctuation and spacing differ: still the same fingerprint
        copy = body(SEED0).replace(",", ",").replace("\n", "\n\n")
        _, placed = await store(conn, "https://www.yybnet.net/liaocheng/news/1.html", copy, portal="yybnet")
        assert placed == Placement(first.story_id, "exact", created=False, previous_story_id=None)
        assert await one(conn, "SELECT count(*) FROM stories") == 1

    run(archive_url, scenario)


def test_near_copies_join_the_story(archive_url):
    async def scenario(conn):
        _, first = await store(conn, "https://www.lcxw.cn/a/1.html", body(SEED0))
        variants = {
            "https://www.yybnet.net/t.html": body(rechrome(trim(SEED0, 2, -1), "yybnet")),
            "https://farm.example/t.html": body(mirror(trim(SEED0, 5), seed=1)),
            "https://liaocheng.dzwww.com/t.htm": body(rechrome(SEED0, "dzwww")),
        }
        for url, text in variants.items():
            _, placed = await store(conn, url, text, portal="yybnet")
            assert (placed.story_id, placed.outcome, placed.created) == (first.story_id, "copy", False), url
        assert await one(conn, "SELECT count(*) FROM stories") == 1

    run(archive_url, scenario)


def test_different_stories_stay_apart_even_sharing_a_quoted_company(archive_url):
    async def scenario(conn):
        _, s3 = await store(conn, "http://lcrb.lcxw.cn/paper/pc/content/content_1.html", body(seed_paragraphs("003")), portal="lcrb")
        _, s4 = await store(conn, "https://www.achie.org/news/1.html", body(seed_paragraphs("004")), portal="achie")
        shared = [*SHORT_STORIES["wheat_yanggu"], max(SHORT_STORIES["wheat_shenxian"], key=len)]
        _, w1 = await store(conn, "https://www.lcxw.cn/w/1.html", body(SHORT_STORIES["wheat_shenxian"]))
        _, w2 = await store(conn, "https://www.lcxw.cn/w/2.html", body(shared))
        assert [p.outcome for p in (s3, s4, w1, w2)] == ["new_story"] * 4
        assert len({p.story_id for p in (s3, s4, w1, w2)}) == 4

    run(archive_url, scenario)


def test_tiny_and_empty_bodies_never_match_by_accident(archive_url):
    async def scenario(conn):
        _, a = await store(conn, "https://www.lcxw.cn/p/1.html", "", title="图片新闻一")
        _, b = await store(conn, "https://www.lcxw.cn/p/2.html", "", title="图片新闻一")
        _, c = await store(conn, "https://www.lcxw.cn/p/3.html", "详见附件。", title="通知一")
        _, d = await store(conn, "https://www.lcxw.cn/p/4.html", "详见附件。", title="通知二")
        _, e = await store(conn, "https://www.yybnet.net/p/5.html", "详见附件!", title="通知一", portal="yybnet")
        assert len({a.story_id, b.story_id, c.story_id, d.story_id}) == 4
        assert (e.story_id, e.outcome) == (c.story_id, "exact")  # same short text and same title

    run(archive_url, scenario)


def test_canonical_copy_follows_the_documented_rule(archive_url):
    async def scenario(conn):
        text = body(SEED0)
        canonical = "SELECT canonical_article_id FROM stories WHERE id = %s"
        mirror_id, p = await store(conn, "https://farm.example/1.html", text, portal="mirror", published_at=T0 - timedelta(days=3))
        sid = p.story_id
        assert await one(conn, canonical, sid) == mirror_id
        agg_id, _ = await store(conn, "https://www.yybnet.net/1.html", text, portal="yybnet")
        assert await one(conn, canonical, sid) == agg_id  # aggregator over mirror, however early the mirror
        epaper_id, _ = await store(conn, "http://lcrb.lcxw.cn/c/1.html", text, portal="lcrb")
        assert await one(conn, canonical, sid) == epaper_id  # e-paper over aggregator
        late_id, _ = await store(conn, "https://www.lcxw.cn/late.html", text, published_at=T0 + timedelta(hours=2))
        assert await one(conn, canonical, sid) == late_id  # origin over e-paper
        early_id, _ = await store(conn, "https://www.lcxw.cn/early.html", text, published_at=T0 + timedelta(hours=1))
        assert await one(conn, canonical, sid) == early_id  # earliest published among equals
        await store(conn, "https://www.lcxw.cn/undated.html", text, published_at=None, first_seen=T0 - timedelta(days=9))
        assert await one(conn, canonical, sid) == early_id  # an unknown date sorts last
        seen_first, _ = await store(conn, "https://www.lcxw.cn/seen.html", text, published_at=T0 + timedelta(hours=1),
                                    first_seen=T0 - timedelta(days=1))
        assert await one(conn, canonical, sid) == seen_first  # same date: first seen wins
        tie, _ = await store(conn, "https://www.lcxw.cn/tie.html", text, published_at=T0 + timedelta(hours=1),
                             first_seen=T0 - timedelta(days=1))
        assert tie > seen_first and await one(conn, canonical, sid) == seen_first  # then the lowest id
        assert await one(conn, "SELECT count(DISTINCT story_id) FROM articles") == 1

    run(archive_url, scenario)


def test_replacing_after_a_content_change(archive_url):
    async def scenario(conn):
        canonical = "SELECT canonical_article_id FROM stories WHERE id = %s"
        a, pa = await store(conn, "https://www.lcxw.cn/a.html", body(SEED0))
        b, pb = await store(conn, "https://www.yybnet.net/b.html", body(trim(SEED0, 1)), portal="yybnet")
        story = pa.story_id
        assert pb.story_id == story and await one(conn, canonical, story) == a

        # a correction (one paragraph rewritten) keeps the story
        edited = list(SEED0)
        edited[4] = "这是一段更正后的文字,替换了原来的第五段内容,其余段落保持不变,记者核实后重新发布。"
        placed = await update_body(conn, a, body(edited))
        assert (placed.story_id, placed.outcome, placed.previous_story_id) == (story, "copy", story)

        # the page now carries another story: a leaves, b stays and becomes canonical
        placed = await update_body(conn, a, body(seed_paragraphs("003")))
        assert placed.story_id != story and placed.created and placed.outcome == "new_story"
        assert await one(conn, canonical, story) == b
        bands_now = await one(conn, "SELECT array_agg(band ORDER BY band) FROM article_bands WHERE article_id = %s", a)
        assert sorted(bands_now) == sorted(sketch.body_bands(body(seed_paragraphs("003"))))

        # alone in its story and edited again: it keeps its story id
        alone = placed.story_id
        placed = await update_body(conn, a, body(trim(seed_paragraphs("003"), 0)))
        assert (placed.story_id, placed.outcome, placed.created) == (alone, "new_story", False)

        # alone, then rewritten into a copy of b's story: it joins, and its old story is gone
        placed = await update_body(conn, a, body(SEED0))
        assert (placed.story_id, placed.outcome) == (story, "copy")
        assert await one(conn, "SELECT count(*) FROM stories WHERE id = %s", alone) == 0
        assert await one(conn, canonical, story) == a

    run(archive_url, scenario)


def test_place_refuses_to_run_outside_a_transaction(archive_url):
    async def scenario(conn):
        async with conn.transaction():
            aid = await insert(conn, "https://www.lcxw.cn/a.html", body(SEED0))
        with pytest.raises(RuntimeError, match="transaction"):
            await place(conn, aid)

    run(archive_url, scenario)


def test_two_crawls_placing_copies_at_once_make_one_story(archive_url):
    """Two processes insert copies of one story and place them at the same moment."""

    async def crawl(url: str, text: str, portal: str, inserted: asyncio.Barrier) -> Placement:
        async with await psycopg.AsyncConnection.connect(archive_url) as conn:
            async with conn.transaction():
                # both transactions open; the change feed (migration 0004) lets one write articles
                # at a time, so the second insert waits for the first to commit
                await inserted.wait()
                aid = await insert(conn, url, text, portal=portal)
                placed = await place(conn, aid)
                await asyncio.sleep(0.05)  # hold the transaction open a little: the other must wait
                return placed

    async def main():
        for seed in ("000", "003", "004"):
            paras = seed_paragraphs(seed)
            barrier = asyncio.Barrier(2)
            a, b = await asyncio.gather(
                crawl(f"https://www.lcxw.cn/{seed}.html", body(paras), "lcxw", barrier),
                crawl(f"https://www.yybnet.net/{seed}.html", body(rechrome(trim(paras, 3), "yybnet")), "yybnet", barrier),
            )
            assert a.story_id == b.story_id
            assert sorted(p.outcome for p in (a, b)) == ["copy", "new_story"]
        async with await psycopg.AsyncConnection.connect(archive_url) as conn:
            assert await one(conn, "SELECT count(*) FROM stories") == 3
            assert await one(conn, "SELECT count(*) FROM articles WHERE story_id IS NULL") == 0

    asyncio.run(main())


def test_labelled_set_clusters_in_the_archive(archive_url):
    """Every body of the labelled set placed into one archive: stories agree with the labels."""
    labelled = pairs()
    bodies = list(dict.fromkeys(text for p in labelled for text in (p.a, p.b)))

    async def scenario(conn):
        story_of = {}
        for n, text in enumerate(bodies):
            _, placed = await store(conn, f"https://example.org/{n}.html", text)
            story_of[text] = placed.story_id
        wrong = [p.name for p in labelled if (story_of[p.a] == story_of[p.b]) != p.same]
        same = [p for p in labelled if p.same]
        recall = sum(story_of[p.a] == story_of[p.b] for p in same) / len(same)
        print(f"\narchive clustering of {len(bodies)} labelled bodies: recall {recall:.3f}, disagreements {wrong}")
        assert not [p.name for p in labelled if not p.same and story_of[p.a] == story_of[p.b]]
        assert recall >= 0.95

    run(archive_url, scenario)


def test_a_story_with_more_copies_than_a_band_reads_still_takes_new_copies(archive_url):
    """Band lookups read at most MAX_PER_BAND rows each; a widely copied story still matches."""
    from liaocheng_news.dedupe.cluster import MAX_PER_BAND

    async def scenario(conn):
        n = len(SEED0)
        stories = set()
        for i in range(MAX_PER_BAND + 5):
            drop = (i % n, (i // n + i + 1) % n)  # a different pair of paragraphs each time
            _, placed = await store(conn, f"https://farm{i}.example/a.html", body(trim(SEED0, *drop)), portal="mirror")
            stories.add(placed.story_id)
        assert len(stories) == 1
        _, placed = await store(conn, "https://www.lcxw.cn/a.html", body(SEED0))
        assert (placed.story_id, placed.outcome) == (stories.pop(), "copy")
        canonical = await one(conn, "SELECT canonical_article_id FROM stories WHERE id = %s", placed.story_id)
        assert await one(conn, "SELECT portal FROM articles WHERE id = %s", canonical) == "lcxw"

    run(archive_url, scenario)


def test_a_repaired_copy_ranks_as_a_mirror_whatever_its_chrome(archive_url):
    """A Traditional+pinyin copy carrying lcxw's page chrome (seed 001) loses to lcxw's own page."""
    async def scenario(conn):
        text = body(SEED0)
        canonical = "SELECT canonical_article_id FROM stories WHERE id = %s"
        async with conn.transaction():
            repaired = await insert(conn, "file:///liaocheng_news/seeds/001.txt", text, published_at=T0 - timedelta(hours=1))
            await conn.execute("UPDATE articles SET normalisation = '{\"converted_from_traditional\": 812}' WHERE id = %s",
                               (repaired,))
            sid = (await place(conn, repaired)).story_id
        aggregator, _ = await store(conn, "https://www.yybnet.net/2.html", text, portal="yybnet")
        assert await one(conn, canonical, sid) == aggregator  # the repaired "lcxw" copy ranks as a mirror
        origin, _ = await store(conn, "https://www.lcxw.cn/clean.html", text)
        assert await one(conn, canonical, sid) == origin

    run(archive_url, scenario)


def test_placing_a_batch_decides_as_placing_its_articles_one_after_the_other(archive_url):
    """place_new() (the store's batch) against place() article by article, on one batch that
    holds copies of an archived story, exact and near copies of its own earlier articles, short
    items and unrelated stories; each way runs in a transaction that is rolled back."""
    from random import Random

    from liaocheng_news.dedupe.cluster import place_new, lock_placement
    from tests.dedupe.labelled_pairs import stories

    archived = body(SEED0)
    batch: list[tuple[str, str, str]] = []  # (url, title, body)
    for n, (name, paras) in enumerate(stories().items()):
        batch.append((f"https://www.lcxw.cn/{name}.html", name, body(paras)))
        if len(paras) > 3:
            batch.append((f"https://www.yybnet.net/{name}.html", name, body(rechrome(trim(paras, 1), "yybnet"))))
        batch.append((f"https://farm.example/{name}.html", name, body(mirror(paras, seed=n))))
        batch.append((f"https://liaocheng.dzwww.com/{name}.htm", name, body(paras).replace("\n", "\n\n")))
    batch.append(("https://www.yybnet.net/archived-copy.html", "000", body(rechrome(trim(SEED0, 2), "yybnet"))))
    batch.append(("https://liaocheng.dzwww.com/empty.htm", "空", ""))
    batch.append(("https://liaocheng.dzwww.com/empty2.htm", "空", ""))
    Random(5).shuffle(batch)

    async def decide(conn, together: bool):
        await conn.execute("BEGIN")
        try:
            await lock_placement(conn)
            ids = [await insert(conn, url, text, title=title) for url, title, text in batch]
            if together:
                placed = await place_new(conn, [(i, title, text, sketch.fingerprint(text) if text else None)
                                                for i, (_, title, text) in zip(ids, batch)])
            else:
                placed = [await place(conn, i) for i in ids]
            rows = await (await conn.execute(
                "SELECT a.id, a.story_id, s.canonical_article_id FROM articles a JOIN stories s ON s.id = a.story_id"
                " WHERE a.id = ANY(%s)", (ids,))).fetchall()
            bands = await one(conn, "SELECT count(*) FROM article_bands WHERE article_id = ANY(%s)", ids)
        finally:
            await conn.execute("ROLLBACK")
        position = {i: n for n, i in enumerate(ids)}
        # stories compared by their members (positions in the batch), ids aside
        members: dict[int, set[int]] = {}
        for article_id, story_id, _ in rows:
            members.setdefault(story_id, set()).add(position[article_id])
        canonical = {frozenset(members[s]): position.get(c, "archived") for _, s, c in rows}
        decisions = [(p.outcome, p.created, frozenset(members[p.story_id])) for p in placed]
        return decisions, canonical, bands

    async def scenario(conn):
        await store(conn, "https://www.lcxw.cn/archived.html", archived, title="000")
        one_by_one = await decide(conn, together=False)
        together = await decide(conn, together=True)
        assert together == one_by_one
        outcomes = [d[0] for d in together[0]]
        assert {"exact", "copy", "new_story"} <= set(outcomes)  # the batch meets every case
        assert any(len(d[2]) >= 3 for d in together[0])

    run(archive_url, scenario)
