"""Re-placement of an existing archive with the new rules (``liaocheng-news stories --replace``):
an archive placed by schema-1 code is migrated, re-placed, and re-placed again (nothing changes)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from liaocheng_news.db import migrate as migrations
from liaocheng_news.db import stories
from liaocheng_news.dedupe import sketch
from tests.dedupe.labelled_pairs import SHORT_STORIES, TITLES, body, excerpt, rechrome, seed_paragraphs, stories as labelled

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2022, 10, 11, tzinfo=timezone.utc)


def cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LIAOCHENG_NEWS_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "stories", *args], env=env,
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def migrate(url: str, target: int | None = None) -> list[int]:
    async def go():
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await migrations.migrate(conn, target=target)

    return asyncio.run(go())


# An archive as schema-1 code left it: the excerpts of seed 003 its MinHash bands never found
# stand as stories of their own, an excerpt is the canonical copy of one of them, and a
# lead-only copy of another story stands alone.
OLD_ARCHIVE = [
    # (url, portal, title, body, story)
    ("http://lcrb.lcxw.cn/paper/pc/content/content_47880.html", "lcrb", TITLES["seed003"], excerpt(seed_paragraphs("003"), 1, 3), 1),
    ("http://www.achie.org/news/gxq/202210114618.html", "achie", TITLES["seed003"], excerpt(seed_paragraphs("003"), 8, 2), 2),
    ("file:///liaocheng_news/seeds/003_12d72fcd3ea23722.txt", "unknown", TITLES["seed003"], list(seed_paragraphs("003")), 3),
    ("https://www.lcxw.cn/canal.html", "lcxw", TITLES["canal"], SHORT_STORIES["canal"], 4),
    ("https://www.yybnet.net/canal.html", "yybnet", TITLES["canal"], rechrome(SHORT_STORIES["canal"], "yybnet"), 4),
    ("https://www.lcxw.cn/bearings.html", "lcxw", TITLES["bearings"], list(labelled()["bearings"]), 5),
    ("https://agg.example/bearings.html", "yybnet", TITLES["bearings"], list(labelled()["bearings"][:2]), 6),
]


def build_old_archive(url: str) -> None:
    assert migrate(url, target=1) == [1]
    with psycopg.connect(url) as conn:
        for story in sorted({s for *_, s in OLD_ARCHIVE}):
            conn.execute("INSERT INTO stories (id) VALUES (%s)", (story,))
        for url_, portal, title, paras, story in OLD_ARCHIVE:
            text = body(paras)
            aid = conn.execute(
                "INSERT INTO articles (url, portal, title, body, content_hash, story_id, published_at, first_seen)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (url_, portal, title, text, sketch.fingerprint(text), story, T0, T0)).fetchone()[0]
            conn.execute("UPDATE stories SET canonical_article_id = coalesce(canonical_article_id, %s) WHERE id = %s",
                         (aid, story))
        conn.execute("SELECT setval('stories_id_seq', 6)")


def story_of(conn, url: str) -> int:
    return conn.execute("SELECT story_id FROM articles WHERE url = %s", (url,)).fetchone()[0]


def test_an_existing_archive_is_migrated_then_replaced_once_and_for_all(empty_database_url):
    url = empty_database_url
    build_old_archive(url)
    assert migrate(url) == [m.version for m in migrations.available()][1:]
    with psycopg.connect(url) as conn:  # the migration keeps every story; keys come from re-placement
        assert conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 6
        assert conn.execute("SELECT count(*) FROM article_passages").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM articles WHERE content_chars IS NULL").fetchone()[0] == 7

    first = cli(url, "--replace", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert {k: report[k] for k in ("articles", "stories_before", "stories_after", "stories_merged", "stories_created",
                                   "articles_moved")} == {"articles": 7, "stories_before": 6, "stories_after": 3,
                                                          "stories_merged": 3, "stories_created": 0, "articles_moved": 3}
    assert report["canonicals_changed"] == 1  # story 1 (kept: two of seed 003's copies had it) gets the full seed
    with psycopg.connect(url) as conn:
        seed, lcrb, achie = (story_of(conn, u) for u, *_ in OLD_ARCHIVE[:3])
        assert seed == lcrb == achie == 1
        canonical = conn.execute("SELECT url FROM articles WHERE id = (SELECT canonical_article_id FROM stories"
                                 " WHERE id = 1)").fetchone()[0]
        assert canonical == OLD_ARCHIVE[2][0]  # the fullest copy
        assert story_of(conn, OLD_ARCHIVE[6][0]) == story_of(conn, OLD_ARCHIVE[5][0]) == 5  # the lead-only copy joined
        assert conn.execute("SELECT array_agg(from_id ORDER BY from_id), array_agg(DISTINCT reason) "
                            "FROM story_redirects").fetchone() == ([2, 3, 6], ["merged"])
        assert [conn.execute("SELECT story_live_id(%s)", (s,)).fetchone()[0] for s in range(1, 8)] == [1, 1, 1, 4, 5, 5, None]
        assert conn.execute("SELECT count(*) FROM articles WHERE content_chars IS NULL").fetchone()[0] == 0
        keys = conn.execute("SELECT count(*) FROM article_passages").fetchone()[0]
        assert keys == sum(len(sketch.article_sketch(t, body(p)).keys) for _, _, t, p, _ in OLD_ARCHIVE)

    second = cli(url, "--replace", "--json")
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert {k: again[k] for k in ("stories_before", "stories_after", "stories_merged", "stories_created",
                                  "articles_moved", "canonicals_changed")} == \
        {"stories_before": 3, "stories_after": 3, "stories_merged": 0, "stories_created": 0, "articles_moved": 0,
         "canonicals_changed": 0}
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM article_passages").fetchone()[0] == keys

    resolved = cli(url, "--resolve", "2", "4", "99")
    assert resolved.returncode == 1  # 99 never was a story
    assert resolved.stdout.splitlines() == ["2\t1", "4\t4", "99\tno such story"]
    assert cli(url, "--resolve", "3").stdout == "3\t1\n"
    # -s names the archive, as for every command (the environment's URL is not the one opened)
    by_setting = cli("postgresql://nobody@127.0.0.1:1/none", "--resolve", "3", "-s", f"LIAOCHENG_NEWS_DATABASE_URL={url}")
    assert (by_setting.returncode, by_setting.stdout) == (0, "3\t1\n"), by_setting.stderr


def test_replace_splits_what_no_longer_holds_together_and_keeps_ids(archive_url):
    """A story whose copies the rules no longer join is split: the group with most of its copies
    keeps the id, the other gets a new story; nothing else moves."""
    async def go():
        async with await psycopg.AsyncConnection.connect(archive_url) as conn:
            async with conn.transaction():
                sid = (await (await conn.execute("INSERT INTO stories DEFAULT VALUES RETURNING id")).fetchone())[0]
                for n, paras in enumerate((SHORT_STORIES["canal"], rechrome(SHORT_STORIES["canal"], "lcxw"),
                                           SHORT_STORIES["jobs_fair"])):
                    text = body(paras)
                    await conn.execute("INSERT INTO articles (url, portal, title, body, content_hash, story_id) "
                                       "VALUES (%s, 'lcxw', '标题', %s, %s, %s)",
                                       (f"https://www.lcxw.cn/{n}.html", text, sketch.fingerprint(text), sid))
            async with conn.transaction():
                report = await stories.replace_all(conn, chunk=2)
            async with conn.transaction():
                again = await stories.replace_all(conn)
            rows = await (await conn.execute("SELECT url, story_id FROM articles ORDER BY url")).fetchall()
            canonical = await (await conn.execute("SELECT count(*) FROM stories WHERE canonical_article_id IS NULL")).fetchone()
            return sid, report, again, rows, canonical[0]

    sid, report, again, rows, no_canonical = asyncio.run(go())
    assert (report.stories_before, report.stories_after, report.stories_created, report.stories_merged,
            report.articles_moved) == (1, 2, 1, 0, 1)
    assert [s for _, s in rows[:2]] == [sid, sid] and rows[2][1] != sid
    assert (again.stories_created, again.stories_merged, again.articles_moved, again.canonicals_changed) == (0, 0, 0, 0)
    assert no_canonical == 0
