"""Cost of placing one article in its story as the archive grows, and the size of its keys.

Run: .venv/bin/python bench/dedupe.py [--sizes 10000,100000,1000000] [--samples 1000] [--workers 2]

Starts a throwaway embedded PostgreSQL (or, with LIAOCHENG_NEWS_DATABASE_URL set, creates and
afterwards drops a scratch database on that server; it needs a superuser to bulk load without
foreign-key checks), migrates it, and grows the archive to each size in turn with synthetic
articles: 4–12 paragraphs of sentences of 15–50 characters drawn from 3000 CJK characters with
Zipf-like frequencies (about 1,000 characters and 30 sentences an article, as Liaocheng news
runs), stories of 1–3 copies (trimmed and re-chromed, or an excerpt of two paragraphs), a
standard closing line on one article in twenty and 图片新闻 as the title of one in a hundred
(boilerplate), content_hash, content_chars and the passage and title keys made by the real
``sketch`` functions.  Worker processes generate and COPY the rows (binary COPY for the keys)
with the secondary indexes dropped, then the indexes are rebuilt and the tables analysed, so the
measuring process never holds bulk data.

At each size it places ``--samples`` new articles, half new stories and half copies of random
stored articles (a quarter trimmed and re-chromed, a quarter excerpts of two paragraphs), each
through the store's write path as its own batch (``Archive._store_distinct`` in one transaction:
the lock, the decision, the row written with its story id, its keys and the canonical copy), and
prints p50/p99 of that placement, of its decision alone (``stories.plan``: the candidate reads
and the rules) and of the whole transaction with its commit, whether every placement decided as
expected, the measuring process's peak RSS, and the size of ``article_passages`` (table and both
indexes) per article.  Targets: p99(largest) ≤
2 × p99(smallest), p99 < 10 ms, memory flat.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import psycopg
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from liaocheng_news.db import stories  # noqa: E402
from liaocheng_news.db.archive import Archive, StoreResult  # noqa: E402
from liaocheng_news.db.migrate import migrate  # noqa: E402
from liaocheng_news.db.server import throwaway_server  # noqa: E402
from liaocheng_news.dedupe import sketch  # noqa: E402
from liaocheng_news.items import Article  # noqa: E402

BATCH = 5000  # articles generated and copied per worker task
T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
WARMUP = 20
BULK_TABLES = ("articles", "article_passages")
CLOSING = "欢迎广大读者提供新闻线索,报料热线和微信同号,我们将及时回复。"  # boilerplate on one article in twenty

# --- synthetic articles -------------------------------------------------------------------


class Generator:
    """Deterministic synthetic Chinese article bodies (one RNG stream per batch)."""

    def __init__(self, seed: int) -> None:
        vocab_rng = np.random.default_rng(2024)
        self.vocab = vocab_rng.choice(np.arange(0x4E00, 0x9FA6, dtype=np.uint32), 3000, replace=False)
        weights = 1.0 / (np.arange(3000) + 10.0)
        self.cdf = np.cumsum(weights / weights.sum())
        self.rng = np.random.default_rng(seed)

    def bodies(self, n: int) -> list[list[str]]:
        paragraphs = self.rng.integers(4, 13, size=n)
        sentences = self.rng.integers(2, 6, size=int(paragraphs.sum()))
        lengths = self.rng.integers(15, 51, size=int(sentences.sum()))
        picks = np.searchsorted(self.cdf, self.rng.random(int(lengths.sum())))
        text = self.vocab[np.minimum(picks, 2999)].tobytes().decode("utf-32-le")
        out, pos, s, p = [], 0, 0, 0
        for count in paragraphs:
            paras = []
            for k in sentences[p : p + count]:
                parts = []
                for length in lengths[s : s + k]:
                    chunk = text[pos : pos + length]
                    parts.append(f"{chunk[: length // 2]},{chunk[length // 2 :]}。")
                    pos += length
                s += k
                paras.append("".join(parts))
            p += count
            out.append(paras)
        return out


def copy_of(paras: list[str], rng: random.Random) -> tuple[list[str], str]:
    """A copy and its form: trimmed of a paragraph and re-chromed, or an excerpt of two paragraphs."""
    if rng.random() < 0.5 or len(paras) < 6:
        kept = list(paras)
        if len(kept) >= 3:  # (a copy of a two-paragraph excerpt keeps both: one may be under 50 shingles)
            del kept[rng.randrange(len(kept))]
        return ["来源:地方网 2021-10-28 11:20", *kept, "编辑:李明"], "trimmed"
    start = rng.randrange(1, len(paras) - 2)
    return paras[start : start + 2], "excerpt"


def title_of(text: str, rng: random.Random) -> str:
    return "图片新闻" if rng.random() < 0.01 else text[:14]


def make_rows(start_id: int, n: int, seed: int):
    """Rows of ``n`` articles with ids from ``start_id``: (articles, stories, passage keys array)."""
    gen = Generator(seed)
    rng = random.Random(seed)
    originals = gen.bodies(n)
    bodies, story_ids, portals = [], [], []
    i = 0
    while len(bodies) < n:
        story = start_id + len(bodies)
        copies = rng.choices((0, 1, 2), weights=(7, 2, 1))[0]
        paras = originals[i] + ([CLOSING] if rng.random() < 0.05 else [])
        for c in range(min(1 + copies, n - len(bodies))):
            bodies.append("\n".join(paras if c == 0 else copy_of(paras, rng)[0]))
            story_ids.append(story)
            portals.append(("lcxw", "yybnet", "mirror")[c])
        i += 1
    articles, story_rows, keys = [], [], []
    for k, (text, story, portal) in enumerate(zip(bodies, story_ids, portals)):
        aid = start_id + k
        when = T0 + timedelta(minutes=aid)
        title = title_of(text, rng)
        sk = sketch.article_sketch(title, text)
        keys.append(sk.keys)
        articles.append((aid, f"https://www.lcxw.cn/bench/{aid}.html", portal, title, text, sketch.fingerprint(text),
                         story, sk.size, when, when, when, when))
        if story == aid:
            story_rows.append((story, aid))
    counts = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    rows = np.zeros(int(counts.sum()), dtype=[("n", ">i2"), ("l1", ">i4"), ("key", ">i8"), ("l2", ">i4"), ("aid", ">i8")])
    rows["n"], rows["l1"], rows["l2"] = 2, 8, 8
    rows["key"] = np.fromiter((key for ks in keys for key in ks), dtype=np.int64, count=rows.size)
    rows["aid"] = np.repeat(np.arange(start_id, start_id + n, dtype=np.int64), counts)
    return articles, story_rows, rows


ARTICLE_COLUMNS = ("id, url, portal, title, body, content_hash, story_id, content_chars, published_at, first_seen, "
                   "last_seen, last_changed")
PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\0" + b"\0\0\0\0" + b"\0\0\0\0"
PGCOPY_TRAILER = b"\xff\xff"


def load_batch(args: tuple[str, int, int, int]) -> int:
    """Worker: generate one batch and COPY it (no FK triggers: the rows are consistent)."""
    url, start_id, n, seed = args
    articles, story_rows, keys = make_rows(start_id, n, seed)
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        with conn.cursor() as cur:
            with cur.copy("COPY stories (id, canonical_article_id) FROM STDIN") as copy:
                for row in story_rows:
                    copy.write_row(row)
            with cur.copy(f"COPY articles ({ARTICLE_COLUMNS}) FROM STDIN") as copy:
                for row in articles:
                    copy.write_row(row)
            with cur.copy("COPY article_passages (key, article_id) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(PGCOPY_HEADER + keys.tobytes() + PGCOPY_TRAILER)
    return n


# --- bulk load around dropped indexes -----------------------------------------------------


def drop_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop the secondary indexes and constraints of the bulk tables; return SQL to restore them."""
    restore: list[str] = []
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), conindid::regclass::text"
        " FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('p', 'u')"
        " AND NOT (conrelid::regclass::text = 'articles' AND contype = 'p')",
        (list(BULK_TABLES),),
    ).fetchall()
    backing = {c[3] for c in constraints}
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
        " WHERE indrelid::regclass::text = ANY(%s) AND NOT indisprimary AND NOT indisunique",
        (list(BULK_TABLES),),
    ).fetchall()
    for table, name, definition, _ in constraints:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        if name not in backing:
            conn.execute(f"DROP INDEX {name}")
            restore.append(definition)
    return restore


