"""What the consumer API of migration 0004 costs and delivers (issue 15).

Run: .venv/bin/python bench/consumers.py [--sizes 100000,1000000] [--queries 300] [--rounds 6]

Starts a throwaway embedded PostgreSQL (or, with LIAOCHENG_NEWS_DATABASE_URL set to a superuser
URL, makes and afterwards drops scratch databases on that server) and measures, in one run:

1. **Write cost** of the real ``Archive.store`` on four archives, in interleaved rounds (each
   round stores the same batches into each archive, in rotated order): *base* (migrations before
   0004, the store without its two search calls), *feed* (0004, the store without writing search
   documents: the change feed alone) and *full* (0004 and the store as it is: feed and search).
   A batch is 50 articles: 40 new, 8 unchanged (a touch), 2 revised.  The search index's
   pending list is merged into the index by the store after its commit every
   ``search.MERGE_PENDING_BYTES`` of pending list, and what is still pending at the end is merged, timed and counted
   with the *full* archive
   (autovacuum, which would otherwise do part of it unseen, is off for that table).  *full-tx*: full
   with the merges left to the inserts inside the store's transactions (the store before it
   merged after its commits, db/search.py).  Figures per article: wall time, CPU (this process + the archive's server backend,
   from /proc), the final merge's share, and the ratios to *base*; and the slowest batch's wall time.  Target: feed and search together
   add ≤ 20 % (*full* / *base* ≤ 1.2).
2. **Search and export at each size**: the archive is bulk-loaded (COPY, in worker processes,
   triggers off, indexes built afterwards) with synthetic articles — text from a character
   Markov model of the real seed dumps and fixture bodies, lengths log-normal around 900
   characters, named things of Zipf-like popularity, 10 % mirror copies, 1 % revised, 5 %
   undated — with search documents made by the real ``db/search.search_keys`` and change
   numbers as the feed gives them.  Then: p50/p95/p99 of ``api.search(q, 20)`` over queries of
   one or two named things (70 %) or a 2–4-character piece of a random headline (30 %) (target
   p95 ≤ 50 ms at 1M); ``export --after`` of the last 200k changes with revisions, in
   interleaved rounds: JSON Lines through ``ops.consumers.export_changes`` on the CLI's number
   of connections (spans of records in binary COPY) and on one to three, the way before (one
   COPY row a record), and the records as dicts (target ≥ 20k rows/s); ``api.portals``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import hashlib
import io
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import psycopg
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from liaocheng_news.db import migrate as migrations  # noqa: E402
from liaocheng_news.db import search  # noqa: E402
from liaocheng_news.db.archive import Archive  # noqa: E402
from liaocheng_news.db import feed  # noqa: E402
from liaocheng_news.db.feed import changes_after  # noqa: E402
from liaocheng_news.db.server import throwaway_server  # noqa: E402
from liaocheng_news.dedupe.sketch import fingerprint  # noqa: E402
from liaocheng_news.items import Article  # noqa: E402
from liaocheng_news.ops.consumers import EXPORT_JOBS as CLI_JOBS  # noqa: E402
from liaocheng_news.ops.consumers import export_changes  # noqa: E402

API_VERSION = 4  # the migration this bench is about
BATCH = 5000  # articles generated and copied per worker task
T0 = datetime(2021, 1, 1, tzinfo=timezone.utc)
PORTALS = ("lcxw",) * 8 + ("yybnet",) * 4 + ("lcrb",) * 3 + ("dzwww_liaocheng", "dzwww_liaocheng", "liaocheng_gov",
                                                             "liaocheng_gov", "achie")
HAN = ("\u4e00", "\u9fff")


# --- synthetic Chinese text ---------------------------------------------------------------------
def _corpus() -> str:
    parts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "liaocheng_news" / "seeds").glob("*.txt"))]
    for f in sorted(glob.glob(str(ROOT / "tests" / "fixtures" / "*" / "*.expected.json"))):
        body = json.loads(Path(f).read_text(encoding="utf-8")).get("body")
        if isinstance(body, list):
            parts.append("\n".join(str(p) for p in body))
    return "\n".join(parts)


def _han(c: str) -> bool:
    return HAN[0] <= c <= HAN[1]


class TextModel:
    """Synthetic news text: clauses from an order-2 character Markov model of real Chinese news
    text, and named things (places, firms, people: 2–4 characters) that articles are about, with
    Zipf-like popularity; a headline names one or two of its article's things.  Deterministic."""

    def __init__(self, seed: int, pool: int = 60000, entities: int = 50000):
        text = _corpus()
        follow = defaultdict(list)
        for a, b, c in zip(text, text[1:], text[2:]):
            if _han(a) and _han(b) and (_han(c) or c.isdigit()):
                follow[a + b].append(c)
        starts = sorted(follow)
        rng = random.Random(1)  # the same clauses and things in every process
        clauses = []
        while len(clauses) < pool:
            s = rng.choice(starts)
            for _ in range(rng.randint(2, 16)):
                nxt = follow.get(s[-2:])
                if not nxt:
                    break
                s += rng.choice(nxt)
            clauses.append(s)
        chars = [c for c in text if _han(c)]
        self.clauses = clauses
        self.entities = ["".join(rng.choice(chars) for _ in range(rng.randint(2, 4))) for _ in range(entities)]
        weights = 1.0 / (np.arange(entities) + 10.0)
        self.cdf = np.cumsum(weights / weights.sum())
        self.rng = random.Random(seed)

    def things(self, n: int) -> list[str]:
        picks = np.searchsorted(self.cdf, [self.rng.random() for _ in range(n)])
        return [self.entities[min(int(i), len(self.entities) - 1)] for i in picks]

    def article(self) -> tuple[str, list[str]]:
        rng = self.rng
        things = self.things(rng.randint(2, 4))
        title = ("".join(things[:rng.randint(1, 2)]) + rng.choice(self.clauses))[:28]
        target = min(12000, max(120, int(rng.lognormvariate(6.8, 0.6))))
        paras, cur, length = [], [], 0
        while length < target:
            clause = rng.choice(self.clauses)
            if rng.random() < 0.08:
                clause = rng.choice(things) + clause
            cur.append(clause)
            length += len(clause) + 1
            if rng.random() < 0.12:
                paras.append(self._paragraph(cur))
                cur = []
        if cur:
            paras.append(self._paragraph(cur))
        return title, paras

    @staticmethod
    def _paragraph(clauses: list[str]) -> str:
        return "，".join(clauses) + "。"


