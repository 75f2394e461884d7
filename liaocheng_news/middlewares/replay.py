"""Sends portal requests to a replay server (REPLAY_URL) and gives responses back their real URLs.

Spiders, parsers and items see only the portals' real URLs; only the download goes to
127.0.0.1.  Switched off (NotConfigured) when REPLAY_URL is unset.

The replay server's address of a portal URL is ``<replay>/<scheme>/<host><path>[?query]``:
:func:`replay_target` and :func:`recorded_url` are the two directions of that one mapping, used
by this middleware, the browser's page routing (:mod:`liaocheng_news.browser`) and the operator
tools (the one-off fetcher and the replay server itself, in :mod:`liaocheng_news.ops`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured

META_KEY = "replay_original_url"
# the replay server's mark on a 404 for a page it has no recording of (ops.replay): the harness
# lacks the page, the portal did not fail; such a request is dropped (IgnoreRequest) and counted
# as replay/not_recorded, not as a failed request
NOT_RECORDED_HEADER = "X-Replay-Not-Recorded"


def replay_target(replay_url: str, url: str) -> str | None:
    """The replay server's URL for a portal URL; None for a URL that is not http(s) or is on
    the replay server already."""
    base = replay_url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc == urlsplit(base).netloc:
        return None
    target = f"{base}/{parts.scheme}/{parts.netloc}{parts.path or '/'}"
    return f"{target}?{parts.query}" if parts.query else target


def recorded_url(path: str) -> str | None:
    """The portal URL a replay server's request path (``/<scheme>/<host>/<path>``) stands for."""
    parts = path.split("/", 3)
    if len(parts) < 3 or parts[0] or parts[1] not in ("http", "https") or not parts[2]:
        return None
    return f"{parts[1]}://{parts[2]}/{parts[3] if len(parts) > 3 else ''}"


def portal_url(url: str, replay_url: str | None) -> str:
    """The portal URL ``url`` stands for: itself, or on the replay server (``replay_url``) the
    portal URL of its replay path (the URL itself when the path is not one)."""
    if not replay_url:
        return url
    parts = urlsplit(url)
    if parts.netloc != urlsplit(replay_url).netloc:
        return url
    return recorded_url(parts.path + (f"?{parts.query}" if parts.query else "")) or url


class ReplayMiddleware:
    def __init__(self, replay_url: str, stats=None):
        self.replay_url = replay_url.rstrip("/")
        self.replay_host = urlsplit(self.replay_url).netloc
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        url = crawler.settings.get("REPLAY_URL")
        if not url:
            raise NotConfigured("REPLAY_URL is not set")
        return cls(url, crawler.stats)

    def process_request(self, request):
        target = replay_target(self.replay_url, request.url)
        if target is None:
            if urlsplit(request.url).netloc == self.replay_host:  # e.g. a redirect the replay server sent
                request.meta[META_KEY] = portal_url(request.url, self.replay_url)
            return None
        meta = dict(request.meta)
        meta[META_KEY] = request.url  # also for a redirect: a copy of its source request's meta
        # robots.txt was read for the portal URL already; the replay server has none of its own
        meta["dont_obey_robotstxt"] = True
        return request.replace(url=target, meta=meta, dont_filter=True)

    def process_response(self, request, response):
        original = request.meta.get(META_KEY)
        if original and urlsplit(response.url).netloc == self.replay_host:
            if response.status == 404 and response.headers.get(NOT_RECORDED_HEADER):
                if self.stats is not None:
                    self.stats.inc_value("replay/not_recorded")
                raise IgnoreRequest(f"not recorded in the replay: {original}")
            return response.replace(url=original)
        return response
