"""The shared base spider: numbered list pages, an article page's way out of the callback
(an Article, the same request for the browser, or a counted drop)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse

from liaocheng_news.items import Article
from liaocheng_news.middlewares.replay import META_KEY as REPLAY_KEY
from liaocheng_news.spiders.base import numbered_page
from liaocheng_news.spiders.declared import LcxwSpider
from tests.helpers import project_crawler, run

TESTS = Path(__file__).resolve().parents[1]
PAGE = TESTS / "fixtures" / "lcxw" / "article-20260122-151679.html"
SHELL = TESTS / "browser" / "escalation" / "article-shell.html"
URL = json.loads(PAGE.with_name(PAGE.stem + ".meta.json").read_text(encoding="utf-8"))["url"]
REPLAYED = "http://127.0.0.1:9/" + URL.replace("://", "/", 1)


def test_numbered_list_pages():
    trs = re.compile(r"(list_\d+)\.html$")
    assert numbered_page("http://x.cn/a/list_1061.html", 1, trs, "{m}_{n1}.html") is None
    assert numbered_page("http://x.cn/a/list_1061.html", 3, trs, "{m}_{n1}.html") == "http://x.cn/a/list_1061_2.html"
    dz = re.compile(r"default\.htm$")
    assert numbered_page("http://x.cn/lcxw/default.htm", 2, dz, "default_{n1}.htm") == "http://x.cn/lcxw/default_1.htm"
    assert numbered_page("http://x.cn/lcxw/", 2, dz, "default_{n1}.htm") is None  # not a numbered list


class CountingParser:
    """The portal's parser, counting the pages it parses."""

    def __init__(self, parser):
        self.parser = parser
        self.parsed = 0

    def parse(self, page):
        self.parsed += 1
        return self.parser.parse(page)

    def __getattr__(self, name):
        return getattr(self.parser, name)


def spider(**settings) -> LcxwSpider:
    crawler = project_crawler(LcxwSpider, **settings)
    crawler.stats.open_spider()
    crawler.spider._parser = CountingParser(crawler.spider.parser)
    return crawler.spider


def article_response(s: LcxwSpider, body: bytes, meta: dict | None = None, url: str = URL,
                     headers: dict | None = None) -> HtmlResponse:
    """A response as the spider gets it from a replay: the request went to the replay server,
    the response carries the portal URL again."""
    request = scrapy.Request(REPLAYED, callback=s.parse_article, meta={REPLAY_KEY: url, **(meta or {})},
                             cb_kwargs={"channel": "要闻/社会"})
    return HtmlResponse(url, body=body, request=request,
                        headers=headers or {"Content-Type": "text/html; charset=utf-8"})


def outputs(s: LcxwSpider, response: HtmlResponse) -> list:
    async def collect():
        return [out async for out in s.parse_article(response, **response.request.cb_kwargs)]

    return run(collect())


def test_an_article_page_leaves_the_callback_as_a_finished_article():
    s = spider()
    (article,) = outputs(s, article_response(s, PAGE.read_bytes()))
    assert isinstance(article, Article) and article.url == URL and article.channel
    assert article.title and article.body and article.fetched_at is not None
    assert s.parser.parsed == 1
    assert s.crawler.stats.get_value("articles_fetched") == 1 and not s.crawler.stats.get_value("items_dropped")


def test_a_redirected_article_keeps_the_url_its_list_links():
    listed = URL.replace("151679", "151679-old")
    s = spider()
    (article,) = outputs(s, article_response(s, PAGE.read_bytes(), meta={"redirect_urls": [listed]}))
    assert article.url == listed


def test_an_app_shell_is_asked_for_again_through_the_browser_and_parsed_once():
    s = spider()
    (again,) = outputs(s, article_response(s, SHELL.read_bytes()))
    assert isinstance(again, scrapy.Request)
    assert again.url == URL and again.dont_filter and again.callback == s.parse_article
    assert again.meta["render"] is True and again.meta["render_reason"] == "escalation"
    assert REPLAY_KEY not in again.meta and again.cb_kwargs == {"channel": "要闻/社会"}
    assert s.parser.parsed == 1
    assert not s.crawler.stats.get_value("items_dropped")

    # the rendered page is a shell still: dropped and counted, never asked for a third time
    assert outputs(s, article_response(s, SHELL.read_bytes(), meta=dict(again.meta))) == []
    assert s.crawler.stats.get_value("items_dropped/not_an_article") == 1 and s.parser.parsed == 2


