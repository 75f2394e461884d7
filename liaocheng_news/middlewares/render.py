"""Browser rendering through scrapy-playwright, for the pages that need it and no others.

Three pieces, wired by settings (see ``liaocheng_news/settings.py``, browser rendering):

* :class:`LazyPlaywrightDownloadHandler` — scrapy-playwright's handler for http/https that
  starts Playwright (and through it Chromium) on the first request that asks for a browser,
  not when the engine starts.  Plain requests go through Scrapy's HTTP/1.1 handler, so a crawl
  of static portals never starts the Playwright driver nor a browser.  Without
  PLAYWRIGHT_LAUNCH_OPTIONS it launches ``CHROMIUM_EXECUTABLE`` with :func:`launch_options`.
* :class:`RenderMiddleware` — the downloader middleware that decides.  A request is rendered
  when ``meta["render"]`` is true, or when it has no ``render`` key and its URL belongs to a
  portal declared ``needs_browser``.  It turns that into scrapy-playwright meta (one shared
  context, bounded pages, page closed after reading, heavy resources aborted, and in replay
  mode every request of the page answered by the replay server).  It also *escalates*: an
  article page that came back as an app shell (little text, scripts, and the portal parser
  finds no article, fallback included) is fetched once more through the browser before the
  spider sees it.  Stats: ``render/requests``, ``render/escalations``, ``render/unavailable``,
  ``render/failed``.
* Without a browser (the executable is missing, or the handler is not installed) nothing
  crashes: requests that needed rendering are dropped, counted as ``render/unavailable``,
  logged one line each, and summed up with their first URLs when the spider closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import weakref
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from liaocheng_news.middlewares.replay import META_KEY as REPLAY_ORIGINAL_URL
from liaocheng_news.portals import portal_for_url

logger = logging.getLogger(__name__)

# the scrapy-playwright context every rendered page opens in (one context, bounded pages)
CONTEXT_NAME = "render"
# resource types a rendered page never needs for its text (their URLs stay in the DOM)
ABORTED_RESOURCES = frozenset({"image", "media", "font"})
# how many URLs the end-of-crawl summary names
SUMMARY_URLS = 10

CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
    "--disable-quic",
)


class BrowserUnavailable(RuntimeError):
    """No browser can be started (missing executable, Playwright driver failure)."""


def launch_options(executable: str, *, as_root: bool | None = None) -> dict[str, Any]:
    """Playwright launch options for the system Chromium (``apt-get install chromium``).

    ``--no-sandbox`` only when running as root: Chromium refuses to start a sandbox as root,
    and everywhere else the sandbox stays on.
    """
    root = (os.geteuid() == 0) if as_root is None else as_root
    args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if root else [])]
    return {"executable_path": executable, "headless": True, "args": args}


def browser_problem(executable: str | None) -> str | None:
    """Why ``executable`` cannot be launched, or None when it looks usable."""
    if not executable:
        return "no browser configured (CHROMIUM_EXECUTABLE / LIAOCHENG_NEWS_CHROMIUM is empty)"
    path = executable if os.path.sep in executable else shutil.which(executable)
    if not path or not os.path.isfile(path):
        return (f"no browser at {executable} (apt-get install chromium, or point "
                "LIAOCHENG_NEWS_CHROMIUM at a Chromium binary)")
    if not os.access(path, os.X_OK):
        return f"{executable} is not executable"
    return None


def original_url(request: Request) -> str:
    """The portal URL of a request, also when the replay middleware has rewritten it."""
    return request.meta.get(REPLAY_ORIGINAL_URL) or request.url


# --- telling an app shell from a page ----------------------------------------------------------

_NON_TEXT = re.compile(r"<(script|style|noscript|template|head)\b.*?</\1\s*>", re.I | re.S)
_SCRIPT = re.compile(r"<script\b", re.I)
_BODY = re.compile(r"<body\b", re.I)
_TAG = re.compile(r"<[^>]+>")
_ENTITY = re.compile(r"&#?\w+;")


def visible_text_length(html: str) -> int:
    """Characters of text a reader would see before any script runs (whitespace excluded)."""
    body = _BODY.search(html)  # what comes before <body> is never shown
    if body:
        html = html[body.start():]
    text = _ENTITY.sub(" ", _TAG.sub(" ", _NON_TEXT.sub(" ", html)))
    return sum(map(len, text.split()))


def looks_like_app_shell(html: str, max_text: int = 200) -> bool:
    """True for a page whose content is put in place by JavaScript: scripts and almost no text.

    The threshold is far below any article (a short news item has several hundred characters)
    and above what a shell holds (a title, a loading notice, a download-the-app banner).
    """
    return bool(_SCRIPT.search(html)) and visible_text_length(html) < max_text


# --- the page init callback: routing inside the browser ---------------------------------------

def replay_target(replay_url: str, url: str) -> str | None:
    """The replay-server URL for a portal URL (None for URLs already on the replay server)."""
    parts = urlsplit(url)
    base = replay_url.rstrip("/")
    if parts.scheme not in ("http", "https") or url.startswith(base + "/"):
        return None
    target = f"{base}/{parts.scheme}/{parts.netloc}{parts.path or '/'}"
    return f"{target}?{parts.query}" if parts.query else target


def make_page_init(replay_url: str | None) -> Callable:
    """A ``playwright_page_init_callback`` that routes the page's own requests.

    Images, media and fonts are aborted (only their URLs matter).  In replay mode every other
    request of the page (scripts, the JSON API the shell calls by its real https URL) is
    answered by the replay server, so a rendered page never reaches the network and finds its
    data where the fixtures put it.  The handler is registered after scrapy-playwright's own
    route, so it runs first; what it does not answer falls back to scrapy-playwright's.
    """

    async def route_request(route, request) -> None:
        if request.resource_type in ABORTED_RESOURCES:
            await route.abort()
            return
        target = replay_target(replay_url, request.url) if replay_url else None
        if target is None:
            await route.fallback()
            return
        fetched = await route.fetch(url=target)
        headers = {**fetched.headers, "access-control-allow-origin": "*"}
        await route.fulfill(response=fetched, headers=headers)

    async def init_page(page, request) -> None:
        await page.route("**/*", route_request)

    return init_page


# --- rendering outside a crawl (check-portals, fixture snapshots) ------------------------------

async def render_html(urls: list[str], *, executable: str, replay_url: str | None = None,
                      wait_until: str = "networkidle", timeout_ms: float = 30_000) -> dict[str, str]:
    """url -> DOM after rendering, one browser for all, pages routed as in a crawl."""
    problem = browser_problem(executable)
    if problem:
        raise BrowserUnavailable(problem)
    from playwright.async_api import async_playwright

    rendered: dict[str, str] = {}
    init = make_page_init(replay_url)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(**launch_options(executable))
        try:
            context = await browser.new_context()
            for url in urls:
                page = await context.new_page()
                try:
                    await init(page, None)
                    target = (replay_target(replay_url, url) if replay_url else None) or url
                    await page.goto(target, wait_until=wait_until, timeout=timeout_ms)
                    rendered[url] = await page.content()
                finally:
                    await page.close()
        finally:
            await browser.close()
    return rendered


class BrowserFetcher:
    """``fetch(url) -> Page`` like :class:`liaocheng_news.fetch.Fetcher`, rendered in Chromium.

    For one-off checks of a ``needs_browser`` portal: robots.txt, politeness and the replay
    URL come from the wrapped fetcher; each call starts and closes its own browser.
    """

    def __init__(self, fetcher, executable: str) -> None:
        self.fetcher = fetcher
        self.executable = executable

    def fetch(self, url: str):
        from liaocheng_news.fetch import FetchRefused
        from liaocheng_news.parsers.base import Page

        from playwright.async_api import Error as PlaywrightError

        if not self.fetcher.allowed(url):
            raise FetchRefused(f"robots.txt disallows {url}")
        try:
            html = asyncio.run(render_html([url], executable=self.executable,
                                           replay_url=self.fetcher.replay_url))[url]
        except PlaywrightError as exc:  # unreachable host, timeout, browser failure: one line
            raise OSError(f"could not render {url}: {str(exc).splitlines()[0]}") from exc
        return Page(url=url, body=html.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"})


# --- the download handler ---------------------------------------------------------------------

class LazyPlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, starting Playwright on the first rendered request.

    scrapy-playwright 0.0.48 starts the Playwright driver when the engine starts and launches
    the browser lazily when the first page is made; here the driver waits too, and a missing
    browser raises :class:`BrowserUnavailable` (a clear one-line reason) instead of Playwright's
    long traceback.
    """

    # one handler (one Playwright, one browser, one page bound) per crawler for http and https
    _per_crawler: ClassVar[weakref.WeakKeyDictionary] = weakref.WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler):
        handler = cls._per_crawler.get(crawler)
        if handler is None:
            handler = cls._per_crawler[crawler] = cls(crawler)
        return handler

    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self._closed = False
        if not self.config.launch_options and not (self.config.cdp_url or self.config.connect_url):
            self.config.launch_options = launch_options(crawler.settings.get("CHROMIUM_EXECUTABLE") or "")
        self._executable = self.config.launch_options.get("executable_path")
        self._start_lock = asyncio.Lock()
        self._started = False
        self._problem: str | None = None

    async def _maybe_launch_in_thread(self) -> None:  # engine_started: start nothing yet
        return None

    async def _ensure_started(self) -> None:
        async with self._start_lock:
            if self._started:
                return
            if self._problem is None and self._executable:
                self._problem = browser_problem(self._executable)
            if self._problem:
                raise BrowserUnavailable(self._problem)
            try:
                await self._launch()
            except Exception as exc:  # the driver itself did not start
                self._problem = f"Playwright did not start: {exc}"
                raise BrowserUnavailable(self._problem) from exc
            self._started = True

    async def close(self) -> None:  # Scrapy closes the handler once per scheme it serves
        if not self._closed:
            self._closed = True
            await super().close()

    async def download_request(self, request: Request) -> Response:
        if request.meta.get("playwright"):
            await self._ensure_started()
        return await super().download_request(request)


