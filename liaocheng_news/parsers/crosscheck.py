"""A portal template's fields checked against the reader's, so that a template never makes a page worse.

A template knows its portal; the reader knows Chinese news pages.  When a template matched:

- a title that does not appear in the page's head titles (``<title>``, og:title, ArticleTitle)
  is counted (``title_not_in_head``) and, when the reader's title does appear there, replaced
  by it (``title_from_reader``);
- a field the template missed is taken from the reader (``filled/<field>``); a day-only date
  the reader knows to the minute on the same day is made precise (``filled/time``);
- on a sample of the pages (one in :attr:`~liaocheng_news.parsers.base.ArticleParser.compare_every`,
  chosen by URL, so the same pages every run) and wherever asked (``liaocheng-news extract``,
  the fixture tests), the reader reads the page in full and the fields both give are compared
  (``compared``): those that disagree are counted (``disagree/title``, ``disagree/published_at``
  for another day, ``disagree/source``, ``disagree/body`` when the bodies share less than half
  their characters) and the template's value is kept: the template is the portal's own reading.

The reader (10–20 ms on a real page, many times the template's cost) runs only where it can add
something (:func:`reader_needed`: a title the head does not name, a field missing that the page
could hold, a day-only date on a page that states a time somewhere) and on the compared pages,
so the ``disagree/*`` counts are a sampled rate: ``disagree/<field>`` / ``compared``.

The check names are what a crawl counts (``extraction/check/<name>``, by the validate pipeline)
beside the template that read each article (``extraction/template/<portal>/<version>``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from liaocheng_news.parsers.headline import in_head, title_key
from liaocheng_news.parsers.reader import Reading, may_find

__all__ = ["cross_check", "body_overlap", "reader_needed", "COMPARED"]

_FILLABLE = ("published_at", "source", "authors", "editor", "reviewer")
_SQUASH = re.compile(r"[\s\u00a0\u3000，。、；：？！“”‘’（）《》,.;:?!\"'()\-—]+")
BODY_AGREEMENT = 0.5
COMPARED = "compared"  # the check name of a page whose fields were compared with the reader's


def body_overlap(one: list[str], other: list[str]) -> float:
    """The share of characters two bodies have in common (of the longer one), 0.0-1.0."""
    a = Counter(_SQUASH.sub("", "".join(one)))
    b = Counter(_SQUASH.sub("", "".join(other)))
    longest = max(sum(a.values()), sum(b.values()))
    return sum((a & b).values()) / longest if longest else 1.0


def _day_only(value) -> bool:
    return value is not None and (value.hour, value.minute, value.second) == (0, 0, 0)


def reader_needed(fields: dict[str, Any], page) -> bool:
    """Whether the reader can change a template's ``fields``: a title the page's head does not
    name, or a field missing (a day-only date) that the reader may find on ``page``
    (:func:`~liaocheng_news.parsers.reader.may_find`)."""
    heads = page.head_titles
    if heads and not in_head(fields.get("title") or "", heads):
        return True
    wanted = [name for name in _FILLABLE if not fields.get(name)]
    if _day_only(fields.get("published_at")):
        wanted.append("time")
    return bool(wanted) and may_find(page, wanted)


def cross_check(fields: dict[str, Any], reading: Reading | None, heads: list[str], compare: bool = True) -> list[str]:
    """Complete and check a template's ``fields`` in place; returns the check names that apply.

    ``reading`` is the reader's (None when it was not run or found nothing); ``compare``: compare
    the fields both give (:data:`COMPARED` and the ``disagree/*`` checks), not only fill."""
    checks: list[str] = []
    title = fields.get("title") or ""
    if heads and title and not in_head(title, heads):
        checks.append("title_not_in_head")
        if reading is not None and reading.title and in_head(reading.title, heads):
            fields["title"] = reading.title
            checks.append("title_from_reader")
    if reading is None:
        return checks
    if compare:
        checks.append(COMPARED)
        if reading.title and title_key(fields["title"]) != title_key(reading.title):
            checks.append("disagree/title")
    mine = fields.get("published_at")
    theirs = reading.published_at
    if mine is not None and theirs is not None:
        if mine.date() != theirs.date():
            if compare:
                checks.append("disagree/published_at")
        elif reading.date_has_time and _day_only(mine) and theirs != mine:
            fields["published_at"] = theirs
            checks.append("filled/time")
    if compare and fields.get("source") and reading.source and fields["source"] != reading.source:
        checks.append("disagree/source")
    for name in _FILLABLE:
        if not fields.get(name) and getattr(reading, name):
            fields[name] = getattr(reading, name)
            checks.append(f"filled/{name}")
    if compare and reading.body and body_overlap(fields.get("body") or [], reading.body) < BODY_AGREEMENT:
        checks.append("disagree/body")
    return checks
