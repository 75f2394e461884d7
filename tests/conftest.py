"""Shared test fixtures: a real PostgreSQL archive for every test that needs one.

The suite uses a throwaway embedded PostgreSQL (pgserver) unless LIAOCHENG_NEWS_DATABASE_URL
points at another server.  A template database is migrated once per session; each test gets
its own database cloned from it, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from liaocheng_news.db import migrate as migrations
from liaocheng_news.db import layout
from liaocheng_news.db.server import delete_data, stop_embedded, throwaway_server

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
TEMPLATE = "lcn_test_template"
_counter = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _no_archive_outlives_the_session(tmp_path_factory):
    """Run by root, an archive whose home the ``pgserver`` user cannot reach (pytest's own folders
    are 0700) keeps its data in a folder of its own under /var/lib, linked from the home: removing
    the home does not remove it.  At the session's end, every such archive of a home in the
    session's folders is stopped (by its pid file) and deleted, as ``db.server.delete_data`` does."""
    yield
    base = tmp_path_factory.getbasetemp()
    for link in base.rglob("pgdata"):
        if link.is_symlink() and link.resolve().is_relative_to(layout.DEDICATED_ROOT):
            stop_embedded(link.resolve())
            delete_data(link.parent)


@pytest.fixture(scope="session")
def pg_admin_url():
    """A superuser URL on a server the tests may create databases on."""
    url = os.environ.get("LIAOCHENG_NEWS_DATABASE_URL")
    if url:
        yield url
        return
    with throwaway_server(prefix="lcn-test-pg-") as url:
        yield url


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


@pytest.fixture(scope="session")
def pg_template(pg_admin_url):
    """A migrated template database, made once a session."""
    name = f"{TEMPLATE}_{uuid.uuid4().hex[:8]}"
    with _admin(pg_admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    async def _migrate():
        async with await psycopg.AsyncConnection.connect(make_conninfo(pg_admin_url, dbname=name)) as c:
            await migrations.migrate(c)

    asyncio.run(_migrate())
    yield name
    with _admin(pg_admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _new_database(pg_admin_url: str, template: str) -> tuple[str, str]:
    name = f"lcn_t{os.getpid()}_{next(_counter)}"
    with _admin(pg_admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name, make_conninfo(pg_admin_url, dbname=name)


@pytest.fixture
def archive_url(pg_admin_url, pg_template):
    """A fresh, migrated archive database for one test (its URL / conninfo string)."""
    name, url = _new_database(pg_admin_url, pg_template)
    yield url
    with _admin(pg_admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_database_url(pg_admin_url):
    """A fresh database with no schema at all (for migration tests)."""
    name, url = _new_database(pg_admin_url, "template1")
    yield url
    with _admin(pg_admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
