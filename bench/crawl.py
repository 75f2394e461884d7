"""Crawl cost per stored article: this project's pipeline against a bare Scrapy spider and a naive
Scrapy + trafilatura + one-INSERT-per-item pipeline, over the same pages, in one run.

The benchmark generates a replay site of N lcxw article pages (the lcxw fixture's page with a
headline of its own, named in its head as a real page names it, a reporter's byline and new prose;
20 links per list page), serves it on 127.0.0.1 from this process, starts one embedded
PostgreSQL (as a database server would run beside a crawl) and crawls the site in ``--rounds``
interleaved rounds (a shared machine's speed drifts; medians and per-round ratios are printed):

* bare, project: a Scrapy spider that follows the same list and article links, parses nothing,
  stores nothing, run with this project's settings (the same download path: robots.txt, replay
  routing, the render middleware and lazy handler, the same trims) but none of its extensions
  or pipelines.  What this project adds is measured against it;
* bare, Scrapy: the same spider with Scrapy's own defaults (outside the project), given only what
  reaches the same pages the same way: the replay middleware, robots.txt obeyed, the same
  concurrency, no delay, RemoteControl and the telnet console off (they would open ports);
* pipeline: ``liaocheng-news crawl --replay-url`` of the lcxw spider into a fresh, migrated
  database: parse, normalise, keys and story placement, batched upserts;
* bare + parse: the bare spider (project settings) building every article page's lxml tree and
  reading its headline and text container, nothing kept: the least any extraction does;
* naive: the bare spider with Scrapy's defaults, plus ``trafilatura.bare_extraction`` on every
  article page and an item pipeline that INSERTs each item with its own commit into a fresh database;
* no-change: the pipeline's crawl again over its full archive (at rest: vacuumed, as between two
  scheduled crawls), which reads two list pages and checks their links; timed start to end
  against both bare spiders reading the same list pages.

What is counted as an article's cost: the CPU time (user + system) of the crawl's process and of
PostgreSQL (the postmaster and all its processes, backends and background workers, over the
crawl), divided by the articles stored (for the bare spiders: the article pages fetched).  The
replay server's CPU (threads of this process) is printed apart and not counted.  Start-up is
counted: it is part of every crawl.

Targets (issue 20): pipeline / bare ≤ 1.6 and pipeline / naive ≤ 0.35 in CPU per stored article;
no-change crawl ≤ 1.2 × the bare spider's wall time.  It also prints what each ratio target
leaves for the crawl's process once PostgreSQL has stored the articles.  ``--profile`` adds one pipeline crawl
under a CPU-time sampling profiler and prints where a stored article's CPU goes: each sample is
charged to the innermost frame of this project's code on the stack (the parser, the dedupe
keys, the normaliser, the archive's queries …, with the libraries they call), else to Scrapy,
Twisted and asyncio, or to start-up imports.

    .venv/bin/python bench/crawl.py [--pages 2000] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")  # platformdirs, via pgserver
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from liaocheng_news.db.archive import Archive  # noqa: E402
from liaocheng_news.db.server import delete_data, embedded_server, stop_embedded  # noqa: E402
from liaocheng_news.ops.replay import ReplayServer  # noqa: E402

TEMPLATE = ROOT / "tests" / "fixtures" / "lcxw" / "article-20260122-151679.html"
SEED = (ROOT / "liaocheng_news" / "seeds" / "003_12d72fcd3ea23722.txt").read_text(encoding="utf-8")
HAN = [c for c in SEED if "\u4e00" <= c <= "\u9fff"]
PER_LIST = 20
BASE = "https://www.lcxw.cn/yaowen/shehui"
TICK = os.sysconf("SC_CLK_TCK")

BARE_SPIDER = textwrap.dedent('''
    import os

    import scrapy

    class Bare(scrapy.Spider):
        """The same links as the lcxw spider follows; nothing parsed, nothing stored."""

        name = "bare"
        allowed_hosts = ["www.lcxw.cn"]  # the project's containment keeps a crawl on these hosts
        custom_settings = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}}

        def __init__(self, lists=None, articles="1", **kwargs):
            super().__init__(**kwargs)
            self.lists = int(lists) if lists else None  # list pages to read (default: all)
            self.articles = articles != "0"

        def closed(self, reason):  # what was read, for the benchmark to count (not assumed)
            with open(os.environ["BENCH_FETCHED_OUT"], "w") as fh:
                stats = self.crawler.stats
                fh.write(f"{stats.get_value('articles_fetched', 0)} {stats.get_value('pages_fetched', 0)}")

        async def start(self):
            yield scrapy.Request("%s/index.html", callback=self.parse_list, cb_kwargs={"n": 1})

        def parse_list(self, response, n):
            self.crawler.stats.inc_value("pages_fetched")
            if self.articles:
                for href in response.css("#newsList li a::attr(href)").getall():
                    yield response.follow(href, callback=self.parse_article)
            nxt = response.xpath('//div[@class="page"]//a[normalize-space()="下一页"]/@href').get()
            if nxt and (self.lists is None or n < self.lists):
                yield response.follow(nxt, callback=self.parse_list, cb_kwargs={"n": n + 1})

        def parse_article(self, response):
            self.crawler.stats.inc_value("pages_fetched")
            self.crawler.stats.inc_value("articles_fetched")
''' % BASE)

NAIVE_SPIDER = BARE_SPIDER.replace('name = "bare"', 'name = "naive"').replace(
    'custom_settings = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}}',
    'custom_settings = {"ITEM_PIPELINES": {"naive.Insert": 300}, "EXTENSIONS": {}}').replace(
    'class Bare(', 'class Naive(') + textwrap.dedent('''
            doc = trafilatura.bare_extraction(response.text, url=response.url, with_metadata=True)
            if doc is not None and doc.text:
                yield {"url": response.url, "title": doc.title, "body": doc.text, "published": doc.date}


    class Insert:
        """One INSERT, one commit, per item."""

        def open_spider(self):
            self.conn = psycopg.connect(os.environ["LIAOCHENG_NEWS_DATABASE_URL"], autocommit=True)
            self.conn.execute("CREATE TABLE IF NOT EXISTS naive_articles "
                              "(url text PRIMARY KEY, title text, body text, published text)")

        def process_item(self, item):
            self.conn.execute("INSERT INTO naive_articles VALUES (%s, %s, %s, %s) ON CONFLICT (url) DO NOTHING",
                              (item["url"], item["title"], item["body"], item["published"]))
            return item

        def close_spider(self):
            self.conn.close()
''')
NAIVE_SPIDER = "import psycopg\nimport trafilatura\n" + NAIVE_SPIDER

# the least any extraction does: the bare spider (project settings) building each article page's
# lxml tree and reading its headline and its text container's text, nothing kept
PARSE_SPIDER = "import lxml.html\n" + BARE_SPIDER.replace('name = "bare"', 'name = "parse"').replace(
    'class Bare(', 'class Parse(') + textwrap.dedent('''
            tree = lxml.html.document_fromstring(response.body)
            self.read = (tree.findtext(".//h1"), tree.xpath("string(//div[@id='articleContent'])"))
''').replace("\n", "\n        ")


def sentence(rng: random.Random) -> str:
    return "".join(rng.choice(HAN) for _ in range(rng.randint(40, 90))) + "。"


def generate(directory: Path, pages: int, seed: int = 7) -> int:
    """N article pages and their list pages; returns the number of list pages."""
    rng = random.Random(seed)
    template = TEMPLATE.read_text(encoding="utf-8")
    folder = directory / "lcxw"
    folder.mkdir(parents=True)
    headers = {"Content-Type": "text/html; charset=utf-8"}

    def write(slug: str, url: str, kind: str, html: str) -> None:
        (folder / f"{slug}.html").write_text(html, encoding="utf-8")
        (folder / f"{slug}.meta.json").write_text(json.dumps(
            {"url": url, "kind": kind, "status": 200, "headers": headers,
             "provenance": {"recorded": False, "method": "generated", "evidence": ["bench/crawl.py"]}}),
            encoding="utf-8")

    urls = []
    old_title = re.search(r'<h1 class="article-title">(.*?)</h1>', template).group(1)
    for i in range(pages):
        aid = 200000 + i
        url = f"{BASE}/20260{1 + i % 9}{10 + i % 18:02d}/{aid}.html"
        title = "".join(rng.choice(HAN) for _ in range(14))
        # the template's own article, with new words: its head names the new headline (<title>,
        # description), its print note and byline lines stay, its prose paragraphs are replaced
        byline = f"<p>■本报记者 {''.join(rng.choice(HAN) for _ in range(3))}</p>\n"
        body = byline + "".join(f"<p>　　{sentence(rng)}{sentence(rng)}</p>\n" for _ in range(rng.randint(4, 9)))
        html = template.replace(old_title, title)
        html = re.sub(r'(<div class="article-content" id="articleContent">\s*<p class="paper-note">.*?</p>).*?(</div>)',
                      lambda m: m.group(1) + "\n" + body + m.group(2), html, flags=re.S)
        write(f"a{aid}", url, "article", html)
        urls.append((url, title))
    lists = (pages + PER_LIST - 1) // PER_LIST
    for n in range(1, lists + 1):
        chunk = urls[(n - 1) * PER_LIST: n * PER_LIST]
        items = "".join(f'<li><a href="{u}">{t}</a><span>2026-01-22</span></li>' for u, t in chunk)
        nxt = f'<div class="page"><a href="index_{n + 1}.html">下一页</a></div>' if n < lists else ""
        name = "index.html" if n == 1 else f"index_{n}.html"
        write(f"list{n}", f"{BASE}/{name}", "list",
              f'<html><head><meta charset="utf-8"></head><body><div id="newsList"><ul>{items}</ul></div>{nxt}</body></html>')
    return lists


# -- measuring ---------------------------------------------------------------------------------------
def _proc_cpu(pid: int) -> tuple[int, float]:
    """(parent pid, CPU seconds of the process and of its reaped children) from /proc."""
    with open(f"/proc/{pid}/stat", "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()
    return int(fields[1]), sum(int(v) for v in fields[11:15]) / TICK


def server_cpu(postmaster: int) -> float:
    """CPU seconds so far of a PostgreSQL server: the postmaster (with the backends it reaped)
    and every process it runs now."""
    total = _proc_cpu(postmaster)[1]
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != postmaster:
            try:
                parent, cpu = _proc_cpu(int(entry))
            except OSError:  # gone meanwhile
                continue
            if parent == postmaster:
                total += cpu
    return total


@dataclass
class Run:
    wall: float  # seconds, process start to end
    crawl_cpu: float  # the crawl's process (user + system)
    pg_cpu: float  # PostgreSQL, over the crawl
    replay_cpu: float  # this process (the replay server's threads), not counted
    rss: float  # the crawl process's peak RSS, MiB
    count: int = 0  # articles stored (bare: article pages fetched)

    @property
    def cpu(self) -> float:
        return self.crawl_cpu + self.pg_cpu

    def per_article_ms(self) -> float:
        return 1000 * self.cpu / max(1, self.count)


def measure(cmd: list[str], env: dict, postmaster: int, cwd: Path = ROOT) -> Run:
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty crawl never blocks on it
        pg_before, own_before = server_cpu(postmaster), resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()  # the one process this call started
            proc.wait()
            raise
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        time.sleep(0.3)  # the crawl's backends end and are reaped by the postmaster
        pg_after = server_cpu(postmaster)
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(cmd[:6])} failed ({proc.returncode}):\n"
                             f"{errors.read().decode('utf-8', 'replace')[-3000:]}")
    own = (own_after.ru_utime + own_after.ru_stime) - (own_before.ru_utime + own_before.ru_stime)
    return Run(wall, usage.ru_utime + usage.ru_stime, pg_after - pg_before, own, usage.ru_maxrss / 1024)


def scalar(url: str, sql: str):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


class Databases:
    """Fresh databases on the benchmark's server: migrated (for the pipeline) or empty."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.count = 0
        self.template = self.create()
        asyncio.run(self._migrate(self.url(self.template)))

    @staticmethod
    async def _migrate(url: str) -> None:
        archive = await Archive.open(url)  # applies the migrations
        await archive.close()

    def url(self, name: str) -> str:
        return make_conninfo(self.admin_url, dbname=name)

    def create(self, template: str | None = None) -> str:
        self.count += 1
        name = f"bench_{self.count}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def fresh(self, migrated: bool) -> str:
        return self.url(self.create(self.template if migrated else None))


