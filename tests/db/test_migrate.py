import asyncio

import psycopg
import pytest

from liaocheng_news.db import migrate as migrations


def run(coro):
    return asyncio.run(coro)


async def _migrate(url, target=None):
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return await migrations.migrate(conn, target=target)


async def _versions(url):
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return await migrations.applied_versions(conn)


def test_fresh_database_gets_every_migration_once(empty_database_url):
    every = [m.version for m in migrations.available()]
    assert run(_migrate(empty_database_url)) == every
    assert run(_versions(empty_database_url)) == every
    # a second start applies nothing
    assert run(_migrate(empty_database_url)) == []
    with psycopg.connect(empty_database_url) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert {"articles", "article_revisions", "crawl_runs", "stories", "article_passages", "story_redirects", "schema_migrations"} <= tables


def test_upgrade_from_an_older_schema_applies_only_the_rest(empty_database_url):
    every = [m.version for m in migrations.available()]
    assert run(_migrate(empty_database_url, target=1)) == [1]
    assert run(_migrate(empty_database_url)) == every[1:]
    assert run(_versions(empty_database_url)) == every


def test_a_newer_schema_than_the_code_refuses_to_start(archive_url):
    with psycopg.connect(archive_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')")
    with pytest.raises(migrations.SchemaTooNew, match="newer than this code"):
        run(_migrate(archive_url))


def test_concurrent_starters_apply_each_migration_once(empty_database_url):
    async def both():
        return await asyncio.gather(_migrate(empty_database_url), _migrate(empty_database_url))

    first, second = run(both())
    assert sorted(first + second) == [m.version for m in migrations.available()]
