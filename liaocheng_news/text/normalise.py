"""Script normalisation: what the archive stores for every text field of an article.

Mirror copies of Liaocheng articles arrive Traditional-converted and annotated with pinyin
(``產(chǎn)業(yè)``, ``感慨(gǎnkǎi)``, ``城(拼音:chéng)``, ``积《繁:積》``), sprinkled with spam
phrases, and broken by page layout.  :class:`Normaliser` turns them back into the Simplified
text the portals publish, and counts what it repaired so a consumer can tell a repaired mirror
copy from a clean original (see ``shared/normalisation.md`` for the forms).

One field goes through these steps, repeated until nothing changes (so normalising twice
equals normalising once):

1. whitespace: zero-width characters dropped, every run of whitespace (full-width space and
   nbsp included) made one space, ends stripped;
2. annotations: every bracket that is a tagged annotation or pinyin reading the characters
   before it is removed (:mod:`liaocheng_news.text.pinyin`); nothing else is;
3. Traditional → Simplified, OpenCC t2s's output (:mod:`liaocheng_news.text.t2s`), only when a
   character t2s can change is present (:mod:`liaocheng_news.text.script`); annotations go
   first so the conversion sees whole phrases (``產業``, not ``產(chǎn)業``) and less text;
4. block-listed spam phrases removed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from liaocheng_news.items import Article
from liaocheng_news.text.layout import comparison_key, join_broken
from liaocheng_news.text.pinyin import ANNOTATION_CANDIDATE, OPENERS, is_annotation
from liaocheng_news.text.script import TRADITIONAL_BMP, to_simplified

__all__ = ["COUNT_KEYS", "DEFAULT_SPAM_PHRASES", "Normaliser"]

COUNT_KEYS: tuple[str, ...] = (
    "converted_from_traditional",  # characters OpenCC t2s changed
    "annotations_removed",  # brackets removed: pinyin or tagged Traditional forms (a doubled one counts twice)
    "spam_removed",  # block-listed phrases removed
    "paragraphs_joined",  # print-layout breaks inside a sentence joined back
    "title_repeats_removed",  # body paragraphs that repeated the title
    "empty_paragraphs_dropped",  # body paragraphs (or lines inside one) empty after normalisation
)
"""The keys of ``Article.normalisation``: all are always present (0 when nothing was done).