# --- bulk load --------------------------------------------------------------------------------------
ARTICLE_COLUMNS = ("id, url, portal, title, body, content_hash, story_id, revision, published_at, first_seen, "
                   "last_seen, last_changed, change_seq")


def _int_array(values: np.ndarray) -> str:
    return "{" + ",".join(map(str, values.tolist())) + "}"


def load_batch(args: tuple[str, int, int]) -> int:
    """Worker: generate articles ``start .. start+n-1`` and COPY them (triggers off)."""
    url, start, n = args
    model = TextModel(seed=start)
    rng = random.Random(start)
    articles, documents, stories, revisions = [], [], [], []
    title = body = None
    for aid in range(start, start + n):
        when = T0 + timedelta(minutes=2 * aid)
        if aid % 10 == 9:  # a mirror copy of the previous article: same story, not canonical
            portal, story = "mirror", aid - 1
        else:
            title, paras = model.article()
            body, portal, story = "\n".join(paras), rng.choice(PORTALS), aid
            stories.append((story, aid))
        published = None if rng.random() < 0.05 else when - timedelta(hours=rng.randint(0, 48))
        revision = 1
        if rng.random() < 0.01:  # revised once: the old version kept as a revision row
            revision = 2
            old = body + "\n更正前的段落。"
            revisions.append((aid, 1, title, old, hashlib.sha1(old.encode()).hexdigest(), when,
                              when + timedelta(hours=3), 2 * aid - 1))
        articles.append((aid, f"https://bench.example/{portal}/{aid}.html", portal, title, body,
                         hashlib.sha1(body.encode()).hexdigest(), story, revision, published, when, when, when, 2 * aid))
        documents.append((aid, published, _int_array(search.search_keys(title, None, body))))
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET synchronous_commit = off")
        with conn.cursor() as cur:
            for statement, rows in (
                    ("COPY stories (id, canonical_article_id) FROM STDIN", stories),
                    (f"COPY articles ({ARTICLE_COLUMNS}) FROM STDIN", articles),
                    ("COPY article_search (article_id, published_at, tokens) FROM STDIN", documents),
                    ("COPY article_revisions (article_id, revision, title, body, content_hash, valid_from, "
                     "superseded_at, change_seq) FROM STDIN", revisions)):
                with cur.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
    return n


