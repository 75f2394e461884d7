"""The api schema (migration 0004): applied to a fresh and to an existing archive, every view and
column described, views that answer what a consumer asks."""

import asyncio
from datetime import datetime, timedelta, timezone

import psycopg
from psycopg.rows import dict_row

from liaocheng_news.db import migrate as migrations
from liaocheng_news.db.search import search_keys
from tests.db.test_feed import _read, _with_archive, story_article
from tests.helpers import article, run

T0 = datetime(2025, 6, 1, tzinfo=timezone.utc)


async def _migrate(url, target=None):
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return await migrations.migrate(conn, target=target)


def test_an_existing_archive_is_numbered_in_the_order_it_changed(empty_database_url):
    """Rows written before 0004 get change_seq by time (a revision before the version that replaced
    it), search documents equal to the store's, and the triggers number what comes after."""
    url = empty_database_url
    run(_migrate(url, target=3))
    with psycopg.connect(url) as conn:
        run_id = conn.execute("INSERT INTO crawl_runs (spider) VALUES ('lcxw') RETURNING id").fetchone()[0]
        ids = {}
        for name, changed in (("late", T0 + timedelta(days=3)), ("early", T0), ("revised", T0 + timedelta(days=2))):
            ids[name] = conn.execute(
                "INSERT INTO articles (url, portal, title, subtitle, body, content_hash, last_changed, crawl_run_id) "
                "VALUES (%s, 'lcxw', %s, '副题', '临清市轴承产业。', 'h', %s, %s) RETURNING id",
                (f"https://www.lcxw.cn/{name}.html", f"{name}标题", changed, run_id)).fetchone()[0]
        story = conn.execute("INSERT INTO stories (canonical_article_id) VALUES (%s) RETURNING id",
                             (ids["early"],)).fetchone()[0]
        conn.execute("UPDATE articles SET story_id = %s", (story,))
        conn.execute(
            "INSERT INTO article_revisions (article_id, revision, title, body, content_hash, valid_from, superseded_at) "
            "VALUES (%s, 1, '旧标题', '旧正文', 'old', %s, %s)", (ids["revised"], T0 + timedelta(days=1), T0 + timedelta(days=2)))
    assert run(_migrate(url)) == [m.version for m in migrations.available() if m.version > 3]

    with psycopg.connect(url) as conn:
        order = conn.execute("SELECT kind, id FROM (SELECT 'article' AS kind, id, change_seq FROM api.articles "
                             "UNION ALL SELECT 'revision', article_id, change_seq FROM api.revisions) x "
                             "ORDER BY change_seq").fetchall()
        seqs = [r[0] for r in conn.execute("SELECT change_seq FROM articles UNION ALL "
                                           "SELECT change_seq FROM article_revisions ORDER BY 1")]
        docs = conn.execute("SELECT a.title, a.subtitle, a.body, s.tokens, s.published_at IS NOT DISTINCT FROM "
                            "a.published_at FROM articles a JOIN article_search s ON s.article_id = a.id").fetchall()
        assert len(docs) == 3
        for title, subtitle, body, stored, same_time in docs:
            assert stored == search_keys(title, subtitle, body).tolist() and same_time
    assert order == [("article", ids["early"]), ("revision", ids["revised"]), ("article", ids["revised"]),
                     ("article", ids["late"])]
    assert seqs == [1, 2, 3, 4]

    async def add(archive):
        await archive.store([story_article(1)])
    run(_with_archive(url, add))
    records, last = run(_read(url, 4))
    assert [r["change_seq"] for r in records] == [5] and last == 5


def test_a_fresh_archive_has_the_api_and_an_empty_feed(empty_database_url):
    run(_migrate(empty_database_url))
    records, last = run(_read(empty_database_url, 0, revisions=True))
    assert records == [] and last == 0
    with psycopg.connect(empty_database_url) as conn:
        assert conn.execute("SELECT api.version()").fetchone()[0] == 1
        assert conn.execute("SELECT nextval('archive_change_seq')").fetchone()[0] == 1


