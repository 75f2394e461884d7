"""Exact and near-duplicate keys of an article body.

Every function here is pure and stable across processes and machines (no Python ``hash()``,
no random state): the bands written by one crawl must be found by another a year later.
Bodies are the normalised Simplified text, one paragraph a line (``articles.body``).

* :func:`fingerprint` — exact duplicates: sha256 of the body with everything but letters and
  digits removed (all punctuation, CJK and ASCII, symbols and whitespace), after NFKC folding
  (full-width digits and Latin letters become ASCII) and lower-casing.
* :func:`shingles` — the set of 64-bit hashes of overlapping 5-character shingles of the body's
  *sketch text*: the same letters-and-digits key, built from the body without its chrome lines
  (``编辑:…``, ``来源:…``, print notes ``2024年12月20日《聊城日报》2版``, copyright footers …) so
  that another portal's byline or footer neither hides a copy nor makes two stories look alike.
  Chinese has no spaces, so shingles are characters; k = 5 makes a shingle specific to a phrase
  while one wrong character (a left-over of mirror normalisation) spoils only five of them.
* :func:`minhash` / :func:`signatures` — a MinHash signature of :data:`BINS` values made by
  one-permutation hashing (each shingle hash falls in one bin, the bin keeps its minimum; empty
  bins borrow from the next bin to the right, "rotation densification").  It costs one pass
  over the shingles instead of one per permutation, which is what makes a million-article
  bulk load feasible; the collision probability of a bin is still the Jaccard similarity.
* :func:`bands` — LSH: the signature cut into :data:`BANDS` bands of :data:`ROWS` values, each
  hashed with its band number into a signed 64-bit key (``article_bands.band``).  Two bodies
  with Jaccard similarity J share at least one key with probability 1 - (1 - J^3)^32:
  0.88 at J = 0.4, 0.986 at J = 0.5, 0.9996 at J = 0.6; 3 % at J = 0.1 (same topic).
* :func:`overlap` — the confirmation measure: containment of the smaller shingle set in the
  larger, |A ∩ B| / min(|A|, |B|), which is 1.0 for a trimmed copy however much was trimmed.
  Two guards make it 0.0: the smaller set has fewer than :data:`MIN_SHINGLES` shingles (tiny
  texts match everything), or the smaller set is under :data:`MIN_SIZE_RATIO` of the larger
  (a one-paragraph brief that quotes a long article is not a copy of it).
  :func:`same_story` is ``overlap >= COPY_THRESHOLD``.

Why 0.6 and 0.4 (measured on ``tests/dedupe/labelled_pairs.py``): a copy of a story —
trimmed, re-chromed, a normalised mirror, e-paper layout — has containment 0.96–1.0 against
the original, and two copies of a long story trimmed of different paragraphs 0.92–0.97; two
copies of a 4–5-paragraph item trimmed of *different* paragraphs share only 0.62–0.72 (the
tightest same-story cases; placement usually links them through the full copy instead).
Different stories on one topic share 0.00–0.02 (long) and at most 0.38 when a short item
carries one of the other's paragraphs or an unfiltered boilerplate sentence.  0.6 sits in the
gap between 0.38 and 0.62.
The size guard 0.4 lets a copy drop up to 60 % of the text but stops a one-paragraph brief
(ratio ≈ 0.1) from joining the long story it quotes.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

K = 5  # characters per shingle
BINS = 96  # signature length (one-permutation MinHash bins)
ROWS = 3  # signature values per LSH band
BANDS = BINS // ROWS  # 32 band keys per article
MIN_SHINGLES = 50  # fewer shingles: no bands, never a near-duplicate (≈ 54 characters)
MIN_SIZE_RATIO = 0.4  # smaller / larger shingle set below this: not a copy
COPY_THRESHOLD = 0.6  # containment at or above this: the same story

_U64 = np.uint64
_MASK32 = _U64(0xFFFFFFFF)
_EMPTY = _U64(0xFFFFFFFFFFFFFFFF)
_SHINGLE_BASE = _U64(0x100000001B3)  # FNV prime: polynomial combination of code points

# Short lines that are page chrome, not story: bylines, editors, sources, print notes, footers.
_CHROME = re.compile(
    r"""^(?:
        [■●◆▲]?\s*(?:(?:本报|本台|本网)?(?:见习|特约)?(?:记者|通讯员)\s*[:：]?\s*(?:[\u4e00-\u9fff·]{2,4}[\s、,，]*)+)+$
      | (?:来源|稿源|作者|编辑|责任编辑|初审编辑|审核|终审|责编|校对|摄影|摄|图|文|供稿|出处|日期|发布时间|点击)\s*[:：/]
      | 文\s*/|图\s*/
      | \d{4}年\d{1,2}月\d{1,2}日\s*《[^》]{1,12}》\s*\S{0,6}版
      | \d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$
      | https?://\S+\s*$
      | (?:分享|A\+A-|打印|关闭|返回顶部|相关推荐|相关文章推荐|新闻推荐|猜你喜欢|网友评论|评论)[:：]?\s*$
    )
    | 版权所有 | ICP备 | 公网安备 | 许可证编号 | 举报电话 | 举报邮箱 | 联系我们 | 广告服务 | 版权声明
    """,
    re.VERBOSE,
)
_CHROME_MAX_LEN = 100  # a longer line is story text even if it starts like a byline


@functools.cache
def _alnum_table() -> np.ndarray:
    """``str.isalnum`` of every BMP code point, as a lookup array (built once, ~15 ms)."""
    return np.fromiter((chr(cp).isalnum() for cp in range(0x10000)), dtype=bool, count=0x10000)


def _alnum_only(text: str) -> str:
    """``text`` without non-alphanumerics; numpy instead of ``re`` (five times faster on Chinese)."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    astral = cps > 0xFFFF
    if astral.any():  # rare (CJK extension B+, emoji): asked one by one
        keep = np.zeros(len(cps), dtype=bool)
        keep[~astral] = _alnum_table()[cps[~astral]]
        keep[astral] = [chr(cp).isalnum() for cp in cps[astral]]
    else:
        keep = _alnum_table()[cps]
    return cps[keep].tobytes().decode("utf-32-le")


