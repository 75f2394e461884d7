"""A generated lcxw-like site, served on 127.0.0.1 the way a replay server serves recorded pages.

The pages are made from the lcxw fixtures (``tests/fixtures/lcxw``: the reconstructed list and
article templates, whose ``.meta.json`` give their evidence): every section of the lcxw spider has
``pages`` list pages of ``per_page`` article links each, linked by "下一页" (``index_<n>.html``),
and every linked article page is a current-template article with its own title, date and text.

:class:`SiteServer` answers ``GET /<scheme>/<host>/<path>`` (the replay mapping,
:func:`liaocheng_news.middlewares.replay.recorded_url`), so ``liaocheng-news crawl lcxw
--replay-url <server.url>`` crawls it through the real replay machinery.  It logs every request it
gets (portal URL, and whether its host is the portal's), can be slowed down, and serves the
hostile extras a test adds (redirects, huge and deeply nested pages, off-portal links).
:class:`DecoyServer` is a second server that no request of the crawl may reach.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.middlewares.replay import recorded_url
from liaocheng_news.portals import PORTALS
from liaocheng_news.spiders.declared import LcxwSpider

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lcxw"
ARTICLE_TEMPLATE = (FIXTURES / "article-20260122-151679.html").read_text(encoding="utf-8")
LIST_TEMPLATE = (FIXTURES / "list-yaowen-shehui-index.html").read_text(encoding="utf-8")
HTML = {"Content-Type": "text/html; charset=utf-8"}

PLACES = ["东昌府区", "临清市", "茌平区", "东阿县", "阳谷县", "莘县", "冠县", "高唐县", "高新区", "经开区", "度假区"]
TOPICS = ["就业援助", "冬季消防安全检查", "古城夜市", "小麦秋种", "供暖保障", "社区义诊", "道路改造", "校园安全",
          "文明创建", "乡村振兴", "招商引资", "河湖治理"]
SENTENCES = [
    "{d}，{p}{t}工作现场会召开，各部门负责人参加会议并就下一步工作作出部署。",
    "记者了解到，{p}今年已累计投入资金{n}万元，惠及群众{m}余人。",
    "“我们将继续把{t}抓实抓细，让群众真正得到实惠。”{p}有关负责人介绍。",
    "活动期间，{p}组织志愿者{m}余名，走进社区、村庄开展{t}宣传。",
    "据统计，截至目前{p}共完成{t}项目{n}个，完成率达到百分之{q}。",
    "下一步，{p}将围绕{t}建立长效机制，推动各项措施落地见效。",
    "现场，工作人员耐心解答群众咨询，发放宣传材料{m}余份。",
    "{p}相关负责人表示，将以此次{t}为契机，进一步提升服务水平。",
]


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Site:
    """The pages of the site by portal URL, and which of them are the articles it serves."""

    pages: dict[str, Page] = field(default_factory=dict)
    articles: list[str] = field(default_factory=list)  # article URLs as their list pages link them
    last_list: dict[str, str] = field(default_factory=dict)  # section label -> URL of its last list page

    def expected_rows(self) -> set[str]:
        """The archive rows a complete crawl makes: one per linked article, under its canonical URL."""
        return {canonical_url(u) for u in self.articles}


def _list_url(first: str, n: int) -> str:
    if n == 1:
        return first
    base = first.rsplit("/", 1)[0] if first.endswith(".html") else first.rstrip("/")
    return f"{base}/index_{n}.html"


def _section_root(first: str) -> str:
    return first.rsplit("/", 1)[0] + "/" if first.endswith(".html") else first


def article_page(url: str, title: str, day: date, paragraphs: list[str]) -> bytes:
    html = ARTICLE_TEMPLATE.replace("我市启动2026年“春风行动”暨就业援助月活动", title)
    html = html.replace("2026-01-22 11:02:37", f"{day:%Y-%m-%d} 09:30:00")
    start = html.index('<div class="article-content" id="articleContent">')
    end = html.index("</div>", start)
    body = "".join(f"<p>　　{p}</p>\n" for p in paragraphs)
    html = html[:start] + '<div class="article-content" id="articleContent">\n' + body + html[end:]
    return html.encode("utf-8")


def list_page(links: list[tuple[str, str]], next_href: str | None) -> bytes:
    html = LIST_TEMPLATE
    start = html.index('<div id="newsList"><ul>') + len('<div id="newsList"><ul>')
    end = html.index("</ul></div>", start)
    items = "".join(f'<li><a href="{href}" target="_blank">{title}</a><span class="time"></span></li>\n'
                    for href, title in links)
    html = html[:start] + "\n" + items + html[end:]
    page_start = html.index('<div class="page">')
    page_end = html.index("</div>", page_start) + len("</div>")
    nav = f'<div class="page"><a href="{next_href}">下一页</a></div>' if next_href else '<div class="page"></div>'
    return (html[:page_start] + nav + html[page_end:]).encode("utf-8")


def generate(pages: int = 8, per_page: int = 10, seed: int = 18) -> Site:
    """The site: every lcxw section with ``pages`` list pages of ``per_page`` distinct articles."""
    rng = random.Random(seed)
    site = Site()
    article_id = 300_000
    day = date(2025, 11, 30)
    for label, first in LcxwSpider.sections.items():
        root = _section_root(first)
        for n in range(1, pages + 1):
            links = []
            for _ in range(per_page):
                article_id += 1
                day -= timedelta(hours=5)
                place, topic = rng.choice(PLACES), rng.choice(TOPICS)
                title = f"{place}{topic}工作扎实推进（{article_id}）"
                paragraphs = [s.format(d=f"{day.month}月{day.day}日", p=place, t=topic, n=rng.randint(10, 900),
                                       m=rng.randint(20, 5000), q=rng.randint(60, 99))
                              for s in rng.sample(SENTENCES, 5)]
                paragraphs[0] += f"本报记者报道（稿件编号{article_id}）。"
                url = f"{root}{day:%Y%m%d}/{article_id}.html"
                site.pages[url] = Page(200, HTML, article_page(url, title, day, paragraphs))
                site.articles.append(url)
                # links as list pages give them: absolute, root-relative and relative
                href = [url, urlsplit(url).path, url[len(root):]][article_id % 3]
                links.append((href, title))
            next_href = f"index_{n + 1}.html" if n < pages else None
            site.pages[_list_url(first, n)] = Page(200, HTML, list_page(links, next_href))
        site.last_list[label] = _list_url(first, pages)
    return site


def relink_last_page(site: Site, label: str, next_href: str) -> None:
    """Give a section's last list page a "下一页" link (off the portal, in a hostile site)."""
    url = site.last_list[label]
    body = site.pages[url].body.decode("utf-8")
    body = re.sub(r'<div class="page">.*?</div>', f'<div class="page"><a href="{next_href}">下一页</a></div>', body,
                  count=1, flags=re.S)
    site.pages[url] = Page(200, HTML, body.encode("utf-8"))


