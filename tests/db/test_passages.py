"""article_passages' key to articles (migration 0007): checked once a statement, as strictly as the
foreign key it replaces: no passage of a missing article, a concurrent delete waits, a deleted
article's passages go with it."""

import psycopg
import pytest

from tests.db.test_archive import _with_archive, rows
from tests.db.test_feed import story_article
from tests.helpers import run


_UNCANONICAL = "UPDATE stories SET canonical_article_id = NULL WHERE canonical_article_id = %s"  # before a delete


def _stored(url, n=2):
    articles = [story_article(i) for i in range(1, n + 1)]

    async def go(archive):
        return await archive.store(articles)

    return [r.article_id for r in run(_with_archive(url, go))]


def test_a_passage_of_no_article_is_refused(archive_url):
    (aid,) = _stored(archive_url, 1)
    with psycopg.connect(archive_url) as conn:
        with pytest.raises(psycopg.errors.ForeignKeyViolation):  # at the statement, not at commit
            conn.execute("INSERT INTO article_passages (key, article_id) VALUES (1, %s), (2, %s)", (aid, aid + 1000))
        conn.rollback()
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            conn.execute("UPDATE article_passages SET article_id = %s WHERE article_id = %s", (aid + 1000, aid))
        conn.rollback()
        conn.execute("INSERT INTO article_passages (key, article_id) VALUES (1, %s)", (aid,))  # an article's: taken
    assert (1, aid) in rows(archive_url, "SELECT key, article_id FROM article_passages")


def test_deleting_an_article_deletes_its_passages(archive_url):
    first, second = _stored(archive_url)
    kept = rows(archive_url, "SELECT count(*) FROM article_passages WHERE article_id = %s", second)[0][0]
    assert kept > 0 and rows(archive_url, "SELECT count(*) FROM article_passages WHERE article_id = %s", first)[0][0] > 0
    with psycopg.connect(archive_url) as conn:
        conn.execute(_UNCANONICAL, (first,))
        conn.execute("DELETE FROM articles WHERE id = %s", (first,))
    assert rows(archive_url, "SELECT article_id, count(*) FROM article_passages GROUP BY 1") == [(second, kept)]


def test_an_article_whose_passages_are_being_written_cannot_be_deleted_meanwhile(archive_url):
    first, _ = _stored(archive_url)
    with psycopg.connect(archive_url) as writer, psycopg.connect(archive_url) as deleter:
        deleter.execute(_UNCANONICAL, (first,))
        deleter.commit()
        writer.execute("INSERT INTO article_passages (key, article_id) VALUES (7, %s)", (first,))  # not committed
        deleter.execute("SET lock_timeout = '300ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):  # it waits for the writer, as for a foreign key
            deleter.execute("DELETE FROM articles WHERE id = %s", (first,))
        deleter.rollback()
        writer.commit()
        deleter.execute("DELETE FROM articles WHERE id = %s", (first,))  # then it goes, with every passage
        deleter.commit()
    assert rows(archive_url, "SELECT count(*) FROM article_passages WHERE article_id = %s", first) == [(0,)]