def key_text(text: str) -> str:
    """Letters and digits only, NFKC-folded and lower-cased: what both keys are computed on.

    Non-alphanumerics go first: NFKC is slow on a whole body and mostly rewrites punctuation
    (full-width colons, brackets) that is dropped anyway; the fast ``is_normalized`` check
    skips it for the usual all-Simplified text.
    """
    text = _alnum_only(text)
    if not unicodedata.is_normalized("NFKC", text):
        text = _alnum_only(unicodedata.normalize("NFKC", text))
    return text.lower()


def fingerprint(body: str) -> str:
    """Exact-duplicate key: sha256 hex of :func:`key_text` of the body."""
    return hashlib.sha256(key_text(body).encode("utf-8")).hexdigest()


def is_chrome(line: str) -> bool:
    line = line.strip()
    return not line or (len(line) <= _CHROME_MAX_LEN and _CHROME.search(line) is not None)


def sketch_text(body: str) -> str:
    """The key text of the body without its chrome lines (what shingles are taken from)."""
    return key_text("\n".join(line for line in body.splitlines() if not is_chrome(line)))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised (uint64 arithmetic wraps, as intended)."""
    x = x + _U64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def _shingle_hashes(keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of all K-character shingles of several key texts, and the text each belongs to."""
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    total = int(lengths.sum())
    if total < K:
        return np.empty(0, _U64), np.empty(0, np.int64)
    cps = np.frombuffer("".join(keys).encode("utf-32-le"), dtype="<u4").astype(_U64)
    n = total - K + 1
    h = np.zeros(n, dtype=_U64)
    for j in range(K):
        h = h * _SHINGLE_BASE + cps[j : j + n]
    owner = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    inside = owner[:n] == owner[K - 1 : K - 1 + n]  # shingles crossing two texts are dropped
    return _mix(h[inside]), owner[:n][inside]


def shingles(body: str) -> np.ndarray:
    """Sorted distinct 64-bit hashes of the body's K-character shingles (of its sketch text)."""
    h, _ = _shingle_hashes([sketch_text(body)])
    return _distinct(h)


def _densify(sig: np.ndarray) -> np.ndarray:
    """Fill empty bins (rows of ``sig``) from the next non-empty bin to the right, circularly."""
    for row in np.flatnonzero((sig == _EMPTY).any(axis=1)):
        s = sig[row]
        full = np.flatnonzero(s != _EMPTY)
        if full.size == 0:
            continue
        empty = np.flatnonzero(s == _EMPTY)
        pos = np.searchsorted(full, empty) % full.size
        dist = (full[pos] - empty) % BINS
        # the borrowed value is tagged with its distance so that it never equals a real one
        s[empty] = s[full[pos]] + (dist.astype(_U64) << _U64(32))
    return sig


