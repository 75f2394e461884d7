"""Chinese search with no extension (migration 0004, db/search.py): integer pair keys, api.search."""

import random
import re
from datetime import datetime, timedelta

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liaocheng_news.db import search
from liaocheng_news.db.search import BODY_CHARS, HEADLINE, search_keys, word_key
from liaocheng_news.dedupe.sketch import fingerprint
from tests.db.test_feed import _with_archive, story_article
from tests.helpers import SH, article, run

# characters at and around the edges of the Han ranges, and everything else a body may hold
EDGES = "\u33ff\u3400\u4dbf\u4dc0\u4dff\u4e00\u9fa5\u9fff\ua000\uf8ff\uf900\ufaff\ufb00"
OTHERS = "临清聊城轴承市ＧＤＰ５ｇａ０９ＺAbZz09 \n\t，。、：“”（）-_.%'\\:é İßΣ𠀀𪚥"


def _sql_document(conn, title, subtitle, body) -> list[int]:
    return conn.execute("SELECT api.search_document(%s, %s, %s)", (title, subtitle, body)).fetchone()[0]


def _keys(conn, text) -> list[int]:
    return conn.execute("SELECT api.search_keys(%s)", (text,)).fetchone()[0]


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
    assert search_keys(title, subtitle, body).tolist() == _sql_document(conn, title, subtitle, body)


def test_documents_agree_on_long_bodies_and_the_cut(conn):
    body = ("临清轴承产业园区ＡＢＣ" * 9000)[: BODY_CHARS + 7] + "尾巴独有词"
    doc = search_keys("标题", None, body).tolist()
    assert doc == _sql_document(conn, "标题", None, body)
    assert not set(_keys(conn, "尾巴")) & set(doc) and set(_keys(conn, "临清 abc")) <= set(doc)


def test_keys_of_a_mixed_text(conn):
    doc = set(search_keys("聊城GDP增长", "副题", "临清市 ５Ｇ基站，单。x").tolist())
    pair = lambda a, b: (ord(a) - 0x3400) * 32768 + ord(b) - 0x3400  # noqa: E731
    body = {pair("临", "清"), pair("清", "市"), pair("基", "站"), word_key("5g"), word_key("x")}
    head = {pair("聊", "城"), pair("增", "长"), pair("副", "题"), word_key("gdp")}
    assert doc == body | head | {k + HEADLINE for k in head}  # the lone 单 makes no key
    assert set(_keys(conn, "ＧＤＰ gdp GDP")) == {word_key("gdp")}  # full-width and upper case fold
    assert _keys(conn, "，。！ 单") == []


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
    # a three-character phrase needs both of its pairs: 临清 and 清市
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
    assert _search(archive_url, "gd") == []  # words, not pieces of words


def test_a_lone_character_matches_wherever_it_occurs(archive_url):
    first = _with_body(story_article(1), ["聊城市委召开会议。"])
    last = _with_body(story_article(2), ["会议由县委主持。"])
    _store(archive_url, [first, last, story_article(3)])
    assert sorted(h[0] for h in _search(archive_url, "委")) == sorted([first.url, last.url])
    assert [h[0] for h in _search(archive_url, "委 召开")] == [first.url]
    assert _search(archive_url, "，。！") == []
    with psycopg.connect(archive_url) as c:
        assert c.execute("SELECT api.search_keys('，。！')").fetchone()[0] == []


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


def _document_rows(url):
    with psycopg.connect(url) as c:
        return dict(c.execute("SELECT article_id, (xmin::text, ctid::text, tokens) FROM article_search").fetchall())


def test_touches_story_moves_and_canonical_flips_leave_the_document_alone(archive_url):
    aggregator = article("https://www.yybnet.net/liaocheng/news/202601/9.html", portal="yybnet")
    _store(archive_url, [aggregator, story_article(1)])
    before = _document_rows(archive_url)
    # the same page again (a touch), and the origin's copy: the aggregator's copy stops being canonical
    _store(archive_url, [story_article(1), article()])
    after = _document_rows(archive_url)
    assert len(after) == 3 and {k: after[k] for k in before} == before


