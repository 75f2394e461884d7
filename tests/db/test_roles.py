"""The read-only role (migration 0004, db/roles.py): a reader reads api and nothing else."""

import uuid

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from liaocheng_news.db.roles import READER_GROUP, ReaderRoleError, grant_reader
from tests.db.test_feed import _with_archive, story_article
from tests.helpers import run

INTERNAL_TABLES = ("articles", "article_revisions", "article_search", "stories", "crawl_runs", "article_passages",
                   "story_redirects", "schema_migrations")


def _name():
    return f"reader_{uuid.uuid4().hex[:10]}"


def _grant(url, name, password="a-long-secret"):
    async def go():
        async with await psycopg.AsyncConnection.connect(url) as conn:
            return await grant_reader(conn, name, password)
    return run(go())


@pytest.fixture
def reader(archive_url):
    """A reader login on the test archive, and a connection as it (dropped afterwards: roles are
    cluster-wide)."""
    name = _name()
    assert _grant(archive_url, name) is True

    async def fill(archive):
        run_id = await archive.start_run("lcxw")
        await archive.store([story_article(1)], run_id=run_id)
    run(_with_archive(archive_url, fill))
    with psycopg.connect(make_conninfo(archive_url, user=name), autocommit=True) as conn:
        yield name, conn
    with psycopg.connect(archive_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_a_reader_reads_every_api_view_and_function(reader):
    name, conn = reader
    assert conn.execute("SELECT current_user").fetchone()[0] == name
    for view in ("articles", "revisions", "stories", "story_ids", "crawl_runs", "portals"):
        conn.execute(f"SELECT * FROM api.{view}").fetchall()
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1  # search_path is api
    assert len(conn.execute("SELECT * FROM api.search('新闻')").fetchall()) == 1
    assert conn.execute("SELECT api.version()").fetchone()[0] == 1
    conn.execute("LISTEN liaocheng_news_changes")


@pytest.mark.parametrize("statement", [
    *(f"SELECT * FROM public.{t}" for t in INTERNAL_TABLES),
    # api.crawl_runs is a simple, hence automatically updatable view: only privileges stop a write
    "INSERT INTO api.crawl_runs (spider) VALUES ('x')",
    "UPDATE api.crawl_runs SET status = 'x'",
    "DELETE FROM api.crawl_runs",
    "UPDATE public.articles SET title = 'x'",
    "DELETE FROM public.crawl_runs",
    "TRUNCATE public.articles",
    "SELECT nextval('public.archive_change_seq')",
    "SELECT public.archive_feed_begin()",
    "SELECT public.archive_search_tier('{1}', '{}', false, '{}', 5)",
    "SELECT public.archive_grant_reader_privileges()",
    "CREATE TABLE public.mine (x int)",
    "CREATE TABLE api.mine (x int)",
    "CREATE VIEW api.mine AS SELECT 1",
    "CREATE SCHEMA mine",
    "ALTER VIEW api.articles RENAME TO x",
    "COMMENT ON VIEW api.articles IS 'x'",
])
def test_a_reader_cannot_write_or_read_the_internal_tables(reader, statement):
    _, conn = reader
    # not merely the read-only default: the privileges are missing
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with conn.transaction():
            conn.execute("SET TRANSACTION READ WRITE")
            conn.execute(statement)


def test_a_reader_session_is_read_only_by_default(reader):
    _, conn = reader
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("CREATE TEMPORARY TABLE scratch (x int)")


def test_the_group_has_privileges_on_api_only(archive_url):
    with psycopg.connect(archive_url) as conn:
        granted = conn.execute("""
            SELECT n.nspname, c.relname, p.privilege_type
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                 aclexplode(c.relacl) AS p
            WHERE p.grantee = (SELECT oid FROM pg_roles WHERE rolname = %s)""", (READER_GROUP,)).fetchall()
        views = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.views WHERE table_schema = 'api'")}
        functions = conn.execute("""
            SELECT p.proname, has_function_privilege(%s, p.oid, 'EXECUTE')
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname IN ('api', 'public')""", (READER_GROUP,)).fetchall()
        nobody = conn.execute("SELECT has_function_privilege('public', 'api.search(text, integer)', 'EXECUTE')").fetchone()
    assert sorted(granted) == sorted(("api", v, "SELECT") for v in views)
    assert views == {"articles", "revisions", "stories", "story_ids", "crawl_runs", "portals", "drift_checks"}
    executable = {name for name, ok in functions if ok}
    assert executable and all(name.startswith("search") or name == "version" for name in executable)
    assert not [name for name, ok in functions if ok and name.startswith("archive_")]
    assert nobody == (False,)  # not every role of the server: only readers


def test_grant_reader_updates_a_reader_and_refuses_other_roles(archive_url):
    name = _name()
    try:
        assert _grant(archive_url, name, "first-password") is True
        with psycopg.connect(archive_url) as conn:
            first = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (name,)).fetchone()[0]
        assert _grant(archive_url, name, "second-password") is False
        with psycopg.connect(archive_url) as conn:
            second, member = conn.execute(
                "SELECT rolpassword, pg_has_role(rolname, %s, 'MEMBER') FROM pg_authid WHERE rolname = %s",
                (READER_GROUP, name)).fetchone()
        assert first.startswith("SCRAM-SHA-256$") and second.startswith("SCRAM-SHA-256$") and first != second
        assert "password" not in first and member
        with psycopg.connect(archive_url, autocommit=True) as conn:  # now more than a reader
            conn.execute(sql.SQL("GRANT pg_read_all_data TO {}").format(sql.Identifier(name)))
        with pytest.raises(ReaderRoleError, match="not a reader"):
            _grant(archive_url, name, "third-password")
    finally:
        with psycopg.connect(archive_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.mark.parametrize("name, password, message", [
    ("postgres", "long-enough", "reserved"),
    (READER_GROUP, "long-enough", "reserved"),
    ("pg_monitor", "long-enough", "reserved"),
    ('bad"name', "long-enough", "not a usable role name"),
    ("Upper", "long-enough", "not a usable role name"),
    ("x" * 64, "long-enough", "not a usable role name"),
    ("fine_name", "short", "at least 8"),
])
def test_bad_names_and_passwords_are_refused_before_any_change(archive_url, name, password, message):
    with pytest.raises(ReaderRoleError, match=message):
        _grant(archive_url, name, password)
    with psycopg.connect(archive_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'fine_name'").fetchone()[0] == 0


def test_a_superuser_name_is_refused(archive_url):
    name = _name()
    with psycopg.connect(archive_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} SUPERUSER").format(sql.Identifier(name)))
    try:
        with pytest.raises(ReaderRoleError, match="not a reader"):
            _grant(archive_url, name, "long-enough")
    finally:
        with psycopg.connect(archive_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
