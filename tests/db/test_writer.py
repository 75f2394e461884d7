"""The writer process: Archive.store's results and its two kinds of failure, across a process."""

import psycopg
import pytest

from liaocheng_news.db.archive import Archive
from liaocheng_news.db.server import ArchiveUnavailable
from liaocheng_news.db.writer import ArchiveWriter, WriteRejected, WriteUnavailable
from tests.helpers import article, run


def test_the_writer_stores_as_the_archive_does(archive_url):
    async def go():
        archive = await Archive.open(url=archive_url)
        writer = ArchiveWriter(archive)
        try:
            first = await writer.store([article()])
            again = await writer.store([article()])
        finally:
            await writer.close()
            await archive.close()
        return first, again

    first, again = run(go())
    assert [r.outcome for r in first] == ["new"] and first[0].created
    assert [r.outcome for r in again] == ["unchanged"]
    assert again[0].article_id == first[0].article_id
    with psycopg.connect(archive_url) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_bad_data_is_rejected_and_a_lost_database_is_unavailable(archive_url):
    bad = article()
    bad.title = "坏\x00标题"  # PostgreSQL text cannot hold NUL

    async def go():
        archive = await Archive.open(url=archive_url)
        writer = ArchiveWriter(archive, timeout=1)
        try:
            with pytest.raises(WriteRejected, match="NUL|0x00"):
                await writer.store([bad])
            writer.url = "postgresql://nobody@127.0.0.1:1/nothing"  # a server that is not there
            with pytest.raises(WriteUnavailable) as lost:
                await writer.store([article()])
            assert isinstance(lost.value, ArchiveUnavailable)  # the store pipeline retries these
        finally:
            await writer.close()
            await archive.close()

    run(go())


def test_start_boots_and_connects_the_writer_ahead_of_the_first_batch(archive_url):
    async def go():
        archive = await Archive.open(url=archive_url)
        writer = ArchiveWriter(archive)
        try:
            await writer.start()
            pool = writer.offload
            booted = [w.proc.pid for w in pool._pool]
            stored = await writer.store([article()])
            used = [w.proc.pid for w in pool._pool]
        finally:
            await writer.close()
            await archive.close()
        return booted, used, stored

    booted, used, stored = run(go())
    assert len(booted) == 1 and used == booted  # the first batch went to the process started ahead
    assert [r.outcome for r in stored] == ["new"]
    with psycopg.connect(archive_url) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_a_start_that_cannot_connect_is_not_an_error_the_first_batch_reports_it():
    class Unreachable:
        url = "postgresql://nobody@127.0.0.1:1/nothing"

    async def go():
        writer = ArchiveWriter(Unreachable(), timeout=1)
        try:
            await writer.start()  # logged, not raised
            with pytest.raises(WriteUnavailable):
                await writer.store([article()])
        finally:
            await writer.close()

    run(go())
