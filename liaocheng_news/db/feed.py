"""The change feed: what changed in the archive after a change sequence number, in order.

Migration 0004 numbers every article insert and change, every revision row and every flip of a
story's canonical copy with ``change_seq``, in commit order (see the migration), and sends
``NOTIFY liaocheng_news_changes, '<last change_seq>'`` after each committed write.  A consumer
keeps the last number it read; :func:`changes_after` returns every row with a higher number, in
order, from one snapshot, and says up to which number that snapshot reaches
(:attr:`Changes.last_seq`): the ``--after`` of the next call.  Rows are read through the ``api``
views, so a record is exactly a row of ``api.articles`` (``kind: "article"``) or
``api.revisions`` (``kind: "revision"``).

Publication-date filters apply to each row's own ``published_at``; rows with none (undated)
are left out by a date filter unless ``undated=True``.  The last number is the snapshot's,
whatever the filters kept, so a filtered consumer also resumes exactly.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

CHANNEL = "liaocheng_news_changes"
TIME_ZONE = "Asia/Shanghai"  # timestamps in JSON records: ISO 8601 with +08:00
ITERSIZE = 2000  # rows fetched per round trip

_HIGH_WATER = """
SELECT greatest(%(after)s::bigint,
                (SELECT max(change_seq) FROM api.articles),
                (SELECT max(change_seq) FROM api.revisions))
"""

# The rows of one view after ``after`` up to ``last``, with the filters; ``{view}`` and ``{kind}``
# are fixed names from _VIEWS, never input.
_WHERE = """
    WHERE x.change_seq > %(after)s AND x.change_seq <= %(last)s
      AND (%(portal)s::text IS NULL OR x.portal = %(portal)s)
      AND (CASE WHEN x.published_at IS NULL THEN NOT %(dated)s OR %(undated)s
                ELSE (%(since)s::timestamptz IS NULL OR x.published_at >= %(since)s)
                 AND (%(until)s::timestamptz IS NULL OR x.published_at < %(until)s) END)
"""
_VIEWS = {"article": "api.articles", "revision": "api.revisions"}


@dataclass(frozen=True)
class Filters:
    """Which rows to read.  ``published_until`` is exclusive."""

    published_since: datetime | None = None
    published_until: datetime | None = None
    undated: bool = False  # with a date filter: also the rows with no published_at
    portal: str | None = None

    def params(self) -> dict[str, Any]:
        for value in (self.published_since, self.published_until):
            if value is not None and value.tzinfo is None:
                raise ValueError("publication-date filters need a time zone (datetime with tzinfo)")
        return {"since": self.published_since, "until": self.published_until, "undated": self.undated,
                "dated": self.published_since is not None or self.published_until is not None,
                "portal": self.portal}


def _query(kinds: list[str]) -> str:
    """Each view's rows in change order (an index scan), merged: no sort of the records (see
    :data:`_NO_SORT`)."""
    parts = []
    for kind in kinds:
        parts.append(f"SELECT x.change_seq AS seq, row_to_json(x)::text AS record FROM (SELECT '{kind}'::text "
                     f"AS kind, v.* FROM {_VIEWS[kind]} v) AS x {_WHERE} ORDER BY x.change_seq")
    if len(parts) == 1:
        return parts[0]
    return " UNION ALL ".join(f"({p})" for p in parts) + " ORDER BY seq"


# The planner costs a record as a few bytes, so it would read every row, make its JSON and sort
# the records on disk (390 MB for 100k rows; bench/consumers.py); without sorts it reads each view
# along its change_seq index (in parallel workers) and merges the two streams.
_NO_SORT = "SELECT set_config('enable_sort', 'off', true)"


class Changes:
    """The rows changed after ``after``, in change order, from one snapshot.

    Use as ``async with changes_after(conn, after) as changes:`` then ``async for record in
    changes``; ``changes.last_seq`` is the snapshot's high-water mark (the next ``after``).
    A record is the JSON object of a view row with ``kind`` first (timestamps ISO 8601 in
    Asia/Shanghai), as text with ``as_json``, else parsed into a dict.  The connection must not be inside a transaction.
    """

    def __init__(self, conn: psycopg.AsyncConnection, after: int, *, revisions: bool = False,
                 filters: Filters | None = None, as_json: bool = False, itersize: int = ITERSIZE):
        if after < 0:
            raise ValueError("after must be a change_seq (0 or more)")
        self.conn = conn
        self.after = int(after)
        self.kinds = ["article", "revision"] if revisions else ["article"]
        self.filters = filters or Filters()
        self.as_json = as_json
        self.itersize = itersize
        self.last_seq = self.after
        self._transaction = None

    async def __aenter__(self) -> "Changes":
        params = self.filters.params()
        self._transaction = self.conn.transaction()
        await self._transaction.__aenter__()
        try:
            await self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            await self.conn.execute("SELECT set_config('TimeZone', %s, true)", (TIME_ZONE,))
            await self.conn.execute(_NO_SORT)
            row = await (await self.conn.execute(_HIGH_WATER, {"after": self.after})).fetchone()
            self.last_seq = int(row[0])
            self._params = {**params, "after": self.after, "last": self.last_seq}
        except BaseException as exc:
            await self._transaction.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        await self._transaction.__aexit__(*exc)

    async def __aiter__(self) -> AsyncIterator[Any]:
        """The records, streamed with ``COPY … TO STDOUT``: the server makes rows while this side
        writes them (a cursor's round trips would leave one side idle)."""
        if self.last_seq == self.after:
            return
        async with self.conn.cursor().copy(f"COPY (SELECT u.record FROM ({_query(self.kinds)}) AS u) TO STDOUT",
                                           self._params) as copy:
            async for data in copy:
                # one row a message; JSON holds no control character, so COPY's text format only
                # doubled its backslashes
                line = bytes(data)[:-1].replace(b"\\\\", b"\\").decode()
                yield line if self.as_json else json.loads(line)

    async def fetch(self) -> AsyncIterator[Any]:
        """The same records through a server-side cursor (:data:`ITERSIZE` rows a round trip):
        the way before COPY, kept for bench/consumers.py's comparison."""
        if self.last_seq == self.after:
            return
        async with self.conn.cursor(name="lcn_changes") as cur:
            cur.itersize = self.itersize
            await cur.execute(_query(self.kinds), self._params)
            async for _, record in cur:
                yield record if self.as_json else json.loads(record)


def changes_after(conn: psycopg.AsyncConnection, after: int, **options) -> Changes:
    """The rows changed after ``after`` (see :class:`Changes` for the options)."""
    return Changes(conn, after, **options)


async def high_water(conn: psycopg.AsyncConnection) -> int:
    """The highest change_seq a reader sees now (0 for an empty archive)."""
    row = await (await conn.execute(_HIGH_WATER, {"after": 0})).fetchone()
    return int(row[0])


async def notifications(conn: psycopg.AsyncConnection, timeout: float | None = None) -> AsyncIterator[int]:
    """``LISTEN`` on :data:`CHANNEL` (the connection must be in autocommit mode) and yield each
    notified high-water mark; ends after ``timeout`` seconds without one.  A payload is a hint:
    anyone may NOTIFY, so read the feed itself (:func:`changes_after`) when one arrives."""
    await conn.execute(f"LISTEN {CHANNEL}")
    try:
        while True:
            got = False
            async for note in conn.notifies(timeout=timeout, stop_after=1):
                got = True
                try:
                    yield int(note.payload)
                except ValueError:
                    continue
            if not got:
                return
    finally:
        await conn.execute(f"UNLISTEN {CHANNEL}")

