"""The change feed as export reads it (db/feed.py ``Changes.chunks``): spans of change numbers made
on the server, on one or more connections sharing one snapshot, written out in change order; the
records are exactly the rows of the api views."""

import io
import json
from datetime import datetime

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from liaocheng_news.db.feed import Filters, changes_after
from liaocheng_news.ops.consumers import export_changes
from tests.db.test_archive import _with_archive
from tests.db.test_feed import story_article
from tests.db.test_roles import reader  # noqa: F401 (a fixture)
from tests.helpers import SH, article, run

# The contract, said independently of db/feed.py: every row of api.articles and api.revisions
# after a number, as the server's JSON of the view row with its kind first, in change order.
VIEW_ROWS = """
SELECT record FROM (
    SELECT x.change_seq AS seq, row_to_json(x)::text AS record
    FROM (SELECT 'article'::text AS kind, v.* FROM api.articles v) AS x WHERE x.change_seq > %(after)s
    UNION ALL
    SELECT y.change_seq, row_to_json(y)::text
    FROM (SELECT 'revision'::text AS kind, v.* FROM api.revisions v) AS y WHERE y.change_seq > %(after)s
) AS u ORDER BY seq
"""


def view_rows(url, after: int = 0) -> list[str]:
    with psycopg.connect(url) as conn:
        conn.execute("SET TimeZone = 'Asia/Shanghai'")
        return [r[0] for r in conn.execute(VIEW_ROWS, {"after": after})]


async def _fill(archive):
    """Articles on several portals, dated and undated, three revised, one canonical flip."""
    await archive.store([story_article(i, published_at=None if i % 4 == 0 else datetime(2026, 1, i + 1, 8, tzinfo=SH))
                         for i in range(10)])
    await archive.store([story_article(i, subtitle=f"更正{i}") for i in (2, 5, 7)])
    await archive.store([article("https://www.yybnet.net/liaocheng/news/202601/9.html", portal="yybnet")])
    await archive.store([article()])  # the origin portal's copy: the aggregator's copy re-enters


async def _chunks(url, after, jobs, **options):
    conns = [await psycopg.AsyncConnection.connect(url) for _ in range(jobs)]
    try:
        async with changes_after(conns[0], after, revisions=True, helpers=conns[1:], **options) as changes:
            return [piece async for piece in changes.chunks()], changes.last_seq
    finally:
        for conn in conns:
            await conn.close()


@pytest.mark.parametrize("span", [1, 2, 3, 512])
def test_spans_on_one_or_more_connections_give_the_view_rows_in_order(archive_url, span):
    async def go(archive):
        await _fill(archive)
        return {(after, jobs): await _chunks(archive_url, after, jobs, span=span)
                for after in (0, 7) for jobs in (1, 2, 3)}

    got = run(_with_archive(archive_url, go))
    assert len(view_rows(archive_url)) > 10 and any('"kind":"revision"' in r for r in view_rows(archive_url, 7))
    for after in (0, 7):
        expected = view_rows(archive_url, after)
        for jobs in (1, 2, 3):
            pieces, last = got[after, jobs]
            assert b"\n".join(text for _, text in pieces).decode() == "\n".join(expected)
            assert [n for n, _ in pieces] == [text.count(b"\n") + 1 for _, text in pieces]
            assert all(n <= span for n, _ in pieces)
            assert last == max(json.loads(r)["change_seq"] for r in view_rows(archive_url))


class WritesFirst(psycopg.AsyncConnection):
    """A helper connection before whose first statement a write commits (after the first
    connection took its snapshot)."""

    write = None

    async def execute(self, *args, **kwargs):
        if self.write is not None:
            write, self.write = self.write, None
            await write()
        return await super().execute(*args, **kwargs)


def test_helpers_read_the_snapshot_of_the_first_connection(archive_url):
    async def go(archive):
        await archive.store([story_article(i) for i in range(6)])
        first = await psycopg.AsyncConnection.connect(archive_url)
        helper = await WritesFirst.connect(archive_url)
        try:
            async with changes_after(first, 0, span=1, as_json=True) as changes:
                before = [r async for r in changes]
            # every article revised (renumbered above the snapshot's last number) and new ones
            helper.write = lambda: archive.store([story_article(i, subtitle="更正") for i in range(9)])
            async with changes_after(first, 0, helpers=[helper], span=1, as_json=True) as changes:
                during = [r async for r in changes]
                during_last = changes.last_seq
            async with changes_after(first, 0, helpers=[helper], span=1, as_json=True) as changes:
                after = [r async for r in changes]
            return before, during, during_last, after
        finally:
            await first.close()
            await helper.close()

    before, during, during_last, after = run(_with_archive(archive_url, go))
    assert during == before  # the helper's spans are of the same snapshot: none of the later rows
    assert len(after) == 9 and all('"subtitle":"更正"' in r for r in after)
    assert during_last < min(json.loads(r)["change_seq"] for r in after)


def test_a_reader_that_stops_early_leaves_every_connection_usable(archive_url):
    async def go(archive):
        await _fill(archive)
        conns = [await psycopg.AsyncConnection.connect(archive_url) for _ in range(2)]
        try:
            async with changes_after(conns[0], 0, helpers=conns[1:], span=1) as changes:
                async for record in changes:
                    first = record
                    break
            # the same connections export again, whole: no COPY of the stopped export is left on them
            async with changes_after(conns[0], 0, helpers=conns[1:], span=1) as changes:
                everything = [r async for r in changes]
            async with changes_after(conns[0], 0) as changes:
                alone = [r async for r in changes]
            return first, everything, alone
        finally:
            for conn in conns:
                await conn.close()

    first, everything, alone = run(_with_archive(archive_url, go))
    assert first == everything[0] and len(everything) > 10 and everything == alone