def bulk_fill(url: str, start_id: int, count: int, workers: int) -> float:
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        restore = drop_indexes(conn)
    tasks, next_id = [], start_id
    while next_id < start_id + count:
        n = min(BATCH, start_id + count - next_id)
        tasks.append((url, next_id, n, next_id))
        next_id += n
    with mp.get_context("spawn").Pool(workers) as pool:
        for _ in pool.imap_unordered(load_batch, tasks):
            pass
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for sql in restore:
            conn.execute(sql)
        conn.execute("SELECT setval('articles_id_seq', (SELECT max(id) FROM articles))")
        conn.execute("SELECT setval('stories_id_seq', (SELECT max(id) FROM stories))")
        conn.execute("VACUUM ANALYZE stories, articles, article_passages")
        conn.execute("CHECKPOINT")  # the load's dirty pages are not the placements' cost
    return time.perf_counter() - began


# --- measuring ----------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_PLAN = stories.plan
_plan_ms: list[float] = []


async def _timed_plan(conn, items):
    began = time.perf_counter()
    try:
        return await _PLAN(conn, items)
    finally:
        _plan_ms.append((time.perf_counter() - began) * 1e3)


stories.plan = _timed_plan  # the decision's share of a store, timed where the store calls it


async def place_one(conn, title: str, text: str) -> tuple[StoreResult, float, float, float]:
    """One new article through the store's write path (``Archive._store_distinct`` in its own
    transaction: the lock, the decision, the row written with its story id, its keys and the
    canonical copy), then the commit: (result, decision ms, placement ms, transaction ms)."""
    article = Article(url=f"https://www.yybnet.net/bench/{uuid.uuid4().hex}.html", portal="yybnet", title=title,
                      body=text.split("\n"))
    article.content_hash = sketch.fingerprint(text)
    began = time.perf_counter()
    async with conn.transaction():
        (result,) = await Archive._store_distinct(conn, [article], None, T0)
        placed = time.perf_counter()
    return result, _plan_ms[-1], (placed - began) * 1e3, (time.perf_counter() - began) * 1e3


