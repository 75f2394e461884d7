"""The render middleware's decisions, without a browser: what is rendered and what is refused."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from liaocheng_news.middlewares.render import RenderMiddleware, render_meta
from liaocheng_news.middlewares.replay import META_KEY as REPLAY_KEY
from liaocheng_news.spiders.declared import LcxwSpider
from tests.helpers import project_crawler

LCXW_ARTICLE = "http://www.lcxw.cn/yaowen/shehui/20260122/151679.html"


def middleware(**settings) -> RenderMiddleware:
    crawler = project_crawler(LcxwSpider, **{"CHROMIUM_EXECUTABLE": "/bin/sh", **settings})
    crawler.stats.open_spider()
    return RenderMiddleware.from_crawler(crawler)


def test_needs_browser_portals_and_render_meta_go_to_playwright_others_do_not():
    mw = middleware()
    assert mw.problem is None
    app = Request("http://127.0.0.1:9/https/app.lcxw.cn/share/article.html?id=1",
                  meta={REPLAY_KEY: "https://app.lcxw.cn/share/article.html?id=1"})
    static = Request(LCXW_ARTICLE)
    asked = Request(LCXW_ARTICLE, meta=render_meta())
    opted_out = Request("https://app.lcxw.cn/share/article.html?id=2", meta={"render": False})
    robots = Request("https://app.lcxw.cn/robots.txt")
    for request in (app, static, asked, opted_out, robots):
        assert mw.process_request(request) is None
    assert app.meta["playwright"] and asked.meta["playwright"]
    assert app.meta["playwright_context"] == "render" and app.meta["playwright_include_page"] is False
    assert callable(app.meta["playwright_page_init_callback"])
    assert not any("playwright" in r.meta for r in (static, opted_out, robots))
    assert mw.stats.get_value("render/requests") == 2
    assert mw.stats.get_value("render/escalations") is None


def test_an_escalated_request_is_counted_when_it_goes_to_the_browser():
    mw = middleware()
    again = Request(LCXW_ARTICLE, meta=render_meta("escalation"))
    assert mw.process_request(again) is None and again.meta["playwright"]
    assert mw.stats.get_value("render/escalations") == 1 and mw.stats.get_value("render/requests") == 1


def test_without_a_browser_render_requests_are_dropped_counted_and_named():
    mw = middleware(CHROMIUM_EXECUTABLE="/nowhere/chromium")
    with pytest.raises(IgnoreRequest, match="no browser at /nowhere/chromium"):
        mw.process_request(Request("https://app.lcxw.cn/share/list.html?channel=latest"))
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request(LCXW_ARTICLE, meta=render_meta("escalation")))
    assert mw.process_request(Request(LCXW_ARTICLE)) is None  # static pages still download
    assert mw.stats.get_value("render/unavailable") == 2
    assert mw.unrendered == ["https://app.lcxw.cn/share/list.html?channel=latest", LCXW_ARTICLE]


@pytest.mark.parametrize("settings, reason", [
    ({"DOWNLOAD_HANDLERS": {"http": None, "https": None}}, "scrapy-playwright"),
    ({"RENDER_ENABLED": False}, "RENDER_ENABLED"),
])
def test_without_the_handler_or_with_rendering_off_nothing_is_sent_to_playwright(settings, reason):
    mw = middleware(**settings)
    assert reason in mw.problem
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request("https://app.lcxw.cn/share/list.html?channel=latest"))
