"""The operator tools' renderer: check-portals reads a browser portal's pages rendered."""

from __future__ import annotations

import json

import pytest

from liaocheng_news.ops.fetch import Fetcher
from liaocheng_news.ops.render import BrowserFetcher
from liaocheng_news.ops.replay import ReplayServer
from liaocheng_news.parsers import get_parser
from tests.browser.crawl import SYSTEM_CHROMIUM
from tests.browser.snapshots import FIXTURES


def fixture(slug: str, kind: str) -> dict:
    return json.loads((FIXTURES / "lcxw_app" / f"{slug}.{kind}.json").read_text(encoding="utf-8"))


@pytest.mark.browser
def test_browser_fetcher_gives_check_portals_the_rendered_pages():
    parser = get_parser("lcxw_app")
    with ReplayServer(FIXTURES) as server:
        fetcher = BrowserFetcher(Fetcher("liaocheng-news test", delay=0, replay_url=server.url), SYSTEM_CHROMIUM)
        links = parser.parse_list(fetcher.fetch(fixture("list-latest", "meta")["url"])).links
        article = parser.parse(fetcher.fetch(links[0]))
    assert links == fixture("list-latest", "expected")["links"]
    assert article.extraction == "portal" and article.title and article.published_at and article.body
