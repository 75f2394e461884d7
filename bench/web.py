"""Page times of ``liaocheng-news web`` on a large archive (issue 16).

Run: .venv/bin/python bench/web.py [--articles 100000] [--rounds 200]

Starts a throwaway embedded PostgreSQL (or, with LIAOCHENG_NEWS_DATABASE_URL set to a superuser
URL, makes and afterwards drops a scratch database on that server), migrates it, and bulk-loads a
synthetic archive with COPY (triggers and foreign-key checks off for the load; change numbers and
search documents written as the store would, their keys by the real ``db/search.search_keys``):

* articles on the 21 crawled sources (liaocheng_news/portals.py; the first seven with 3–6
  channels each, the others with the channels of their list pages) and the mirror; text of 2–4-character
  pieces of the real seed dumps and fixture bodies drawn as often as they occur there (bodies of
  about 700 characters, headlines of about 15); published over three years (5 % undated), first
  seen over the last year in the order of their ids (as crawls write them);
* stories of one copy (85 %) or two to three copies on other portals; 1 % of articles revised
  once (an api.revisions row);
* four crawl runs a day per portal for the year, with stats.

Then it starts the real command (``python -m liaocheng_news.ops.cli web`` on a free loopback port,
reading as the reader role) and requests pages over HTTP from this process, in interleaved
rounds: each round asks every kind of page once, in an order rotated round by round, each with
fresh random parameters (a random story, filter, deep cursor, one or two 2–4-character phrases
of random headlines).  The first round is a warm-up and is not counted.  Prints p50/p95/max per
kind, over all pages and over all but the search pages, the same searches' ``api.search`` time
alone (the search itself is the api's, migration 0004), and p95 against the 100 ms target.  The
site keeps the portal/channel lists for five minutes; their query's cold time is printed apart.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from liaocheng_news.db import migrate as migrations  # noqa: E402
from liaocheng_news.db.search import search_keys  # noqa: E402
from liaocheng_news.db.stories import bigint_array  # noqa: E402
from liaocheng_news.db.server import throwaway_server  # noqa: E402
from liaocheng_news.portals import PORTALS as DECLARED  # noqa: E402
from liaocheng_news.web.queries import _FACETS  # noqa: E402

TARGET_P95_MS = 100.0
PORTALS = {  # portal -> channels
    "lcxw": ["要闻/社会", "要闻/时政", "聊城/县域", "快讯", "视听"],
    "lcrb": ["聊城日报", "聊城晚报", "县域经济"],
    "yybnet": ["今日临清", "今日聊城", "今日高唐", "今日阳谷", "今日冠县", "今日莘县"],
    "achie": ["产业规划", "高新区新闻", "经济开发区新闻"],
    "liaocheng_gov": ["政务要闻", "县区动态", "部门动态"],
    "dzwww_liaocheng": ["聊城新闻", "海聊", "县域"],
    "lcxw_app": ["要闻", "民生", "县域"],
}
# the other sources the crawler reads (issue 19), each with the channels of its list pages; the
# mirror last (it has no crawl runs)
PORTALS.update({name: sorted({listing.channel for listing in source.lists})
                or [source.issues.channel if source.issues else None]
                for name, source in DECLARED.items() if source.hosts and name not in PORTALS})
PORTALS["mirror"] = [None]
NOW = datetime.now(timezone.utc)


def corpus() -> str:
    """The real seed dumps and the fixtures' expected bodies, as one text."""
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "liaocheng_news" / "seeds").glob("*.txt")]
    for p in (ROOT / "tests" / "fixtures").rglob("*.expected.json"):
        body = json.loads(p.read_text(encoding="utf-8")).get("body") or []
        texts.append("\n".join(body) if isinstance(body, list) else str(body))
    return "\n".join(texts)


class Maker:
    """Text of 2–4-character pieces cut from the real corpus, drawn as often as they occur there
    (common words stay common, rare ones rare, and pieces meet in new pairs: no sentence repeats
    across the archive as it would if whole sentences were drawn)."""

    def __init__(self, seed: int = 16):
        self.rng = random.Random(seed)
        counts: dict[str, int] = {}
        for run in re.findall("[\u4e00-\u9fff]+", corpus()):
            at = 0
            while at < len(run):
                size = self.rng.randint(2, 4)
                piece = run[at:at + size]
                counts[piece] = counts.get(piece, 0) + 1
                at += size
        self.pieces = list(counts)
        self.weights = list(itertools.accumulate(counts.values()))

    def _run(self, pieces: int) -> str:
        return "".join(self.rng.choices(self.pieces, cum_weights=self.weights, k=pieces))

    def text(self) -> tuple[str, str]:
        paragraphs = []
        for _ in range(self.rng.randint(3, 8)):
            sentences = [self._run(self.rng.randint(6, 16)) for _ in range(self.rng.randint(2, 5))]
            paragraphs.append("。".join(sentences) + "。")
        return self._run(self.rng.randint(3, 7)), "\n".join(paragraphs)


