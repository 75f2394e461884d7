"""The replay server's addresses of portal URLs, both ways, and the middleware that uses them."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse

from liaocheng_news.middlewares.replay import META_KEY, ReplayMiddleware, portal_url, recorded_url, replay_target


def test_replay_target_keeps_scheme_host_path_and_query():
    assert (replay_target("http://127.0.0.1:9/", "https://app.lcxw.cn/api/article/detail?id=7")
            == "http://127.0.0.1:9/https/app.lcxw.cn/api/article/detail?id=7")
    assert replay_target("http://127.0.0.1:9", "http://www.lcxw.cn") == "http://127.0.0.1:9/http/www.lcxw.cn/"
    assert replay_target("http://127.0.0.1:9", "http://127.0.0.1:9/https/app.lcxw.cn/") is None
    assert replay_target("http://127.0.0.1:9", "data:text/plain,x") is None


def test_recorded_url_reads_the_replay_path_back():
    url = "https://app.lcxw.cn/api/article/detail?id=7"
    target = replay_target("http://127.0.0.1:9", url)
    assert recorded_url(target.removeprefix("http://127.0.0.1:9")) == url
    assert recorded_url("/http/www.lcxw.cn") == "http://www.lcxw.cn/"
    for path in ("/", "/ftp/x.cn/a", "/https//a", "robots.txt"):
        assert recorded_url(path) is None


def test_requests_go_to_the_replay_server_and_responses_get_their_urls_back():
    mw = ReplayMiddleware("http://127.0.0.1:9")
    request = Request("https://www.lcxw.cn/yaowen/shehui/index.html")
    replayed = mw.process_request(request)
    assert replayed.url == "http://127.0.0.1:9/https/www.lcxw.cn/yaowen/shehui/index.html"
    assert replayed.meta[META_KEY] == request.url and replayed.dont_filter
    assert mw.process_request(replayed) is None  # already on the replay server
    response = mw.process_response(replayed, HtmlResponse(replayed.url, body=b"<p>x</p>", request=replayed))
    assert response.url == request.url


def test_a_redirect_on_a_replay_is_read_as_the_portal_url_it_stands_for():
    mw = ReplayMiddleware("http://127.0.0.1:9")
    listed = mw.process_request(Request("https://www.lcxw.cn/yaowen/shehui/20250101/1.html"))
    # the replay server sent the portal's redirect: Scrapy's redirect copies the source request's meta
    moved = Request("https://www.lcxw.cn/yaowen/shehui/20250101/2.html", meta=dict(listed.meta))
    assert mw.process_request(moved).meta[META_KEY] == moved.url
    # a redirect to a path on the replay server itself
    on_replay = Request("http://127.0.0.1:9/https/www.lcxw.cn/yaowen/shehui/20250101/3.html", meta=dict(listed.meta))
    assert mw.process_request(on_replay) is None
    assert on_replay.meta[META_KEY] == "https://www.lcxw.cn/yaowen/shehui/20250101/3.html"
    assert portal_url(on_replay.url, "http://127.0.0.1:9") == on_replay.meta[META_KEY]
    assert portal_url("https://www.lcxw.cn/a.html", "http://127.0.0.1:9") == "https://www.lcxw.cn/a.html"
    assert portal_url("http://127.0.0.1:9/robots.txt", "http://127.0.0.1:9") == "http://127.0.0.1:9/robots.txt"