def add_links(site: Site, label: str, links: list[tuple[str, str]]) -> None:
    """More links on a section's first list page (hostile ones: they are not the site's articles)."""
    url = next(u for lab, u in LcxwSpider.sections.items() if lab == label)
    body = site.pages[url].body.decode("utf-8")
    items = "".join(f'<li><a href="{href}">{title}</a></li>\n' for href, title in links)
    body = body.replace('<div id="newsList"><ul>\n', '<div id="newsList"><ul>\n' + items, 1)
    site.pages[url] = Page(200, HTML, body.encode("utf-8"))


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


class _Threaded:
    """A loopback HTTP server in a thread: ``handle(handler)`` answers each GET."""

    thread_name = "fault-server"

    def _listen(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server.handle(self)

            def log_message(self, *args):
                pass

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=self.thread_name, daemon=True)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class SiteServer(_Threaded):
    """Serves a :class:`Site` on 127.0.0.1 in the replay server's address form, logging every request."""

    thread_name = "fault-site"

    def __init__(self, site: Site, delay: float = 0.0):
        self.site = site
        self.delay = delay  # seconds before each article page is answered (keeps pages in flight)
        self.log: list[tuple[str, bool]] = []  # (portal URL, on the portal's hosts) of every request
        self._lock = threading.Lock()
        self._hold = False  # the next article request is answered only once released
        self._released = threading.Event()
        self._listen()

    def hold_next_article(self) -> None:
        """Answer the next article request only after :meth:`release` (it keeps the crawl open)."""
        self._released.clear()
        self._hold = True

    def release(self) -> None:
        self._hold = False
        self._released.set()

    def requests(self, articles_only: bool = False) -> list[str]:
        with self._lock:
            urls = [u for u, _ in self.log]
        return [u for u in urls if u in self.site.pages and u in set(self.site.articles)] if articles_only else urls

    def article_hits(self) -> int:
        articles = set(self.site.articles)
        with self._lock:
            return sum(1 for u, _ in self.log if u in articles)

    def off_portal(self) -> list[str]:
        """Every request for a URL that is not on the portal's hosts."""
        with self._lock:
            return [u for u, on in self.log if not on]

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = recorded_url(handler.path)
        host = (urlsplit(url).hostname or "") if url else ""
        on_portal = any(host == h or host.endswith("." + h) for h in PORTALS["lcxw"].hosts)
        with self._lock:
            self.log.append((url or handler.path, on_portal))
        if url is None or not on_portal:
            self._send(handler, Page(200, HTML, DECOY_PAGE))  # what an off-portal page would offer
            return
        if url.endswith("/robots.txt"):
            self._send(handler, Page(200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"))
            return
        page = self.site.pages.get(url)
        if page is None:
            self._send(handler, Page(404, HTML, b"<html><body>404</body></html>"))
            return
        if page.status == 200 and b"articleContent" in page.body:
            with self._lock:
                held, self._hold = self._hold, False
            if held:
                self._released.wait(60)
            elif self.delay:
                time.sleep(self.delay)
        self._send(handler, page)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, page: Page) -> None:
        try:
            handler.send_response(page.status)
            for name, value in page.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(page.body)))
            handler.end_headers()
            handler.wfile.write(page.body)
        except (BrokenPipeError, ConnectionResetError):  # the crawl cancelled or was killed
            pass


# an off-portal page as a hostile site would make it: article links of its own and of the portal
DECOY_PAGE = ('<html><body><div id="newsList"><ul>'
              '<li><a href="http://evil.example/yaowen/shehui/20250101/1.html">诱饵</a></li>'
              '<li><a href="https://www.lcxw.cn/yaowen/shehui/20250101/999999.html">诱饵</a></li>'
              '</ul></div><div class="page"><a href="http://evil.example/list_2.html">下一页</a></div>'
              '</body></html>').encode("utf-8")


class DecoyServer(_Threaded):
    """A second server on 127.0.0.1 that the crawl must never reach (it logs every request)."""

    thread_name = "fault-decoy"

    def __init__(self):
        self.log: list[str] = []
        self._listen()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        self.log.append(handler.path)
        SiteServer._send(handler, Page(200, HTML, DECOY_PAGE))
