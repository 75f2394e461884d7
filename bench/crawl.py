"""Crawl throughput: the full pipeline into the archive vs a bare Scrapy spider, same pages.

Generates a replay site of N lcxw article pages (from the lcxw fixture's template) with
paginated list pages, serves it on 127.0.0.1 (in this process, so no crawl process pays for
serving; each crawl runs in its own process and is measured alone), then crawls it three ways,
in ``--rounds`` interleaved rounds (a shared machine's speed drifts; medians are printed):

* full: ``liaocheng-news crawl --replay-url`` — the lcxw spider, parser, validate → normalise →
  dedupe → store into a fresh embedded PostgreSQL archive;
* bare: a plain Scrapy spider that follows the same list and article links, no parsing, no
  pipeline;
* spider only: the lcxw spider and parser with the item pipelines switched off, which isolates
  what the pipelines (validate, normalise, dedupe, store) cost.

Prints pages/s of each, the ratios full/bare (the issue's target: ≥ 0.7) and full/spider-only,
in wall time and in CPU time (the crawl process with its worker processes, not PostgreSQL or the
replay server), and the largest peak RSS of one process at two sizes (memory should stay flat
as the page count grows).  Every archived crawl gets a fresh embedded archive that this process
starts and holds, as a database server would be held: the rates are the crawl's, and the
archive's start and stop (a fixed cost per crawl with the embedded archive, none with
LIAOCHENG_NEWS_DATABASE_URL) are printed apart.

    .venv/bin/python bench/crawl.py [--pages 1000,4000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")  # platformdirs, via pgserver
sys.path.insert(0, str(ROOT))

from liaocheng_news.db.server import embedded_server, stop_embedded  # noqa: E402
from liaocheng_news.replay import ReplayServer  # noqa: E402

TEMPLATE = ROOT / "tests" / "fixtures" / "lcxw" / "article-20260122-151679.html"
SEED = (ROOT / "liaocheng_news" / "seeds" / "003_12d72fcd3ea23722.txt").read_text(encoding="utf-8")
HAN = [c for c in SEED if "\u4e00" <= c <= "\u9fff"]
PER_LIST = 20
BASE = "https://www.lcxw.cn/yaowen/shehui"

BARE_SPIDER = textwrap.dedent('''
    import scrapy

    class Bare(scrapy.Spider):
        name = "bare"
        custom_settings = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}}

        async def start(self):
            yield scrapy.Request("%s/index.html", callback=self.parse_list)

        def parse_list(self, response):
            self.crawler.stats.inc_value("pages_fetched")
            for href in response.css("#newsList li a::attr(href)").getall():
                yield response.follow(href, callback=self.parse_article)
            nxt = response.xpath('//div[@class="page"]//a[normalize-space()="下一页"]/@href').get()
            if nxt:
                yield response.follow(nxt, callback=self.parse_list)

        def parse_article(self, response):
            self.crawler.stats.inc_value("pages_fetched")
''' % BASE)


def sentence(rng: random.Random) -> str:
    return "".join(rng.choice(HAN) for _ in range(rng.randint(40, 90))) + "。"


def generate(directory: Path, pages: int, seed: int = 7) -> int:
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
    for i in range(pages):
        aid = 200000 + i
        url = f"{BASE}/20260{1 + i % 9}{10 + i % 18:02d}/{aid}.html"
        title = "".join(rng.choice(HAN) for _ in range(14))
        body = "".join(f"<p>　　{sentence(rng)}{sentence(rng)}</p>\n" for _ in range(rng.randint(4, 9)))
        html = re.sub(r'<h1 class="article-title">.*?</h1>', f'<h1 class="article-title">{title}</h1>', template)
        html = re.sub(r'(<div class="article-content" id="articleContent">).*?(</div>)',
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
    return pages + lists


def measure(cmd: list[str], env: dict) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    err = proc.stderr.read().decode("utf-8", "replace")
    if status != 0:
        raise SystemExit(f"{' '.join(cmd[:5])} failed:\n{err[-3000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default="1000,4000", help="article page counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the three crawls, interleaved; medians are printed")
    args = parser.parse_args()
    py = sys.executable
    settings = ["-s", "LOG_LEVEL=WARNING", "-s", "MAX_LIST_PAGES=100000",
                "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
    print(f"medians of {args.rounds} interleaved rounds; rates in pages per second of wall time (p/s) and of "
          "CPU time (p/cpu-s: the crawl process and its workers)")
    print(f"{'pages':>6} {'full p/s':>9} {'bare p/s':>9} {'full/bare':>9} {'full p/cpu-s':>13} {'bare p/cpu-s':>13} "
          f"{'full/bare':>9} {'spider-only p/s':>16} {'full/spider-only':>17} {'full RSS MiB':>13} {'bare RSS MiB':>13}")
    boot: list[float] = []
    shutdown: list[float] = []
    for n in [int(x) for x in args.pages.split(",")]:
        work = Path(tempfile.mkdtemp(prefix="lcn-bench-crawl-"))
        work.chmod(0o755)
        runs: dict[str, list[tuple[float, float, float]]] = {"full": [], "only": [], "bare": []}
        try:
            total = generate(work / "site", n)
            (work / "bare.py").write_text(BARE_SPIDER, encoding="utf-8")
            with ReplayServer(work / "site") as server:
                base_env = {**os.environ, "LIAOCHENG_NEWS_LOG_LEVEL": "WARNING"}
                crawl = [py, "-m", "liaocheng_news.cli", "crawl", "--no-seed", "--replay-url", server.url, "lcxw"]
                commands = {
                    "full": crawl + settings,
                    "only": crawl + ["-s", "ITEM_PIPELINES={}", *settings],
                    "bare": [py, "-m", "scrapy", "runspider", str(work / "bare.py"), "-s", f"REPLAY_URL={server.url}",
                             "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", *settings],
                }
                for r in range(args.rounds):
                    order = ["bare", "full", "only"]
                    order = order[r % 3:] + order[:r % 3]  # no crawl always runs first
                    for kind in order:
                        home = work / f"home-{kind}-{r}"
                        env = {**base_env, "LIAOCHENG_NEWS_HOME": str(home)}
                        if kind == "bare":
                            env["LIAOCHENG_NEWS_REPLAY_URL"] = server.url
                            runs[kind].append(measure(commands[kind], env))
                            continue
                        # a fresh archive, held running by this process as a database server
                        # would be, so the timing holds the crawl and not PostgreSQL's boot and
                        # shutdown checkpoint (timed apart, below)
                        started = time.perf_counter()
                        pg = embedded_server(home)
                        subprocess.run([py, "-m", "liaocheng_news.cli", "runs"], env=env, check=True,
                                       capture_output=True)  # migrations
                        boot.append(time.perf_counter() - started)
                        try:
                            runs[kind].append(measure(commands[kind], env))
                        finally:
                            started = time.perf_counter()
                            pg.cleanup()
                            stop_embedded(home / "pgdata")
                            shutdown.append(time.perf_counter() - started)
            rate = {k: median([total / s for s, _, _ in v]) for k, v in runs.items()}
            cpu_rate = {k: median([total / c for _, c, _ in v]) for k, v in runs.items()}
            ratio = median([b[0] / f[0] for f, b in zip(runs["full"], runs["bare"])])
            cpu_ratio = median([b[1] / f[1] for f, b in zip(runs["full"], runs["bare"])])
            only_ratio = median([o[0] / f[0] for f, o in zip(runs["full"], runs["only"])])
            rss = {k: max(m for _, _, m in v) for k, v in runs.items()}
            print(f"{n:>6} {rate['full']:>9.1f} {rate['bare']:>9.1f} {ratio:>9.2f} "
                  f"{cpu_rate['full']:>13.1f} {cpu_rate['bare']:>13.1f} {cpu_ratio:>9.2f} "
                  f"{rate['only']:>16.1f} {only_ratio:>17.2f} {rss['full']:>13.0f} {rss['bare']:>13.0f}",
                  flush=True)
        finally:
            subprocess.run(["pkill", "-f", f"postgres -D {work}"], check=False)
            shutil.rmtree(work, ignore_errors=True)
    print(f"not in the rates: the embedded archive's start with migrations, median {median(boot):.2f} s, "
          f"and its stop (shutdown checkpoint), median {median(shutdown):.2f} s, once per crawl")


if __name__ == "__main__":
    main()
