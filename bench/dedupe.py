"""Cost of placing one article in its story as the archive grows (issue 4).

Run: .venv/bin/python bench/dedupe.py [--sizes 10000,100000,1000000] [--samples 1000] [--workers 2]

Starts a throwaway embedded PostgreSQL (or, with LIAOCHENG_NEWS_DATABASE_URL set, creates and
afterwards drops a scratch database on that server; it needs a superuser to bulk load without
foreign-key checks), migrates it, and grows the archive to each size in turn with synthetic
articles: bodies of 3–7 paragraphs drawn from 3000 CJK characters with Zipf-like frequencies,
stories of 1–3 copies (the copies trimmed or re-chromed), content_hash and LSH bands made by
the real ``sketch`` functions.  Worker processes generate and COPY the rows (binary COPY for
the bands) with the secondary indexes dropped, then the indexes are rebuilt and the tables
analysed, so the measuring process never holds bulk data.

At each size it places ``--samples`` new articles, half new stories and half near copies of
random stored articles (trimmed by a paragraph, re-chromed), each in its own transaction as the
store does (insert the row, ``place()``, commit), and prints p50/p99 of ``place()`` alone and of
the whole transaction, whether every placement decided as expected, and the measuring process's
peak RSS.  Targets: p99(largest) ≤ 2 × p99(smallest), p99 < 10 ms, memory flat.
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
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import psycopg
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from liaocheng_news.db.migrate import migrate  # noqa: E402
from liaocheng_news.db.server import throwaway_server  # noqa: E402
from liaocheng_news.dedupe import sketch  # noqa: E402
from liaocheng_news.dedupe.cluster import place  # noqa: E402

BATCH = 5000  # articles generated and copied per worker task
T0 = datetime(2020, 1, 1, tzinfo=timezone.utc)
WARMUP = 20
BULK_TABLES = ("articles", "article_bands")

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
        counts = self.rng.integers(3, 8, size=n)
        lengths = self.rng.integers(60, 180, size=int(counts.sum()))
        picks = np.searchsorted(self.cdf, self.rng.random(int(lengths.sum())))
        text = self.vocab[np.minimum(picks, 2999)].tobytes().decode("utf-32-le")
        out, pos, para = [], 0, 0
        for c in counts:
            paras = []
            for length in lengths[para : para + c]:
                chunk = text[pos : pos + length]
                cut = length // 2
                paras.append(f"{chunk[:cut]},{chunk[cut:]}。")
                pos += length
            para += c
            out.append(paras)
        return out


def copy_of(paras: list[str], rng: random.Random) -> list[str]:
    """A near copy: a paragraph dropped (long enough bodies) and another portal's chrome lines."""
    kept = list(paras)
    if len(kept) >= 4:
        del kept[rng.randrange(len(kept))]
    return ["来源:地方网 2021-10-28 11:20", *kept, "编辑:李明"]


def make_rows(start_id: int, n: int, seed: int):
    """Rows of ``n`` articles with ids from ``start_id``: (articles, stories, bands array)."""
    gen = Generator(seed)
    rng = random.Random(seed)
    originals = gen.bodies(n)
    bodies, story_ids, portals = [], [], []
    i = 0
    while len(bodies) < n:
        story = start_id + len(bodies)
        copies = rng.choices((0, 1, 2), weights=(7, 2, 1))[0]
        for c in range(min(1 + copies, n - len(bodies))):
            paras = originals[i] if c == 0 else copy_of(originals[i], rng)
            bodies.append("\n".join(paras))
            story_ids.append(story)
            portals.append(("lcxw", "yybnet", "mirror")[c])
        i += 1
    articles, stories = [], []
    for k, (text, story, portal) in enumerate(zip(bodies, story_ids, portals)):
        aid = start_id + k
        when = T0 + timedelta(minutes=aid)
        articles.append(
            (aid, f"https://www.lcxw.cn/bench/{aid}.html", portal, text[:12], text, sketch.fingerprint(text),
             story, when, when, when, when)
        )
        if story == aid:
            stories.append((story, aid))
    keys = sketch.many_body_bands(bodies)
    band_counts = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    bands = np.zeros(int(band_counts.sum()), dtype=[("n", ">i2"), ("l1", ">i4"), ("band", ">i8"), ("l2", ">i4"), ("aid", ">i8")])
    bands["n"], bands["l1"], bands["l2"] = 2, 8, 8
    bands["band"] = np.fromiter((b for k in keys for b in k), dtype=np.int64, count=bands.size)
    bands["aid"] = np.repeat(np.arange(start_id, start_id + n, dtype=np.int64), band_counts)
    return articles, stories, bands


