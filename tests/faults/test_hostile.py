"""Hostile pages: nothing outside the portal is requested, nothing too big or too deep stalls the crawl.

Findings 3, 6 and 7 of issue 18: a "下一页" link to ``file:///etc/passwd`` was fetched and parsed,
an off-portal next page and its article links were crawled, a 302 to another host was archived
under the portal's URL, a 20 MB page was stored whole (7 M characters, 48 s of normalising in the
crawl's process), a 100k-deep page raised RecursionError, a redirect loop and a 1 MB title went
uncounted, and on a replay a redirected article was stored under the replay server's address.

The generated site's sections end in hostile "下一页" links (a ``file://`` FIFO that would block
whoever opens it, an off-portal host, the decoy server, a list page redirecting off the portal),
and its first list page links hostile article pages.  After one crawl every article of the site
is stored once, under its portal URL; the site saw no request off the portal, the decoy none, and
nobody opened the FIFO; every hostile page is a counted drop.
"""

from __future__ import annotations

import os
import threading
from datetime import date

import pytest

from tests.faults.crawl import assert_complete, expect_status, frontier, run_crawl, runs
from tests.faults.site import HTML, Page, add_links, article_page, relink_last_page

SHEHUI = "https://www.lcxw.cn/yaowen/shehui/20250101/"


class FifoWatch:
    """A FIFO that records whether anybody opened it (opening it would block a crawl's reactor)."""

    def __init__(self, path):
        self.path = path
        os.mkfifo(path)
        self.opened = False
        self._done = False
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        with open(self.path, "wb") as fh:  # returns once a reader opens it
            if not self._done:
                self.opened = True
                fh.write(b"<html><body>secret</body></html>")

    def close(self) -> None:
        self._done = True
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # lets the watcher's open return
        self._thread.join(5)
        os.close(fd)


@pytest.fixture
def fifo(tmp_path):
    watch = FifoWatch(tmp_path / "decoy.fifo")
    yield watch
    watch.close()


def hostile(site, decoy, fifo) -> dict[str, str]:
    """Make ``site`` hostile; returns the hostile article URLs by what they do."""
    relink_last_page(site, "要闻/社会", fifo.path.as_uri())
    relink_last_page(site, "要闻/时政", "http://evil.example/yaowen/shizheng/index_9.html")
    relink_last_page(site, "快讯", f"{decoy.url}/kuaixun/index_9.html")
    relink_last_page(site, "县域", "index_99.html")
    site.pages["http://news.lcxw.cn/liaocheng/xianyu/index_99.html"] = Page(
        302, {"Location": "http://evil.example/liaocheng/xianyu/"}, b"")
    url = {what: f"{SHEHUI}{900_000 + i}.html" for i, what in enumerate(
        ["off_host_redirect", "redirect_absolute", "redirect_relative", "huge", "deep_100k", "deep_3k",
         "loop_a", "loop_b", "long_title", "moved_here_1", "moved_here_2"], start=1)}
    para = ["冠县举行冬季农业技术培训会，来自全县的种植大户参加培训。"]
    site.pages[url["off_host_redirect"]] = Page(302, {"Location": "http://evil.example/news/1.html"}, b"")
    site.pages[url["redirect_absolute"]] = Page(302, {"Location": url["moved_here_1"]}, b"")
    site.pages[url["redirect_relative"]] = Page(  # a redirect within the portal, in the replay server's form
        302, {"Location": "/" + url["moved_here_2"].replace("://", "/", 1)}, b"")
    for name in ("moved_here_1", "moved_here_2"):
        site.pages[url[name]] = Page(200, HTML, article_page(url[name], f"冠县农业技术培训（{name}）", date(2025, 1, 1),
                                                            para + [f"稿件{name}。"]))
    site.pages[url["huge"]] = Page(200, HTML, article_page(url["huge"], "超大页面", date(2025, 1, 1),
                                                          ["聊城" * 3_500_000]))  # 21 MB
    for name, depth in (("deep_100k", 100_000), ("deep_3k", 3_000)):
        page = article_page(url[name], f"深层嵌套{depth}", date(2025, 1, 1), para).decode()
        page = page.replace("<p>", "<div>" * depth + "<p>", 1).replace("</p>", "</p>" + "</div>" * depth, 1)
        site.pages[url[name]] = Page(200, HTML, page.encode())
    site.pages[url["loop_a"]] = Page(302, {"Location": url["loop_b"]}, b"")
    site.pages[url["loop_b"]] = Page(302, {"Location": url["loop_a"]}, b"")
    site.pages[url["long_title"]] = Page(200, HTML, article_page(url["long_title"], "标题" * 100_000,
                                                                date(2025, 1, 1), para))
    links = [(u, what) for what, u in url.items() if not what.startswith("moved_here") and what != "loop_b"]
    links += [("http://evil.example/yaowen/shehui/20250101/1.html", "站外文章"), ("file:///etc/passwd", "本地文件")]
    add_links(site, "要闻/社会", links)
    # the two redirected articles are the site's: stored under the URLs the list gives
    site.articles += [url["redirect_absolute"], url["redirect_relative"]]
    return url


def test_hostile_pages_are_contained_and_counted(archive_url, tmp_path, site, decoy, fifo):
    from tests.faults.site import SiteServer

    url = hostile(site, decoy, fifo)
    with SiteServer(site).start() as server:
        code, log = run_crawl(archive_url, tmp_path, server.url)
        assert code == 0, log[-3000:]
        assert_complete(archive_url, site, server, decoy)
        asked = server.requests()
    assert not fifo.opened
    assert url["huge"] in asked  # asked for, and cancelled once its size was known
    run = runs(archive_url)[-1]
    stats = run["stats"]
    assert stats["offsite/dropped/scheme"] == 1  # the file:// 下一页 (file:///etc/passwd is no article URL)
    assert stats["offsite/dropped/host"] == 2  # evil.example's and the decoy's 下一页
    assert stats["offsite/dropped/redirect"] == 2  # an article and a list page redirecting off the portal
    assert stats["items_dropped/too_large"] == 2  # 21 MB (DOWNLOAD_MAXSIZE), 100k deep (PAGE_MAX_ELEMENTS)
    assert stats["items_dropped/too_deep"] == 1  # 3,000 deep: deeper than the parser walks
    assert stats["items_dropped/redirect_loop"] == 1
    assert stats["items_dropped/title_too_long"] == 1
    assert stats["frontier/sections_finished"] == 4 and stats["frontier/sections_unfinished"] == 0
    assert frontier(archive_url) == {"cursors": [], "pending": []}  # the drops are not fetched again
    assert "RecursionError" not in log and "Traceback" not in log
    expect_status(code, run, "finished")
