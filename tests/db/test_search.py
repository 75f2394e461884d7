"""Chinese search with no extension (migration 0004, db/search.py): bigram documents, api.search."""

from datetime import datetime

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liaocheng_news.db.search import BODY_CHARS, search_document
from liaocheng_news.dedupe.sketch import fingerprint
from tests.db.test_feed import _with_archive, story_article
from tests.helpers import SH, article, run

# characters at and around the edges of the Han ranges, and everything else a body may hold
EDGES = "\u33ff\u3400\u4dbf\u4dc0\u4dff\u4e00\u9fa5\u9fff\ua000\uf8ff\uf900\ufaff\ufb00"
OTHERS = "临清聊城轴承市ＧＤＰ５ｇａ０９ＺAbZz09 \n\t，。、：“”（）-_.%'\\:é İßΣ𠀀𪚥"


def _sql_document(conn, title, subtitle, body) -> str:
    return conn.execute("SELECT api.search_document(%s, %s, %s)::text", (title, subtitle, body)).fetchone()[0]


def _as_tsvector(conn, literal: str) -> str:
    return conn.execute("SELECT %s::tsvector::text", (literal,)).fetchone()[0]


texts = st.lists(st.one_of(st.text(alphabet=EDGES + OTHERS, max_size=30),
                           st.text(alphabet="abcXYZ019", min_size=60, max_size=70),  # the 64-character limit
                           st.sampled_from(["临清市", "GDP增长5.2%", "５Ｇ基站", "阳谷", "单"])),
                 max_size=8).map("".join)


@pytest.fixture
def conn(archive_url):
    with psycopg.connect(archive_url, autocommit=True) as c:
        yield c


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=texts, subtitle=st.one_of(st.none(), texts), body=texts)
def test_the_python_document_is_the_sql_document(conn, title, subtitle, body):
    assert _as_tsvector(conn, search_document(title, subtitle, body)) == _sql_document(conn, title, subtitle, body)


def test_documents_agree_on_long_bodies_and_the_cut(conn):
    body = ("临清轴承产业园区ＡＢＣ" * 9000)[: BODY_CHARS + 7] + "尾巴独有词"
    doc = _as_tsvector(conn, search_document("标题", None, body))
    assert doc == _sql_document(conn, "标题", None, body)
    assert "'尾巴'" not in doc and "'临清'" in doc and "'abc'" in doc


def test_tokens_of_a_mixed_text(conn):
    doc = _as_tsvector(conn, search_document("聊城GDP增长", "副题", "临清市 ５Ｇ基站，单。x"))
    lexemes = {item.split(":")[0].strip("'") for item in doc.split()}
    assert lexemes == {"5g", "gdp", "x", "副题", "单", "基站", "增长", "清市", "临清", "聊城",
                       "~gdp", "~副题", "~增长", "~聊城"}  # headline tokens again, marked
    assert "'聊城':1A" in doc and "'临清'" in doc and "'临清':" not in doc  # headline weighted, body not


def _with_body(a, paragraphs):
    a.body = paragraphs
    a.content_hash = fingerprint(a.body_text)
    return a


def _search(url, query, lim=20):
    with psycopg.connect(url) as c:
        return c.execute("SELECT url, title, rank, snippet, story_id FROM api.search(%s, %s)", (query, lim)).fetchall()


def _store(url, articles):
    async def go(archive):
        return await archive.store(articles)
    return run(_with_archive(url, go))


def test_search_finds_a_chinese_phrase_ranks_headlines_first_and_marks_the_snippet(archive_url):
    in_title = story_article(1, published_at=datetime(2025, 3, 1, tzinfo=SH))
    in_title.title = "临清轴承产业集群发展"
    # newer than in_title, but the words only in the body
    in_body = _with_body(story_article(2, published_at=datetime(2026, 1, 1, tzinfo=SH)),
                         ["第一段没有。", "今年临清市的轴承出口增长了两成，企业订单饱满。"])
    # both words, far apart: still a match (every term, anywhere); oldest
    apart = _with_body(story_article(3, published_at=datetime(2024, 1, 1, tzinfo=SH)),
                       ["临清举办文化节。", "另据报道，某地轴承价格平稳。"])
    _store(archive_url, [in_title, in_body, apart, story_article(4)])

    hits = _search(archive_url, "临清 轴承")
    assert [(h[0], h[2]) for h in hits] == [(in_title.url, 1.0), (in_body.url, 0.0), (apart.url, 0.0)]
    snippet = dict((h[0], h[3]) for h in hits)[in_body.url]
    assert "«临清»市的«轴承»出口" in snippet and "\n" not in snippet
    # a three-character phrase needs both of its bigrams: 临清 and 清市
    assert [h[0] for h in _search(archive_url, "临清市")] == [in_body.url]
    assert _search(archive_url, "轴承 不存在的词") == []


def test_search_returns_canonical_copies_only_and_ascii_words(archive_url):
    origin = article(body=["聊城GDP增长5.2%，经济运行稳中向好。"] * 3, title="聊城经济运行")
    copy = article("https://www.yybnet.net/liaocheng/news/202601/1.html", portal="yybnet",
                   body=["聊城GDP增长5.2%，经济运行稳中向好。"] * 3, title="聊城经济运行")
    results = _store(archive_url, [origin, copy])
    assert results[0].story_id == results[1].story_id
    hits = _search(archive_url, "gdp 经济")
    assert [h[0] for h in hits] == [origin.url]
    assert "«GDP»" in hits[0][3]
    assert [h[0] for h in _search(archive_url, "ＧＤＰ")] == [origin.url]  # full-width letters are ASCII


def test_a_lone_character_matches_as_a_prefix_and_an_empty_query_finds_nothing(archive_url):
    a = _with_body(story_article(1), ["聊城市委召开会议。"])
    _store(archive_url, [a])
    assert [h[0] for h in _search(archive_url, "委")] == [a.url]  # 委召
    assert _search(archive_url, "，。！") == []
    with psycopg.connect(archive_url) as c:
        assert c.execute("SELECT api.search_query('，。！')").fetchone()[0] is None


def test_limit_is_kept_within_bounds(archive_url):
    articles = [story_article(i) for i in range(5)]
    for a in articles:
        a.title = f"聊城新闻{a.title}"
    _store(archive_url, articles)
    assert len(_search(archive_url, "聊城", 3)) == 3
    assert len(_search(archive_url, "聊城", 0)) == 0
    assert len(_search(archive_url, "聊城", 100000)) == 5


def test_a_revision_rebuilds_the_document(archive_url):
    a = story_article(1)
    _store(archive_url, [a])
    assert _search(archive_url, "更正声明") == []
    _with_body(a, a.body + ["更正声明：此前报道有误。"])
    _store(archive_url, [a])
    assert [h[0] for h in _search(archive_url, "更正声明")] == [a.url]