ARTICLE_COLUMNS = "id, url, portal, title, body, content_hash, story_id, published_at, first_seen, last_seen, last_changed"
PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\0" + b"\0\0\0\0" + b"\0\0\0\0"
PGCOPY_TRAILER = b"\xff\xff"


def load_batch(args: tuple[str, int, int, int]) -> int:
    """Worker: generate one batch and COPY it (no FK triggers: the rows are consistent)."""
    url, start_id, n, seed = args
    articles, stories, bands = make_rows(start_id, n, seed)
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        with conn.cursor() as cur:
            with cur.copy("COPY stories (id, canonical_article_id) FROM STDIN") as copy:
                for row in stories:
                    copy.write_row(row)
            with cur.copy(f"COPY articles ({ARTICLE_COLUMNS}) FROM STDIN") as copy:
                for row in articles:
                    copy.write_row(row)
            with cur.copy("COPY article_bands (band, article_id) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(PGCOPY_HEADER + bands.tobytes() + PGCOPY_TRAILER)
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
        conn.execute("VACUUM ANALYZE stories, articles, article_bands")
        conn.execute("CHECKPOINT")  # the load's dirty pages are not the placements' cost
    return time.perf_counter() - began


# --- measuring ----------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, size: int, samples: int, seed: int) -> dict:
    rng = random.Random(seed)
    gen = Generator(10_000_000 + seed)
    fresh = gen.bodies(samples + WARMUP)
    place_ms, total_ms, wrong = [], [], 0
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for i in range(samples + WARMUP):
            want_copy = i % 2 == 1
            if want_copy:
                row = None
                while row is None:
                    target = rng.randrange(1, size + 1)
                    row = await (await conn.execute("SELECT body FROM articles WHERE id = %s", (target,))).fetchone()
                text = "\n".join(copy_of(row[0].split("\n"), rng))
            else:
                text = "\n".join(fresh[i])
            began = time.perf_counter()
            async with conn.transaction():
                aid = (
                    await (
                        await conn.execute(
                            "INSERT INTO articles (url, portal, title, body, content_hash) VALUES (%s, %s, %s, %s, %s)"
                            " RETURNING id",
                            (f"https://www.yybnet.net/bench/{uuid.uuid4().hex}.html", "yybnet", text[:12], text,
                             sketch.fingerprint(text)),
                        )
                    ).fetchone()
                )[0]
                t0 = time.perf_counter()
                placed = await place(conn, aid)
                t1 = time.perf_counter()
            done = time.perf_counter()
            if i < WARMUP:
                continue
            place_ms.append((t1 - t0) * 1e3)
            total_ms.append((done - began) * 1e3)
            # a copy may be 'exact': the fill's re-chromed copies keep every paragraph
            wrong += (placed.outcome in ("copy", "exact")) != want_copy
    return {
        "size": size,
        "p50": statistics.median(place_ms),
        "p99": float(np.percentile(place_ms, 99)),
        "tx_p50": statistics.median(total_ms),
        "tx_p99": float(np.percentile(total_ms, 99)),
        "wrong": wrong,
        "rss": peak_rss_mb(),
    }


async def archive_counts(url: str) -> tuple[int, int, int]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        row = await (
            await conn.execute(
                "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM stories),"
                " (SELECT count(*) FROM article_bands)"
            )
        ).fetchone()
        return row


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
        articles, stories, bands = asyncio.run(archive_counts(url))
        print(f"filled to {articles:,} articles ({stories:,} stories, {bands:,} band rows) in {seconds:.0f} s", flush=True)
        result = asyncio.run(measure(url, size, samples, seed=size))
        results.append(result)
        print(
            f"  size {size:>9,}: place p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms; "
            f"transaction p50 {result['tx_p50']:.2f} ms, p99 {result['tx_p99']:.2f} ms; "
            f"unexpected outcomes {result['wrong']}; peak RSS {result['rss']:.0f} MB",
            flush=True,
        )
    print()
    print(f"{'articles':>10} {'place p50':>10} {'place p99':>10} {'tx p50':>8} {'tx p99':>8} {'wrong':>6} {'peak RSS':>9}")
    for r in results:
        print(
            f"{r['size']:>10,} {r['p50']:>8.2f}ms {r['p99']:>8.2f}ms {r['tx_p50']:>6.2f}ms {r['tx_p99']:>6.2f}ms"
            f" {r['wrong']:>6} {r['rss']:>7.0f}MB"
        )
    first, last = results[0], results[-1]
    ratio = last["p99"] / first["p99"]
    print(
        f"\np99({last['size']:,}) / p99({first['size']:,}) = {ratio:.2f} (target ≤ 2); "
        f"p99 at {last['size']:,} = {last['p99']:.2f} ms (target < 10 ms); "
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