def _drop_secondary_indexes(conn: psycopg.Connection, table: str) -> list[str]:
    """Drop a table's indexes but the primary key (faster COPY); return the SQL that restores them."""
    restore = []
    for name, definition in conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'", (table,)).fetchall():
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in conn.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass AND NOT indisprimary", (table,)).fetchall():
        conn.execute(f"DROP INDEX {name}")
        restore.append(definition)
    return restore


def bulk_fill(url: str, start: int, count: int, workers: int) -> tuple[float, float]:
    """Load ``count`` articles from id ``start``; returns (seconds to load, seconds to index)."""
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        restore = [sql for table in ("articles", "article_search") for sql in _drop_secondary_indexes(conn, table)]
    tasks = [(url, s, min(BATCH, start + count - s)) for s in range(start, start + count, BATCH)]
    with mp.get_context("spawn").Pool(workers) as pool:
        for _ in pool.imap_unordered(load_batch, tasks):
            pass
    loaded = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for sql in restore:
            conn.execute(sql)
        for seq, sql in (("articles_id_seq", "SELECT max(id) FROM articles"),
                         ("stories_id_seq", "SELECT max(id) FROM stories"),
                         ("article_revisions_id_seq", "SELECT max(id) FROM article_revisions"),
                         ("archive_change_seq", "SELECT max(change_seq) FROM articles")):
            conn.execute(f"SELECT setval('{seq}', greatest(({sql}), 1))")
        conn.execute("VACUUM ANALYZE stories, articles, article_revisions, article_search")
        conn.execute("CHECKPOINT")
    return loaded - began, time.perf_counter() - loaded


# --- search, export, portals --------------------------------------------------------------------------
def make_queries(url: str, count: int, size: int, seed: int = 7) -> list[tuple[str, str]]:
    """(kind, query): 'things' — one or two named things, as popular as in the articles (what
    people look for); 'phrase' — a 2–4-character piece of a random headline (any words)."""
    rng = random.Random(seed)
    model = TextModel(seed=seed)
    ids = [rng.randrange(1, size + 1) for _ in range(count)]
    with psycopg.connect(url) as conn:
        titles = [r[0] for r in conn.execute("SELECT title FROM articles WHERE id = ANY(%s)", (ids,))]
    queries = []
    for i, title in enumerate(titles[:count]):
        if i % 10 < 7:
            queries.append(("things", " ".join(model.things(rng.randint(1, 2)))))
            continue
        runs = [r for r in "".join(c if _han(c) else " " for c in title).split() if len(r) >= 2] or ["聊城"]
        r = rng.choice(runs)
        n = rng.randint(2, min(4, len(r)))
        start = rng.randrange(len(r) - n + 1)
        queries.append(("phrase", r[start:start + n]))
    return queries