# --- the middleware ---------------------------------------------------------------------------

class RenderMiddleware:
    """Sends the requests that need a browser to scrapy-playwright; escalates app shells."""

    def __init__(self, crawler, *, problem: str | None, replay_url: str | None, escalate: bool,
                 wait_until: str) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.problem = problem
        self.page_init = make_page_init(replay_url)
        self.escalate = escalate
        self.wait_until = wait_until
        self.unrendered: list[str] = []

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        problem = None
        handlers = {**settings.getdict("DOWNLOAD_HANDLERS_BASE"), **settings.getdict("DOWNLOAD_HANDLERS")}
        if not any(_is_playwright_handler(handlers.get(scheme)) for scheme in ("http", "https")):
            problem = "DOWNLOAD_HANDLERS do not route http/https to scrapy-playwright"
        elif not (settings.get("PLAYWRIGHT_CDP_URL") or settings.get("PLAYWRIGHT_CONNECT_URL")):
            executable = (settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("executable_path")
                          or settings.get("CHROMIUM_EXECUTABLE"))
            problem = browser_problem(executable)
        if not settings.getbool("RENDER_ENABLED", True):
            problem = "rendering is switched off (RENDER_ENABLED=False)"
        middleware = cls(crawler, problem=problem, replay_url=settings.get("REPLAY_URL"),
                         escalate=settings.getbool("RENDER_ESCALATION", True),
                         wait_until=settings.get("RENDER_WAIT_UNTIL", "networkidle"))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    # -- which requests ------------------------------------------------------------------------

    def wants_browser(self, request: Request) -> bool:
        """meta["render"] decides when present; otherwise the portal's ``needs_browser``."""
        if "render" in request.meta:
            return bool(request.meta["render"])
        url = original_url(request)
        if urlsplit(url).path == "/robots.txt":
            return False
        portal = portal_for_url(url)
        return bool(portal and portal.needs_browser)

    def process_request(self, request: Request, spider: Spider | None = None):
        if request.meta.get("playwright") or not self.wants_browser(request):
            return None
        if self.problem:
            self._could_not_render(request, self.problem)
            raise IgnoreRequest(f"cannot render {original_url(request)}: {self.problem}")
        request.meta.update({
            "playwright": True,
            "playwright_context": CONTEXT_NAME,
            "playwright_include_page": False,  # the handler closes the page once read
            "playwright_page_init_callback": self.page_init,
            "playwright_page_goto_kwargs": {"wait_until": self.wait_until},
        })
        self.stats.inc_value("render/requests")
        if request.meta.get("render_reason") == "escalation":
            self.stats.inc_value("render/escalations")
        return None

    # -- escalation ----------------------------------------------------------------------------

    def process_response(self, request: Request, response: Response, spider: Spider | None = None):
        if not self.escalate or request.meta.get("playwright") or "render" in request.meta:
            return response
        if not isinstance(response, TextResponse) or response.status != 200:
            return response
        spider = spider or self.crawler.spider
        url = original_url(request)
        if not self.is_app_shell_article(spider, url, response):
            return response
        if self.problem:
            self._could_not_render(request, f"app shell, {self.problem}")
            return response
        logger.info("app shell instead of an article, fetching it again with the browser: %s", url)
        meta = {k: v for k, v in request.meta.items() if k != REPLAY_ORIGINAL_URL}
        meta.update({"render": True, "render_reason": "escalation"})
        return request.replace(url=url, meta=meta, dont_filter=True)

    def is_app_shell_article(self, spider: Spider, url: str, response: TextResponse) -> bool:
        """An article URL of the spider's portal whose page is a shell nothing can parse."""
        from liaocheng_news.parsers import NotAnArticle, Page, ParserError, get_parser

        try:
            parser = get_parser(spider.name)
        except KeyError:
            return False
        if not parser.is_article_url(url):
            return False
        try:
            html = response.text
        except (UnicodeDecodeError, AttributeError):
            return False
        if not looks_like_app_shell(html):
            return False
        headers = {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}
        try:
            parser.parse(Page(url, response.body, headers, response.status))
        except NotAnArticle:
            return True
        except ParserError:
            return False
        return False

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None):
        if not request.meta.get("playwright"):
            return None
        if isinstance(exception, BrowserUnavailable):
            self.problem = self.problem or str(exception)
            self._could_not_render(request, str(exception))
            raise IgnoreRequest(f"cannot render {original_url(request)}: {exception}")
        self.stats.inc_value("render/failed")
        logger.warning("rendering failed for %s: %s: %s", original_url(request), type(exception).__name__,
                       str(exception).splitlines()[0] if str(exception) else "")
        return None  # retries and error logging as for any failed download

    # -- reporting -----------------------------------------------------------------------------

    def _could_not_render(self, request: Request, reason: str) -> None:
        url = original_url(request)
        self.stats.inc_value("render/unavailable")
        if len(self.unrendered) < SUMMARY_URLS:  # a count plus the first few: bounded over a long crawl
            self.unrendered.append(url)
        logger.warning("could not render %s: %s", url, reason)

    def spider_closed(self, spider: Spider) -> None:
        total = self.stats.get_value("render/unavailable", 0)
        if not total:
            return
        shown = ", ".join(self.unrendered)
        more = f" and {total - len(self.unrendered)} more" if total > len(self.unrendered) else ""
        logger.error("%d request(s) of %s could not be rendered (%s): %s%s", total, spider.name,
                     self.problem or "browser unavailable", shown, more)


def _is_playwright_handler(path: Any) -> bool:
    if not path:
        return False
    if isinstance(path, str):
        from scrapy.utils.misc import load_object

        try:
            path = load_object(path)
        except (ImportError, NameError, ValueError):
            return False
    return isinstance(path, type) and issubclass(path, ScrapyPlaywrightDownloadHandler)


def render_meta(reason: str = "requested") -> Mapping[str, Any]:
    """Request meta that asks for the browser (``scrapy.Request(url, meta=render_meta())``)."""
    return {"render": True, "render_reason": reason}