def test_a_writer_other_than_the_store_gets_the_same_document(archive_url):
    with psycopg.connect(archive_url) as c:
        aid = c.execute("INSERT INTO articles (url, portal, title, subtitle, body, content_hash, published_at) "
                        "VALUES ('https://www.lcxw.cn/x.html', 'lcxw', '聊城新闻', '副题', '临清市轴承产业。', 'h', "
                        "'2026-01-01') RETURNING id").fetchone()[0]
        doc = c.execute("SELECT tokens, published_at FROM article_search WHERE article_id = %s", (aid,)).fetchone()
        assert doc[0] == search_keys("聊城新闻", "副题", "临清市轴承产业。").tolist()
        c.execute("UPDATE articles SET body = '阳谷县', published_at = NULL WHERE id = %s", (aid,))
        assert c.execute("SELECT tokens, published_at FROM article_search WHERE article_id = %s",
                         (aid,)).fetchone() == (search_keys("聊城新闻", "副题", "阳谷县").tolist(), None)
        c.execute("DELETE FROM articles WHERE id = %s", (aid,))
        assert c.execute("SELECT count(*) FROM article_search").fetchone()[0] == 0


# --- every way through api.search gives the answer a plain reading of its definition gives -------
FILLER = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"


def _random_text(rng, n):
    return "".join(rng.choice(FILLER) for _ in range(n))


def _reference(url, keys, lone, lim):
    """api.search's answer worked out in Python from every row: canonical copies holding every
    key (every one-character term in the text), headline matches first, newest first in each."""
    with psycopg.connect(url) as c:
        rows = c.execute("SELECT id, title, subtitle, body, published_at, is_canonical FROM api.articles").fetchall()
    heads, rest = [], []
    for aid, title, subtitle, body, published, canonical in rows:
        doc = set(search_keys(title, subtitle, body).tolist())
        headline = f"{title or ''} {subtitle or ''}"
        order = (published is None, -(published.timestamp() if published else 0), -aid)
        if not canonical:
            continue
        if {k + HEADLINE for k in keys} <= doc and all(ch in headline for ch in lone):
            heads.append((order, aid))
        elif set(keys) <= doc and all(ch in headline or ch in (body or "") for ch in lone):
            rest.append((order, aid))
    return ([aid for _, aid in sorted(heads)] + [aid for _, aid in sorted(rest)])[:lim]


def test_every_way_through_search_gives_the_same_answer(archive_url):
    """600 articles with terms of every frequency (one in two, one in ten, one in fifty, a few),
    in headlines and bodies, undated ones and copies; the newest-first walk, the walk continued
    and the index each answer (the archive's size as the planner knows it decides the way: it
    is set small, then large), always as the definition says."""
    rng = random.Random(15)
    common, moderate, rare, scarce = "聊城", "轴承", "临清市", "阳谷"
    articles = []
    for i in range(600):
        words = [w for w, p in ((common, 0.5), (moderate, 0.1), (rare, 0.02), (scarce, 0.005)) if rng.random() < p]
        title = _random_text(rng, 6) + "".join(w for w in words if rng.random() < 0.3)
        body = [_random_text(rng, 40) + "".join(words) + _random_text(rng, 40) + "。"]
        published = None if rng.random() < 0.05 else datetime(2025, 1, 1, tzinfo=SH) + timedelta(hours=rng.randrange(9000))
        a = _with_body(story_article(i, published_at=published), body)
        a.title = title
        articles.append(a)
        if i % 25 == 0:  # a mirror copy: same story, not canonical
            copy = _with_body(article(f"https://mirror.example/{i}.html", portal="mirror", title=title,
                                      published_at=published), body)
            articles.append(copy)
    for start in range(0, len(articles), 50):
        _store(archive_url, articles[start:start + 50])
    queries = [common, moderate, rare, scarce, f"{common} {moderate}", f"{moderate} {rare}", "城", "聊 轴承",
               "不存在", common[0] + rare[-1]]
    with psycopg.connect(archive_url, autocommit=True) as c:
        c.execute("ANALYZE article_search")
        for reltuples in (None, 1e6, 1e8):
            if reltuples:
                c.execute("UPDATE pg_class SET reltuples = %s WHERE oid = 'article_search'::regclass", (reltuples,))
            for q in queries:
                for lim in (5, 20, 200):
                    keys = c.execute("SELECT api.search_keys(%s)", (q,)).fetchone()[0]
                    lone = [t for t in q.split() if len(t) == 1]
                    got = [r[0] for r in c.execute("SELECT article_id FROM api.search(%s, %s)", (q, lim))]
                    assert got == _reference(archive_url, keys, lone, lim), (q, lim, reltuples)


