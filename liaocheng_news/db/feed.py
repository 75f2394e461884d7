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

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from liaocheng_news.text.fields import SHANGHAI

CHANNEL = "liaocheng_news_changes"
TIME_ZONE = SHANGHAI.key  # timestamps in JSON records: ISO 8601 with +08:00

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


def _records(kinds: list[str], lo: str, hi: str) -> str:
    """SQL: ``(seq, record)`` of each view's rows with ``lo < change_seq <= hi`` and the filters, each
    view read along its change_seq index and the two merged: in change order with no sort."""
    where = _WHERE.replace("%(after)s", lo).replace("%(last)s", hi)
    parts = [f"SELECT x.change_seq AS seq, row_to_json(x)::text AS record FROM (SELECT '{kind}'::text "
             f"AS kind, v.* FROM {_VIEWS[kind]} v) AS x {where} ORDER BY x.change_seq" for kind in kinds]
    if len(parts) == 1:
        return parts[0]
    return " UNION ALL ".join(f"({p})" for p in parts) + " ORDER BY seq"


# The records come in COPY rows of many each: the change range is cut into spans of SPAN numbers
# (a span holds at most SPAN records: a number is one row's), each span's records are made and
# joined by newlines on the server (a record is JSON: no newline inside), in binary COPY (the
# text as it is: no escaping there, no unescaping here).  Measured at 100k records of ~3.9 kB
# (bench/consumers.py, perf): the server's work is ~27 µs a record whatever the SQL (escape_json
# of the body alone a quarter; row_to_json, to_json and json_build_object cost the same, and the
# views' joins ~1 µs), and one COPY row a record cost this side ~24 µs more (psycopg's work, the
# unescaping and a decode a row), spans ~6 µs.  The server's JSON is the limit, so with
# ``helpers`` (further connections, as ``pg_dump -j``) connection k makes spans k, k + jobs, …
# on the first connection's snapshot, and this side writes them out in order.
SPAN = 256  # ~1 MB a span at 3.9 kB a record (a span's records are held on both sides)
_SPANS = """
SELECT b.lo, c.n, c.records
FROM generate_series(%(first)s::bigint, %(last)s::bigint - 1, %(step)s::bigint) AS b(lo)
CROSS JOIN LATERAL (SELECT count(*) AS n, string_agg(r.record, E'\\n' ORDER BY r.seq) AS records
                    FROM ({records}) AS r) AS c
"""
_SPAN_HI = "least(b.lo + %(span)s::bigint, %(last)s)"
QUEUE = 2  # spans a helper's reader may hold ahead of the writer

# The planner prices a record at a few bytes and a span's rows at a guess: it would sort the
# records (on disk: 390 MB at 100k rows, bench/consumers.py), or hash-join a span's rows with all
# of stories, or start parallel workers for each span.  Each span is an index range scan, a
# nested loop to the story and a merge of the two views' streams, aggregated as it comes.
_PLAN = ("SELECT set_config('enable_sort', 'off', true), set_config('enable_hashjoin', 'off', true), "
         "set_config('enable_mergejoin', 'off', true), set_config('max_parallel_workers_per_gather', '0', true), "
         "set_config('TimeZone', %s, true)")