async def measure(url: str, size: int, samples: int, seed: int) -> dict:
    rng = random.Random(seed)
    gen = Generator(10_000_000 + seed)
    fresh = gen.bodies(samples + WARMUP)
    plan_ms, place_ms, total_ms, wrong, forms = [], [], [], Counter(), Counter()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for i in range(samples + WARMUP):
            want_copy = i % 2 == 1
            if want_copy:
                row = None
                while row is None:
                    target = rng.randrange(1, size + 1)
                    row = await (await conn.execute("SELECT title, body FROM articles WHERE id = %s", (target,))).fetchone()
                paras, form = copy_of(row[1].split("\n"), rng)
                title, text = row[0], "\n".join(paras)
            else:
                text = "\n".join(fresh[i])
                title, form = title_of(text, rng), "new"
            result, deciding, placing, whole = await place_one(conn, title, text)
            if i < WARMUP:
                continue
            plan_ms.append(deciding)
            place_ms.append(placing)
            total_ms.append(whole)
            forms[form] += 1
            if (result.placement in ("copy", "exact")) != want_copy:
                wrong[form] += 1
    return {
        "size": size,
        "p50": statistics.median(place_ms),
        "p99": float(np.percentile(place_ms, 99)),
        "plan_p50": statistics.median(plan_ms),
        "plan_p99": float(np.percentile(plan_ms, 99)),
        "tx_p50": statistics.median(total_ms),
        "tx_p99": float(np.percentile(total_ms, 99)),
        "wrong": sum(wrong.values()),
        "wrong_forms": dict(wrong),
        "forms": dict(forms),
        "rss": peak_rss_mb(),
    }