def test_two_archives_on_one_server_migrate_side_by_side(empty_database_url, pg_admin_url):
    """The reader role is the server's: a second archive's migration finds it and grants again."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    other = f"{conninfo_to_dict(empty_database_url)['dbname']}_twin"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{other}"')
        admin.execute(f'CREATE DATABASE "{other}"')
    try:
        other_url = make_conninfo(pg_admin_url, dbname=other)

        async def both():
            return await asyncio.gather(_migrate(empty_database_url), _migrate(other_url))
        first, second = run(both())
        assert first == second == [m.version for m in migrations.available()]
        for url in (empty_database_url, other_url):
            with psycopg.connect(url) as conn:
                assert conn.execute("SELECT has_table_privilege('liaocheng_news_reader', 'api.articles', "
                                    "'SELECT')").fetchone()[0]
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')


def test_every_api_view_column_and_function_is_described(archive_url):
    with psycopg.connect(archive_url) as conn:
        undescribed_views = conn.execute("""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'api' AND c.relkind = 'v' AND obj_description(c.oid, 'pg_class') IS NULL""").fetchall()
        undescribed_columns = conn.execute("""
            SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = 'api' AND col_description(c.oid, a.attnum) IS NULL""").fetchall()
        undescribed_functions = conn.execute("""
            SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'api' AND obj_description(p.oid, 'pg_proc') IS NULL""").fetchall()
        schema = conn.execute("SELECT obj_description('api'::regnamespace, 'pg_namespace')").fetchone()[0]
    assert (undescribed_views, undescribed_columns, undescribed_functions) == ([], [], [])
    assert "version 1" in schema and "api_v2" in schema


# What the api schema holds, exactly: a view or function added to (or dropped from) api is a change
# of the consumers' contract, so it is added here on purpose.
API_VIEWS = {"articles", "revisions", "stories", "story_ids", "crawl_runs", "portals", "drift_checks"}
API_FUNCTIONS = {"api.version()", "api.search_fold(text)", "api.search_keys(text)",
                 "api.search_document(text,text,text)", "api.search_terms(text)",
                 "api.search_snippet(text,text,integer)", "api.search(text,integer)"}


def test_the_api_holds_exactly_its_views_and_functions(archive_url):
    with psycopg.connect(archive_url) as conn:
        kinds = dict(conn.execute("SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
                                  "ON n.oid = c.relnamespace WHERE n.nspname = 'api'").fetchall())
        functions = {r[0] for r in conn.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'api'")}
        types = conn.execute("SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                             "WHERE n.nspname = 'api' AND t.typrelid = 0 AND t.typelem = 0").fetchall()
    # views only: no table, sequence or index lives in api
    assert kinds == {name: "v" for name in API_VIEWS}
    assert functions == API_FUNCTIONS
    assert types == []


def test_views_answer_for_stories_copies_portals_and_runs(archive_url):
    aggregator = article("https://www.yybnet.net/liaocheng/news/202601/9.html", portal="yybnet")
    origin = article()

    async def fill(archive):
        run_id = await archive.start_run("lcxw")
        results = await archive.store([aggregator, origin, story_article(1)], run_id=run_id)
        await archive.finish_run(run_id, "finished", {"items_stored": 3})
        return results

    results = run(_with_archive(archive_url, fill))
    story = results[0].story_id
    with psycopg.connect(archive_url, row_factory=dict_row) as conn:
        stories = conn.execute("SELECT * FROM api.stories WHERE id = %s", (story,)).fetchall()
        ids = conn.execute("SELECT * FROM api.story_ids ORDER BY id").fetchall()
        portals = conn.execute("SELECT * FROM api.portals ORDER BY portal").fetchall()
        runs = conn.execute("SELECT * FROM api.crawl_runs").fetchall()
        articles = conn.execute("SELECT portal, story_id, is_canonical, crawl_run_id FROM api.articles "
                                "ORDER BY id").fetchall()
    (s,) = stories
    assert s["copies"] == 2 and s["portals"] == ["lcxw", "yybnet"]
    assert s["canonical_article_id"] == results[1].article_id  # the origin portal's copy
    assert s["first_seen"] <= s["last_seen"]
    assert [(i["id"], i["story_id"]) for i in ids] == [(r.story_id, r.story_id) for r in (results[0], results[2])]
    assert [(p["portal"], p["articles"], p["last_run_status"]) for p in portals] == [
        ("lcxw", 2, "finished"), ("yybnet", 1, None)]
    assert runs[0]["stats"] == {"items_stored": 3} and runs[0]["status"] == "finished"
    assert [(a["portal"], a["is_canonical"]) for a in articles] == [("yybnet", False), ("lcxw", True), ("lcxw", True)]
    assert all(a["crawl_run_id"] == runs[0]["id"] for a in articles)
