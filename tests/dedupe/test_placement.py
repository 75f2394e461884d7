"""Story placement in a real PostgreSQL archive (a fresh migrated database per test): the store's
path (Archive.store → db.stories.plan / finish), merges and redirects, canonical copies."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from liaocheng_news.db import stories
from liaocheng_news.db.archive import Archive
from liaocheng_news.dedupe import sketch
from liaocheng_news.items import Article
from tests.dedupe.labelled_pairs import (
    SHORT_STORIES, TITLES, body, corpus, excerpt, lead_only, mirror, pairs, rechrome, seed_paragraphs, trim)

T0 = datetime(2024, 12, 20, 6, 0, tzinfo=timezone.utc)
SEED0 = seed_paragraphs("000")
OLD_TOWN = "old_town"


def art(url: str, paras, portal: str = "lcxw", *, title: str = "标题", published_at: datetime | None = T0,
        first_seen: datetime = T0, extraction: str = "portal", normalisation: dict | None = None) -> Article:
    a = Article(url=url, portal=portal, title=title, body=list(paras), published_at=published_at,
                extraction=extraction, fetched_at=first_seen, normalisation=dict(normalisation or {}))
    a.content_hash = sketch.fingerprint(a.body_text)
    return a


def run(archive_url, scenario):
    async def main():
        archive = await Archive.open(archive_url)
        try:
            async with await psycopg.AsyncConnection.connect(archive_url, autocommit=True) as conn:
                await scenario(archive, conn)
        finally:
            await archive.close()

    asyncio.run(main())


async def one(conn, sql: str, *args):
    return (await (await conn.execute(sql, args)).fetchone())[0]


async def store1(archive: Archive, a: Article):
    (result,) = await archive.store([a])
    return result


CANONICAL = "SELECT canonical_article_id FROM stories WHERE id = %s"


def test_first_article_makes_a_story_with_itself_canonical_and_its_keys(archive_url):
    async def scenario(archive, conn):
        r = await store1(archive, art("https://www.lcxw.cn/a/1.html", SEED0, title=TITLES["seed000"]))
        assert (r.outcome, r.placement, r.created) == ("new", "new_story", True)
        assert await one(conn, "SELECT story_id FROM articles WHERE id = %s", r.article_id) == r.story_id
        assert await one(conn, CANONICAL, r.story_id) == r.article_id
        keys = sketch.article_sketch(TITLES["seed000"], body(SEED0)).keys
        stored = await one(conn, "SELECT array_agg(key ORDER BY key) FROM article_passages WHERE article_id = %s", r.article_id)
        assert stored == sorted(keys) and len(keys) > 30
        assert await one(conn, "SELECT content_chars FROM articles WHERE id = %s", r.article_id) == \
            sketch.article_sketch("", body(SEED0)).size
        # placing the stored row again changes nothing
        async with conn.transaction():
            again = await stories.place(conn, r.article_id)
        assert (again.story_id, again.outcome, again.created) == (r.story_id, "new_story", False)
        assert await one(conn, "SELECT count(*) FROM article_passages WHERE article_id = %s", r.article_id) == len(keys)
        assert await one(conn, "SELECT count(*) FROM stories") == 1

    run(archive_url, scenario)


def test_a_new_row_is_written_once_with_its_story_id(archive_url):
    """The store inserts each new row with its story set: no UPDATE of a just-inserted row
    (counted in the transaction's own statistics)."""
    async def scenario(archive, conn):
        await store1(archive, art("https://www.lcxw.cn/a/1.html", SEED0))
        batch = [art("https://www.yybnet.net/a/2.html", trim(SEED0, 3), "yybnet"),
                 art("https://www.lcxw.cn/b/1.html", SHORT_STORIES["canal"]),
                 art("https://www.lcxw.cn/b/2.html", SHORT_STORIES["jobs_fair"])]
        async with conn.transaction():
            await stories.lock(conn)
            results = await Archive._store_distinct(conn, batch, None, T0)
            updated = await one(conn, "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'articles'")
            inserted = await one(conn, "SELECT n_tup_ins FROM pg_stat_xact_user_tables WHERE relname = 'articles'")
        assert (inserted, updated) == (3, 0)
        assert [r.placement for r in results] == ["copy", "new_story", "new_story"]
        assert await one(conn, "SELECT count(*) FROM articles WHERE story_id IS NULL") == 0

    run(archive_url, scenario)


def test_exact_and_near_copies_join_the_story(archive_url):
    async def scenario(archive, conn):
        first = await store1(archive, art("https://www.lcxw.cn/a/1.html", SEED0))
        copy = body(SEED0).replace(",", ",").replace("\n", "\n\n").split("\n")
        r = await store1(archive, art("https://www.yybnet.net/1.html", copy, "yybnet"))
        assert (r.story_id, r.placement, r.created) == (first.story_id, "exact", False)
        for url, paras in {"https://www.yybnet.net/t.html": rechrome(trim(SEED0, 2, -1), "yybnet"),
                           "https://farm.example/t.html": mirror(trim(SEED0, 5), seed=1),
                           "https://liaocheng.dzwww.com/t.htm": rechrome(SEED0, "dzwww")}.items():
            r = await store1(archive, art(url, paras, "yybnet"))
            assert (r.story_id, r.placement, r.created) == (first.story_id, "copy", False), url
        assert await one(conn, "SELECT count(*) FROM stories") == 1

    run(archive_url, scenario)


def test_excerpts_and_lead_only_copies_join_their_article(archive_url):
    """The forms the MinHash bands never found: 2–3 paragraphs of a long article, its lead."""
    from tests.dedupe.labelled_pairs import farm, stories as labelled

    async def scenario(archive, conn):
        paras = labelled()[OLD_TOWN]
        title = TITLES[OLD_TOWN]
        first = await store1(archive, art("https://www.lcxw.cn/old-town.html", paras, title=title))
        copies = {"https://www.yybnet.net/x2.html": excerpt(paras, 3, 2),
                  "https://www.achie.org/x3.html": excerpt(paras, 6, 3),
                  "https://agg.example/lead.html": lead_only(paras),
                  "https://farm.example/x.html": farm(excerpt(paras, 1, 2), seed=4)}
        for url, copy in copies.items():
            r = await store1(archive, art(url, copy, "yybnet", title=title))
            assert (r.story_id, r.placement) == (first.story_id, "copy"), url
        assert await one(conn, CANONICAL, first.story_id) == first.article_id  # the full copy, not an excerpt

    run(archive_url, scenario)


def test_different_stories_stay_apart_even_sharing_a_quote_or_a_paragraph(archive_url):
    async def scenario(archive, conn):
        r3 = await store1(archive, art("http://lcrb.lcxw.cn/paper/c/1.html", seed_paragraphs("003"), "lcrb"))
        r4 = await store1(archive, art("https://www.achie.org/news/1.html", seed_paragraphs("004"), "achie"))
        shared = [*SHORT_STORIES["wheat_yanggu"], max(SHORT_STORIES["wheat_shenxian"], key=len)]
        w1 = await store1(archive, art("https://www.lcxw.cn/w/1.html", SHORT_STORIES["wheat_shenxian"]))
        w2 = await store1(archive, art("https://www.lcxw.cn/w/2.html", shared))
        brief = await store1(archive, art("https://www.lcxw.cn/w/3.html", [max(seed_paragraphs("003"), key=len)]))
        assert [r.placement for r in (r3, r4, w1, w2, brief)] == ["new_story"] * 5
        assert len({r.story_id for r in (r3, r4, w1, w2, brief)}) == 5

    run(archive_url, scenario)


def test_tiny_and_empty_bodies_never_match_by_accident(archive_url):
    async def scenario(archive, conn):
        a = await store1(archive, art("https://www.lcxw.cn/p/1.html", [], title="图片新闻一"))
        b = await store1(archive, art("https://www.lcxw.cn/p/2.html", [], title="图片新闻一"))
        c = await store1(archive, art("https://www.lcxw.cn/p/3.html", ["详见附件。"], title="通知一"))
        d = await store1(archive, art("https://www.lcxw.cn/p/4.html", ["详见附件。"], title="通知二"))
        e = await store1(archive, art("https://www.yybnet.net/p/5.html", ["详见附件!"], "yybnet", title="通知一"))
        assert len({a.story_id, b.story_id, c.story_id, d.story_id}) == 4
        assert (e.story_id, e.placement) == (c.story_id, "exact")  # same short text and same title

    run(archive_url, scenario)


def test_canonical_copy_is_a_fullest_one_then_page_then_rank_then_date(archive_url):
    async def scenario(archive, conn):
        full, part = list(SEED0), excerpt(SEED0, 4, 3)
        ex = await store1(archive, art("https://www.lcxw.cn/excerpt.html", part, published_at=T0 - timedelta(days=2)))
        sid = ex.story_id
        assert await one(conn, CANONICAL, sid) == ex.article_id  # alone: canonical
        mirror_full = await store1(archive, art("https://farm.example/1.html", full, "mirror"))
        assert await one(conn, CANONICAL, sid) == mirror_full.article_id  # the fullest beats the origin's excerpt
        dump = await store1(archive, art("file:///seeds/000.txt", full, "yybnet", extraction="import",
                                         published_at=T0 - timedelta(days=1)))
        assert await one(conn, CANONICAL, sid) == mirror_full.article_id  # a dump never beats a page, rank aside
        agg = await store1(archive, art("https://www.yybnet.net/1.html", full, "yybnet"))
        assert await one(conn, CANONICAL, sid) == agg.article_id  # aggregator over mirror
        late = await store1(archive, art("https://www.lcxw.cn/late.html", full, published_at=T0 + timedelta(hours=2)))
        assert await one(conn, CANONICAL, sid) == late.article_id  # origin over aggregator
        early = await store1(archive, art("https://www.lcxw.cn/early.html", full, published_at=T0 + timedelta(hours=1)))
        assert await one(conn, CANONICAL, sid) == early.article_id  # earliest published among equals
        await store1(archive, art("https://www.lcxw.cn/undated.html", full, published_at=None, first_seen=T0 - timedelta(days=9)))
        assert await one(conn, CANONICAL, sid) == early.article_id  # an unknown date sorts last
        seen_first = await store1(archive, art("https://www.lcxw.cn/seen.html", full, published_at=T0 + timedelta(hours=1),
                                               first_seen=T0 - timedelta(days=1)))
        assert await one(conn, CANONICAL, sid) == seen_first.article_id  # same date: first seen wins
        truncated = await store1(archive, art("https://www.lcxw.cn/trunc.html", full[: len(full) * 3 // 4],
                                              published_at=T0 - timedelta(days=5)))
        assert truncated.story_id == sid and await one(conn, CANONICAL, sid) == seen_first.article_id
        assert await one(conn, "SELECT count(DISTINCT story_id) FROM articles") == 1
        assert dump.story_id == sid

    run(archive_url, scenario)


def test_a_repaired_copy_ranks_as_a_mirror_whatever_its_chrome(archive_url):
    async def scenario(archive, conn):
        repaired = await store1(archive, art("https://farm.example/001.html", SEED0, "lcxw", published_at=T0 - timedelta(hours=1),
                                             normalisation={"converted_from_traditional": 812}))
        aggregator = await store1(archive, art("https://www.yybnet.net/2.html", SEED0, "yybnet"))
        assert await one(conn, CANONICAL, repaired.story_id) == aggregator.article_id
        origin = await store1(archive, art("https://www.lcxw.cn/clean.html", SEED0))
        assert await one(conn, CANONICAL, repaired.story_id) == origin.article_id

    run(archive_url, scenario)


def test_a_copy_bridging_two_stories_merges_them_and_the_ids_still_resolve(archive_url):
    from tests.dedupe.labelled_pairs import stories as labelled

    async def scenario(archive, conn):
        paras, title = labelled()["bearings"], TITLES["bearings"]
        middle = await store1(archive, art("https://www.lcxw.cn/middle.html", excerpt(paras, 4, 2), title=title))
        head = await store1(archive, art("https://www.yybnet.net/head.html", excerpt(paras, 0, 2), "yybnet", title=title))
        tail = await store1(archive, art("https://www.achie.org/tail.html", excerpt(paras, 8, 3), "achie", title=title))
        other = await store1(archive, art("https://www.lcxw.cn/other.html", SHORT_STORIES["canal"]))
        assert len({middle.story_id, head.story_id, tail.story_id}) == 3  # no shared text: three stories, as far as anyone can tell

        # a copy without the middle paragraphs bridges head and tail: the younger story is merged into the older
        bridge = await store1(archive, art("https://www.yybnet.net/bridge.html", trim(paras, 4, 5), "yybnet", title=title))
        assert (bridge.story_id, bridge.placement, bridge.created) == (head.story_id, "copy", False)
        assert await one(conn, "SELECT count(*) FROM stories WHERE id = %s", tail.story_id) == 0
        assert await one(conn, "SELECT story_id FROM articles WHERE id = %s", tail.article_id) == head.story_id
        assert await one(conn, "SELECT to_id FROM story_redirects WHERE from_id = %s", tail.story_id) == head.story_id
        assert await one(conn, "SELECT reason FROM story_redirects WHERE from_id = %s", tail.story_id) == "merged"
        assert await one(conn, "SELECT story_live_id(%s)", tail.story_id) == head.story_id
        assert await stories.live_id(conn, tail.story_id) == head.story_id
        assert await one(conn, CANONICAL, head.story_id) == bridge.article_id  # the fullest copy, not an excerpt

        # the full article bridges that story with the oldest: the earlier redirect follows (one step, always)
        full = await store1(archive, art("https://www.lcxw.cn/full.html", paras, title=title))
        assert (full.story_id, full.placement) == (middle.story_id, "copy")
        for gone in (head.story_id, tail.story_id):
            assert await one(conn, "SELECT to_id FROM story_redirects WHERE from_id = %s", gone) == middle.story_id
            assert await one(conn, "SELECT story_live_id(%s)", gone) == middle.story_id
        assert await one(conn, "SELECT story_live_id(%s)", middle.story_id) == middle.story_id
        assert await one(conn, "SELECT story_live_id(%s)", 999_999) is None
        assert await one(conn, "SELECT array_agg(DISTINCT story_id) FROM articles WHERE id = ANY(%s)",
                         [middle.article_id, head.article_id, tail.article_id, bridge.article_id, full.article_id]) == [middle.story_id]
        assert await one(conn, CANONICAL, middle.story_id) == full.article_id
        # nothing deleted silently: every article is still there, every story id ever made resolves
        assert await one(conn, "SELECT count(*) FROM articles") == 6
        made = [middle.story_id, head.story_id, tail.story_id, other.story_id]
        assert await one(conn, "SELECT count(*) FROM unnest(%s::bigint[]) AS s(id) WHERE story_live_id(s.id) IS NULL", made) == 0
        assert await one(conn, CANONICAL, other.story_id) == other.article_id

    run(archive_url, scenario)


def test_revisions_move_copies_and_an_emptied_story_leaves_a_redirect(archive_url):
    async def scenario(archive, conn):
        a = await store1(archive, art("https://www.lcxw.cn/a.html", SEED0))
        b = await store1(archive, art("https://www.yybnet.net/b.html", trim(SEED0, 1), "yybnet"))
        story = a.story_id
        assert b.story_id == story and await one(conn, CANONICAL, story) == a.article_id

        edited = list(SEED0)  # a correction keeps the story
        edited[4] = "这是一段更正后的文字,替换了原来的第五段内容,其余段落保持不变,记者核实后重新发布。"
        r = await store1(archive, art("https://www.lcxw.cn/a.html", edited))
        assert (r.outcome, r.story_id, r.placement) == ("revised", story, "copy")

        # the page now carries another story: a leaves, b stays and becomes canonical
        r = await store1(archive, art("https://www.lcxw.cn/a.html", seed_paragraphs("003")))
        assert r.story_id != story and r.created and r.placement == "new_story"
        assert await one(conn, CANONICAL, story) == b.article_id
        keys = sketch.article_sketch("标题", body(seed_paragraphs("003"))).keys
        assert await one(conn, "SELECT array_agg(key ORDER BY key) FROM article_passages WHERE article_id = %s",
                         a.article_id) == sorted(keys)

        # alone in its story and edited again: it keeps its story id
        alone = r.story_id
        r = await store1(archive, art("https://www.lcxw.cn/a.html", trim(seed_paragraphs("003"), 1)))
        assert (r.story_id, r.placement, r.created) == (alone, "new_story", False)

        # alone, then rewritten into a copy of b's story: it joins, its old story redirects there
        r = await store1(archive, art("https://www.lcxw.cn/a.html", SEED0))
        assert (r.story_id, r.placement) == (story, "copy")
        assert await one(conn, "SELECT count(*) FROM stories WHERE id = %s", alone) == 0
        assert await one(conn, "SELECT reason FROM story_redirects WHERE from_id = %s", alone) == "emptied"
        assert await one(conn, "SELECT story_live_id(%s)", alone) == story
        assert await one(conn, CANONICAL, story) == a.article_id

    run(archive_url, scenario)


def test_place_refuses_to_run_outside_a_transaction(archive_url):
    async def scenario(archive, conn):
        r = await store1(archive, art("https://www.lcxw.cn/a.html", SEED0))
        with pytest.raises(RuntimeError, match="transaction"):
            await stories.place(conn, r.article_id)

    run(archive_url, scenario)


def test_two_crawls_storing_copies_at_once_make_one_story(archive_url):
    """Two writers store copies of one story in transactions open at the same moment."""
    async def main():
        first, second = await Archive.open(archive_url), await Archive.open(archive_url)
        try:
            for seed in ("000", "003", "004"):
                paras = seed_paragraphs(seed)
                a, b = await asyncio.gather(
                    first.store([art(f"https://www.lcxw.cn/{seed}.html", paras)]),
                    second.store([art(f"https://www.yybnet.net/{seed}.html", rechrome(excerpt(paras, 2, 3), "yybnet"), "yybnet")]))
                assert a[0].story_id == b[0].story_id
                assert sorted(r[0].placement for r in (a, b)) == ["copy", "new_story"]
        finally:
            await first.close()
            await second.close()
        async with await psycopg.AsyncConnection.connect(archive_url) as conn:
            assert await one(conn, "SELECT count(*) FROM stories") == 3
            assert await one(conn, "SELECT count(*) FROM articles WHERE story_id IS NULL") == 0

    asyncio.run(main())


def test_a_story_with_more_copies_than_a_key_reads_still_takes_new_copies(archive_url):
    async def scenario(archive, conn):
        n = len(SEED0)
        batch = [art(f"https://farm{i}.example/a.html", trim(SEED0, i % n, (i // n + i + 1) % n), "mirror")
                 for i in range(stories.MAX_PER_KEY + 5)]
        results = await archive.store(batch)
        assert len({r.story_id for r in results}) == 1
        r = await store1(archive, art("https://www.lcxw.cn/a.html", SEED0))
        assert (r.story_id, r.placement) == (results[0].story_id, "copy")
        canonical = await one(conn, CANONICAL, r.story_id)
        assert await one(conn, "SELECT portal FROM articles WHERE id = %s", canonical) == "lcxw"

    run(archive_url, scenario)


def test_the_labelled_corpus_clusters_in_the_archive(archive_url):
    """Every text of the labelled set stored through the store's batches, in corpus order (each
    story's article before its copies): the stories agree with every label."""
    labelled = pairs()
    texts = corpus()

    async def scenario(archive, conn):
        story_of = {}
        for start in range(0, len(texts), 40):
            chunk = texts[start : start + 40]
            results = await archive.store([art(f"https://example.org/{start + k}.html", text.split("\n"), title=title or "标题")
                                           for k, (_, title, text) in enumerate(chunk)])
            for (_, _, text), r in zip(chunk, results, strict=True):
                story_of[text] = r.article_id
        live = dict(await (await conn.execute("SELECT id, story_id FROM articles")).fetchall())
        wrong = [p.name for p in labelled if not p.same and live[story_of[p.a]] == live[story_of[p.b]]]
        same = [p for p in labelled if p.same]
        missed = [p.name for p in same if live[story_of[p.a]] != live[story_of[p.b]]]
        recall = 1 - len(missed) / len(same)
        print(f"\narchive clustering of {len(texts)} labelled texts: recall {recall:.3f}, wrong joins {wrong}, missed {missed}")
        assert wrong == []
        assert recall >= 0.98

    run(archive_url, scenario)


def test_placing_a_batch_decides_as_placing_its_articles_one_after_the_other(archive_url):
    """One batch against the same articles stored one by one (each way from the same archive
    state, rolled back): the same stories, canonical copies and outcomes."""
    from random import Random

    from tests.dedupe.labelled_pairs import stories as labelled

    batch: list[Article] = []
    for n, (name, paras) in enumerate(labelled().items()):
        batch.append(art(f"https://www.lcxw.cn/{name}.html", paras, title=name))
        if len(paras) > 3:
            batch.append(art(f"https://www.yybnet.net/{name}.html", rechrome(trim(paras, 1), "yybnet"), "yybnet", title=name))
        batch.append(art(f"https://farm.example/{name}.html", mirror(paras, seed=n), "mirror", title=name))
        batch.append(art(f"https://liaocheng.dzwww.com/{name}.htm", body(paras).replace("\n", "\n\n").split("\n"),
                         "dzwww_liaocheng", title=name))
        if len(paras) >= 10:
            batch.append(art(f"https://agg.example/{name}.html", lead_only(paras), "yybnet", title=name))
    batch.append(art("https://www.yybnet.net/archived-copy.html", rechrome(trim(SEED0, 2), "yybnet"), "yybnet", title="000"))
    batch.append(art("https://liaocheng.dzwww.com/empty.htm", [], "dzwww_liaocheng", title="空"))
    batch.append(art("https://liaocheng.dzwww.com/empty2.htm", [], "dzwww_liaocheng", title="空"))
    Random(5).shuffle(batch)

    async def decide(conn, together: bool):
        await conn.execute("BEGIN")
        try:
            await stories.lock(conn)
            if together:
                results = await Archive._store_distinct(conn, batch, None, T0)
            else:
                results = [(await Archive._store_distinct(conn, [a], None, T0))[0] for a in batch]
            rows = await (await conn.execute(
                "SELECT a.id, a.story_id, s.canonical_article_id FROM articles a JOIN stories s ON s.id = a.story_id"
                " WHERE a.url = ANY(%s) OR a.url = 'https://www.lcxw.cn/archived.html'", ([a.url for a in batch],))).fetchall()
        finally:
            await conn.execute("ROLLBACK")
        position = {r.article_id: n for n, r in enumerate(results)}
        members: dict[int, set] = {}
        final = {}
        for article_id, story_id, _ in rows:
            members.setdefault(story_id, set()).add(position.get(article_id, "archived"))
            final[article_id] = story_id
        canonical = {frozenset(members[s]): position.get(c, "archived") for _, s, c in rows}
        # stories compared by their members (positions in the batch), ids aside; where a later
        # article bridged two stories, each article's final story
        decisions = [(r.placement, frozenset(members[final[r.article_id]])) for r in results]
        return decisions, canonical

    async def scenario(archive, conn):
        await store1(archive, art("https://www.lcxw.cn/archived.html", SEED0, title="000"))
        one_by_one = await decide(conn, together=False)
        together = await decide(conn, together=True)
        assert together == one_by_one
        outcomes = [d[0] for d in together[0]]
        assert {"exact", "copy", "new_story"} <= set(outcomes)
        assert any(len(d[1]) >= 4 for d in together[0])

    run(archive_url, scenario)