def build(url: str, articles: int) -> dict:
    """Bulk-load the synthetic archive; returns facts the requests draw from."""
    maker, rng = Maker(), random.Random(61)
    portals = list(PORTALS)
    started = time.perf_counter()
    story_rows, article_rows, revision_rows, document_rows, heads = [], [], [], [], []
    article_id = story_id = 0
    while article_id < articles:
        story_id += 1
        copies = 1 if rng.random() < 0.85 else rng.randint(2, 3)
        title, body = maker.text()
        published = None if rng.random() < 0.05 else NOW - timedelta(seconds=rng.uniform(0, 3 * 365 * 86400))
        on = rng.sample(portals, min(copies, articles - article_id))
        first_id = article_id + 1
        for portal in on:
            article_id += 1
            channel = rng.choice(PORTALS[portal])
            # first seen in the order the rows were written (as a crawl writes them), over a year
            first_seen = NOW - timedelta(seconds=365 * 86400 * (1 - article_id / articles) + rng.uniform(0, 3600))
            revised = rng.random() < 0.01
            article_rows.append((article_id, f"https://{portal}.example/{story_id}/{article_id}.html", portal, channel,
                                 title, published, "聊城日报", "{记者}", "张路", None, body, "[]", "portal",
                                 json.dumps({"spam_removed": 0}), f"h{story_id}", story_id, 2 if revised else 1,
                                 first_seen, first_seen, first_seen, article_id))
            document_rows.append((article_id, published, bigint_array(search_keys(title, None, body))))
            if revised:
                revision_rows.append((article_id, 1, title, body[: len(body) // 2], f"r{article_id}",
                                      first_seen - timedelta(days=1), first_seen, article_id + articles))
        story_rows.append((story_id, first_id))
        if len(heads) < 5000 and rng.random() < 0.1:
            heads.append(title)
    generated = time.perf_counter() - started
    run_rows = []
    for day in range(365):
        for portal in portals[:-1]:
            for k in range(4):
                at = NOW - timedelta(days=day, hours=6 * k)
                stats = {"pages_fetched": rng.randint(5, 60), "articles_fetched": rng.randint(0, 30),
                         "items_stored": rng.randint(0, 20), "errors": int(rng.random() < 0.05),
                         "fallback_extractions": rng.randint(0, 2)}
                run_rows.append((portal, at, at + timedelta(minutes=3), "finished", json.dumps(stats)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # no triggers, no FK checks while loading
        for table, columns, rows in (
                ("crawl_runs", "spider, started_at, finished_at, status, stats", run_rows),
                ("stories", "id, canonical_article_id", story_rows),
                ("articles", "id, url, portal, channel, title, published_at, source, authors, editor, reviewer, body, "
                             "images, extraction, normalisation, content_hash, story_id, revision, first_seen, "
                             "last_seen, last_changed, change_seq", article_rows),
                ("article_search", "article_id, published_at, tokens", document_rows),
                ("article_revisions", "article_id, revision, title, body, content_hash, valid_from, superseded_at, "
                                      "change_seq", revision_rows)):
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute("SELECT setval('stories_id_seq', %s), setval('articles_id_seq', %s), "
                     "setval('archive_change_seq', %s)", (story_id, article_id, article_id * 2 + 1))
        conn.execute("VACUUM ANALYZE")  # the steady state autovacuum keeps (visibility map set)
    return {"stories": story_id, "articles": article_id, "revised": [r[0] for r in revision_rows],
            "heads": heads, "generated_s": generated, "loaded_s": time.perf_counter() - started - generated}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> float:
    """Seconds for one complete response (status 200 or a redirect's target)."""
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return time.perf_counter() - t


def page_kinds(facts: dict, cursors: list[str], rng: random.Random, searched: list[str]) -> dict:
    """kind -> a function giving a fresh URL of that kind (the search phrases go to ``searched``)."""
    def q(text: str) -> str:
        return urllib.parse.quote(text)

    def searching() -> str:
        searched.append(phrase())
        return q(searched[-1])

    def phrase() -> str:  # one or two 2–4-character phrases of random headlines
        words = []
        for _ in range(rng.randint(1, 2)):
            head = rng.choice(facts["heads"])
            at = rng.randrange(0, max(1, len(head) - 4))
            words.append(head[at:at + rng.randint(2, 4)])
        return " ".join(words)

    def since() -> str:
        day = (NOW - timedelta(days=rng.randint(30, 900))).date()
        return f"/?since={day}&until={day + timedelta(days=rng.randint(0, 30))}"

    return {
        "stories": lambda: "/",
        "stories?portal": lambda: f"/?portal={rng.choice(list(PORTALS)[:-1])}",
        "stories?channel": lambda: f"/?channel={q(rng.choice(PORTALS[rng.choice(list(PORTALS)[:-1])]))}",
        "stories?dates": since,
        "stories?before": lambda: f"/?before={rng.choice(cursors)}",
        "story": lambda: f"/story/{rng.randint(1, facts['stories'])}",
        "story(revised)": lambda: f"/story/{rng.choice(facts['revised_stories'])}",
        "search": lambda: f"/search?q={searching()}",
        "portals": lambda: "/portals",
        "runs": lambda: "/runs",
        "api/stories": lambda: "/api/stories",
        "api/story": lambda: f"/api/stories/{rng.randint(1, facts['stories'])}",
        "api/search": lambda: f"/api/search?q={searching()}",
        "api/portals": lambda: "/api/portals",
    }


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


def measure(url: str, facts: dict, rounds: int) -> None:
    with psycopg.connect(url) as conn:
        facts["revised_stories"] = [r[0] for r in conn.execute(
            "SELECT story_id FROM articles WHERE id = ANY(%s)", (facts["revised"],)).fetchall()]
        t = time.perf_counter()
        conn.execute(_FACETS).fetchall()
        facets_ms = (time.perf_counter() - t) * 1000
    port = _free_port()
    env = {**os.environ, "LIAOCHENG_NEWS_DATABASE_URL": url}
    env.pop("LIAOCHENG_NEWS_WEB_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "liaocheng_news.ops.cli", "web", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                _get(base + "/runs")
                break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit(f"the site did not start: {proc.stderr.read()[-2000:]}")
                time.sleep(0.2)
        cursors, link = [], "/api/stories?limit=50"
        for _ in range(40):  # cursors up to 40 pages deep
            with urllib.request.urlopen(base + link) as response:
                page = json.loads(response.read())
            if not page["next"]:
                break
            cursors.append(urllib.parse.quote(page["next"]))
            link = f"/api/stories?limit=50&before={cursors[-1]}"
        rng, searched = random.Random(7), []
        kinds = page_kinds(facts, cursors, rng, searched)
        names = list(kinds)
        times: dict[str, list[float]] = {k: [] for k in names}
        for r in range(rounds + 1):
            order = names[r % len(names):] + names[:r % len(names)]
            for kind in order:
                elapsed = _get(base + kinds[kind]())
                if r:  # round 0 warms up
                    times[kind].append(elapsed * 1000)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"\n{'page':<18}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    every = []
    for kind in names:
        values = times[kind]
        every += values
        print(f"{kind:<18}{len(values):>6}{statistics.median(values):>10.1f}{percentile(values, 95):>10.1f}"
              f"{max(values):>10.1f}")
    p95 = percentile(every, 95)
    worst = max(names, key=lambda k: percentile(times[k], 95))
    print(f"{'all pages':<18}{len(every):>6}{statistics.median(every):>10.1f}{p95:>10.1f}{max(every):>10.1f}")
    others = [t for k in names if "search" not in k for t in times[k]]
    print(f"{'all but search':<18}{len(others):>6}{statistics.median(others):>10.1f}"
          f"{percentile(others, 95):>10.1f}{max(others):>10.1f}")
    alone = []
    with psycopg.connect(url) as conn:  # the same searches, api.search alone (its SQL, no page)
        for phrase in searched:
            t = time.perf_counter()
            conn.execute("SELECT * FROM api.search(%s, 20)", (phrase,)).fetchall()
            alone.append((time.perf_counter() - t) * 1000)
    print(f"{'api.search alone':<18}{len(alone):>6}{statistics.median(alone):>10.1f}"
          f"{percentile(alone, 95):>10.1f}{max(alone):>10.1f}")
    print(f"\np95 over all pages {p95:.1f} ms = {p95 / TARGET_P95_MS:.2f} x the {TARGET_P95_MS:.0f} ms target; "
          f"without the search pages {percentile(others, 95):.1f} ms = {percentile(others, 95) / TARGET_P95_MS:.2f} x; "
          f"slowest kind {worst} p95 {percentile(times[worst], 95):.1f} ms = "
          f"{percentile(times[worst], 95) / TARGET_P95_MS:.2f} x")
    print(f"filter-form lists and portal names (cached 5 min by the site), cold query: {facets_ms:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    admin = os.environ.get("LIAOCHENG_NEWS_DATABASE_URL")
    with (throwaway_server("lcn-bench-web-") if not admin else contextlib.nullcontext(admin)) as server_url:
        name = f"lcn_bench_web_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = make_conninfo(server_url, dbname=name)
        try:
            migrations_applied = _migrate(url)
            facts = build(url, args.articles)
            print(f"archive: {facts['articles']} articles in {facts['stories']} stories, {len(facts['revised'])} "
                  f"revised (migrations {migrations_applied}); generated in {facts['generated_s']:.1f} s, "
                  f"loaded in {facts['loaded_s']:.1f} s")
            measure(url, facts, args.rounds)
        finally:
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(url: str) -> list[int]:
    async def go():
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await migrations.migrate(conn)

    return asyncio.run(go())


if __name__ == "__main__":
    main()
