"""One canonical URL per article: the identity key of an ``articles`` row.

The same article reaches us as ``http://m.yybnet.net/...#top``, ``https://yybnet.net/...?utm_source=wx``
and ``https://www.yybnet.net/...``; all three must land on one row.  :func:`canonical_url`
is an *identity* key, stable across runs and processes: the same input always gives the same
output and the function is idempotent (``canonical_url(canonical_url(u)) == canonical_url(u)``).

Rules, applied in this order (each one is tested in ``tests/dedupe/test_urls.py``):

1. ``file://`` URLs (imports, fixtures) and anything that is not http(s) pass through unchanged.
2. Mirror hosts (``mirror_hosts``: host → portal name, from the ``MIRROR_HOSTS`` setting) are
   content farms that keep the origin portal's path: their host is replaced by the portal's
   canonical host, so the copy maps back to the origin URL.
3. The host is lower-cased, a trailing dot dropped, and for a known portal (``portals.py``) the
   ``www.``/``m.`` variants of one portal host are folded into the portal's canonical host
   (``Portal.home_host``: the host its declared pages name; ``m.yybnet.net``, ``yybnet.net`` →
   ``www.yybnet.net``; ``m.lcrb.lcxw.cn`` → ``lcrb.lcxw.cn``).
   Other subdomains (``news.lcxw.cn``) are separate hosts and stay.
4. Scheme: ``https`` for every host, except hosts known to serve only ``http``
   (:data:`HTTP_ONLY_HOSTS`: the 聊城日报 e-paper).  The key is never used to decide how to
   fetch; it only has to be the same for both schemes.  An explicit non-default port keeps the
   scheme it came with (a port belongs to one scheme); default ports (80, 443) are dropped.
5. Tracking parameters (``utm_*``, ``spm``, ``from``, ``share``, ``isappinstalled``, …) are dropped,
   the remaining query is sorted and percent-encoding normalised (w3lib's ``canonicalize_url``).
6. Fragments are dropped; a trailing ``index.html``/``index.htm``/``index.shtml`` is dropped (the
   directory URL serves the same page); an empty path becomes ``/``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from liaocheng_news.portals import PORTALS, portal_for_url, strip_host

# Hosts only ever seen over plain http (the Founder e-paper): their key keeps http.
HTTP_ONLY_HOSTS: frozenset[str] = frozenset({"lcrb.lcxw.cn"})

# Query parameters that say how a link was shared, never which article it is.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "spm", "from", "share", "isappinstalled", "scene", "clicktime", "enterid", "wxfrom",
        "share_from", "sharefrom", "share_source", "share_token", "sharetype", "sharesource",
        "fbclid", "gclid", "msclkid", "ivk_sa", "_wv", "nsukey", "timestamp", "tt_from", "wfr",
        "source_type", "from_source", "app_version", "appid", "isfromapp",
    }
)
_TRACKING_PREFIXES = ("utm_",)
_INDEX_PAGE = re.compile(r"/index\.(?:html?|shtml)$", re.IGNORECASE)
_DEFAULT_PORT = {"http": 80, "https": 443}
# A '%' that starts no escape: w3lib would decode a following escape into one ('%2%31' → '%21',
# which the next pass reads as '!'), so such a '%' is escaped first (it means itself).
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def portal_host(portal_name: str) -> str | None:
    """The canonical host of a portal (``None`` for portals without hosts: mirror, unknown)."""
    portal = PORTALS.get(portal_name)
    return portal.home_host if portal is not None else None


def _fold_host(host: str, mirror_hosts: Mapping[str, str]) -> str:
    """Mirror hosts → their portal's host; www./m. variants of a portal host → its canonical host."""
    host = host.lower().rstrip(".")
    for key in (host, strip_host(host)):
        if key in mirror_hosts:
            mapped = portal_host(mirror_hosts[key])
            if mapped:
                return mapped
    bare = strip_host(host)
    portal = portal_for_url(f"http://{bare}/")
    if portal is not None and bare in portal.hosts:
        return portal.home_host if bare == portal.hosts[0] else bare
    return host


def canonical_url(url: str, mirror_hosts: Mapping[str, str] = {}) -> str:  # noqa: B006 - read-only
    """The identity key of the article at ``url`` (see the module docstring for the rules)."""
    mirrors = tuple(sorted((k.lower().rstrip("."), v) for k, v in mirror_hosts.items())) if mirror_hosts else ()
    return _canonical_url(url.strip(), mirrors)


# A crawl asks for a link's key twice (its list page, then its article) and a re-crawl for the
# same links again; bounded, so memory stays flat over any number of pages.
@functools.lru_cache(maxsize=4096)
def _canonical_url(url: str, mirrors: tuple[tuple[str, str], ...]) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = _fold_host(parts.hostname, dict(mirrors))
    try:
        port = parts.port
    except ValueError:  # a garbage port: keep the URL as its own key rather than guess
        port = None
    if port is not None and port == _DEFAULT_PORT.get(scheme):
        port = None
    if port is None:
        scheme = "http" if host in HTTP_ONLY_HOSTS else "https"
    netloc = host if port is None else f"{host}:{port}"
    path = _INDEX_PAGE.sub("/", parts.path) or "/"
    # Filter the raw pairs (no decoding: a GBK-encoded value must survive byte for byte).
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0]))
    path, query = _STRAY_PERCENT.sub("%25", path), _STRAY_PERCENT.sub("%25", query)
    return canonicalize_url(urlunsplit((scheme, netloc, path, query, "")))