_FOLD = str.maketrans("０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ",
                      "0123456789abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz")


def _snippet_window(body: str, terms: list[str], width: int = 80) -> str:
    """The snippet's window by its definition: around the first place a term occurs in the folded
    body (api.search_fold: full-width letters and digits as ASCII, ASCII lower-cased)."""
    folded = "".join(c.lower() if c.isascii() else c for c in body.translate(_FOLD))
    places = [folded.find(t) + 1 for t in terms if folded.find(t) >= 0]
    start = max(1, (min(places) if places else 0) - width // 3)
    return body[start - 1:start - 1 + width]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=texts, query=st.sampled_from(["gdp", "GDP 临清", "５g", "5G", "abc", "z 单", "临清市 xyz019", "zz", "聊"]))
def test_the_snippet_window_is_where_a_folded_term_first_occurs(conn, body, query):
    """The snippet finds terms without folding the body (an ASCII term as a pattern of what folds
    to each character): its window is where the folded body first holds a term."""
    body = "前言" * 30 + body  # a term past the first third of the width moves the window
    terms = conn.execute("SELECT api.search_terms(%s)", (query,)).fetchone()[0]
    snippet = conn.execute("SELECT api.search_snippet(%s, %s)", (body, query)).fetchone()[0]
    shown = snippet.replace("«", "").replace("»", "").removeprefix("…").removesuffix("…")
    expected = _snippet_window(body, terms)
    assert shown == re.sub(r"\s*\n\s*", " ", expected)  # lines joined, as the snippet shows them


# --- the index's pending list: merged after a store's commit and when the archive closes --------
def _merge_pending(url) -> int:
    """Merge the search index's pending list now; how many of its pages held keys (0: none)."""
    with psycopg.connect(url, autocommit=True) as c:
        return c.execute("SELECT gin_clean_pending_list('article_search_tokens'::regclass)").fetchone()[0]


def test_the_store_merges_the_pending_list_after_its_commit_and_at_close(archive_url, monkeypatch):
    first, second, third = (story_article(i) for i in (1, 2, 3))
    for a, word in ((first, "甲子"), (second, "乙丑"), (third, "丙寅")):
        a.title = f"{word}{a.title}"

    async def go(archive):
        monkeypatch.setattr(search, "MERGE_PENDING_BYTES", 10**9)
        await archive.store([first])  # below the threshold: its keys wait in the pending list
        left_pending = _merge_pending(archive_url)
        monkeypatch.setattr(search, "MERGE_PENDING_BYTES", 1)
        await archive.store([second])  # over it: merged once the batch is committed
        merged = _merge_pending(archive_url)
        monkeypatch.setattr(search, "MERGE_PENDING_BYTES", 10**9)
        await archive.store([third])
        return left_pending, merged

    left_pending, merged = run(_with_archive(archive_url, go))
    assert left_pending > 0 and merged == 0
    assert _merge_pending(archive_url) == 0  # closing the archive merged what the last store left
    for a, word in ((first, "甲子"), (second, "乙丑"), (third, "丙寅")):
        assert [h[0] for h in _search(archive_url, word)] == [a.url]


def test_a_failed_merge_loses_nothing_it_is_logged(archive_url, monkeypatch, caplog):
    monkeypatch.setattr(search, "MERGE_PENDING_BYTES", 1)
    with psycopg.connect(archive_url, autocommit=True) as c:  # the merge names an index that is not there
        c.execute("ALTER INDEX article_search_tokens RENAME TO article_search_tokens_elsewhere")
    a, b = story_article(1), story_article(2)

    async def two_batches(archive):  # one archive, two stores: each would merge
        return await archive.store([a]) + await archive.store([b])

    results = run(_with_archive(archive_url, two_batches))
    assert [r.outcome for r in results] == ["new", "new"]
    # said once (not per batch: a login that does not own the index would fill the log)
    assert caplog.text.count("could not merge the search index's pending list") == 1
    with psycopg.connect(archive_url, autocommit=True) as c:
        c.execute("ALTER INDEX article_search_tokens_elsewhere RENAME TO article_search_tokens")
    assert [h[0] for h in _search(archive_url, a.title)] == [a.url]


