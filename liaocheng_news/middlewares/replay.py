"""Sends portal requests to a replay server (REPLAY_URL) and gives responses back their real URLs.

Spiders, parsers and items see only the portals' real URLs; only the download goes to
127.0.0.1.  Switched off (NotConfigured) when REPLAY_URL is unset.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

META_KEY = "replay_original_url"


class ReplayMiddleware:
    def __init__(self, replay_url: str):
        self.replay_url = replay_url.rstrip("/")
        self.replay_host = urlsplit(self.replay_url).netloc

    @classmethod
    def from_crawler(cls, crawler):
        url = crawler.settings.get("REPLAY_URL")
        if not url:
            raise NotConfigured("REPLAY_URL is not set")
        return cls(url)

    def process_request(self, request):
        parts = urlsplit(request.url)
        if parts.netloc == self.replay_host or parts.scheme not in ("http", "https"):
            return None
        target = f"{self.replay_url}/{parts.scheme}/{parts.netloc}{parts.path or '/'}"
        if parts.query:
            target += f"?{parts.query}"
        meta = dict(request.meta)
        meta.setdefault(META_KEY, request.url)
        return request.replace(url=target, meta=meta, dont_filter=True)

    def process_response(self, request, response):
        original = request.meta.get(META_KEY)
        if original and urlsplit(response.url).netloc == self.replay_host:
            return response.replace(url=original)
        return response
