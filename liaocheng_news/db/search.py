"""The search keys of an article, made in Python: ``article_search.tokens``.

Migration 0004 indexes each article's text as a sorted array of 32-bit integer keys in
``article_search`` (GIN, ``@>``), one row per article, written only when the text changes.
The SQL function ``api.search_document(title, subtitle, body)`` makes the same array (a
trigger fills the row for writers other than the store, and the migration for older rows);
this module makes it with numpy in a fraction of the time, so the store binds it
(:data:`UPSERT`).  A test holds the two equal on random text.

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
_FULL_WIDTH_ANY = re.compile("[０-９Ａ-Ｚａ-ｚ]")
_WORD = re.compile("[A-Za-z0-9]+")
_EMPTY = np.zeros(0, dtype=np.int32)


def _han_numbers(cps: np.ndarray) -> np.ndarray:
    """Each code point's Han number (0 … 0x6DFF), -1 for any other character."""
    out = np.full(cps.shape, -1, dtype=np.int64)
    main = (cps >= 0x3400) & (cps <= 0x9FFF) & ((cps <= 0x4DBF) | (cps >= 0x4E00))
    out[main] = cps[main] - 0x3400
    compat = (cps >= 0xF900) & (cps <= 0xFAFF)
    out[compat] = cps[compat] - 0xF900 + 0x6C00
    return out


def word_key(word: str) -> int:
    """The key of a folded ASCII word (as SQL's api.search_document computes it)."""
    return WORD_BASE | (int.from_bytes(hashlib.md5(word.encode("ascii")).digest()[:4], "big") & WORD_BITS)


def _keys(text: str) -> np.ndarray:
    """The keys of a text (unsorted, repeats included)."""
    if not text:
        return _EMPTY
    if _FULL_WIDTH_ANY.search(text):  # rare; translate() costs more than the rest together
        text = text.translate(_FULL_WIDTH)
    han = _han_numbers(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.int64))
    both = (han[:-1] >= 0) & (han[1:] >= 0)
    pairs = (han[:-1][both] << 15) | han[1:][both]
    words = [word_key(w.lower()) for w in _WORD.findall(text) if len(w) <= MAX_WORD]
    if words:
        pairs = np.concatenate([pairs, np.asarray(words, dtype=np.int64)])
    return pairs.astype(np.int32)


def search_keys(title: str | None, subtitle: str | None, body: str | None) -> np.ndarray:
    """``article_search.tokens`` of an article: its keys, sorted and distinct (``int32``)."""
    head = _keys(f"{title or ''} {subtitle or ''}"[:HEADLINE_CHARS])
    return np.unique(np.concatenate([head, head + np.int32(HEADLINE), _keys((body or "")[:BODY_CHARS])]))


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


psycopg.adapters.register_dumper(Keys, _KeysDumper)

# The store's statements (db/archive.py binds them; see migration 0004 for the table):
# this transaction writes its own documents, so the fallback trigger leaves its rows alone ...
STORE_WRITES = "SELECT set_config('liaocheng_news.search_by_store', 'on', true)"
# ... and the documents of a batch, in one statement: every article's keys cut from one array.
UPSERT = """
INSERT INTO article_search (article_id, published_at, tokens)
SELECT v.id, v.published_at, (%(keys)s::int4[])[v.lo:v.hi]
FROM unnest(%(ids)s::bigint[], %(published)s::timestamptz[], %(lo)s::int[], %(hi)s::int[]) AS v(id, published_at, lo, hi)
ON CONFLICT (article_id) DO UPDATE SET published_at = EXCLUDED.published_at, tokens = EXCLUDED.tokens
"""


def upsert_params(ids: Sequence[int], published: Sequence, keys: Sequence[np.ndarray]) -> dict:
    """:data:`UPSERT`'s parameters for articles ``ids`` with their publication times and keys."""
    sizes = np.fromiter((k.size for k in keys), dtype=np.int64, count=len(keys))
    hi = np.cumsum(sizes)
    lo = hi - sizes + 1
    flat = np.concatenate(keys) if len(keys) else _EMPTY
    return {"keys": Keys(flat), "ids": bigint_array(ids), "published": list(published), "lo": bigint_array(lo),
            "hi": bigint_array(hi)}