# -- where the crawl process's CPU goes ---------------------------------------------------------------
SAMPLER = textwrap.dedent('''
    """Run a module under a CPU-time sampling profiler (bench/crawl.py --profile)."""
    import atexit, collections, json, os, runpy, signal, sys, time

    OWN, TOOLS = "/liaocheng_news/", "/liaocheng_news/ops/"
    charged = collections.Counter()
    last = [time.process_time()]

    def bucket(frame):
        importing = False
        while frame is not None:
            name = frame.f_code.co_filename
            if OWN in name and TOOLS not in name:  # the command line only drives the crawl
                part = name.split(OWN, 1)[1].split("/")[0].removesuffix(".py")
                return (f"start-up: imports by {part}" if importing else part)
            importing = importing or "importlib" in name
            frame = frame.f_back
        return "start-up: other imports" if importing else "Scrapy, Twisted, asyncio"

    def sample(signum, frame):  # the CPU time since the last sample: a long C call counts whole
        now = time.process_time()
        charged[bucket(frame)] += now - last[0]
        last[0] = now

    @atexit.register
    def save():
        signal.setitimer(signal.ITIMER_PROF, 0, 0)  # no sample may arrive once the handler is gone
        with open(os.environ["SAMPLES_OUT"], "w") as fh:
            json.dump(charged, fh)

    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
    sys.argv = sys.argv[2:]  # -m MODULE ARGS...
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
''')


