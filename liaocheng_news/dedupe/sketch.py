"""Keys of an article's text: the exact fingerprint, and the sketch that finds and confirms copies.

Every function here is pure and stable across processes, machines and years (no Python
``hash()``, no random state): the keys one crawl stores must be found by another a year later.
Bodies are the normalised Simplified text, one paragraph a line (``articles.body``).

* :func:`fingerprint` — exact duplicates: sha256 of the body with everything but letters and
  digits removed (all punctuation, CJK and ASCII, symbols and whitespace), after NFKC folding
  and lower-casing (:func:`key_text`).  Stored as ``articles.content_hash``.
* :func:`article_sketch` — what placement needs of a title and body, in one pass over the text:

  - the *content*: the body's lines without page chrome (``编辑:…``, ``来源:…``, print notes
    ``2024年12月20日《聊城日报》2版``, bylines, copyright footers: :func:`is_chrome`), reduced to
    letters and digits (ASCII and full-width letters lower-cased, full-width digits made ASCII,
    and the few characters a mirror's converter leaves in Traditional form folded to the
    Simplified one: 著 → 着, as seed 004's mirror wrote 著力 for the portal's 着力);
  - *sentences*: the content cut at 。！？；(and their ASCII forms) and at line ends.  Each
    sentence of at least :data:`PASSAGE_MIN_CHARS` key characters has a *passage key*, a signed
    64-bit BLAKE2b hash of its key text.  Passage keys are stored in ``article_passages`` and
    are what finds a copy whatever its length: a two-paragraph excerpt shares its sentences
    with the sixteen-paragraph article (MinHash bands, the former candidate source, estimate
    Jaccard similarity, which is near 0.1 between a 10 % excerpt and its article);
  - the *title key*: the title's key text hashed in a domain of its own and stored beside the
    passage keys — a further candidate source, never evidence on its own;
  - *shingles*: 64-bit hashes of the K-character windows inside each sentence, each with its
    sentence and paragraph: what :mod:`liaocheng_news.dedupe.rules` measures to confirm a
    candidate (containment, spread over paragraphs, the lead);
  - ``size``: key characters of the content, stored as ``articles.content_chars`` (how full
    a copy is: the canonical copy is a fullest one).

A body with more than :data:`MAX_PASSAGES` sentences keeps the passage keys with the smallest
hash values (a bottom-k sample: a copy's sentences are sampled the same way, so an excerpt of a
huge page still shares keys with it in proportion).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

K = 5  # characters per shingle: specific to a phrase; one wrong character spoils five shingles
PASSAGE_MIN_CHARS = 10  # key characters of a sentence that gets a passage key (shorter ones are everywhere)
MAX_PASSAGES = 400  # passage keys stored per article, at most
TITLE_MIN_CHARS = 4  # key characters of a title that gets a title key

# Traditional characters OpenCC t2s leaves as they are (each is also a valid Simplified
# character) though a mirror's converter wrote them for the Simplified one on the right.
_FOLD = ("著瞭覆藉祇衹彷馀", "着了复借只只仿余")
_SENTENCE_ENDS = "。｡！!？?；;"

_U64 = np.uint64
_SHINGLE_BASE = _U64(0x100000001B3)  # FNV prime: polynomial combination of code points

# Short lines that are page chrome, not story: bylines, editors, sources, print notes, footers.
_CHROME = re.compile(
    r"""^(?:
        # a byline: names only to the end of the line (one flat class: no nested repetition,
        # which backtracked for seconds on an interview's 记者：… question line)
        [■●◆▲]?\s*(?:本报|本台|本网)?(?:见习|特约)?(?:记者|通讯员)\s*[:：]?[\u4e00-\u9fff·\s、,，]*$
      | (?:来源|稿源|作者|编辑|责任编辑|初审编辑|审核|终审|责编|校对|摄影|摄|图|文|供稿|出处|日期|发布时间|点击)\s*[:：/]
      | 文\s*/|图\s*/
      | \d{4}年\d{1,2}月\d{1,2}日\s*《[^》]{1,12}》\s*\S{0,6}版
      | \d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$
      | \d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*(?:来源|作者)\s*[:：]
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
    cps = _codepoints(text)
    return cps[_is_alnum(cps)].tobytes().decode("utf-32-le")


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _is_alnum(cps: np.ndarray) -> np.ndarray:
    astral = cps > 0xFFFF
    if not astral.any():
        return _alnum_table()[cps]
    keep = np.zeros(len(cps), dtype=bool)  # rare (CJK extension B+, emoji): asked one by one
    keep[~astral] = _alnum_table()[cps[~astral]]
    keep[astral] = [chr(cp).isalnum() for cp in cps[astral]]
    return keep


def key_text(text: str) -> str:
    """Letters and digits only, NFKC-folded and lower-cased: what the fingerprint is computed on.

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


def content_lines(body: str) -> list[str]:
    """The body's lines without chrome: what sketches (and the size of a copy) are made of."""
    return [line for line in body.splitlines() if not is_chrome(line)]


# --- the sketch ----------------------------------------------------------------------------

_DROP, _KEEP, _SENTENCE_END, _LINE_END = 0, 1, 2, 3


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """Per BMP code point: its class (drop, keep, sentence end, line end) and the code point kept."""
    kind = np.where(_alnum_table(), _KEEP, _DROP).astype(np.uint8)
    for ch in _SENTENCE_ENDS:
        kind[ord(ch)] = _SENTENCE_END
    kind[ord("\n")] = _LINE_END
    kept = np.arange(0x10000, dtype=np.uint32)
    upper = np.arange(ord("A"), ord("Z") + 1)
    kept[upper] = upper + 32
    for first, target in ((0xFF10, ord("0")), (0xFF21, ord("a")), (0xFF41, ord("a"))):  # full-width ０ Ａ ａ
        span = np.arange(first, first + (10 if target == ord("0") else 26))
        kept[span] = span - first + target
    for src, dst in zip(*_FOLD, strict=True):
        kept[ord(src)] = ord(dst)
    return kind, kept


def _classify(text: str) -> tuple[np.ndarray, np.ndarray]:
    cps = _codepoints(text)
    kind_table, kept_table = _tables()
    astral = cps > 0xFFFF
    if not astral.any():
        return kind_table[cps], kept_table[cps]
    kind = np.zeros(len(cps), dtype=np.uint8)
    kind[~astral] = kind_table[cps[~astral]]
    kind[astral] = np.where(_is_alnum(cps[astral]), _KEEP, _DROP)
    kept = cps.copy()
    kept[~astral] = kept_table[cps[~astral]]
    return kind, kept


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised (uint64 arithmetic wraps, as intended)."""
    x = x + _U64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


_HASH_BASE = 0x100000001B3  # the FNV prime: odd, so invertible modulo 2**64
_HASH_INVERSE = pow(_HASH_BASE, -1, 2**64)
_PASSAGE_DOMAIN, _TITLE_DOMAIN = _U64(0x7061737361676531), _U64(0x7469746C65303031)


@functools.lru_cache(maxsize=1)
def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """base**j and base**-j modulo 2**64 for j in 0..n (grown by doubling, so built a few times)."""
    steps = np.full(n + 1, _HASH_BASE, dtype=_U64)
    steps[0] = 1
    powers = np.cumprod(steps)
    steps[1:] = _HASH_INVERSE
    return powers, np.cumprod(steps)


def _segment_hashes(chars: np.ndarray, starts: np.ndarray, ends: np.ndarray, domain: np.uint64) -> np.ndarray:
    """A 64-bit hash of each run ``chars[s:e]`` (vectorised): the polynomial sum of its code
    points in powers of an odd base modulo 2**64, whatever the run's position, with its length
    and a domain folded in and the result mixed; returned as signed int64 (a bigint key)."""
    n = chars.size
    powers, inverse = _powers(max(4096, 1 << n.bit_length()))
    prefix = np.zeros(n + 1, dtype=_U64)
    np.cumsum(chars * inverse[:n], out=prefix[1:])
    runs = (prefix[ends] - prefix[starts]) * powers[starts]
    return _mix(runs ^ (ends - starts).astype(_U64) ^ domain).view(np.int64)


# what _tables() keeps of a character that is not kept as it is: ASCII upper case lowered,
# full-width digits and letters made ASCII, a mirror's leftover Traditional forms folded
_KEPT_AS = {
    **{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)},
    **{chr(0xFF10 + i): chr(ord("0") + i) for i in range(10)},
    **{chr(0xFF21 + i): chr(ord("a") + i) for i in range(26)},
    **{chr(0xFF41 + i): chr(ord("a") + i) for i in range(26)},
    **dict(zip(*_FOLD, strict=True)),
}
_U64_MASK = (1 << 64) - 1


def title_key(title: str) -> str:
    """The title's key text (letters and digits, folded as the content is: :func:`_tables`).

    A title is a few characters, too few for numpy's per-call cost to pay: read character by
    character (a test checks it against the content's classification)."""
    return "".join(_KEPT_AS.get(char, char) for char in title or "" if char.isalnum())


def _mix_int(x: int) -> int:
    """:func:`_mix` of one value."""
    x = (x + 0x9E3779B97F4A7C15) & _U64_MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _U64_MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _U64_MASK
    return x ^ (x >> 31)


def _title_hash(key: str) -> int:
    """:func:`_segment_hashes` of the whole of ``key`` in the title domain, as a signed 64-bit int."""
    total, inverse = 0, 1
    for char in key:
        total = (total + ord(char) * inverse) & _U64_MASK
        inverse = (inverse * _HASH_INVERSE) & _U64_MASK
    value = _mix_int(total ^ len(key) ^ int(_TITLE_DOMAIN))
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass(frozen=True, eq=False)
class Sketch:
    """What placement needs of one article's title and body (see the module docstring).

    The keys are made at once; the shingles (which only a comparison with a candidate needs,
    and most articles meet none) when first asked for."""

    size: int  # key characters of the content (articles.content_chars)
    sentence_keys: np.ndarray  # int64, one per sentence (0 for a sentence too short to key)
    passage_keys: tuple[int, ...]  # the sentences' keys to store (distinct, at most MAX_PASSAGES)
    title: str  # the title's key text
    title_hash: int | None  # its key (None for a title under TITLE_MIN_CHARS)
    chars: np.ndarray = field(repr=False)  # uint64: the content's key characters
    sentence: np.ndarray = field(repr=False)  # int32: the sentence of each
    paragraph: np.ndarray = field(repr=False)  # int32: the paragraph (content line) of each

    @property
    def keys(self) -> list[int]:
        """Every key stored for the article in ``article_passages``: passages, then the title."""
        return [*self.passage_keys, *(() if self.title_hash is None else (self.title_hash,))]

    @property
    def shingles(self) -> np.ndarray:
        """uint64, sorted and distinct: the K-character windows inside each sentence."""
        return self._shingled[0]

    @property
    def shingle_sentence(self) -> np.ndarray:
        """int32: the sentence of each shingle's first occurrence."""
        return self._shingled[1]

    @property
    def shingle_paragraph(self) -> np.ndarray:
        """int32: the paragraph (content line) of that occurrence."""
        return self._shingled[2]

    @cached_property
    def _shingled(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        chars, sentence, n = self.chars, self.sentence, self.chars.size
        if n < K:
            return np.empty(0, _U64), np.empty(0, np.int32), np.empty(0, np.int32)
        m = n - K + 1
        h = np.zeros(m, dtype=_U64)
        for j in range(K):
            h = h * _SHINGLE_BASE + chars[j : j + m]
        inside = np.flatnonzero(sentence[:m] == sentence[K - 1 :])  # windows crossing sentences dropped
        h = _mix(h[inside])
        order = np.argsort(h)  # deterministic; which occurrence of a repeated shingle is kept does not matter
        sorted_h = h[order]
        distinct = np.concatenate(([True], sorted_h[1:] != sorted_h[:-1])) if sorted_h.size else np.empty(0, bool)
        first = inside[order[distinct]]
        return sorted_h[distinct], sentence[first], self.paragraph[first]


def article_sketch(title: str, body: str) -> Sketch:
    """The sketch of an article (see the module docstring)."""
    kind, kept = _classify("\n".join(content_lines(body or "")))
    keep = kind == _KEEP
    chars = kept[keep].astype(_U64)
    n = chars.size
    if n:
        sentence_of = np.cumsum(kind >= _SENTENCE_END)[keep]
        opens = np.empty(n, bool)  # a key character that starts a sentence
        opens[0] = True
        np.not_equal(sentence_of[1:], sentence_of[:-1], out=opens[1:])
        starts = np.flatnonzero(opens)
        sentence = (np.cumsum(opens) - 1).astype(np.int32)
        ends = np.append(starts[1:], n)
        sentence_keys = np.where(ends - starts >= PASSAGE_MIN_CHARS,
                                 _segment_hashes(chars, starts, ends, _PASSAGE_DOMAIN), 0)
        passages = np.unique(sentence_keys[sentence_keys != 0])  # sorted: the bottom-k sample is a prefix
        paragraph = np.cumsum(kind == _LINE_END)[keep].astype(np.int32)
    else:
        sentence_keys = passages = np.empty(0, np.int64)
        sentence = paragraph = np.empty(0, np.int32)
    tkey = title_key(title)
    return Sketch(
        size=int(n),
        sentence_keys=sentence_keys,
        passage_keys=tuple(passages[:MAX_PASSAGES].tolist()),
        title=tkey,
        title_hash=_title_hash(tkey) if len(tkey) >= TITLE_MIN_CHARS else None,
        chars=chars,
        sentence=sentence,
        paragraph=paragraph,
    )