def measure_search(url: str, queries: list[tuple[str, str]]) -> dict:
    times = []
    with psycopg.connect(url) as conn:
        for _, q in queries[:20]:  # warm-up
            conn.execute("SELECT * FROM api.search(%s, 20)", (q,)).fetchall()
        for kind, q in queries:
            began = time.perf_counter()
            conn.execute("SELECT * FROM api.search(%s, 20)", (q,)).fetchall()
            times.append(((time.perf_counter() - began) * 1e3, kind, q))
        slow = sorted(times, reverse=True)[:3]
        tails = [(ms, q, conn.execute("SELECT count(*) FROM article_search WHERE tokens @> api.search_keys(%s)",
                                      (q,)).fetchone()[0]) for ms, _, q in slow]
    result = {"tails": tails}
    for kind in ("all", "things", "phrase"):
        ms = [t for t, k, _ in times if kind in ("all", k)]
        result[kind] = {"n": len(ms), "p50": statistics.median(ms), "p95": float(np.percentile(ms, 95)),
                        "p99": float(np.percentile(ms, 99)), "max": max(ms)}
    return result


class CountingFile(io.RawIOBase):
    """Where the export writes in the bench: a file that keeps nothing and counts the bytes (the
    CLI writes to stdout, a file or a pipe)."""

    def __init__(self):
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.bytes += len(data)
        return len(data)


def _sink() -> tuple[io.TextIOWrapper, CountingFile]:
    raw = CountingFile()
    return io.TextIOWrapper(io.BufferedWriter(raw, 1 << 16), encoding="utf-8"), raw


async def _export_jsonl(conns, after: int) -> tuple[int, int]:
    out, raw = _sink()
    count, _ = await export_changes(conns[0], out, after, revisions=True, helpers=conns[1:])
    out.flush()
    return count, raw.bytes


async def _export_dicts(conns, after: int) -> tuple[int, int]:
    n = 0
    async with changes_after(conns[0], after, revisions=True, helpers=conns[1:]) as changes:
        async for _ in changes:
            n += 1
    return n, 0


async def _export_rows_before(conns, after: int) -> tuple[int, int]:
    """The export before spans (main at 7c087e8): one COPY row a record, in text format, on one
    connection (the planner free to add parallel workers), each row unescaped and decoded."""
    conn = conns[0]
    out, raw = _sink()
    n = 0
    async with conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        await conn.execute("SELECT set_config('TimeZone', 'Asia/Shanghai', true), set_config('enable_sort', 'off', true)")
        last = (await (await conn.execute(feed._HIGH_WATER, {"after": after})).fetchone())[0]
        params = {**feed.Filters().params(), "after": after, "last": last}
        query = f"COPY (SELECT u.record FROM ({feed._records(['article', 'revision'], '%(after)s', '%(last)s')}) AS u) TO STDOUT"
        async with conn.cursor().copy(query, params) as copy:
            async for data in copy:
                out.write(bytes(data)[:-1].replace(b"\\\\", b"\\").decode())
                out.write("\n")
                n += 1
    out.flush()
    return n, raw.bytes


# name: (way, connections); the first is the CLI's
EXPORTS = {f"jsonl, {CLI_JOBS} connections (the CLI)": (_export_jsonl, CLI_JOBS),
           **{f"jsonl, {j} connection{'s' * (j > 1)}": (_export_jsonl, j) for j in (1, 2, 3) if j != CLI_JOBS},
           "jsonl, a COPY row a record (before)": (_export_rows_before, 1), "dicts, 2 connections": (_export_dicts, 2)}