# -- the run --------------------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="article pages (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--profile", action="store_true", help="also profile one pipeline crawl")
    args = parser.parse_args()
    py = sys.executable
    common = ["-s", "LOG_LEVEL=WARNING", "-s", "MAX_LIST_PAGES=100000",
              "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
    work = Path(tempfile.mkdtemp(prefix="lcn-bench-crawl-"))
    work.chmod(0o711)  # run by root, PostgreSQL's own user must pass through this folder (only)
    runs: dict[str, list[Run]] = {kind: [] for kind in KINDS + NO_CHANGE}
    pg = None
    try:
        lists = generate(work / "site", args.pages)
        for name, text in (("bare.py", BARE_SPIDER), ("parse.py", PARSE_SPIDER), ("naive.py", NAIVE_SPIDER),
                           ("sampler.py", SAMPLER)):
            (work / name).write_text(text, encoding="utf-8")
        pg = embedded_server(work / "pg")
        postmaster = pg.pid
        databases = Databases(pg.get_uri())
        with ReplayServer(work / "site") as replay:
            env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
            fetched_out = work / "fetched.txt"  # the bare and naive spiders' own count of pages read
            env.update({"LIAOCHENG_NEWS_LOG_LEVEL": "WARNING", "LIAOCHENG_NEWS_HOME": str(work / "home"),
                        "BENCH_FETCHED_OUT": str(fetched_out)})

            def fetched(kind: str, articles: int, pages: int) -> None:
                """A bare crawl that did not read what it was given is no baseline: stop."""
                got = tuple(int(v) for v in fetched_out.read_text().split())
                if got != (articles, pages):
                    raise SystemExit(f"{kind}: read {got[0]} article pages of {got[1]} pages, not "
                                     f"{articles} of {pages}: the baseline did not crawl the site")
            scrapy_defaults = [
                "-s", 'DOWNLOADER_MIDDLEWARES={"liaocheng_news.middlewares.replay.ReplayMiddleware": 105}',
                "-s", "ROBOTSTXT_OBEY=True", "-s", "TELNETCONSOLE_ENABLED=False", "-s", "REMOTE_CONTROL_ENABLED=False"]
            replayed = ["-s", f"REPLAY_URL={replay.url}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                        *common]
            pipeline = [py, "-m", "liaocheng_news.ops.cli", "crawl", "--no-seed", "--replay-url", replay.url,
                        "lcxw", *common]
            spider = {  # command, folder it runs in (the project's settings, or Scrapy's outside it)
                "bare, project": ([py, "-m", "scrapy", "runspider", str(work / "bare.py"), *replayed], ROOT),
                "bare, Scrapy": ([py, "-m", "scrapy", "runspider", str(work / "bare.py"), *scrapy_defaults,
                                  *replayed], work),
                "bare + parse": ([py, "-m", "scrapy", "runspider", str(work / "parse.py"), *replayed], ROOT),
                "naive": ([py, "-m", "scrapy", "runspider", str(work / "naive.py"), *scrapy_defaults, *replayed],
                          work),
            }

            def crawl(kind: str) -> None:
                if kind.startswith("bare"):
                    run = measure(spider[kind][0], env, postmaster, cwd=spider[kind][1])
                    fetched(kind, args.pages, args.pages + lists)
                    run.count = args.pages
                elif kind == "naive":
                    url = databases.fresh(migrated=False)
                    run = measure(spider[kind][0], {**env, "LIAOCHENG_NEWS_DATABASE_URL": url}, postmaster,
                                  cwd=spider[kind][1])
                    run.count = scalar(url, "SELECT count(*) FROM naive_articles")
                else:
                    url = databases.fresh(migrated=True)
                    run = measure(pipeline, {**env, "LIAOCHENG_NEWS_DATABASE_URL": url}, postmaster)
                    run.count = scalar(url, "SELECT count(*) FROM articles")
                    no_change(url)
                runs[kind].append(run)

            def no_change(url: str) -> None:
                """The same crawl again, everything archived, and the bare spiders over its list pages."""
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("VACUUM ANALYZE")  # at rest, as between two scheduled crawls
                again = measure(pipeline, {**env, "LIAOCHENG_NEWS_DATABASE_URL": url}, postmaster)
                again.count = scalar(url, "SELECT (stats->>'list_pages_fetched')::int FROM crawl_runs "
                                          "ORDER BY id DESC LIMIT 1")
                runs["no-change"].append(again)
                for kind in ("bare, project", "bare, Scrapy"):
                    cmd, cwd = spider[kind]
                    read = measure([*cmd, "-a", f"lists={again.count}", "-a", "articles=0"], env, postmaster, cwd=cwd)
                    fetched(f"{kind}: list pages", 0, again.count)
                    read.count = again.count
                    runs[f"{kind}: list pages"].append(read)

            for r in range(args.rounds):
                for kind in KINDS[r % len(KINDS):] + KINDS[:r % len(KINDS)]:  # no crawl always runs first
                    crawl(kind)
                print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                    f"{k} {runs[k][-1].per_article_ms():.2f} ms" for k in KINDS), file=sys.stderr, flush=True)

            profile = None
            if args.profile:
                url = databases.fresh(migrated=True)
                out = work / "samples.json"
                measure([py, str(work / "sampler.py"), *pipeline[1:]],
                        {**env, "LIAOCHENG_NEWS_DATABASE_URL": url, "SAMPLES_OUT": str(out)}, postmaster)
                profile = json.loads(out.read_text())
        report(args.pages, lists, args.rounds, runs, profile)
    finally:
        if pg is not None:
            pg.cleanup()
            stop_embedded(pg.pgdata)  # by its pid file, should it still run
            delete_data(work / "pg")  # also a data folder of its own, should root's server user need one
        shutil.rmtree(work, ignore_errors=True)


