"""The headline of a page: the page text that the page's own ``<title>``/og:title names.

A page says its headline twice: once in its head (``<title>``, og:title, the TRS/Hanweb meta
``ArticleTitle``, a Founder e-paper's ``<founder-title>``), usually with the site's name added,
and once in its text.  The headline is therefore the longest run of text (before the article's
end) that the head titles contain; a site logo in an ``<h1>`` loses to it because it is shorter,
and nothing is ever cut from the run found (``1-10月德清县…`` stays whole).  A page whose head
names no run of its text gets its nearest heading before the article, and failing that its
``<title>`` with the site's name cut off.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from parsel import Selector

from liaocheng_news.parsers.cms import enpproperty
from liaocheng_news.parsers.density import Run
from liaocheng_news.parsers.html import select
from liaocheng_news.text.fields import clean_space

__all__ = ["head_titles", "choose_headline", "cut_site_name", "headline_end", "in_head", "strip_markup", "title_key"]

# the meta tags that name the headline, in this order: (attribute, value) of <meta ... content>
_HEAD_TITLE_META = (
    ("property", "og:title"),
    ("name", "twitter:title"),
    ("name", "ArticleTitle"),
    ("name", "articletitle"),
    ("name", "title"),
    ("itemprop", "headline"),
    ("itemprop", "name"),
)
# a title's site part is cut at these separators, never inside "1-10月" or a dash with no blanks
_SITE_SEPARATOR = re.compile(r"\s*(?:_{1,2}|\|{1,2}|｜|--|——|\s-\s|\s—\s|\s–\s)\s*")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "＂": '"', "（": "(", "）": ")",
                         "：": ":", "，": ",", "？": "?", "！": "!", "｜": "|", "\u3000": " "})
_TAGS = re.compile(r"<[^>]+>")  # markup inside a meta title (ArticleTitle of some TRS sites)
_NOT_WORDS = re.compile(r"[\s\u00a0]+")
_SENTENCE_END = re.compile(r"[。；;]$")
MIN_CHARS = 4
PROSE_CHARS = 80  # a line this long is a paragraph, not a heading or a table cell


def title_key(text: str | None) -> str:
    """A form for comparing titles: full-width punctuation as ASCII, no blanks."""
    return _NOT_WORDS.sub("", clean_space(text).translate(_QUOTES))


def head_titles(selector: Selector, page_text: str = "") -> list[str]:
    """The titles a page's head gives (``<title>``, og:title …, Founder's ``<founder-title>``)."""
    found: list[str] = []
    title = select(selector, "//title")
    if title:
        found.append(clean_space("".join(select(title[0], ".//text()"))))
    metas = select(selector, "//meta[@content]")  # one pass over the page for all of them
    for attribute, name in _HEAD_TITLE_META:
        found.extend(strip_markup(clean_space(meta.get("content"))) for meta in metas if meta.get(attribute) == name)
    found.append(enpproperty(page_text).get("title", ""))
    unique: list[str] = []
    for text in found:
        if text and text not in unique:
            unique.append(text)
    return unique


def in_head(text: str, heads: Sequence[str]) -> bool:
    """True when a head title names ``text`` as its headline: ``text`` is part of the head title
    and not much shorter than the head title's headline part (a site or channel name such as
    ``松花江网`` in ``土豆不“土” 土豆无“土” 松花江网`` is part of it, but no headline)."""
    key = title_key(text)
    if not key:
        return False
    for head in heads:
        whole, headline_chars = _head_key(head)
        if key in whole and len(key) * 2 >= min(headline_chars, 24):
            return True
    return False


@lru_cache(maxsize=1024)
def _head_key(head: str) -> tuple[str, int]:
    """A head title's key and the length of its headline part's key (a page's few head titles
    are asked about several times: by the template, the gate and the cross-check)."""
    return title_key(head), len(title_key(cut_site_name(head)))


def strip_markup(text: str) -> str:
    """A title without the markup some CMSs leave in it (``…力量<div>——热烈祝贺…</div>``)."""
    return clean_space(_TAGS.sub("", text)) if "<" in text else text


def headline_end(texts: Sequence[str], title: str, limit: int = 60) -> int | None:
    """The index after the lines that spell ``title`` (a headline inside the body container,
    maybe broken by ``<br>``), or None when it is not there.  Only lines before the first
    paragraph of prose are looked at, and the last spelling there counts (an 信息公开 table that
    repeats the title stands before the headline)."""
    target = title_key(title)
    found = None
    if not target:
        return None
    for start, text in enumerate(texts[:limit]):
        key = title_key(text)
        if len(key) >= PROSE_CHARS and key != target:
            break
        if len(key) < MIN_CHARS or not target.startswith(key):
            continue
        for end in range(start + 1, min(start + 6, len(texts)) + 1):
            if key == target:
                found = end
                break
            if end < len(texts):
                key += title_key(texts[end])
                if not target.startswith(key):
                    break
    return found


def cut_site_name(title: str) -> str:
    """``标题_频道_某某网`` -> ``标题``: the first part before a site separator, if long enough."""
    title = clean_space(title)
    parts = [part for part in _SITE_SEPARATOR.split(title) if part]
    if len(parts) < 2:
        return title
    head = parts[0]
    return head if len(head) >= MIN_CHARS else title


_HEADING_NAMES = re.compile(r"title|heading|headline|biaoti", re.I)


def _is_heading_like(run: Run) -> bool:
    """An h1-h6, or a block whose class or id says it is a title (``div.Heading``, ``p.title``)."""
    return run.heading or bool(_HEADING_NAMES.search(f"{run.owner.get('class') or ''} {run.owner.get('id') or ''}"))


def choose_headline(runs: Sequence[Run], heads: Sequence[str], body_start: int, body_end: int) -> tuple[str, int | None]:
    """The headline and the index of its run (None when it comes from the head alone).

    ``body_start``/``body_end`` are the indexes of the article's first and last runs: a headline
    is never found after the article's end, and among equals the one closest before its start wins.
    """
    keys = [title_key(head) for head in heads if head]
    best: tuple[tuple, str, Run] | None = None
    if keys:
        for run in runs:
            if run.index > body_end:
                break
            if run.chars < MIN_CHARS or run.chars > 200 or run.link_chars * 2 > run.chars and not run.heading:
                continue
            key = title_key(run.text)
            if not any(key in head for head in keys):
                continue
            text = run.text
            # a headline broken by <br>: the next runs of the same element continue it
            for following in runs[run.index + 1: run.index + 4]:
                if following.owner is not run.owner or not any(key + title_key(following.text) in head for head in keys):
                    break
                key += title_key(following.text)
                text += following.text
            distance = body_start - run.index if run.index <= body_start else 1000 + run.index - body_start
            rank = (len(key), _is_heading_like(run), -distance)
            if best is None or rank > best[0]:
                best = (rank, text, run)
    if best is not None:
        _, text, run = best
        if in_head(text, heads) or _is_heading_like(run):
            return text, run.index
    heading = _nearest_heading(runs, body_start)
    if heading is not None:
        return heading.text, heading.index
    for head in heads:
        cut = cut_site_name(head)
        if len(cut) >= MIN_CHARS:
            return cut, None
    return "", None


def _nearest_heading(runs: Sequence[Run], body_start: int) -> Run | None:
    """The last h1-h3 (or title-classed, bold) short run before the article's start."""
    for run in reversed(runs[: max(0, body_start) + 1]):
        if body_start - run.index > 30:
            break
        if (
            _is_heading_like(run)
            and MIN_CHARS <= run.chars <= 80
            and run.link_chars * 2 <= run.chars
            and not _SENTENCE_END.search(run.text)
        ):
            return run
    return None