async def measure_export(url: str, after: int, rounds: int = 5) -> dict:
    """rows/s of each way of exporting, in interleaved rounds (the first round not counted), and
    the CPU a row of this process and of the server backends (parallel workers not counted)."""
    rates, cpu = defaultdict(list), defaultdict(lambda: [0.0, 0.0, 0])
    size = rows = 0
    conns = [await psycopg.AsyncConnection.connect(url) for _ in range(max(jobs for _, jobs in EXPORTS.values()))]
    try:
        pids = [c.info.backend_pid for c in conns]
        names = list(EXPORTS)
        for r in range(rounds + 1):
            for name in names[r % len(names):] + names[:r % len(names)]:
                way, jobs = EXPORTS[name]
                s0, c0, began = sum(map(_server_cpu, pids)), time.process_time(), time.perf_counter()
                n, b = await way(conns[:jobs], after)
                if r:
                    rates[name].append(n / (time.perf_counter() - began))
                    c = cpu[name]
                    c[0] += time.process_time() - c0
                    c[1] += sum(map(_server_cpu, pids)) - s0
                    c[2] += n
                rows, size = n, max(size, b)
    finally:
        for conn in conns:
            await conn.close()
    return {"rows": rows, "bytes": size, "rates": {k: (statistics.median(v), min(v), max(v)) for k, v in rates.items()},
            "cpu": {k: (c[0] * 1e6 / c[2], c[1] * 1e6 / c[2]) for k, c in cpu.items()}}


def measure_portals(url: str) -> float:
    with psycopg.connect(url) as conn:
        began = time.perf_counter()
        conn.execute("SELECT * FROM api.portals").fetchall()
        return (time.perf_counter() - began) * 1e3


# --- write cost -----------------------------------------------------------------------------------------
async def _nothing(*_args) -> int:
    return 0  # no search keys written


# how each variant's store runs: without search calls (base: the store before 0004), without
# writing documents (feed: the change feed alone), as it is (full).  The store imports db/search
# with its first write and calls search.claim and search.write: the variants swap those two.
VARIANTS = {
    "base": {"claim": _nothing, "write": _nothing},
    "feed": {"claim": search.claim, "write": _nothing},
    "full": {"claim": search.claim, "write": search.write},
    # full, with the index's pending list merged by an insert inside a store's transaction when it
    # outgrows gin_pending_list_limit (16 MB since migration 0007; the store before it merged after its commits)
    "full-tx": {"claim": search.claim, "write": search.write, "MERGE_PENDING_BYTES": 1 << 62},
}


@contextlib.contextmanager
def store_as(variant: str):
    saved = {name: getattr(search, name) for name in VARIANTS[variant]}
    for name, function in VARIANTS[variant].items():
        setattr(search, name, function)
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(search, name, function)