KINDS = ["bare, project", "bare, Scrapy", "bare + parse", "pipeline", "naive"]
NO_CHANGE = ["no-change", "bare, project: list pages", "bare, Scrapy: list pages"]


def paired(runs: dict[str, list[Run]], a: str, b: str, value) -> str:
    ratios = [value(x) / value(y) for x, y in zip(runs[a], runs[b])]
    return f"{median(ratios):.2f}  (rounds: {', '.join(f'{x:.2f}' for x in ratios)})"


def report(pages: int, lists: int, rounds: int, runs: dict[str, list[Run]], profile: dict | None) -> None:
    print(f"{pages} article pages and {lists} list pages; medians of {rounds} interleaved rounds.")
    print("CPU = the crawl's process + PostgreSQL (all its processes); per stored article "
          "(bare: per article page); the replay server apart.\n")
    print(f"{'':<16}{'crawl ms':>10}{'PG ms':>8}{'total ms':>10}{'stored':>8}{'wall s':>8}{'RSS MiB':>9}"
          f"{'replay ms':>11}")
    for kind in KINDS:
        rs = runs[kind]
        n = [max(1, r.count) for r in rs]
        print(f"{kind:<16}{median([1000 * r.crawl_cpu / c for r, c in zip(rs, n)]):>10.2f}"
              f"{median([1000 * r.pg_cpu / c for r, c in zip(rs, n)]):>8.2f}"
              f"{median([r.per_article_ms() for r in rs]):>10.2f}{median([r.count for r in rs]):>8.0f}"
              f"{median([r.wall for r in rs]):>8.2f}{max(r.rss for r in rs):>9.0f}"
              f"{median([1000 * r.replay_cpu / c for r, c in zip(rs, n)]):>11.2f}")
    cpu = Run.per_article_ms
    print(f"\nCPU per article, pipeline / bare (project settings): {paired(runs, 'pipeline', 'bare, project', cpu)}"
          "; target ≤ 1.6")
    print(f"CPU per article, pipeline / bare (Scrapy defaults):  {paired(runs, 'pipeline', 'bare, Scrapy', cpu)}")
    print(f"CPU per article, pipeline / naive:                  {paired(runs, 'pipeline', 'naive', cpu)}"
          "; target ≤ 0.35")
    # what the ratio targets leave for the crawl process, once PostgreSQL has stored the articles
    each = {kind: (median([1000 * r.crawl_cpu / max(1, r.count) for r in runs[kind]]),
                   median([r.per_article_ms() for r in runs[kind]])) for kind in KINDS}
    pg_ms = median([1000 * r.pg_cpu / max(1, r.count) for r in runs["pipeline"]])
    print(f"CPU per article, bare + parse / bare (project):      {paired(runs, 'bare + parse', 'bare, project', cpu)}")
    for name, target, base in (("bare", 1.6, "bare, project"), ("naive", 0.35, "naive")):
        left = target * each[base][1] - pg_ms
        print(f"  the {name} target leaves {target} × {each[base][1]:.2f} − PostgreSQL's {pg_ms:.2f} = {left:.2f} ms for "
              f"the crawl process (bare spider's {each['bare, project'][0]:.2f}, bare + parse "
              f"{each['bare + parse'][0]:.2f}, pipeline {each['pipeline'][0]:.2f})")
    nc = runs["no-change"]
    print(f"\nno-change crawl: {median([r.wall for r in nc]):.2f} s wall, {median([r.cpu for r in nc]):.2f} s CPU "
          f"({median([r.count for r in nc]):.0f} list pages and their archive checks, start to end)")
    for kind in ("bare, project", "bare, Scrapy"):
        rs = runs[f"{kind}: list pages"]
        print(f"  {kind} spider reading them: {median([r.wall for r in rs]):.2f} s wall, "
              f"{median([r.cpu for r in rs]):.2f} s CPU; no-change / it, wall: "
              f"{paired(runs, 'no-change', f'{kind}: list pages', lambda r: r.wall)}; target ≤ 1.2; CPU: "
              f"{paired(runs, 'no-change', f'{kind}: list pages', lambda r: r.cpu)}")
    if profile:
        whole = sum(profile.values())
        crawl_ms = median([1000 * r.crawl_cpu / max(1, r.count) for r in runs["pipeline"]])
        pg_ms = median([1000 * r.pg_cpu / max(1, r.count) for r in runs["pipeline"]])
        print(f"\nwhere a stored article's CPU goes: the crawl's process ({crawl_ms:.2f} ms, split as one sampled "
              f"crawl's CPU time; each sample charged to the innermost module of this project on the stack) and "
              f"PostgreSQL ({pg_ms:.2f} ms):")
        for label, seconds in sorted(profile.items(), key=lambda kv: -kv[1]):
            print(f"  {label:<48}{100 * seconds / whole:>6.1f} %{crawl_ms * seconds / whole:>8.2f} ms")
        print(f"  {'PostgreSQL (server processes)':<48}{'':>8}{pg_ms:>8.2f} ms")


if __name__ == "__main__":
    main()