def test_a_helper_lost_midway_fails_the_export_and_the_first_connection_stays_usable(archive_url):
    async def go(archive):
        await _fill(archive)
        conns = [await psycopg.AsyncConnection.connect(archive_url) for _ in range(2)]
        admin = await psycopg.AsyncConnection.connect(archive_url, autocommit=True)
        try:
            got = []
            with pytest.raises(psycopg.OperationalError):
                async with changes_after(conns[0], 0, helpers=conns[1:], span=1, revisions=True) as changes:
                    async for n, text in changes.chunks():
                        got.append(text)
                        if len(got) == 1:
                            await admin.execute("SELECT pg_terminate_backend(%s)", (conns[1].info.backend_pid,))
            usable = (await (await conns[0].execute("SELECT count(*) FROM api.articles")).fetchone())[0]
            return got, usable
        finally:
            for conn in conns:
                await conn.close()
            await admin.close()

    got, usable = run(_with_archive(archive_url, go))
    assert 1 <= len(got) < len(view_rows(archive_url)) and usable > 10


def test_filters_apply_within_spans(archive_url):
    async def go(archive):
        await _fill(archive)
        since = datetime(2026, 1, 5, tzinfo=SH)
        conns = [await psycopg.AsyncConnection.connect(archive_url) for _ in range(2)]
        try:
            async with changes_after(conns[0], 0, helpers=conns[1:], span=2,
                                     filters=Filters(published_since=since, portal="lcxw")) as changes:
                return [r async for r in changes], since
        finally:
            for conn in conns:
                await conn.close()

    records, since = run(_with_archive(archive_url, go))
    expected = [r for r in map(json.loads, view_rows(archive_url)) if r["kind"] == "article" and r["portal"] == "lcxw"
                and r["published_at"] and datetime.fromisoformat(r["published_at"]) >= since]
    assert records == expected and 0 < len(expected) < len(view_rows(archive_url)) - 5


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", None])
def test_export_writes_the_same_text_to_any_stream(archive_url, encoding):
    async def go(archive):
        await _fill(archive)
        out = io.StringIO() if encoding is None else io.TextIOWrapper(io.BytesIO(), encoding=encoding)
        out.write("先写的一行\n")  # text written before the export stays before it
        async with await psycopg.AsyncConnection.connect(archive_url) as conn:
            count, last = await export_changes(conn, out, 0, revisions=True)
        out.flush()
        return (out.getvalue() if encoding is None else out.buffer.getvalue().decode(encoding)), count

    text, count = run(_with_archive(archive_url, go))
    expected = view_rows(archive_url)
    assert text == "先写的一行\n" + "".join(r + "\n" for r in expected) and count == len(expected)


def test_span_must_be_positive():
    with pytest.raises(ValueError, match="span"):
        changes_after(None, 0, span=0)


def test_a_catch_up_within_one_span_leaves_the_helpers_alone(archive_url):
    async def go(archive):
        await archive.store([story_article(i) for i in range(3)])
        first, helper = [await psycopg.AsyncConnection.connect(archive_url) for _ in range(2)]
        try:
            states = {}
            for span in (512, 1):
                async with changes_after(first, 0, helpers=[helper], span=span) as changes:
                    states[span] = helper.info.transaction_status
                    states[span, "records"] = len([r async for r in changes])
            return states
        finally:
            await first.close()
            await helper.close()

    states = run(_with_archive(archive_url, go))
    assert states[512] == psycopg.pq.TransactionStatus.IDLE and states[1] == psycopg.pq.TransactionStatus.INTRANS
    assert states[512, "records"] == states[1, "records"] == 3


def test_a_reader_login_exports_on_several_connections(archive_url, reader):  # noqa: F811
    name, _ = reader

    async def go(archive):
        await archive.store([story_article(i) for i in range(2, 9)])
        return await _chunks(make_conninfo(archive_url, user=name), 0, 3, span=1)

    pieces, last = run(_with_archive(archive_url, go))
    expected = view_rows(archive_url)
    assert len(pieces) == len(expected) == 8  # the reader fixture's article and seven more
    assert [text.decode() for _, text in pieces] == expected


@pytest.mark.parametrize("stored, jobs, asked", [(3, 4, 2), (9, 4, 3), (1, 4, 0)])
def test_helpers_are_sized_by_the_snapshot_the_export_reads(archive_url, stored, jobs, asked):
    """The high-water mark is read once, in the export's snapshot, and says how many further
    connections to ask for (span 1: one a change, at most ``jobs`` in all): a write that lands
    while they are asked for neither enlarges the export nor the number asked for."""
    async def go(archive):
        await archive.store([story_article(i) for i in range(stored)])
        before = view_rows(archive_url)
        calls, opened = [], []

        async def helpers(n):
            calls.append(n)
            await archive.store([story_article(i) for i in range(stored, stored + 5)])  # after the snapshot
            opened.extend([await psycopg.AsyncConnection.connect(archive_url) for _ in range(n)])
            return list(opened)

        first = await psycopg.AsyncConnection.connect(archive_url)
        try:
            async with changes_after(first, 0, helpers=helpers, jobs=jobs, span=1, as_json=True) as changes:
                records = [r async for r in changes]
                return calls, records, before, changes.last_seq
        finally:
            for conn in (first, *opened):
                await conn.close()

    calls, records, before, last = run(_with_archive(archive_url, go))
    assert calls == [asked] and last == stored  # one change an article here
    assert records == before and len(view_rows(archive_url)) == stored + 5