def _server_cpu(pid: int) -> float:
    """Seconds a process has run on a CPU (schedstat: nanoseconds, where /proc/PID/stat counts
    10 ms ticks)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


class Writes:
    """The batches every variant stores, made once."""

    def __init__(self, rounds: int, batches: int, prefill: int):
        model = TextModel(seed=424242)
        self.prefill = [self._article(model, f"p{i}") for i in range(prefill)]
        self.rounds = []
        for r in range(rounds):
            rng = random.Random(r)
            round_batches = []
            for b in range(batches):
                fresh = [self._article(model, f"r{r}b{b}n{i}") for i in range(40)]
                same = [self._clone(a) for a in rng.sample(self.prefill, 8)]
                revised = [self._clone(a, extra=f"第{r}轮第{b}批更正。") for a in rng.sample(self.prefill, 2)]
                round_batches.append(fresh + same + revised)
            self.rounds.append(round_batches)

    @staticmethod
    def _article(model: TextModel, key: str) -> Article:
        title, body = model.article()
        a = Article(url=f"https://www.lcxw.cn/bench/{key}.html", portal="lcxw", title=title, body=body,
                    published_at=T0)
        a.content_hash = fingerprint(a.body_text)
        return a

    @staticmethod
    def _clone(a: Article, extra: str | None = None) -> Article:
        b = Article(url=a.url, portal=a.portal, title=a.title, body=[*a.body, extra] if extra else list(a.body),
                    published_at=a.published_at)
        b.content_hash = fingerprint(b.body_text)
        return b


async def write_cost(urls: dict[str, str], writes: Writes) -> dict[str, dict]:
    archives = {name: await Archive.open(url, min_size=1, max_size=1) for name, url in urls.items()}
    pids = {}
    for name, a in archives.items():
        async with a.pool.connection() as conn:
            pids[name] = conn.info.backend_pid
    totals = {name: defaultdict(float) for name in urls}
    names = list(urls)
    try:
        for name, a in archives.items():  # same warm archive everywhere (not timed)
            with store_as(name):
                for i in range(0, len(writes.prefill), 50):
                    await a.store(writes.prefill[i:i + 50])
            if name == "full":
                async with a.pool.connection() as conn:
                    await search.merge(conn)
        for r, batches in enumerate(writes.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                a, t = archives[name], totals[name]
                with store_as(name):
                    for batch in batches:
                        s0, c0, w0 = _server_cpu(pids[name]), time.process_time(), time.perf_counter()
                        await a.store(batch)
                        t["wall"] += time.perf_counter() - w0
                        t["slowest"] = max(t["slowest"], time.perf_counter() - w0)  # one batch's store, s
                        t["client"] += time.process_time() - c0
                        t["server"] += _server_cpu(pids[name]) - s0
                        t["n"] += len(batch)
        # what is still pending is merged into the index (the store merged whenever the pending
        # list outgrew gin_pending_list_limit): part of the cost, in every variant with the index
        for name in names:
            if VARIANTS[name]["write"] is _nothing:
                continue
            t = totals[name]
            s0, w0 = _server_cpu(pids[name]), time.perf_counter()
            async with archives[name].pool.connection() as conn:
                await search.merge(conn)
            merge_wall, merge_cpu = time.perf_counter() - w0, _server_cpu(pids[name]) - s0
            for key, value in (("wall", merge_wall), ("server", merge_cpu), ("merge_wall", merge_wall),
                               ("merge_cpu", merge_cpu)):
                t[key] += value
    finally:
        for a in archives.values():
            await a.close()
    return {name: {k: v * 1e3 / (1 if k == "slowest" else t["n"]) for k, v in t.items() if k != "n"}
            for name, t in totals.items()}


# --- the run --------------------------------------------------------------------------------------------
def _create(admin: str, name: str, target: int | None) -> str:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(admin, dbname=name)

    async def go():
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await migrations.migrate(conn, target=target)
    asyncio.run(go())
    with psycopg.connect(url, autocommit=True) as conn:
        if target is not None:  # Archive.open migrates: mark the later versions done without them
            for m in migrations.available():
                if m.version > target:
                    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                                 (m.version, f"{m.name} (left out: bench baseline)"))
        else:  # its pending list is merged by the bench, in the open
            conn.execute("ALTER TABLE article_search SET (autovacuum_enabled = off)")
    return url


def _drop(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(admin: str, sizes: list[int], queries: int, rounds: int, batches: int, workers: int, prefill: int) -> None:
    tag = uuid.uuid4().hex[:6]
    names = {v: f"lcn_bench_consumers_{v}_{tag}" for v in (*VARIANTS, "big")}
    try:
        if rounds:
            print(f"== write cost: Archive.store, {rounds} interleaved rounds x {batches} batches of 50 "
                  f"(40 new, 8 unchanged, 2 revised) per variant, after {prefill} articles", flush=True)
            urls = {v: _create(admin, names[v], API_VERSION - 1 if v == "base" else None) for v in VARIANTS}
            result = asyncio.run(write_cost(urls, Writes(rounds, batches, prefill)))
            base = result["base"]
            print(f"{'variant':<9}{'wall ms/art':>12}{'client cpu':>12}{'server cpu':>12}{'cpu total':>11}"
                  f"{'wall ratio':>12}{'cpu ratio':>11}{'merge wall':>12}{'merge cpu':>11}{'slowest batch':>15}")
            for name, r in result.items():
                cpu = r["client"] + r["server"]
                print(f"{name:<9}{r['wall']:>12.3f}{r['client']:>12.3f}{r['server']:>12.3f}{cpu:>11.3f}"
                      f"{r['wall'] / base['wall']:>12.3f}{cpu / (base['client'] + base['server']):>11.3f}"
                      f"{r.get('merge_wall', 0):>12.3f}{r.get('merge_cpu', 0):>11.3f}{r['slowest']:>12.0f} ms")
            full = result["full"]
            print(f"merge: the final merge of what was still pending (part of full's figures; the store merges "
                  f"after its commits every {search.MERGE_PENDING_BYTES >> 20} MB of pending list, full-tx inside its "
                  f"batches whenever the pending list outgrows its limit); target: full / base <= 1.2",
                  flush=True)
            for v in VARIANTS:
                _drop(admin, names[v])

        url = _create(admin, names["big"], None)
        loaded = 0
        for size in sizes:
            took, indexing = bulk_fill(url, loaded + 1, size - loaded, workers)
            loaded = size
            with psycopg.connect(url) as conn:
                db_mb = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6
                gin_mb = conn.execute("SELECT pg_relation_size('article_search_tokens')").fetchone()[0] / 1e6
                doc_mb = conn.execute("SELECT pg_total_relation_size('article_search')").fetchone()[0] / 1e6
                last = conn.execute("SELECT max(change_seq) FROM articles").fetchone()[0]
            print(f"\n== {size:,} articles (loaded in {took:.0f} s, indexed in {indexing:.0f} s; database {db_mb:,.0f} MB, "
                  f"article_search {doc_mb:,.0f} MB of which the GIN index {gin_mb:,.0f} MB)", flush=True)
            qs = make_queries(url, queries, size)
            s = measure_search(url, qs)
            for kind in ("all", "things", "phrase"):
                k = s[kind]
                print(f"search {kind:<7} ({k['n']} queries, lim 20): p50 {k['p50']:.1f} ms, p95 {k['p95']:.1f} ms, "
                      f"p99 {k['p99']:.1f} ms, max {k['max']:.1f} ms" + ("  (target p95 <= 50 ms at 1M)"
                                                                       if kind == "all" else ""))
            for ms, q, hits in s["tails"]:
                print(f"   slowest: {ms:7.1f} ms  {q!r}  ({hits:,} matching articles)")
            after = max(0, last - 2 * 200_000)  # the last 200k articles (change_seq = 2 x id)
            e = asyncio.run(measure_export(url, after))
            print(f"export --after {after:,} --revisions: {e['rows']:,} records, {e['bytes'] / e['rows']:,.0f} "
                  f"bytes a record (UTF-8) (target >= 20k rows/s); median of 5 rounds (range); CPU a row: this "
                  f"process, server backends:")
            for name, (rate, low, high) in e["rates"].items():
                client, server = e["cpu"][name]
                print(f"   {name:<36} {rate:>7,.0f} rows/s ({low:,.0f}–{high:,.0f})  {client:5.1f} µs  {server:5.1f} µs")
            print(f"api.portals: {measure_portals(url):.0f} ms", flush=True)
    finally:
        for name in names.values():
            _drop(admin, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="archive sizes (comma-separated; empty: none)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6, help="write-cost rounds (0: skip the write cost)")
    parser.add_argument("--batches", type=int, default=4, help="batches of 50 per variant and round")
    parser.add_argument("--prefill", type=int, default=1000, help="articles stored before the write-cost rounds")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    url = os.environ.get("LIAOCHENG_NEWS_DATABASE_URL")
    if url:
        run(url, sizes, args.queries, args.rounds, args.batches, args.workers, args.prefill)
        return
    with throwaway_server(prefix="lcn-bench-consumers-") as admin:
        run(admin, sizes, args.queries, args.rounds, args.batches, args.workers, args.prefill)


if __name__ == "__main__":
    main()
