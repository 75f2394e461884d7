"""Declarations of the portals the archive knows (one name per portal everywhere).

A portal's ``name`` is its spider name, its parser module (``liaocheng_news.parsers.<name>``)
and its fixture folder (``tests/fixtures/<name>/``).  ``kind`` orders copies of one story
when the canonical copy is chosen: origin portal over e-paper over aggregator over mirror.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Portal:
    name: str
    title: str
    hosts: tuple[str, ...]  # registrable hosts, without www./m.
    kind: str  # origin | epaper | aggregator | mirror
    needs_browser: bool = False


KIND_RANK = {"origin": 0, "epaper": 1, "aggregator": 2, "mirror": 3, "unknown": 4}

PORTALS: dict[str, Portal] = {
    p.name: p
    for p in (
        Portal("lcxw", "聊城新闻网 / 新聊城客户端", ("lcxw.cn",), "origin"),
        Portal("lcrb", "聊城日报 / 聊城晚报 数字报", ("lcrb.lcxw.cn",), "epaper"),
        Portal("yybnet", "地方网", ("yybnet.net",), "aggregator"),
        Portal("achie", "中国高新院", ("achie.org",), "aggregator"),
        Portal("liaocheng_gov", "聊城市人民政府", ("liaocheng.gov.cn",), "origin"),
        Portal("dzwww_liaocheng", "大众网·聊城", ("liaocheng.dzwww.com",), "aggregator"),
        Portal("lcxw_app", "新聊城客户端 (app share pages)", ("app.lcxw.cn",), "origin", needs_browser=True),
        Portal("mirror", "content-farm mirror", (), "mirror"),
        Portal("unknown", "unknown source", (), "unknown"),
    )
}


def strip_host(host: str) -> str:
    host = (host or "").lower().rstrip(".")
    if ":" in host:
        host = host.split(":", 1)[0]
    for prefix in ("www.", "m."):
        if host.startswith(prefix):
            host = host[len(prefix):]
    return host


def portal_for_url(url: str) -> Portal | None:
    """The portal a URL belongs to, by its host (the most specific host wins)."""
    host = strip_host(urlsplit(url).hostname or "")
    best: Portal | None = None
    best_len = -1
    for portal in PORTALS.values():
        for h in portal.hosts:
            if (host == h or host.endswith("." + h)) and len(h) > best_len:
                best, best_len = portal, len(h)
    return best


def kind_rank(portal_name: str) -> int:
    portal = PORTALS.get(portal_name)
    return KIND_RANK[portal.kind if portal else "unknown"]
