"""The HTML pages (without a browser): what each shows, escaping, redirects, errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import psycopg
import pytest

from tests.web.archive import REVISED_PARAGRAPH


class Outline(HTMLParser):
    """Counts of tags and the text of each h1."""

    def __init__(self):
        super().__init__()
        self.tags: dict[str, int] = {}
        self.h1: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self._in_h1 = self._in_h1 or tag == "h1"
        if tag == "h1":
            self.h1.append("")

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1[-1] += data


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path, heading", [("/", "Stories"), ("/search", "Search"), ("/search?q=临清", "Search"),
                                           ("/portals", "Portals"), ("/runs", "Crawl runs"),
                                           ("/runs?spider=lcxw", "Crawl runs of lcxw")])
def test_each_page_has_one_h1_landmarks_and_no_script(client, path, heading):
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = outline(response.text)
    assert page.h1 == [heading]
    assert page.tags.get("main") == 1 and page.tags.get("nav", 0) >= 1 and page.tags.get("header") == 1
    assert "script" not in page.tags and "style" not in page.tags and " style=" not in response.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", response.text.split("<main", 1)[0])


def test_text_is_escaped_everywhere(client, facts):
    for path in ("/", f"/story/{facts.stories['escaped']}", "/search?q=景阳冈", "/search?q=<script>"):
        html = client.get(path).text
        assert "<script>" not in html and "&lt;script&gt;" in html, path
    story = client.get(f"/story/{facts.stories['escaped']}").text
    assert "&lt;b&gt;不是标签&lt;/b&gt; &amp; “引号”" in story


def test_search_page_marks_the_terms(client, facts):
    html = client.get("/search", params={"q": "临清轴承"}).text
    assert f'href="/story/{facts.stories["canal"]}"' in html
    assert "<mark>临清轴承</mark>" in html


def test_a_guillemet_of_the_body_is_not_taken_for_a_mark(client):
    # the body reads 书名号《聊城日报》和书名号«外文»; api.search_snippet wraps terms in «…» too
    html = client.get("/search", params={"q": "书名号 外文"}).text
    assert "<mark>书名号</mark>《聊城日报》和<mark>书名号</mark>«<mark>外文</mark>»" in html
    html = client.get("/search", params={"q": "书名号"}).text
    assert "<mark>书名号</mark>«外文»" in html


def test_story_page_shows_fields_copies_and_the_revision_diff(client, facts):
    html = client.get(f"/story/{facts.stories['industry']}").text
    assert outline(html).h1 == ["高新区产业发展提质增效"]
    for text in ("聊城日报", "刘进华", "张路", "王芳", REVISED_PARAGRAPH[:20]):
        assert text in html
    assert html.count('class="copy-link"') == 2
    assert 'href="https://www.lcxw.cn/yaowen/shehui/20260122/151679.html"' in html
    assert 'href="https://www.yybnet.net/linqing/news/202601/22/1.html"' in html
    assert "revision 1 → 2" in html
    diff = html.split('class="diff"', 1)[1]
    assert "<del>" in diff and "<ins>" in diff and 'class="changed"' in diff


def test_an_imported_copy_without_a_web_address_is_not_a_link(client, facts, archive_url):
    import psycopg

    with psycopg.connect(archive_url, autocommit=True) as conn:
        conn.execute("UPDATE articles SET url = 'file:///liaocheng_news/seeds/000.txt' WHERE id = %s",
                     (facts.articles["orchard"],))
    html = client.get(f"/story/{facts.stories['orchard']}").text
    assert "file:///liaocheng_news/seeds/000.txt" in html and 'href="file:' not in html


def test_merged_story_id_redirects_permanently(client, facts):
    response = client.get(f"/story/{facts.merged_id}")
    assert response.status_code == 301 and response.headers["location"] == f"/story/{facts.stories['canal']}"


@pytest.mark.parametrize("path, status, words", [
    ("/story/999999", 404, "no story 999999"),
    ("/story/abc", 404, "Not Found"),
    ("/?since=yesterday", 400, "since wants a date"),
    ("/?before=zzz", 400, "not a position"),
    ("/runs?before=-4", 400, "before"),
    ("/nowhere", 404, "Not Found"),
])
def test_errors_are_pages_that_say_why(client, path, status, words):
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert words in response.text and outline(response.text).h1


def test_stories_page_filters_and_next_page_link(client, facts):
    html = client.get("/", params={"portal": "achie"}).text
    assert f'href="/story/{facts.stories["orchard"]}"' in html and f'href="/story/{facts.stories["canal"]}"' not in html
    assert '<option value="achie" selected>' in html
    assert 'rel="next"' not in html


def test_portals_page_draws_a_point_per_day_and_marks_attention(client):
    html = client.get("/portals").text
    rows = dict(re.findall(r'<tr id="portal-([a-z_]+)" class="([a-z]+)"', html))
    assert rows["lcxw"] == "healthy" and rows["yybnet"] == "attention" and rows["achie"] == "attention"
    lcxw = html.split('id="portal-lcxw"', 1)[1].split("</tr>", 1)[0]
    assert lcxw.count('<circle class="point"') == 30
    assert '<td class="drift"><span>ok</span>' in lcxw  # its last drift check passed
    yybnet = html.split('id="portal-yybnet"', 1)[1].split("</tr>", 1)[0]
    assert '<span class="alert">broken</span>' in yybnet and "the article&#39;s parser read no body" in yybnet
    assert "needs attention" in yybnet and "<li>40% of requests failed (limit 20%)</li>" in yybnet
    assert "shutdown <span class=\"muted\">(2 requests failed)</span>" in yybnet
    achie = html.split('id="portal-achie"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="drift">never</td>' in achie


def test_runs_page_lists_runs_with_their_stats(client, facts):
    html = client.get("/runs").text
    assert html.index(f">{facts.runs['yybnet']}<") < html.index(f">{facts.runs['lcxw']}<")
    assert '<span class="alert">shutdown</span>' in html


def test_the_stylesheet_is_served_by_the_site(client):
    response = client.get("/static/site.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    assert "url(" not in response.text and "@import" not in response.text


def test_an_archive_without_the_drift_view_says_so(facts):
    """An archive migrated before 0006 has no api.drift_checks: the drift column says it cannot be
    shown (it is not "never"), and the rest of the page is there."""
    from fastapi.testclient import TestClient

    from liaocheng_news.web.app import create_app

    with psycopg.connect(facts.url, autocommit=True) as conn:
        conn.execute("DROP VIEW api.drift_checks")
    with TestClient(create_app(facts.url)) as client:
        got = client.get("/api/portals").json()
        html = client.get("/portals").text
    assert got["drift_checks_shown"] is False
    assert all(p["last_drift_check"] is None for p in got["portals"])
    lcxw = html.split('id="portal-lcxw"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="drift"><span class="muted">not shown by this archive</span></td>' in lcxw
    assert '<circle class="point"' in lcxw
