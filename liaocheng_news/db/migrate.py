"""Versioned SQL migrations, applied automatically when the archive is opened.

Files ``db/migrations/NNNN_name.sql`` are applied in order, each in its own transaction,
and recorded in ``schema_migrations``.  An advisory lock serialises concurrent starters
(two crawls, two scrapyd nodes).  A database whose schema is newer than this code refuses
to be used: the code would misread it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import psycopg

from liaocheng_news.db.server import ArchiveUnavailable

MIGRATION_LOCK = 7_311_992_001  # pg_advisory_lock key for migrations
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaTooNew(ArchiveUnavailable):
    """The archive was migrated by newer code: this code refuses to read or write it."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available() -> list[Migration]:
    found = []
    for entry in resources.files("liaocheng_news.db").joinpath("migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    return found


def code_version() -> int:
    return available()[-1].version


CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


async def applied_versions(conn: psycopg.AsyncConnection) -> list[int]:
    exists = await (await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")).fetchone()
    if not exists[0]:
        return []
    rows = await (await conn.execute("SELECT version FROM schema_migrations ORDER BY version")).fetchall()
    return [r[0] for r in rows]


async def migrate(conn: psycopg.AsyncConnection, target: int | None = None) -> list[int]:
    """Apply pending migrations (up to ``target``); returns the versions applied now."""
    migrations = available()
    newest = migrations[-1].version
    await conn.set_autocommit(True)
    await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        await conn.execute(CREATE_TABLE)
        done = set(await applied_versions(conn))
        if done and max(done) > newest:
            raise SchemaTooNew(
                f"the archive's schema is version {max(done)}, newer than this code understands "
                f"(version {newest}); upgrade liaocheng-news before using this archive"
            )
        applied = []
        for m in migrations:
            if m.version in done or (target is not None and m.version > target):
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (m.version, m.name)
                )
            applied.append(m.version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
