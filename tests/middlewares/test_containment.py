"""Off-portal containment: schemes, hosts, redirects and loops, also on a replay; size ceilings."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import HtmlResponse, Response

from liaocheng_news.middlewares.containment import ContainmentMiddleware, RedirectGuardMiddleware, refusal
from liaocheng_news.spiders.declared import LcxwSpider
from tests.helpers import project_crawler

REPLAY = "http://127.0.0.1:9"
HOSTS = ("lcxw.cn",)


def middlewares(**settings):
    crawler = project_crawler(LcxwSpider, **settings)
    crawler.stats.open_spider()
    return crawler, ContainmentMiddleware.from_crawler(crawler), RedirectGuardMiddleware.from_crawler(crawler)


def test_only_http_and_https_on_the_portals_hosts_may_be_requested():
    assert refusal("https://www.lcxw.cn/a.html", HOSTS) is None
    assert refusal("http://news.lcxw.cn/liaocheng/", HOSTS) is None
    for url in ("file:///etc/passwd", "ftp://www.lcxw.cn/a", "data:text/html,x", "javascript:alert(1)"):
        assert refusal(url, HOSTS) == "scheme"
    for url in ("http://evil.example/a", "http://lcxw.cn.evil.example/a", "http://notlcxw.cn/", "http://127.0.0.1:9/a"):
        assert refusal(url, HOSTS) == "host"


@pytest.mark.parametrize("replay", [None, REPLAY])
def test_requests_off_the_portal_are_dropped_and_counted(replay):
    crawler, contain, _ = middlewares(REPLAY_URL=replay)
    assert contain.process_request(Request("https://www.lcxw.cn/kuaixun/index.html")) is None
    if replay:  # a request the replay middleware rewrote: read as the portal URL it stands for
        assert contain.process_request(Request(f"{REPLAY}/https/www.lcxw.cn/kuaixun/index.html")) is None
        with pytest.raises(IgnoreRequest):
            contain.process_request(Request(f"{REPLAY}/http/evil.example/list.html"))
    for url in ("file:///dev/zero", "http://evil.example/list_2.html"):
        with pytest.raises(IgnoreRequest):
            contain.process_request(Request(url))
    redirected = Request("http://evil.example/moved.html", meta={"redirect_urls": ["https://www.lcxw.cn/a.html"]})
    with pytest.raises(IgnoreRequest):
        contain.process_request(redirected)
    stats = crawler.stats
    assert stats.get_value("offsite/dropped/scheme") == 1
    assert stats.get_value("offsite/dropped/host") == (2 if replay else 1)
    assert stats.get_value("offsite/dropped/redirect") == 1
    assert stats.get_value("offsite/dropped") == (4 if replay else 3)


def redirect(request: Request, location: str, status: int = 302) -> Response:
    return Response(request.url, status=status, headers={"Location": location}, request=request)


@pytest.mark.parametrize("replay", [None, REPLAY])
def test_redirects_off_the_portal_and_loops_are_stopped_before_they_are_followed(replay):
    crawler, _, guard = middlewares(REPLAY_URL=replay)
    a, b = "https://www.lcxw.cn/yaowen/shehui/20250101/1.html", "https://www.lcxw.cn/yaowen/shehui/20250101/2.html"
    on = (lambda url: f"{REPLAY}/{url.replace('://', '/', 1)}") if replay else (lambda url: url)
    first = Request(on(a))
    # within the portal: followed (an absolute portal URL, or a path on the replay server)
    ok = redirect(first, b)
    assert guard.process_response(first, ok) is ok
    if replay:
        relative = redirect(first, "/" + b.replace("://", "/", 1))
        assert guard.process_response(first, relative) is relative
    with pytest.raises(IgnoreRequest):
        guard.process_response(first, redirect(first, "http://evil.example/a.html"))
    with pytest.raises(IgnoreRequest):
        guard.process_response(first, redirect(first, "file:///etc/passwd"))
    second = Request(on(b), meta={"redirect_urls": [on(a)]})
    with pytest.raises(IgnoreRequest):  # b sends back to a: a loop
        guard.process_response(second, redirect(second, a.replace("https://", "http://")))
    assert crawler.stats.get_value("offsite/dropped/redirect") == 2
    assert crawler.stats.get_value("items_dropped/redirect_loop") == 1
    not_a_redirect = HtmlResponse(first.url, body=b"<p>x</p>", request=first)
    assert guard.process_response(first, not_a_redirect) is not_a_redirect


def test_a_response_over_the_download_ceiling_is_a_counted_drop():
    crawler, contain, _ = middlewares(DOWNLOAD_MAXSIZE=1000)
    request = Request("https://www.lcxw.cn/yaowen/shehui/20250101/1.html")
    cancelled = DownloadCancelledError("Expected to receive 20000000 bytes which is larger than download max size "
                                       "(1000) in request <GET …>.")
    with pytest.raises(IgnoreRequest):
        contain.process_exception(request, cancelled)
    with pytest.raises(IgnoreRequest):  # delivered whole by a handler that does not enforce it
        contain.process_response(request, HtmlResponse(request.url, body=b"x" * 1001, request=request))
    small = HtmlResponse(request.url, body=b"x" * 1000, request=request)
    assert contain.process_response(request, small) is small
    assert contain.process_exception(request, ConnectionError("refused")) is None
    assert crawler.stats.get_value("items_dropped/too_large") == 2
