"""Crawl throughput: the full pipeline into the archive vs a bare Scrapy spider, same pages.

Generates a replay site of N lcxw article pages (from the lcxw fixture's template) with
paginated list pages, serves it on 127.0.0.1 (in this process, so no crawl process pays for
serving; each crawl runs in its own process and is measured alone), then crawls it three times:

* full: ``liaocheng-news crawl --replay-url`` — the lcxw spider, parser, validate → normalise →
  dedupe → store into a fresh embedded PostgreSQL archive;
* bare: a plain Scrapy spider that follows the same list and article links, no parsing, no
  pipeline;
* spider only: the lcxw spider and parser with the item pipelines switched off, which isolates
  what the pipelines (validate, normalise, dedupe, store) cost.

Prints pages/s of each, the ratios full/bare (the issue's target: ≥ 0.7) and full/spider-only,
in wall time and in the crawl process's CPU time, and each run's peak RSS at two sizes (memory
should stay flat as the page count grows).

    .venv/bin/python bench/crawl.py [--pages 1000,4000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default="1000,4000", help="article page counts, comma-separated")
    args = parser.parse_args()
    py = sys.executable
    settings = ["-s", "LOG_LEVEL=WARNING", "-s", "MAX_LIST_PAGES=100000",
                "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
    print("rates in pages per second of wall time (p/s), and per second of the crawl process's CPU time (p/cpu-s)")
    print(f"{'pages':>6} {'full p/s':>9} {'bare p/s':>9} {'full/bare':>9} {'full p/cpu-s':>13} {'bare p/cpu-s':>13} "
          f"{'full/bare':>9} {'spider-only p/s':>16} {'full/spider-only':>17} {'full RSS MiB':>13} {'bare RSS MiB':>13}")
    for n in [int(x) for x in args.pages.split(",")]:
        work = Path(tempfile.mkdtemp(prefix="lcn-bench-crawl-"))
        work.chmod(0o755)
        try:
            total = generate(work / "site", n)
            (work / "bare.py").write_text(BARE_SPIDER, encoding="utf-8")
            with ReplayServer(work / "site") as server:
                env = {**os.environ, "LIAOCHENG_NEWS_HOME": str(work / "home"),
                       "LIAOCHENG_NEWS_LOG_LEVEL": "WARNING"}
                # warm the embedded archive up (initdb, migrations) outside the timed run
                subprocess.run([py, "-m", "liaocheng_news.cli", "runs"], env=env, check=True,
                               capture_output=True)
                full_s, full_cpu, full_rss = measure([py, "-m", "liaocheng_news.cli", "crawl", "--no-seed", "--replay-url",
                                            server.url, "lcxw", *settings], env)
                only_s, only_cpu, _ = measure([py, "-m", "liaocheng_news.cli", "crawl", "--no-seed", "--replay-url",
                                               server.url, "lcxw", "-s", "ITEM_PIPELINES={}", *settings],
                                              {**env, "LIAOCHENG_NEWS_HOME": str(work / "home-spider-only")})
                bare_env = {**env, "LIAOCHENG_NEWS_REPLAY_URL": server.url}
                bare_s, bare_cpu, bare_rss = measure([py, "-m", "scrapy", "runspider", str(work / "bare.py"),
                                            "-s", f"REPLAY_URL={server.url}", "-s", "DOWNLOAD_DELAY=0",
                                            "-s", "AUTOTHROTTLE_ENABLED=False", *settings], bare_env)
            full_rate, bare_rate = total / full_s, total / bare_s
            full_cpu_rate, bare_cpu_rate = total / full_cpu, total / bare_cpu
            print(f"{n:>6} {full_rate:>9.1f} {bare_rate:>9.1f} {full_rate / bare_rate:>9.2f} "
                  f"{full_cpu_rate:>13.1f} {bare_cpu_rate:>13.1f} {full_cpu_rate / bare_cpu_rate:>9.2f} "
                  f"{total / only_s:>16.1f} {only_s / full_s:>17.2f} {full_rss:>13.0f} {bare_rss:>13.0f}")
        finally:
            subprocess.run(["pkill", "-f", f"postgres -D {work}"], check=False)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
