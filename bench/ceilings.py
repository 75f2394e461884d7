"""The worst page or item at the ceilings (issue 18): how long it holds the crawl's event loop.

Run: .venv/bin/python bench/ceilings.py

A crawl parses and normalises in the process that downloads, so one page that takes seconds stalls
every download meanwhile.  The ceilings (settings.py, read by ``liaocheng_news.limits``) bound what
reaches that work: DOWNLOAD_MAXSIZE (bytes downloaded), PAGE_MAX_ELEMENTS and PAGE_MAX_TEXT_BYTES
(what is parsed), ITEM_MAX_TITLE_CHARS and ITEM_MAX_BODY_CHARS (what the pipelines normalise and
key).  This measures, for pages of the shapes that cost the most per byte, built just under the
ceilings around a real lcxw article template, the CPU time of everything the crawl's process does
with one page or item:

* a page: the ceiling check, then the portal parser (decoding, lxml, templates, the reader's
  cross-check) — for an article page and for a list page;
* an item at the body ceiling: normalisation (pipelines.normalise), the fingerprint
  (pipelines.dedupe) and the story sketch (db.stories' placement, before any SQL).

Each figure is the median CPU time of RUNS runs, the shapes taken in turn (interleaved rounds), so
load on the machine affects all alike.  Target: every page and item ≤ 1 s (ratio ≤ 1.0).  Pages
just over a ceiling are checked to be refused by it (the refusal's own cost is printed too).
"""

from __future__ import annotations

import base64
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "liaocheng_news.settings")

from scrapy.utils.project import get_project_settings  # noqa: E402

from liaocheng_news.dedupe.sketch import article_sketch, fingerprint  # noqa: E402
from liaocheng_news.limits import page_too_heavy  # noqa: E402
from liaocheng_news.parsers import get_parser  # noqa: E402
from liaocheng_news.parsers.base import Page  # noqa: E402
from liaocheng_news.text.normalise import Normaliser  # noqa: E402

RUNS = 3
TARGET_SECONDS = 1.0
TEMPLATE = (ROOT / "tests" / "fixtures" / "lcxw" / "article-20260122-151679.html").read_bytes()
LIST_TEMPLATE = (ROOT / "tests" / "fixtures" / "lcxw" / "list-yaowen-shehui-index.html").read_bytes()
URL = "https://www.lcxw.cn/yaowen/shehui/20260122/151679.html"
SIMPLIFIED = "聊城市高新区紧紧围绕新旧动能转换重大工程，坚定不移地实施项目立区发展战略，以优质高效投入促进产业水平提升。"
TRADITIONAL = "聊城市高新區緊緊圍繞新舊動能轉換重大工程，堅定不移地實施項目立區發展戰略，以優質高效投入促進產業水平提升。"
UTF8 = {"content-type": "text/html; charset=utf-8"}


def article_with(inner: str) -> bytes:
    start = TEMPLATE.index(b'id="articleContent"')
    start = TEMPLATE.index(b">", start) + 1
    return TEMPLATE[:start] + inner.encode() + TEMPLATE[start:]


def largest(make: Callable[[int], bytes], settings) -> bytes:
    """``make(n)`` for the largest ``n`` the ceilings let through (doubling, then a binary search)."""
    def fits(n: int) -> bool:
        page = make(n)
        return page_too_heavy(page, settings) is None and len(page) <= settings.getint("DOWNLOAD_MAXSIZE")

    high = 1
    while fits(high):
        high *= 2
    low = high // 2
    while low < high - 1:
        mid = (low + high) // 2
        low, high = (mid, high) if fits(mid) else (low, mid)
    return make(max(low, 1))


def shapes(settings) -> dict[str, tuple[str, bytes, dict]]:
    maxsize = settings.getint("DOWNLOAD_MAXSIZE")

    def gbk(n: int) -> bytes:
        page = TEMPLATE.decode().replace('<meta charset="utf-8">', "")
        return page.replace("<p>　　1月21日", f"<p>{SIMPLIFIED * n}</p><p>　　1月21日", 1).encode("gb18030")

    def links(n: int) -> bytes:
        item = '<li><a href="/yaowen/shehui/20250101/1.html">聊城新闻</a></li>'
        return LIST_TEMPLATE.replace(b'<div id="newsList"><ul>', b'<div id="newsList"><ul>' + (item * n).encode())

    image = base64.b64encode(os.urandom(int(maxsize * 0.7))).decode()
    half = largest(lambda n: article_with("<p>聊城。</p>" * n), settings).count(b"<p>") // 2
    return {
        # many tiny paragraphs up to the tag ceiling: the most work per byte for the reader
        "article: tiny paragraphs": ("article", largest(lambda n: article_with("<p>聊城。</p>" * n), settings), UTF8),
        "article: nested spans": ("article", largest(lambda n: article_with("<div><span>聊城</span></div>" * n),
                                                     settings), UTF8),
        # text up to the text ceiling, in few paragraphs: decoding, whitespace, the reader's density
        "article: ASCII words": ("article", largest(lambda n: article_with("<p>" + "Liaocheng city news report " * n
                                                                           + "</p>"), settings), UTF8),
        "article: Traditional text": ("article", largest(lambda n: article_with(("<p>" + TRADITIONAL * 40 + "</p>") * n),
                                                         settings), UTF8),
        "article: GB18030, no charset": ("article", largest(gbk, settings), {}),
        "article: half tags, half text": ("article", largest(lambda n: article_with(
            "<p>聊城。</p>" * half + "<p>" + SIMPLIFIED * n + "</p>"), settings), UTF8),
        "article: inline image near the size ceiling": ("article", article_with(
            f'<p>{SIMPLIFIED}</p><img src="data:image/png;base64,{image}">'), UTF8),
        "list: links at the tag ceiling": ("list", largest(links, settings), UTF8),
    }