def test_a_passing_merge_failure_is_tried_again_with_the_next_batch(archive_url, monkeypatch, caplog):
    """Only a merge this login may never make (the privilege, the index) is given up; a lost
    connection is not."""
    monkeypatch.setattr(search, "MERGE_PENDING_BYTES", 1)
    real, calls = search.merge, []

    async def flaky(conn):
        calls.append(1)
        if len(calls) == 1:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return await real(conn)

    monkeypatch.setattr(search, "merge", flaky)

    async def two_batches(archive):
        first = await archive.store([story_article(1)])
        merged_after_first = _merge_pending(archive_url)  # the first merge failed: its list is left
        return first + await archive.store([story_article(2)]), merged_after_first

    results, left = run(_with_archive(archive_url, two_batches))
    assert [r.outcome for r in results] == ["new", "new"] and left > 0
    assert len(calls) == 2  # the second batch merged again
    assert "tried again with the next batches" in caplog.text


def _long_article(i: int, chars: int):
    """An article of its own text whose document holds about ``chars`` keys."""
    rng = random.Random(1000 + i)
    body = ["".join(rng.choice(_HAN) for _ in range(chars // 3)) + "。" for _ in range(3)]
    return _with_body(story_article(i), body)


_HAN = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000))


def test_the_store_knows_how_much_of_the_pending_list_it_wrote_and_no_insert_merged_it(archive_url, monkeypatch):
    """The store's estimate of the pending list (search.pending_bytes) is PostgreSQL's to the page
    for documents over a page (whole pages each), and never below it for smaller ones (between
    half a page and a page: a page each, as PostgreSQL starts a new page for one that does not fit
    the last page's room; small ones sharing pages); and its batches leave the list to the store's
    own merge: past the 4 MB at which, before migration 0007, an insert inside the store's
    transaction merged it, nothing has been merged."""
    big = [_long_article(i, 900) for i in range(220)]  # ~900 keys: 3 pages each, 5.4 MB in all
    mid = [_long_article(500 + i, 300) for i in range(30)]  # ~6 KB each: two never share a page
    small = [_long_article(1000 + i, 120) for i in range(30)]  # ~2.4 KB each: several a page
    written: list[int] = []

    async def go(archive):
        for i in range(0, len(big), 50):
            await archive.store(big[i:i + 50])
            written.append(archive._unmerged)
        await archive.store(mid)
        written.append(archive._unmerged)
        await archive.store(small)
        written.append(archive._unmerged)
        return _merge_pending(archive_url)  # what is pending now, merged (before the close would)

    assert search.MERGE_PENDING_BYTES > 6_000_000  # below the store's threshold throughout
    pages = run(_with_archive(archive_url, go))
    sizes = np.array([search_keys(a.title, a.subtitle, a.body_text).size for a in big])
    assert sizes.min() * search.PENDING_KEY_BYTES > search.PENDING_PAGE_ROOM  # every big one over a page
    big_pages = written[-3] // search.PENDING_PAGE_BYTES
    assert written[-3] == search.pending_bytes(sizes) > 4 * 1024 * 1024  # past the old limit
    mid_sizes = np.array([search_keys(a.title, a.subtitle, a.body_text).size for a in mid])
    assert (mid_sizes * search.PENDING_KEY_BYTES > search.PENDING_PAGE_ROOM // 2).all()
    assert written[-2] - written[-3] == len(mid) * search.PENDING_PAGE_BYTES  # a page each
    # never below what PostgreSQL laid out (to within the last, partly filled page)
    assert pages <= written[-1] / search.PENDING_PAGE_BYTES + 1
    assert pages >= big_pages + len(mid)  # PostgreSQL too gave the mid-sized ones a page each
    for a in big[::50] + mid[::10] + small[::10]:  # every document found, none lost to the merges
        assert [h[0] for h in _search(archive_url, a.title)] == [a.url]


def test_the_index_limit_is_a_backstop_above_the_stores_threshold(conn):
    """Migration 0007: an insert merges the pending list only past twice what the store lets it
    grow to (its threshold plus the largest batch it may write before it merges)."""
    (options,) = conn.execute("SELECT reloptions FROM pg_class WHERE relname = 'article_search_tokens'").fetchone()
    limit_kb = int(dict(o.split("=") for o in options)["gin_pending_list_limit"])
    assert limit_kb * 1024 >= 2 * search.MERGE_PENDING_BYTES
