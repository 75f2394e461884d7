"""The render middleware's decisions, without a browser: what is rendered, escalated, refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from liaocheng_news.middlewares.render import (
    RenderMiddleware,
    browser_problem,
    launch_options,
    looks_like_app_shell,
    replay_target,
    visible_text_length,
)
from liaocheng_news.middlewares.replay import META_KEY as REPLAY_KEY
from liaocheng_news.spiders.base import PortalSpider

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HERE = Path(__file__).resolve().parent
LCXW_ARTICLE = "http://www.lcxw.cn/yaowen/shehui/20260122/151679.html"
HANDLERS = {"http": "liaocheng_news.middlewares.render.LazyPlaywrightDownloadHandler",
            "https": "liaocheng_news.middlewares.render.LazyPlaywrightDownloadHandler"}


class LcxwLike(PortalSpider):
    name = "lcxw"


def middleware(**settings) -> RenderMiddleware:
    values = {"DOWNLOAD_HANDLERS": HANDLERS, "CHROMIUM_EXECUTABLE": "/bin/sh", **settings}
    crawler = get_crawler(LcxwLike, values)
    crawler.spider = LcxwLike()
    crawler.stats.open_spider()
    return RenderMiddleware.from_crawler(crawler)


def html_response(url: str, body: bytes, request: Request | None = None) -> HtmlResponse:
    return HtmlResponse(url, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                        request=request or Request(url))


def test_launch_options_use_the_system_chromium_and_keep_the_sandbox_unless_root():
    as_user = launch_options("/usr/bin/chromium", as_root=False)
    assert as_user["executable_path"] == "/usr/bin/chromium" and as_user["headless"] is True
    assert "--no-sandbox" not in as_user["args"]
    assert {"--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run"} <= set(as_user["args"])
    assert "--no-sandbox" in launch_options("/usr/bin/chromium", as_root=True)["args"]


def test_browser_problem_names_a_missing_browser(tmp_path):
    assert browser_problem("/bin/sh") is None
    assert "no browser at /nowhere/chromium" in browser_problem("/nowhere/chromium")
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    assert "not executable" in browser_problem(str(not_executable))
    assert "no browser configured" in browser_problem("")


def test_app_shells_are_told_from_pages():
    assert looks_like_app_shell((HERE / "escalation" / "article-shell.html").read_text(encoding="utf-8"))
    assert looks_like_app_shell((FIXTURES / "lcxw_app" / "shell-article.html").read_text(encoding="utf-8"))
    assert not looks_like_app_shell((FIXTURES / "lcxw" / "article-20260122-151679.html").read_text(encoding="utf-8"))
    assert not looks_like_app_shell("<p>short, but no script at all</p>")


def test_visible_text_is_the_body_without_scripts_styles_tags_entities_or_spaces():
    head = "<head><title>一个很长的标题" + "字" * 300 + "</title><script>var x = 1;</script></head>"
    body = ("<body><script>document.write('不算')</script><style>p{color:red}</style>"
            "<div>正文 一二&nbsp;三</div><!-- --><p>&lt;四&gt;</p></body>")
    assert visible_text_length("<html>" + head + body + "</html>") == len("正文一二三四")
    assert visible_text_length("<p>no body tag: all of it counts</p>") == len("nobodytag:allofitcounts")
    # a shell whose <head> holds a long title is still a shell
    assert looks_like_app_shell("<html>" + head + "<body><div id=app></div><script src=a.js></script></body></html>")


def test_replay_target_keeps_scheme_host_path_and_query():
    assert (replay_target("http://127.0.0.1:9/", "https://app.lcxw.cn/api/article/detail?id=7")
            == "http://127.0.0.1:9/https/app.lcxw.cn/api/article/detail?id=7")
    assert replay_target("http://127.0.0.1:9", "http://127.0.0.1:9/https/app.lcxw.cn/") is None
    assert replay_target("http://127.0.0.1:9", "data:text/plain,x") is None


def test_needs_browser_portals_and_render_meta_go_to_playwright_others_do_not():
    mw = middleware()
    app = Request("http://127.0.0.1:9/https/app.lcxw.cn/share/article.html?id=1",
                  meta={REPLAY_KEY: "https://app.lcxw.cn/share/article.html?id=1"})
    static = Request(LCXW_ARTICLE)
    asked = Request(LCXW_ARTICLE, meta={"render": True})
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


def test_without_a_browser_render_requests_are_dropped_counted_and_named():
    mw = middleware(CHROMIUM_EXECUTABLE="/nowhere/chromium")
    with pytest.raises(IgnoreRequest, match="no browser at /nowhere/chromium"):
        mw.process_request(Request("https://app.lcxw.cn/share/list.html?channel=latest"))
    assert mw.process_request(Request(LCXW_ARTICLE)) is None  # static pages still download
    assert mw.stats.get_value("render/unavailable") == 1
    assert mw.unrendered == ["https://app.lcxw.cn/share/list.html?channel=latest"]


def test_without_the_playwright_handler_nothing_is_sent_to_playwright():
    mw = middleware(DOWNLOAD_HANDLERS={})
    assert "scrapy-playwright" in mw.problem
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request("https://app.lcxw.cn/share/list.html?channel=latest"))


def test_an_article_url_answered_by_an_app_shell_is_requested_again_with_the_browser():
    mw = middleware(REPLAY_URL="http://127.0.0.1:9")
    replayed = "http://127.0.0.1:9/http/www.lcxw.cn/yaowen/shehui/20260122/151679.html"
    request = Request(replayed, meta={REPLAY_KEY: LCXW_ARTICLE}, cb_kwargs={"channel": "要闻/社会"})
    shell = (HERE / "escalation" / "article-shell.html").read_bytes()
    again = mw.process_response(request, html_response(replayed, shell, request))
    assert isinstance(again, Request)
    assert again.url == LCXW_ARTICLE and again.dont_filter
    assert again.meta["render"] is True and again.meta["render_reason"] == "escalation"
    assert REPLAY_KEY not in again.meta and again.cb_kwargs == {"channel": "要闻/社会"}
    # the escalated request is counted when it goes to the browser, and is never escalated twice
    assert mw.process_request(again) is None and again.meta["playwright"]
    assert mw.stats.get_value("render/escalations") == 1
    rendered = html_response(LCXW_ARTICLE, shell, again)
    assert mw.process_response(again, rendered) is rendered


@pytest.mark.parametrize("url, body", [
    (LCXW_ARTICLE, (FIXTURES / "lcxw" / "article-20260122-151679.html").read_bytes()),  # a real page
    ("https://www.lcxw.cn/yaowen/shehui/index.html", (HERE / "escalation" / "article-shell.html").read_bytes()),  # not an article URL
])
def test_pages_and_non_articles_are_passed_on(url, body):
    mw = middleware()
    response = html_response(url, body)
    assert mw.process_response(response.request, response) is response
    assert mw.stats.get_value("render/escalations") is None


def test_an_app_shell_without_a_browser_is_passed_on_and_reported():
    mw = middleware(CHROMIUM_EXECUTABLE="/nowhere/chromium")
    response = html_response(LCXW_ARTICLE, (HERE / "escalation" / "article-shell.html").read_bytes())
    assert mw.process_response(response.request, response) is response
    assert mw.stats.get_value("render/unavailable") == 1


def test_escalation_can_be_switched_off():
    mw = middleware(RENDER_ESCALATION=False)
    response = html_response(LCXW_ARTICLE, (HERE / "escalation" / "article-shell.html").read_bytes())
    assert mw.process_response(response.request, response) is response

