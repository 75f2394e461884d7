"""One polite page fetch outside a crawl (for check-portals and save-fixture).

robots.txt is read and obeyed, the project's User-Agent is sent, requests to one host are
spaced by DOWNLOAD_DELAY, and with a replay URL the request goes to the replay server while the
page keeps its real URL (middlewares.replay.replay_target, as in a crawl).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import urllib.robotparser
from urllib.parse import urlsplit

from liaocheng_news.middlewares.replay import replay_target
from liaocheng_news.parsers.base import Page


class FetchRefused(RuntimeError):
    """robots.txt disallows the URL."""


class Fetcher:
    def __init__(self, user_agent: str, delay: float = 1.0, timeout: float = 30.0,
                 replay_url: str | None = None):
        self.user_agent = user_agent
        self.delay = delay
        self.timeout = timeout
        self.replay_url = replay_url.rstrip("/") if replay_url else None
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._last: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings, replay_url: str | None = None) -> "Fetcher":
        return cls(settings.get("USER_AGENT"), settings.getfloat("DOWNLOAD_DELAY"),
                   settings.getfloat("DOWNLOAD_TIMEOUT"), replay_url or settings.get("REPLAY_URL"))

    def _route(self, url: str) -> str:
        return (replay_target(self.replay_url, url) if self.replay_url else None) or url

    def _raw(self, url: str) -> tuple[int, dict[str, str], bytes]:
        host = urlsplit(url).netloc
        wait = self._last.get(host, 0) + self.delay - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        request = urllib.request.Request(self._route(url), headers={"User-Agent": self.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers.items()), exc.read()
        finally:
            self._last[host] = time.monotonic()

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            parser = urllib.robotparser.RobotFileParser()
            try:
                status, _, body = self._raw(f"{root}/robots.txt")
            except (OSError, urllib.error.URLError):
                status, body = 404, b""
            if status >= 400:
                parser.parse([])  # no robots.txt: everything allowed
            else:
                parser.parse(body.decode("utf-8", "replace").splitlines())
            self._robots[root] = parser
        return self._robots[root].can_fetch(self.user_agent, url)

    def fetch(self, url: str) -> Page:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url}")
        if not self.allowed(url):
            raise FetchRefused(f"robots.txt disallows {url}")
        status, headers, body = self._raw(url)
        return Page(url=url, body=body, headers=headers, status=status)
