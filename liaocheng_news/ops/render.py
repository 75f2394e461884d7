"""Pages rendered in Chromium outside a crawl: check-portals' fetcher and fixture snapshots.

Launched and routed as in a crawl (:mod:`liaocheng_news.browser`), one browser per call.
"""

from __future__ import annotations

import asyncio

from liaocheng_news.browser import BrowserUnavailable, browser_problem, launch_options, make_page_init
from liaocheng_news.middlewares.replay import replay_target
from liaocheng_news.ops.fetch import FetchRefused, Fetcher
from liaocheng_news.parsers.base import Page


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
    """``fetch(url) -> Page`` like :class:`~liaocheng_news.ops.fetch.Fetcher`, rendered in Chromium.

    For one-off checks of a ``needs_browser`` portal: robots.txt, politeness and the replay
    URL come from the wrapped fetcher; each call starts and closes its own browser.
    """

    def __init__(self, fetcher: Fetcher, executable: str) -> None:
        self.fetcher = fetcher
        self.executable = executable

    def fetch(self, url: str) -> Page:
        from playwright.async_api import Error as PlaywrightError

        if not self.fetcher.allowed(url):
            raise FetchRefused(f"robots.txt disallows {url}")
        try:
            html = asyncio.run(render_html([url], executable=self.executable,
                                           replay_url=self.fetcher.replay_url))[url]
        except PlaywrightError as exc:  # unreachable host, timeout, browser failure: one line
            raise OSError(f"could not render {url}: {str(exc).splitlines()[0]}") from exc
        return Page(url=url, body=html.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"})