def test_with_escalation_off_an_app_shell_is_a_counted_drop():
    s = spider(RENDER_ESCALATION=False)
    assert outputs(s, article_response(s, SHELL.read_bytes())) == []
    assert s.crawler.stats.get_value("items_dropped/not_an_article") == 1


def test_a_page_that_does_not_decode_is_a_counted_drop():
    s = spider()
    garbage = bytes(range(128, 256)) * 40  # no charset fits: never mojibake in the archive
    response = article_response(s, garbage, headers={"Content-Type": "text/html; charset=utf-8"})
    assert outputs(s, response) == []
    assert s.crawler.stats.get_value("items_dropped/bad_encoding") == 1
    assert s.crawler.stats.get_value("items_dropped") == 1


def test_a_redirected_article_on_a_replay_keeps_the_portal_url_its_list_links():
    # on a replay, Scrapy's redirect records the replay server's address of the listed page
    s = spider(REPLAY_URL="http://127.0.0.1:9")
    listed = URL.replace("151679", "151600")
    meta = {"redirect_urls": ["http://127.0.0.1:9/" + listed.replace("://", "/", 1)]}
    (article,) = outputs(s, article_response(s, PAGE.read_bytes(), meta=meta))
    assert article.url == listed


def with_title(title: str) -> bytes:
    return PAGE.read_bytes().replace("我市启动2026年“春风行动”暨就业援助月活动".encode(), title.encode())


@pytest.mark.parametrize("body, settings, reason", [
    (with_title("很长的标题" * 30), {"ITEM_MAX_TITLE_CHARS": 100}, "title_too_long"),
    (PAGE.read_bytes(), {"ITEM_MAX_BODY_CHARS": 50}, "body_too_long"),
    (PAGE.read_bytes(), {"PAGE_MAX_ELEMENTS": 50}, "too_large"),
    (PAGE.read_bytes(), {"PAGE_MAX_TEXT_BYTES": 500}, "too_large"),
    (PAGE.read_bytes().replace(b"<p>", b"<div>" * 3000 + b"<p>", 1), {}, "too_deep"),
])
def test_pages_and_items_over_their_ceilings_are_counted_drops(body, settings, reason):
    s = spider(**settings)
    assert outputs(s, article_response(s, body)) == []
    assert s.crawler.stats.get_value(f"items_dropped/{reason}") == 1


def list_outputs(s: LcxwSpider, body: bytes) -> list:
    request = scrapy.Request("https://www.lcxw.cn/yaowen/shehui/index.html", callback=s.parse_list)
    response = HtmlResponse(request.url, body=body, request=request, headers={"Content-Type": "text/html; charset=utf-8"})

    async def collect():
        return [out async for out in s.parse_list(response, channel="要闻/社会", first_url=request.url, n=1, stale=0)]

    return run(collect())


def test_a_next_list_page_off_the_portal_ends_the_section_and_is_counted():
    listing = (TESTS / "fixtures" / "lcxw" / "list-yaowen-shehui-index.html").read_bytes()
    for href, reason in (("file:///etc/passwd", "scheme"), ("http://evil.example/index_2.html", "host")):
        s = spider(ARCHIVE_ENABLED=False)
        out = list_outputs(s, listing.replace(b'<a href="index_2.html">\xe4\xb8\x8b\xe4\xb8\x80\xe9\xa1\xb5</a>',
                                              f'<a href="{href}">下一页</a>'.encode()))
        assert [r.url for r in out if r.callback == s.parse_list] == []
        assert len([r for r in out if r.callback == s.parse_article]) == 4
        assert s.crawler.stats.get_value(f"offsite/dropped/{reason}") == 1


@pytest.mark.parametrize("stopping", [False, True])
def test_a_request_dropped_by_a_stop_stays_pending_a_refused_one_does_not(stopping):
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    from liaocheng_news.dedupe.urls import canonical_url
    from liaocheng_news.extensions.frontier import CrawlFrontier
    from liaocheng_news.extensions.stop import StopRequest

    s = spider(ARCHIVE_ENABLED=False)
    frontier = s.crawler.get_extension(CrawlFrontier)
    if stopping:
        s.crawler.get_extension(StopRequest).request("SIGTERM")  # before the engine exists: nothing queued
    request = scrapy.Request(URL, callback=s.parse_article, errback=s.article_failed)
    failure = Failure(IgnoreRequest(f"the crawl is stopping (SIGTERM): {URL}" if stopping else "robots.txt"))
    failure.request = request
    with pytest.raises(IgnoreRequest):
        s.article_failed(failure)
    assert s.stopping() is stopping
    # no longer pending when refused (robots.txt); left pending when the stop dropped it
    assert (canonical_url(URL) in frontier._resolved) is not stopping