def cpu_seconds(work: Callable[[], object]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def main() -> None:
    settings = get_project_settings()
    parser = get_parser("lcxw")
    normaliser = Normaliser()
    pages = shapes(settings)
    body_chars = settings.getint("ITEM_MAX_BODY_CHARS")
    title_chars = settings.getint("ITEM_MAX_TITLE_CHARS")
    items = {
        "item: Traditional body at the ceiling": (TRADITIONAL[:title_chars], [TRADITIONAL * 4] * (body_chars // (len(TRADITIONAL) * 4))),
        "item: Simplified body at the ceiling": (SIMPLIFIED[:title_chars], [SIMPLIFIED * 4] * (body_chars // (len(SIMPLIFIED) * 4))),
        "item: one-paragraph body at the ceiling": ("标" * title_chars, [SIMPLIFIED * (body_chars // len(SIMPLIFIED))]),
    }

    def page_work(kind: str, body: bytes, headers: dict) -> Callable[[], object]:
        def work():
            assert page_too_heavy(body, settings) is None, "built over a ceiling"
            page = Page(URL, body, headers)
            return parser.parse(page) if kind == "article" else parser.parse_list(page)
        return work

    def item_work(title: str, body: list[str]) -> Callable[[], object]:
        from liaocheng_news.items import Article

        def work():
            article = normaliser.article(Article(url=URL, portal="lcxw", title=title, body=list(body)))
            fingerprint(article.body_text)
            return article_sketch(article.title, article.body_text)
        return work

    works = {name: page_work(*spec) for name, spec in pages.items()}
    works.update({name: item_work(*spec) for name, spec in items.items()})
    for work in works.values():  # warm-up: imports, caches, the normaliser's tables
        work()
    times: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(RUNS):
        for name, work in works.items():
            times[name].append(cpu_seconds(work))

    print(f"ceilings: DOWNLOAD_MAXSIZE={settings.getint('DOWNLOAD_MAXSIZE')}, "
          f"PAGE_MAX_ELEMENTS={settings.getint('PAGE_MAX_ELEMENTS')}, "
          f"PAGE_MAX_TEXT_BYTES={settings.getint('PAGE_MAX_TEXT_BYTES')}, ITEM_MAX_TITLE_CHARS={title_chars}, "
          f"ITEM_MAX_BODY_CHARS={body_chars}")
    print(f"{'work (median CPU of ' + str(RUNS) + ' interleaved runs)':58} {'size':>10} {'seconds':>8} {'ratio':>6}")
    worst = 0.0
    for name, runs in times.items():
        seconds = statistics.median(runs)
        worst = max(worst, seconds)
        size = f"{len(pages[name][1]) / 1e6:.2f} MB" if name in pages else f"{sum(map(len, items[name][1])):,} ch"
        print(f"{name:58} {size:>10} {seconds:8.3f} {seconds / TARGET_SECONDS:6.2f}")
    print(f"worst: {worst:.3f} s, ratio {worst / TARGET_SECONDS:.2f} of the {TARGET_SECONDS:.0f} s target")

    # just over a ceiling: refused before any parsing, at the cost of counting
    over = article_with("<p>聊城。</p>" * settings.getint("PAGE_MAX_ELEMENTS"))
    start = time.process_time()
    refused = page_too_heavy(over, settings)
    print(f"a page over PAGE_MAX_ELEMENTS ({len(over) / 1e6:.2f} MB): refused in "
          f"{time.process_time() - start:.4f} s ({refused})")
    big_text = article_with("<p>" + "Liaocheng " * (settings.getint("DOWNLOAD_MAXSIZE") // 10 - 1000) + "</p>")
    start = time.process_time()
    refused = page_too_heavy(big_text, settings)
    print(f"a page of text at DOWNLOAD_MAXSIZE ({len(big_text) / 1e6:.2f} MB): refused in "
          f"{time.process_time() - start:.4f} s ({refused})")


if __name__ == "__main__":
    main()
