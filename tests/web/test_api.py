"""The JSON under /api/ against a real archive (tests/web/archive.py), through the app's reader pool."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from liaocheng_news.portals import PORTALS
from tests.helpers import PARAGRAPHS
from tests.web.archive import CANAL, REVISED_PARAGRAPH

SH = ZoneInfo("Asia/Shanghai")


def test_stories_newest_first_with_portals_and_copies(client, facts):
    got = client.get("/api/stories").json()
    ids = [s["id"] for s in got["stories"]]
    # 2026-01-22 (industry), 2025-06-14 (canal), 2024-12-01 (escaped), 2024-10-11 (orchard), then undated
    assert ids == [facts.stories[n] for n in ("industry", "canal", "escaped", "orchard", "winter")]
    assert got["next"] is None
    industry = got["stories"][0]
    assert industry["title"] == "高新区产业发展提质增效"
    assert industry["portals"] == ["lcxw", "yybnet"] and industry["copies"] == 2
    assert industry["portal"] == "lcxw"  # the origin portal's copy is canonical
    assert industry["published_at"] == "2026-01-22T11:02:37+08:00"
    assert got["stories"][-1]["published_at"] is None


@pytest.mark.parametrize("query, names", [
    ("portal=yybnet", ["industry"]),
    ("channel=今日临清", ["industry"]),
    ("portal=achie&channel=产业规划", ["escaped", "orchard"]),
    ("since=2024-12-01&until=2025-06-14", ["canal", "escaped"]),
    ("until=2024-11-30", ["orchard"]),
    ("since=&until=&portal=&channel=", ["industry", "canal", "escaped", "orchard", "winter"]),
    ("portal=nowhere", []),
])
def test_stories_filters(client, facts, query, names):
    got = client.get(f"/api/stories?{query}").json()
    assert [s["id"] for s in got["stories"]] == [facts.stories[n] for n in names]


def test_with_a_portal_a_row_is_the_copy_there(client, facts):
    [row] = client.get("/api/stories?portal=yybnet").json()["stories"]
    assert row["id"] == facts.stories["industry"] and row["article_id"] == facts.articles["copy"]
    assert row["portal"] == "yybnet" and row["published_at"] == "2026-01-22T12:00:00+08:00"
    assert row["portals"] == ["lcxw", "yybnet"] and row["copies"] == 2


def test_stories_pages_follow_on_without_repeats(client):
    whole = [s["id"] for s in client.get("/api/stories").json()["stories"]]
    seen, before = [], None
    while True:
        page = client.get("/api/stories", params={"limit": 2, **({"before": before} if before else {})}).json()
        assert len(page["stories"]) <= 2
        seen += [s["id"] for s in page["stories"]]
        before = page["next"]
        if before is None:
            break
    assert seen == whole


@pytest.mark.parametrize("query, status, words", [
    ("since=2024-13-01", 400, "since wants a date"),
    ("since=2025-01-02&until=2025-01-01", 400, "since is after until"),
    ("before=abc", 400, "not a position"),
    ("before=1.99999999999999999999", 400, "not a position"),
    ("limit=0", 422, "limit"),
    ("limit=1000", 422, "limit"),
])
def test_stories_bad_parameters_are_clear_errors(client, query, status, words):
    response = client.get(f"/api/stories?{query}")
    assert response.status_code == status
    assert words in response.json()["detail"]


def test_story_has_every_copy_and_revision(client, facts):
    got = client.get(f"/api/stories/{facts.stories['industry']}").json()
    assert got["copies"] == 2 and got["portals"] == ["lcxw", "yybnet"]
    canonical, other = got["articles"]
    assert canonical["is_canonical"] and canonical["id"] == facts.articles["industry"]
    assert canonical["body"].split("\n")[1] == REVISED_PARAGRAPH and canonical["revision"] == 2
    assert (canonical["source"], canonical["authors"], canonical["editor"], canonical["reviewer"]) == (
        "聊城日报", ["刘进华"], "张路", "王芳")
    assert other["portal"] == "yybnet" and other["url"] == "https://www.yybnet.net/linqing/news/202601/22/1.html"
    assert not other["is_canonical"] and other["extraction"] == "portal" and "template" in other
    assert set(canonical["normalisation"]) >= {"converted_from_traditional", "spam_removed"} or canonical["normalisation"] == {}
    [revision] = got["revisions"]
    assert revision["article_id"] == canonical["id"] and revision["revision"] == 1
    assert revision["body"].split("\n") == PARAGRAPHS


def test_print_fields_of_a_copy(client, facts):
    got = client.get(f"/api/stories/{facts.stories['orchard']}").json()
    [copy] = got["articles"]
    assert (copy["edition"], copy["page_no"], copy["page_name"]) == ("聊城日报", "3", "县域经济")
    assert got["revisions"] == []


def test_a_merged_story_id_redirects_to_the_live_story(client, facts):
    response = client.get(f"/api/stories/{facts.merged_id}")
    assert response.status_code == 301
    assert response.headers["location"] == f"/api/stories/{facts.stories['canal']}"
    assert client.get(response.headers["location"]).json()["articles"][0]["body"].split("\n") == CANAL


@pytest.mark.parametrize("story_id", ["999999", "0", "-1", "99999999999999999999"])
def test_an_unknown_story_is_404(client, story_id):
    response = client.get(f"/api/stories/{story_id}")
    assert response.status_code in (404, 422)
    assert response.json()["detail"]


def test_search_finds_and_marks_terms(client, facts):
    got = client.get("/api/search", params={"q": "临清轴承"}).json()
    assert got["terms"] == ["临清轴承"]
    [hit] = got["hits"]
    assert hit["story_id"] == facts.stories["canal"] and hit["article_id"] == facts.articles["canal"]
    assert "«临清轴承»" in hit["snippet"]
    assert client.get("/api/search", params={"q": "高新区", "limit": 1}).json()["hits"][0]["story_id"] == \
        facts.stories["industry"]


def test_search_takes_any_text(client, facts):
    for q in ("", "'; DROP TABLE articles; --", "％２０", "a" * 200, "《》«»"):
        response = client.get("/api/search", params={"q": q})
        assert response.status_code == 200, q
        assert response.json()["hits"] == []
    [hit] = client.get("/api/search", params={"q": "<SCRIPT>"}).json()["hits"]  # a word of a title
    assert hit["story_id"] == facts.stories["escaped"] and hit["title"].startswith("<script>alert('x')</script>")
    assert client.get("/api/search", params={"q": "a" * 201}).status_code == 422
    assert client.get("/api/search", params={"q": "临\x00清"}).json() == {"detail": "the search cannot contain a NUL character"}
    assert client.get("/api/stories", params={"portal": "\x00"}).status_code == 400
    assert client.get("/api/search").status_code == 422


def test_portals_report(client, facts):
    got = client.get("/api/portals").json()
    today = facts.now.astimezone(SH).date()
    assert date.fromisoformat(got["today"]) == today and (got["days"], got["fill_days"]) == (30, 7)
    portals = {p["portal"]: p for p in got["portals"]}
    assert {"lcxw", "yybnet", "achie", "lcrb", "liaocheng_gov"} <= set(portals)
    lcxw = portals["lcxw"]
    assert lcxw["last_run"] == {**lcxw["last_run"], "id": facts.runs["lcxw"], "status": "finished", "pages": 7,
                                "articles": 5, "errors": 0, "fallbacks": 1}
    days = [date.fromisoformat(d["day"]) for d in lcxw["per_day"]]
    assert days == [today - timedelta(days=29 - i) for i in range(30)]
    counts = {date.fromisoformat(d["day"]): d["articles"] for d in lcxw["per_day"] if d["articles"]}
    assert counts == {today: 2, (facts.now - timedelta(days=3)).astimezone(SH).date(): 1}
    assert lcxw["window_articles"] == 3 and lcxw["fill_articles"] == 3 and lcxw["last_new_day"] == str(today)
    assert lcxw["fill_rates"]["editor"] == pytest.approx(1 / 3) and lcxw["fill_rates"]["title"] == 1
    assert lcxw["fill_rates"]["published_at"] == pytest.approx(2 / 3)
    assert lcxw["attention"] == [] and lcxw["kind"] == "origin"
    # the last check-portals result of each portal (lcxw broke, then passed again)
    assert got["drift_checks_shown"] is True
    assert {k: lcxw["last_drift_check"][k] for k in ("verdict", "detail", "replay")} == \
        {"verdict": "ok", "detail": "", "replay": False}
    assert portals["yybnet"]["last_drift_check"]["verdict"] == "broken"
    assert portals["yybnet"]["last_run"]["detail"] == "2 requests failed" and lcxw["last_run"]["detail"] is None
    assert portals["achie"]["last_drift_check"] is None
    # needs attention: what `liaocheng-news status` says, with its thresholds (the "*" entry here)
    assert portals["yybnet"]["attention"] == ["40% of requests failed (limit 20%)",
                                              "no new article for 72 h (limit 48 h)",
                                              "drift check broken: the article's parser read no body"]
    assert portals["achie"]["attention"] == ["never crawled"] and portals["achie"]["last_run"] is None
    # its last article was first seen 40 days ago (read from its own rows: none in the last 7 days)
    assert portals["lcrb"]["attention"] == ["no new article for 960 h (limit 48 h)"]
    assert portals["lcrb"]["kind"] == "epaper"
    assert portals["lcrb"]["fill_rates"]["title"] is None and portals["lcrb"]["fill_articles"] == 0
    assert portals["lcrb"]["last_new_day"] is None  # its copies were first seen 40 days ago


def test_portals_report_of_a_portal_silent_for_days_within_the_chart(facts):
    """A portal whose newest article is older than the last days' rows (read for the fill rates and
    the status figures) but within the chart's 30 days: its count and its silence come from the
    chart's counts (the index on first_seen), its silence from db.health's figures (the portal's
    newest article), and it has no fill rates."""
    from fastapi.testclient import TestClient

    from liaocheng_news.web.app import create_app
    from tests.db.test_archive import _with_archive
    from tests.helpers import article, run

    then = facts.now - timedelta(days=12, hours=5)

    async def store(archive):
        run_id = await archive.start_run("dzwww_liaocheng")
        await archive.finish_run(run_id, "finished", {"pages_fetched": 2, "articles_fetched": 0, "errors": 0,
                                                      "fallback_extractions": 0, "items_stored": 0})
        await archive.store([article("http://www.dzwww.com/shandong/sdnews/201701/t20170101_1.htm",
                                     portal="dzwww_liaocheng", title="聊城冬日暖阳", body=CANAL[:2],
                                     channel="聊城新闻", fetched_at=then)], now=then)

    run(_with_archive(facts.url, store))
    with TestClient(create_app(facts.url)) as client:
        dzwww = {p["portal"]: p for p in client.get("/api/portals").json()["portals"]}["dzwww_liaocheng"]
    counts = {date.fromisoformat(d["day"]): d["articles"] for d in dzwww["per_day"] if d["articles"]}
    assert counts == {then.astimezone(SH).date(): 1}
    assert dzwww["window_articles"] == 1 and dzwww["last_new_day"] == str(then.astimezone(SH).date())
    assert dzwww["fill_articles"] == 0 and set(dzwww["fill_rates"].values()) == {None}
    assert dzwww["attention"] == ["no new article for 293 h (limit 48 h)"]


def test_portals_lists_every_crawled_source_with_its_kind(client):
    portals = {p["portal"]: p for p in client.get("/api/portals").json()["portals"]}
    sources = {name: p.kind for name, p in PORTALS.items() if p.hosts}
    assert len(sources) == 21  # the built-in sources (tests run without an operator's sources file)
    assert {name: portals[name]["kind"] for name in sources} == sources
    assert all(portals[name]["crawled"] for name in sources)


def test_attention_follows_the_thresholds_of_the_settings(facts):
    """The same archive judged with other limits: the site applies the settings' PORTAL_THRESHOLDS
    per portal, as `liaocheng-news status` does."""
    from fastapi.testclient import TestClient

    from liaocheng_news.ops.cli import project_settings
    from liaocheng_news.web.app import create_app

    settings = project_settings({"PORTAL_THRESHOLDS": {"*": {"max_silence_hours": 24},
                                                       "yybnet": {"max_silence_hours": 24 * 7, "max_error_rate": 0.5}}})
    with TestClient(create_app(facts.url, settings=settings)) as client:
        portals = {p["portal"]: p for p in client.get("/api/portals").json()["portals"]}
    assert portals["yybnet"]["attention"] == ["drift check broken: the article's parser read no body"]
    assert portals["lcxw"]["attention"] == []


def test_runs_newest_first_with_stats_and_pages(client, facts):
    got = client.get("/api/runs").json()
    assert [r["id"] for r in got["runs"]] == [facts.runs[s] for s in ("yybnet", "lcxw", "lcrb")]
    assert got["next"] is None
    assert got["runs"][0]["status"] == "shutdown" and got["runs"][0]["stats"]["errors"] == 2
    first = client.get("/api/runs", params={"limit": 1}).json()
    assert [r["id"] for r in first["runs"]] == [facts.runs["yybnet"]] and first["next"] == facts.runs["yybnet"]
    rest = client.get("/api/runs", params={"limit": 1, "before": first["next"]}).json()
    assert [r["id"] for r in rest["runs"]] == [facts.runs["lcxw"]]
    assert [r["spider"] for r in client.get("/api/runs", params={"spider": "lcxw"}).json()["runs"]] == ["lcxw"]


def test_openapi_describes_the_json_and_nothing_else(client):
    spec = client.get("/api/openapi.json").json()
    assert set(spec["paths"]) == {"/api/stories", "/api/stories/{story_id}", "/api/search", "/api/portals", "/api/runs"}
    assert {"StoryList", "Story", "Copy", "Revision", "SearchResults", "PortalsReport", "RunList"} <= set(
        spec["components"]["schemas"])
    params = {p["name"] for p in spec["paths"]["/api/stories"]["get"]["parameters"]}
    assert params == {"portal", "channel", "since", "until", "before", "limit"}
    assert client.get("/docs").status_code == 404  # the docs UI would load scripts from a CDN


def test_the_site_reads_as_the_reader_role_and_cannot_write(client, facts):
    app = client.app.state
    assert app.reader.role == "liaocheng_news_reader"

    async def try_writes():
        failures = []
        async with app.pool.connection() as conn:
            for statement in ("INSERT INTO public.crawl_runs (spider) VALUES ('x')", "SELECT count(*) FROM public.articles",
                              "CREATE TABLE web_was_here (x int)"):
                try:
                    await conn.execute(statement)
                except psycopg.Error as exc:
                    failures.append(type(exc).__name__)
            async with conn.transaction():  # even a transaction asking for read-write is refused a write
                try:
                    await conn.execute("SET TRANSACTION READ WRITE")
                    await conn.execute("INSERT INTO public.crawl_runs (spider) VALUES ('x')")
                except psycopg.Error as exc:
                    failures.append(type(exc).__name__)
                    raise psycopg.Rollback() from None
        return failures

    # read-only transactions refuse the writes; the role refuses the internal table, and the write
    # of a transaction that asked to be read-write
    assert client.portal.call(try_writes) == ["ReadOnlySqlTransaction", "InsufficientPrivilege",
                                              "ReadOnlySqlTransaction", "InsufficientPrivilege"]
    with psycopg.connect(facts.url) as conn:
        assert conn.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 3


def test_every_response_carries_the_security_headers(client, facts):
    for path in ("/", "/api/stories", "/static/site.css", "/nowhere", f"/story/{facts.merged_id}"):
        headers = client.get(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'; script-src 'none'"), path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
