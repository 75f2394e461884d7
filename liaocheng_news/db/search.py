"""The search keys of an article, made in Python: ``article_search.tokens``.

Migration 0004 indexes each article's text as a sorted array of 32-bit integer keys in
``article_search`` (GIN, ``@>``), one row per article, written only when the text changes.
The SQL function ``api.search_document(title, subtitle, body)`` makes the same array (a
trigger fills the row for writers other than the store, and the migration for older rows);
this module makes it with numpy in a fraction of the time, so the store writes it
(:func:`claim`, :func:`write`) and keeps the index's pending list short (:func:`merge`).  A test
holds the two equal on random text.

Keys (all non-negative ``int4``):

* a pair of adjacent Han characters (U+3400–U+4DBF, U+4E00–U+9FFF, U+F900–U+FAFF):
  ``han(a) << 15 | han(b)``, where ``han`` numbers those characters from 0 (below 2^15);
* an ASCII word (a run of letters and digits after folding: full-width letters and digits as
  ASCII, lower case; at most :data:`MAX_WORD` characters): ``WORD_BASE`` plus 27 bits of the
  MD5 of the word (two different words share a key about once in 134 million pairs);
* the keys of the headline (title, a space, the subtitle; first :data:`HEADLINE_CHARS`
  characters) a second time with :data:`HEADLINE` added, so the index finds headline matches.

The body counts up to :data:`BODY_CHARS` characters.  A lone Han character (no Han neighbour)
makes no key: a one-character query term is checked on the text itself.
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
from collections.abc import Sequence

import numpy as np
import psycopg
from psycopg import adapt, pq

from liaocheng_news.db.stories import bigint_array

HEADLINE_CHARS = 1000
BODY_CHARS = 60000
MAX_WORD = 64
HEADLINE = 1 << 30  # added to a headline key
WORD_BASE = 0x38000000  # ASCII words: WORD_BASE + 27 bits (above every pair key)
WORD_BITS = 0x07FFFFFF

_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
)
_WORD = re.compile("[A-Za-z0-9０-９Ａ-Ｚａ-ｚ]+")  # full-width letters and digits fold to ASCII: one word with them
# each code point's Han number (-1: not Han); every code point above the BMP reads the last cell
_HAN = np.full(0x10001, -1, dtype=np.int32)
_HAN[0x3400:0x4DC0] = np.arange(0, 0x4DC0 - 0x3400)
_HAN[0x4E00:0xA000] = np.arange(0x4E00 - 0x3400, 0xA000 - 0x3400)
_HAN[0xF900:0xFB00] = np.arange(0x6C00, 0x6C00 + 0x200)
_EMPTY = np.zeros(0, dtype=np.int32)


@functools.lru_cache(maxsize=1 << 16)
def word_key(word: str) -> int:
    """The key of a folded ASCII word (as SQL's api.search_keys computes it)."""
    return WORD_BASE | (int.from_bytes(hashlib.md5(word.encode("ascii")).digest()[:4], "big") & WORD_BITS)


def _keys(text: str) -> np.ndarray:
    """The keys of a text (unsorted, repeats included)."""
    if not text:
        return _EMPTY
    han = _HAN.take(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4"), mode="clip")
    first, second = han[:-1], han[1:]
    both = (first | second) >= 0  # neither is -1
    pairs = (first[both] << 15) | second[both]
    words = [word_key(w.translate(_FULL_WIDTH).lower()) for w in _WORD.findall(text) if len(w) <= MAX_WORD]
    return np.concatenate([pairs, np.asarray(words, dtype=np.int32)]) if words else pairs


def search_keys(title: str | None, subtitle: str | None, body: str | None) -> np.ndarray:
    """``article_search.tokens`` of an article: its keys, sorted and distinct (``int32``)."""
    head = _keys(f"{title or ''} {subtitle or ''}"[:HEADLINE_CHARS])
    keys = np.concatenate([head, head + np.int32(HEADLINE), _keys((body or "")[:BODY_CHARS])])
    keys.sort()
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if keys.size else keys


class Keys:
    """An ``int4[]`` parameter from a numpy array, sent in binary (one copy, no text)."""

    __slots__ = ("values",)

    def __init__(self, values: np.ndarray):
        self.values = values


class _KeysDumper(adapt.Dumper):
    format = pq.Format.BINARY
    oid = 1007  # int4[]

    def dump(self, obj: Keys) -> bytes:
        values = obj.values
        if values.size == 0:
            return struct.pack(">iiI", 0, 0, 23)
        cells = np.empty((values.size, 2), dtype=">i4")
        cells[:, 0] = 4  # each element: its length, then the value
        cells[:, 1] = values
        return struct.pack(">iiIii", 1, 0, 23, values.size, 1) + cells.tobytes()



# The store's part (db/archive.py): in its first statements, it says that this transaction
# writes its own documents (the fallback trigger leaves its rows alone) ...
_CLAIM = "SELECT set_config('liaocheng_news.search_by_store', 'on', true)"
# ... and with its rows, the documents of a batch in one statement: each article's keys are a
# slice of one array.
_UPSERT = """
INSERT INTO article_search (article_id, published_at, tokens)
SELECT v.id, v.published_at, (%(keys)s::int4[])[v.lo:v.hi]
FROM unnest(%(ids)s::bigint[], %(published)s::timestamptz[], %(lo)s::int[], %(hi)s::int[]) AS v(id, published_at, lo, hi)
ON CONFLICT (article_id) DO UPDATE SET published_at = EXCLUDED.published_at, tokens = EXCLUDED.tokens
"""


async def claim(conn: psycopg.AsyncConnection) -> None:
    """This transaction writes the search documents of the articles it writes (:func:`write`)."""
    await conn.execute(_CLAIM)


async def write(cur: psycopg.AsyncCursor, ids: Sequence[int], articles: Sequence) -> int:
    """Write the documents of ``articles`` (new or with changed text), stored as rows ``ids``;
    returns the bytes they add to the index's pending list (:func:`pending_bytes`)."""
    if not articles:
        return 0
    keys = [search_keys(a.title, a.subtitle, a.body_text) for a in articles]
    sizes = np.fromiter((k.size for k in keys), dtype=np.int64, count=len(keys))
    hi = np.cumsum(sizes)
    # on the cursor: the pool's connections may be older than this module (imported with the
    # first write), and a connection copies the global adapters when it opens
    cur.adapters.register_dumper(Keys, _KeysDumper)
    await cur.execute(_UPSERT, {"keys": Keys(np.concatenate(keys)), "ids": bigint_array(ids),
                                "published": [a.published_at for a in articles],
                                "lo": bigint_array(hi - sizes + 1), "hi": bigint_array(hi)})
    return pending_bytes(sizes)


# The index's upkeep.  New keys go to the GIN index's pending list (fastupdate), which a search
# reads in full.  An insert that finds the list over the index's gin_pending_list_limit merges it
# into the index inside its own transaction, holding the store's locks; the store merges it after
# its commit instead, once what it wrote since its last merge reaches MERGE_PENDING_BYTES, and an
# archive that wrote merges what is left when it closes, so a finished crawl leaves no pending
# list.  Migration 0007 sets the index's limit (16 MB) above this threshold: the limit is only a
# backstop.  A merge's CPU an article hardly depends on how many articles it takes (the in-memory
# sort of the keys grows with it as the entry-tree insertions per article fall); its WAL and page
# accesses fall with it (keys repeat), while each MB left pending slows a search by ~1 ms at its
# p95: 8 MB (docs/performance.md, "The store's PostgreSQL cost", and "The search index's upkeep").
#
# The pending list's size, as PostgreSQL lays it out (ginfast.c): a key is a 16-byte index tuple
# and a 4-byte line pointer; a document that does not fit in what is left of the list's last page
# starts pages of its own, so one over a page takes whole pages (an 850-key document: 17 KB of
# tuples in three 8 KB pages).
PENDING_KEY_BYTES = 20
PENDING_PAGE_BYTES = 8192  # a page
PENDING_PAGE_ROOM = 8160  # a page without its header and GIN's special space
MERGE_PENDING_BYTES = 8 << 20
_MERGE = "SELECT gin_clean_pending_list('article_search_tokens'::regclass)"


def pending_bytes(sizes: np.ndarray) -> int:
    """At least how much of the pending list documents of ``sizes`` keys take.  A document that
    does not fit in the free room of the list's last page starts a new page: one larger than half
    a page is counted in whole pages (a document over a page takes whole pages of its own, one of
    half a page to a page as good as a page when the last page is partly full), a smaller one
    twice its tuples (what it uses and, at the most, the room it left behind on the last page)."""
    tuples = sizes * PENDING_KEY_BYTES
    pages = -(-tuples // PENDING_PAGE_ROOM)
    return int(np.where(tuples > PENDING_PAGE_ROOM // 2, pages * PENDING_PAGE_BYTES, 2 * tuples).sum())


async def merge(conn: psycopg.AsyncConnection) -> int:
    """Merge the index's pending list into the index (outside a store's transaction); returns
    the pages it merged."""
    cur = await conn.execute(_MERGE)
    return (await cur.fetchone())[0]
