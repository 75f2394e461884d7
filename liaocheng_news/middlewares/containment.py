"""Off-portal containment: a spider's requests go only to http(s) URLs on its portal's hosts.

Two downloader middlewares, one rule:

* :class:`ContainmentMiddleware` (before robots.txt, so not even a robots.txt is asked of another
  host) sees every request the crawl makes — list pages, their "下一页" links, articles, redirects
  and refreshes, robots.txt — and drops one whose URL is not http(s) (``file://``, ``ftp://``, …)
  or whose host is not one of the spider's (``allowed_hosts``, else its portal's ``hosts`` in
  :mod:`liaocheng_news.portals`, subdomains included).  It also counts responses over
  DOWNLOAD_MAXSIZE, which Scrapy's download handler cancels, as ``items_dropped/too_large``, and
  drops a response over it that a handler delivered whole anyway.
* :class:`RedirectGuardMiddleware` (just before Scrapy's redirects) sees a 3xx before a request is
  made of it: a redirect off the portal is dropped, a redirect back to a URL of the same chain (a
  loop) is dropped and counted as ``items_dropped/redirect_loop``.

On a replay the URLs are read as the portal URLs they stand for (the replay server's paths), so
the rule is the same offline.  Drops are counted as ``offsite/dropped`` and
``offsite/dropped/<scheme|host|redirect>`` and logged (the first few of each host at warning level).
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest

from liaocheng_news.counts import count_drop
from liaocheng_news.dedupe.urls import canonical_url
from liaocheng_news.middlewares.render import original_url
from liaocheng_news.middlewares.replay import portal_url
from liaocheng_news.portals import PORTALS

logger = logging.getLogger(__name__)

LOGGED_PER_HOST = 3  # warnings per off-portal host; the rest are debug lines (all counted)
REDIRECTS = (301, 302, 303, 307, 308)


def spider_hosts(spider) -> tuple[str, ...]:
    """The hosts ``spider`` may request: its ``allowed_hosts``, else its portal's (none for a
    spider that is no portal's)."""
    declared = getattr(spider, "allowed_hosts", None)
    if declared:
        return tuple(h.lower() for h in declared)
    portal = PORTALS.get(getattr(spider, "name", ""))
    return portal.hosts if portal else ()


def on_hosts(url: str, hosts: tuple[str, ...]) -> bool:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == h or host.endswith("." + h) for h in hosts)


def refusal(url: str, hosts: tuple[str, ...]) -> str | None:
    """Why a (portal) URL may not be requested: ``scheme`` (not http/https), ``host`` (not on
    ``hosts``); None when it may."""
    if urlsplit(url).scheme not in ("http", "https"):
        return "scheme"
    if not on_hosts(url, hosts):
        return "host"
    return None


_logged: dict[str, int] = {}


def count_refusal(stats, url: str, reason: str, source: str) -> None:
    """Count and log a request kept from leaving the portal (``offsite/dropped[/<reason>]``)."""
    stats.inc_value("offsite/dropped")
    stats.inc_value(f"offsite/dropped/{reason}")
    host = urlsplit(url).hostname or urlsplit(url).scheme
    seen = _logged[host] = _logged.get(host, 0) + 1
    logger.log(logging.WARNING if seen <= LOGGED_PER_HOST else logging.DEBUG,
               "off-portal request dropped (%s): %s (from %s)", reason, url[:300], source[:300])


class _Contained:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.replay_url = crawler.settings.get("REPLAY_URL")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def hosts(self) -> tuple[str, ...]:
        return spider_hosts(self.crawler.spider)

    def portal_url(self, url: str) -> str:
        return portal_url(url, self.replay_url)

    def refuse(self, url: str, reason: str, source: str) -> IgnoreRequest:
        count_refusal(self.stats, url, reason, source)
        return IgnoreRequest(f"off-portal ({reason}): {url[:300]}")


class ContainmentMiddleware(_Contained):
    def process_request(self, request, spider=None):
        url = self.portal_url(request.url)
        redirected = bool(request.meta.get("redirect_urls"))
        source = self.portal_url(request.meta["redirect_urls"][-1]) if redirected else "the spider"
        reason = refusal(url, self.hosts())
        if reason:
            raise self.refuse(url, "redirect" if redirected and reason == "host" else reason, source)
        return None

    def process_response(self, request, response, spider=None):
        maxsize = request.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        if maxsize and len(response.body) > maxsize:  # a handler that does not enforce it (the browser)
            count_drop(self.stats, "too_large", original_url(request), f"{len(response.body)} bytes "
                       f"(DOWNLOAD_MAXSIZE={maxsize})")
            raise IgnoreRequest(f"larger than DOWNLOAD_MAXSIZE: {original_url(request)}")
        return response

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, DownloadCancelledError) and "max size" in str(exception):
            maxsize = request.meta.get("download_maxsize", self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            count_drop(self.stats, "too_large", original_url(request), f"over DOWNLOAD_MAXSIZE={maxsize} bytes")
            raise IgnoreRequest(f"larger than DOWNLOAD_MAXSIZE: {original_url(request)}")
        return None


class RedirectGuardMiddleware(_Contained):
    def process_response(self, request, response, spider=None):
        location = response.headers.get("Location")
        if response.status not in REDIRECTS or not location or request.meta.get("dont_redirect"):
            return response
        here = self.portal_url(request.url)
        target = self.portal_url(urljoin(request.url, location.decode("latin-1").strip()))
        if refusal(target, self.hosts()):
            raise self.refuse(target, "redirect", here)
        chain = {canonical_url(self.portal_url(u)) for u in request.meta.get("redirect_urls", ())}
        if canonical_url(target) in chain | {canonical_url(here)}:
            listed = self.portal_url(request.meta.get("redirect_urls", [request.url])[0])
            count_drop(self.stats, "redirect_loop", listed, f"{here} redirects back to {target}")
            raise IgnoreRequest(f"redirect loop: {listed}")
        return response