def _oph(h: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """One-permutation MinHash of shingle hashes ``h`` belonging to ``n`` texts (``owner``)."""
    sig = np.full((n, BINS), _EMPTY, dtype=_U64)
    if h.size:
        flat = owner * BINS + (((h >> _U64(32)) * _U64(BINS)) >> _U64(32)).astype(np.int64)
        np.minimum.at(sig.reshape(-1), flat, h & _MASK32)
    return _densify(sig)


def _positions(key: str) -> int:
    """Shingle positions of a key text: the cheap length guard for bands (overlap() counts distinct)."""
    return max(0, len(key) - K + 1)


def signatures(bodies: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures of many bodies at once (shape ``(len(bodies), BINS)``, uint64).

    Also returns each body's number of shingle positions: a body with fewer than
    :data:`MIN_SHINGLES` gets no bands.  Vectorised over the whole batch (the bulk loader of
    ``bench/dedupe.py`` runs it on thousands of bodies per call); ``minhash`` is the one-body case.
    """
    keys = [sketch_text(b) for b in bodies]
    h, owner = _shingle_hashes(keys)
    counts = np.fromiter((_positions(k) for k in keys), dtype=np.int64, count=len(keys))
    return _oph(h, owner, len(bodies)), counts


def minhash(body: str) -> np.ndarray:
    """The body's MinHash signature (``BINS`` uint64 values; all-max when it has no shingles)."""
    return signatures([body])[0][0]


_BAND_SEEDS = _mix(np.arange(1, BANDS + 1, dtype=_U64))  # the band numbers folded into the keys


def _band_keys(sig: np.ndarray) -> np.ndarray:
    """Band keys of signatures of shape (n, BINS) → (n, BANDS) int64."""
    rows = sig.reshape(sig.shape[0], BANDS, ROWS)
    key = np.broadcast_to(_BAND_SEEDS, rows.shape[:2])
    for r in range(ROWS):
        key = _mix(key ^ rows[:, :, r])
    return key.view(np.int64)


def bands(signature: np.ndarray) -> list[int]:
    """LSH band keys of one signature, as signed 64-bit ints (band number folded in)."""
    sig = np.asarray(signature, dtype=_U64).reshape(1, BINS)
    if (sig == _EMPTY).all():
        return []
    return _band_keys(sig)[0].tolist()


def body_bands(body: str) -> list[int]:
    """The band keys to store for a body; none for a body too short to compare."""
    return sketch_body(body).bands


def many_body_bands(bodies: Sequence[str]) -> list[list[int]]:
    """:func:`body_bands` of many bodies, vectorised (bulk loads)."""
    sig, counts = signatures(bodies)
    keys = _band_keys(sig)
    return [keys[i].tolist() if counts[i] >= MIN_SHINGLES else [] for i in range(len(bodies))]


@dataclass(frozen=True)
class BodySketch:
    """Everything placement needs of one body, computed in one pass over its text."""

    shingles: np.ndarray  # sorted distinct shingle hashes (for containment)
    bands: list[int]  # LSH band keys to store and look up (empty: too short)


def sketch_body(body: str) -> BodySketch:
    key = sketch_text(body)
    h, owner = _shingle_hashes([key])
    keys = _band_keys(_oph(h, owner, 1))[0].tolist() if _positions(key) >= MIN_SHINGLES else []
    return BodySketch(_distinct(h), keys)


def _distinct(h: np.ndarray) -> np.ndarray:
    h = np.sort(h)  # np.unique is ten times slower on these small arrays
    return h[np.concatenate(([True], h[1:] != h[:-1]))] if h.size else h


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Guarded containment of two shingle sets (see :func:`overlap`)."""
    small, large = (a, b) if a.size <= b.size else (b, a)
    if small.size < MIN_SHINGLES or small.size < MIN_SIZE_RATIO * large.size:
        return 0.0
    return np.intersect1d(small, large, assume_unique=True).size / small.size


def overlap(a: str, b: str) -> float:
    """Containment of the smaller body's shingle set in the larger's, 0.0 when a guard fails."""
    return containment(shingles(a), shingles(b))


def same_story(a: str, b: str) -> bool:
    """The near-duplicate decision: one body is (nearly) contained in the other."""
    return overlap(a, b) >= COPY_THRESHOLD