async def archive_counts(url: str) -> tuple[int, int, int, int, int, int]:
    """articles, stories, key rows, and the bytes of article_passages: heap, primary key, article index."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return await (await conn.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM stories),"
            " (SELECT count(*) FROM article_passages), pg_table_size('article_passages'),"
            " pg_relation_size('article_passages_pkey'), pg_relation_size('article_passages_article')")).fetchone()


async def migrated(url: str) -> None:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await migrate(conn)


def run(url: str, sizes: list[int], samples: int, workers: int) -> None:
    asyncio.run(migrated(url))
    results = []
    for size in sizes:
        with psycopg.connect(url) as conn:
            # a story's id is its first copy's id: start above every article and story id so far
            loaded, next_id = conn.execute(
                "SELECT (SELECT count(*) FROM articles),"
                " greatest((SELECT max(id) FROM articles), (SELECT max(id) FROM stories), 0) + 1"
            ).fetchone()
        seconds = bulk_fill(url, next_id, max(0, size - loaded), workers)
        articles, story_count, key_rows, heap, pkey, by_article = asyncio.run(archive_counts(url))
        index_bytes = (heap + pkey + by_article) / articles
        print(f"filled to {articles:,} articles ({story_count:,} stories, {key_rows:,} key rows, "
              f"{key_rows / articles:.1f} an article) in {seconds:.0f} s; article_passages "
              f"{(heap + pkey + by_article) / 2**20:,.0f} MB = {index_bytes:,.0f} bytes an article "
              f"(table {heap / articles:,.0f}, primary key {pkey / articles:,.0f}, article index {by_article / articles:,.0f})",
              flush=True)
        result = asyncio.run(measure(url, size, samples, seed=size))
        result.update(keys=key_rows / articles, bytes=index_bytes)
        results.append(result)
        print(
            f"  size {size:>9,}: placement p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms (its decision p50 "
            f"{result['plan_p50']:.2f} ms, p99 {result['plan_p99']:.2f} ms); with the commit p50 {result['tx_p50']:.2f} ms, "
            f"p99 {result['tx_p99']:.2f} ms; placed {result['forms']}, unexpected outcomes {result['wrong']} "
            f"{result['wrong_forms']}; peak RSS {result['rss']:.0f} MB",
            flush=True,
        )
    print()
    print(f"{'articles':>10} {'place p50':>10} {'place p99':>10} {'decide p99':>11} {'tx p99':>8} {'wrong':>6} "
          f"{'keys/art':>9} {'bytes/art':>10} {'peak RSS':>9}")
    for r in results:
        print(
            f"{r['size']:>10,} {r['p50']:>8.2f}ms {r['p99']:>8.2f}ms {r['plan_p99']:>9.2f}ms {r['tx_p99']:>6.2f}ms"
            f" {r['wrong']:>6} {r['keys']:>9.1f} {r['bytes']:>10,.0f} {r['rss']:>7.0f}MB"
        )
    first, last = results[0], results[-1]
    ratio = last["p99"] / first["p99"]
    print(
        f"\np99({last['size']:,}) / p99({first['size']:,}) = {ratio:.2f} (target ≤ 2); "
        f"p99 at {last['size']:,} = {last['p99']:.2f} ms (target < 10 ms); "
        f"article_passages {last['bytes']:,.0f} bytes an article at {last['size']:,}; "
        f"peak RSS {first['rss']:.0f} → {last['rss']:.0f} MB; "
        f"{samples} placements per size ({WARMUP} warm-up placements not counted)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="archive sizes, comma separated, ascending")
    parser.add_argument("--samples", type=int, default=1000, help="placements measured per size")
    parser.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)), help="bulk-load processes")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))

    external = os.environ.get("LIAOCHENG_NEWS_DATABASE_URL")
    if external:
        name = f"lcn_bench_{os.getpid()}"
        with psycopg.connect(external, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            run(make_conninfo(external, dbname=name), sizes, args.samples, args.workers)
        finally:
            with psycopg.connect(external, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return

    with throwaway_server(prefix="lcn-bench-pg-") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM SET max_wal_size = '8GB'")
            conn.execute("SELECT pg_reload_conf()")
        run(url, sizes, args.samples, args.workers)


if __name__ == "__main__":
    main()