def connections_for(after: int, last: int, jobs: int, span: int | None = None) -> int:
    """How many of ``jobs`` connections the changes after ``after`` up to ``last`` can use: one a
    span, at most (a small catch-up is one connection's work)."""
    span = span or SPAN
    return max(1, min(jobs, -(-(last - after) // span)))


Helpers = Callable[[int], Awaitable[Sequence[psycopg.AsyncConnection]]]  # n -> n further connections


async def _given(conns: list) -> list:
    return conns


class Changes:
    """The rows changed after ``after``, in change order, from one snapshot.

    Use as ``async with changes_after(conn, after) as changes:`` then ``async for record in
    changes``; ``changes.last_seq`` is the snapshot's high-water mark (the next ``after``).
    A record is the JSON object of a view row with ``kind`` first (timestamps ISO 8601 in
    Asia/Shanghai), as text with ``as_json``, else parsed into a dict.  :meth:`chunks` gives the
    same records as UTF-8 JSON Lines in pieces (what ``export`` writes).  The connections must
    not be inside a transaction; ``helpers`` are further connections to the same database that
    make part of the records (each keeps a transaction open on the same snapshot meanwhile):
    a sequence of them, or an async function that returns ``n`` of them when asked, with ``jobs``
    the most connections in all.  Either way only as many are used as the snapshot's changes
    need (:func:`connections_for` of its high-water mark, read once), and a function is asked
    for those alone (``n`` may be 0).
    """

    def __init__(self, conn: psycopg.AsyncConnection, after: int, *, revisions: bool = False,
                 filters: Filters | None = None, as_json: bool = False,
                 helpers: Sequence[psycopg.AsyncConnection] | Helpers = (), jobs: int | None = None,
                 span: int | None = None):
        if after < 0:
            raise ValueError("after must be a change_seq (0 or more)")
        span = SPAN if span is None else span
        if span < 1:
            raise ValueError("span must be 1 or more")
        if callable(helpers):
            self._helpers, self.jobs = helpers, max(1, jobs or 1)
        else:
            listed = list(helpers)
            self._helpers, self.jobs = (lambda n: _given(listed[:n])), 1 + len(listed)
        self.conns = [conn]
        self.after = int(after)
        self.kinds = ["article", "revision"] if revisions else ["article"]
        self.filters = filters or Filters()
        self.as_json = as_json
        self.span = int(span)
        self.last_seq = self.after
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> "Changes":
        params = self.filters.params()
        first = self.conns[0]
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(first.transaction())
            await first.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            await first.execute(_PLAN, (TIME_ZONE,))
            row = await (await first.execute(_HIGH_WATER, {"after": self.after})).fetchone()
            self.last_seq = int(row[0])
            self._params = {**params, "after": self.after, "last": self.last_seq}
            wanted = connections_for(self.after, self.last_seq, self.jobs, self.span) - 1
            self.conns = [first, *await self._helpers(wanted)]
            if len(self.conns) > 1:
                snapshot = (await (await first.execute("SELECT pg_export_snapshot()")).fetchone())[0]
                for conn in self.conns[1:]:
                    await stack.enter_async_context(conn.transaction())
                    await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    await conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
                    await conn.execute(_PLAN, (TIME_ZONE,))
            self._stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc) -> None:
        await self._stack.__aexit__(*exc)

    async def chunks(self) -> AsyncIterator[tuple[int, bytes]]:
        """``(n, text)``: ``n`` records in change order as UTF-8 JSON, one a line (no newline after
        the last), pieces in order; streamed with ``COPY … TO STDOUT``, so the server makes records
        while this side writes them."""
        if self.last_seq == self.after:
            return
        jobs = len(self.conns)
        query = f"COPY ({_SPANS.format(records=_records(self.kinds, 'b.lo', _SPAN_HI))}) TO STDOUT (FORMAT binary)"
        span = self.span

        async def spans(k: int) -> AsyncIterator[tuple[int, int, bytes | None]]:
            params = {**self._params, "first": self.after + k * span, "step": jobs * span, "span": span}
            async with self.conns[k].cursor().copy(query, params) as copy:
                copy.set_types(["int8", "int8", "bytea"])
                async for row in copy.rows():
                    yield row

        if jobs == 1:
            streams = [spans(0)]
        else:
            streams = [_read_ahead(spans(k), QUEUE) for k in range(jobs)]
        async with contextlib.AsyncExitStack() as stack:
            for stream in streams:
                stack.push_async_callback(stream.aclose)
            for lo in range(self.after, self.last_seq, span):
                k = (lo - self.after) // span % jobs
                row = await anext(streams[k], None)
                if row is None or row[0] != lo:  # each connection's spans come in the order asked
                    raise RuntimeError(f"change feed: span {lo} came as {row and row[0]} (connection {k})")
                if row[1]:
                    yield row[1], row[2]
            for k, stream in enumerate(streams):  # read to the end: each COPY ends as it should
                if (row := await anext(stream, None)) is not None:
                    raise RuntimeError(f"change feed: span {row[0]} after the last (connection {k})")

    async def __aiter__(self) -> AsyncIterator[Any]:
        async with contextlib.aclosing(self.chunks()) as chunks:  # a reader that stops ends the COPYs now
            async for _, text in chunks:
                for line in text.split(b"\n"):
                    yield line.decode() if self.as_json else json.loads(line)


async def _read_ahead(rows: AsyncIterator, depth: int) -> AsyncIterator:
    """``rows`` read by a task of its own, up to ``depth`` ahead of the reader (so another
    connection's server keeps making rows while this one's are written)."""
    queue: asyncio.Queue = asyncio.Queue(depth)
    done = object()

    async def pump() -> None:
        try:
            async for row in rows:
                await queue.put(row)
        except asyncio.CancelledError:
            raise
        except BaseException:
            await queue.put(done)  # the reader is still reading: it meets the end, then the error
            raise
        await queue.put(done)

    task = asyncio.create_task(pump())
    try:
        while (row := await queue.get()) is not done:
            yield row
        await task  # its exception, if it ended with one
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await rows.aclose()


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

