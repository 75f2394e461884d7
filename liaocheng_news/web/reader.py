"""The site's connections: a pool that can only read, and only the ``api`` schema.

Every connection is set up before use (:func:`_configure`): read-only transactions, times in
Asia/Shanghai, a statement time limit, the search path a reader login has (``api``: a statement
shared with :mod:`liaocheng_news.db.health` reads the api's views of its tables), and
``SET ROLE liaocheng_news_reader`` (the group role migration 0004 makes, with SELECT on ``api``
and nothing on the internal tables) whenever the role exists and the login may take it.  So a bug in the site cannot write, even through a
statement that forgets ``READ ONLY``.  Where the role is missing (the migrating login could not
create roles), the site still reads in read-only transactions and says so when it starts.

The site never migrates the archive (that would write): an archive without the ``api`` schema is
refused with a message saying how to migrate it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from liaocheng_news.db.archive import CONNECT_TIMEOUT, _redact
from liaocheng_news.db.roles import READER_GROUP
from liaocheng_news.db.server import ArchiveUnavailable
from liaocheng_news.text.fields import SHANGHAI

logger = logging.getLogger(__name__)

API_VERSION = 1  # the version of the api schema this site reads (api.version())
TIME_ZONE = SHANGHAI.key  # where the portals publish; days and times are shown there
STATEMENT_TIMEOUT_MS = 15_000
SEARCH_PATH = "api"  # as a reader login has it (db/roles.py): a table named without a schema is the api's view

_CAN_READ_AS_READER = """
SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %(group)s)
       AND pg_has_role(current_user, %(group)s, 'MEMBER') AS ok
"""


class ArchiveNotReadable(ArchiveUnavailable):
    """The archive is reachable but this site cannot read it; the message says what to do."""


@dataclass(frozen=True)
class ReaderInfo:
    """Who the site reads as: the login and the role it took (None: no reader role)."""

    login: str
    role: str | None
    api_version: int


async def _configure(conn: psycopg.AsyncConnection) -> None:
    await conn.execute("SET default_transaction_read_only = on")
    await conn.execute("SELECT set_config('TimeZone', %s, false), set_config('statement_timeout', %s, false), "
                       "set_config('search_path', %s, false)", (TIME_ZONE, str(STATEMENT_TIMEOUT_MS), SEARCH_PATH))
    if (await (await conn.execute(_CAN_READ_AS_READER, {"group": READER_GROUP})).fetchone())["ok"]:
        await conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(READER_GROUP)))


async def _check(conn: psycopg.AsyncConnection, url: str) -> ReaderInfo:
    """Who the configured connection reads as, and that it can read api version 1."""
    row = await (await conn.execute("SELECT session_user AS login, current_user AS role")).fetchone()
    try:
        version = (await (await conn.execute("SELECT api.version() AS v")).fetchone())["v"]
    except (psycopg.errors.InvalidSchemaName, psycopg.errors.UndefinedFunction):
        raise ArchiveNotReadable(
            f"the archive at {_redact(url)} has no api schema (it predates migration 0004): open it once "
            "with a command that migrates it (liaocheng-news runs, or a crawl), then start the site again"
        ) from None
    except psycopg.errors.InsufficientPrivilege:
        raise ArchiveNotReadable(
            f"{READER_GROUP} may not read the api schema of {_redact(url)}: run `liaocheng-news db "
            "grant-reader NAME` once as the archive's owner (it grants the group its privileges)"
        ) from None
    if version != API_VERSION:
        raise ArchiveNotReadable(f"the archive's api schema is version {version}; this site reads version "
                                 f"{API_VERSION}")
    role = row["role"] if row["role"] == READER_GROUP else None
    return ReaderInfo(login=row["login"], role=role, api_version=version)


async def open_pool(url: str, *, min_size: int = 1, max_size: int = 4,
                    timeout: float = CONNECT_TIMEOUT) -> tuple[AsyncConnectionPool, ReaderInfo]:
    """A pool of read-only connections to the archive at ``url``, and who they read as.

    Raises :class:`ArchiveUnavailable` (unreachable) or :class:`ArchiveNotReadable`.
    """
    connect = {"autocommit": True, "row_factory": dict_row, "connect_timeout": max(1, int(timeout))}
    try:
        conn = await psycopg.AsyncConnection.connect(url, **connect)
    except psycopg.OperationalError as exc:
        raise ArchiveUnavailable(f"cannot reach the archive database ({_redact(url)}): {str(exc).strip()}") from exc
    try:
        await _configure(conn)
        info = await _check(conn, url)
    finally:
        await conn.close()
    if info.role is None:
        logger.warning("reading as %s: the role %s is missing or not granted to it; the site still reads "
                       "in read-only transactions only", info.login, READER_GROUP)
    pool = AsyncConnectionPool(url, min_size=min_size, max_size=max_size, open=False, timeout=timeout,
                               kwargs=connect, configure=_configure, check=AsyncConnectionPool.check_connection)
    await pool.open(wait=True, timeout=timeout)
    return pool, info