Stable names: they are stored in the archive (jsonb) and documented for consumers."""

DEFAULT_SPAM_PHRASES: tuple[str, ...] = (
    "开云体育",
    "开云app",
    "澳门博彩",
    "澳门新葡京",
    "新葡京娱乐",
    "皇冠体育",
    "亚博体育",
    "华体会体育",
    "乐鱼体育",
    "半岛体育",
    "米乐体育",
    "必威体育",
    "爱游戏体育",
    "九游会体育",
)
"""Gambling brands injected by content farms.  Only whole brand names: 澳门 alone is a place
(seed 000 names 澳门闽建集团).  Operators extend the list with the NORMALISE_SPAM_PHRASES setting."""

# zero-width characters and C0/C1 control characters (NUL cannot even be stored in PostgreSQL text);
# tabs and line breaks are whitespace and handled by _SPACE_RE
_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_SPACE_RE = re.compile(r"\s{2,}|[^\S ]")  # a whitespace run, or one whitespace char that is not a space
_PADDED_NAME_RE = re.compile(r"^([\u4e00-\u9fff]) ([\u4e00-\u9fff])$")  # 刘 飞: a two-character name set to width
_MAX_PASSES = 8
_OTHER_SPACE = "\t\n\v\f\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Anything a pass could act on except spam and plain spaces: bracket openers, whitespace other
# than U+0020, zero-width characters, characters t2s changes, and supplementary-plane characters
# (checked properly by has_traditional).  A BMP-only class, so it scans at a few ns a character.
_MAYBE_DIRTY_RE = re.compile(
    "[" + re.escape(OPENERS) + _OTHER_SPACE + "\u00ad\u200b-\u200d\u2060\ufeff"
    + TRADITIONAL_BMP + "\U00010000-\U0010FFFF]"
)


def tidy_space(text: str) -> str:
    """Zero-width and control characters dropped, whitespace runs made one space, ends stripped."""
    if _INVISIBLE_RE.search(text):
        text = _INVISIBLE_RE.sub("", text)
    return _SPACE_RE.sub(" ", text).strip()


def _strip_annotations(text: str, counts: Counter[str]) -> str:
    """Remove every annotation bracket; a space just before one goes with it."""
    pieces: list[str] = []
    tail = ""  # the last characters written so far: what the next bracket may annotate
    position = 0
    removed = 0
    for match in ANNOTATION_CANDIDATE.finditer(text):
        between = text[position : match.start()]
        before = (tail + between)[-24:]
        if is_annotation(match, before.rstrip(" ")):
            between = between.rstrip(" ")
            pieces.append(between)
            tail = (tail + between)[-24:]
            removed += 1
        else:
            pieces.append(between)
            pieces.append(match.group())
            tail = (tail + between + match.group())[-24:]
        position = match.end()
    if not removed:
        return text
    counts["annotations_removed"] += removed
    pieces.append(text[position:])
    return "".join(pieces)


class Normaliser:
    """Normalises text fields, bodies and whole :class:`~liaocheng_news.items.Article` items.

    Stateless apart from the block list, so one instance serves a whole crawl.
    """

    def __init__(self, extra_spam_phrases: Iterable[str] = ()) -> None:
        phrases = {tidy_space(p) for p in DEFAULT_SPAM_PHRASES}
        phrases.update(to_simplified(tidy_space(p))[0] for p in extra_spam_phrases if p and p.strip())
        phrases.discard("")
        self.spam_phrases: tuple[str, ...] = tuple(sorted(phrases, key=lambda p: (-len(p), p)))
        self._spam_re = re.compile("|".join(map(re.escape, self.spam_phrases)), re.IGNORECASE) if phrases else None

    # --- one field -------------------------------------------------------------------------

    def text(self, s: str, counts: Counter[str] | None = None) -> str:
        """One field (title, name, source, caption, one paragraph) as the archive stores it."""
        if self._clean(s):
            return s
        counts = Counter() if counts is None else counts
        for _ in range(_MAX_PASSES):
            new = self._pass(s, counts)
            if new == s:
                break
            s = new
        return s

    def _clean(self, s: str) -> bool:
        """The common case, settled in two regex scans: nothing in ``s`` for a pass to change."""
        if s[:1] == " " or s[-1:] == " " or "  " in s or _MAYBE_DIRTY_RE.search(s) is not None:
            return False
        return self._spam_re is None or self._spam_re.search(s) is None

    def _pass(self, s: str, counts: Counter[str]) -> str:
        s = _strip_annotations(tidy_space(s), counts)
        s, converted = to_simplified(s)
        if converted:
            counts["converted_from_traditional"] += converted
        if self._spam_re is not None:
            s, spam = self._spam_re.subn("", s)
            if spam:
                counts["spam_removed"] += spam
        return s

    def name(self, s: str, counts: Counter[str] | None = None) -> str:
        """A person's name: :meth:`text`, and a two-character name set to width (刘 飞) closed up."""
        return _PADDED_NAME_RE.sub(r"\1\2", self.text(s, counts))

    # --- a body ----------------------------------------------------------------------------

    def paragraphs(self, paras: list[str], title: str | None = None, counts: Counter[str] | None = None) -> list[str]:
        """A body: every paragraph normalised, then page debris repaired.

        Lines inside a paragraph become paragraphs, empty ones are dropped, paragraphs that
        repeat the title are dropped, and print-layout breaks inside a sentence are joined.
        """
        counts = Counter() if counts is None else counts
        title_key = comparison_key(self.text(title)) if title else ""
        kept: list[str] = []
        clean = self._clean
        for paragraph in paras:
            # str.splitlines breaks on \n \r \v \f \x1c-\x1e \x85 U+2028 U+2029, at C speed
            for line in (paragraph or "").splitlines() or ("",):
                if not clean(line):
                    line = self.text(line, counts)
                if not line:
                    counts["empty_paragraphs_dropped"] += 1
                elif title_key and comparison_key(line) == title_key:
                    counts["title_repeats_removed"] += 1
                else:
                    kept.append(line)
        joined, joins = join_broken(kept)
        if joins:
            counts["paragraphs_joined"] += joins
        return joined

    # --- an article ------------------------------------------------------------------------

    def article(self, article: Article) -> Article:
        """Normalise every text field of ``article`` in place and return it.

        ``article.normalisation`` gets every key of :data:`COUNT_KEYS`, added to what an earlier
        run recorded, so normalising an already normalised item keeps its record (and adds 0).
        """
        counts: Counter[str] = Counter()
        article.title = self.text(article.title or "", counts)
        for field in ("subtitle", "source", "channel", "page_name"):
            setattr(article, field, self._optional(getattr(article, field), counts, self.text))
        for field in ("editor", "reviewer"):
            setattr(article, field, self._optional(getattr(article, field), counts, self.name))
        article.authors = [n for n in (self.name(a or "", counts) for a in article.authors) if n]
        for image in article.images:
            _set_caption(image, self.text(_caption(image), counts))
        article.body = self.paragraphs(article.body, title=article.title, counts=counts)
        previous = article.normalisation or {}
        article.normalisation = {**previous, **{key: int(previous.get(key, 0)) + counts[key] for key in COUNT_KEYS}}
        return article

    @staticmethod
    def _optional(value: str | None, counts: Counter[str], how) -> str | None:
        if value is None:
            return None
        return how(value, counts) or None


def _caption(image: Any) -> str:
    return (image.get("caption") if isinstance(image, dict) else image.caption) or ""


def _set_caption(image: Any, caption: str) -> None:
    if isinstance(image, dict):
        image["caption"] = caption
    else:
        image.caption = caption
