"""A portal template's fields checked against the reader's, so that a template never makes a page worse.

A template knows its portal; the reader knows Chinese news pages.  When a template matched:

- a field the template missed is taken from the reader (``filled/<field>``); a day-only date
  the reader knows to the minute on the same day is made precise (``filled/time``);
- a title that does not appear in the page's head titles (``<title>``, og:title, ArticleTitle)
  is counted (``title_not_in_head``) and, when the reader's title does appear there, replaced
  by it (``title_from_reader``);
- fields both give but that disagree are counted (``disagree/title``, ``disagree/published_at``
  for another day, ``disagree/source``, ``disagree/body`` when the bodies share less than half
  their characters) and the template's value is kept: the template is the portal's own reading.

The check names are what a crawl counts (``extraction/check/<name>``) beside the template that
read each article (``extraction/template/<portal>/<version>``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from liaocheng_news.parsers.headline import in_head, title_key
from liaocheng_news.parsers.reader import Reading

__all__ = ["cross_check", "body_overlap"]

_FILLABLE = ("published_at", "source", "authors", "editor", "reviewer")
_SQUASH = re.compile(r"[\s\u00a0\u3000，。、；：？！“”‘’（）《》,.;:?!\"'()\-—]+")
BODY_AGREEMENT = 0.5


def body_overlap(one: list[str], other: list[str]) -> float:
    """The share of characters two bodies have in common (of the longer one), 0.0-1.0."""
    a = Counter(_SQUASH.sub("", "".join(one)))
    b = Counter(_SQUASH.sub("", "".join(other)))
    longest = max(sum(a.values()), sum(b.values()))
    return sum((a & b).values()) / longest if longest else 1.0


def cross_check(fields: dict[str, Any], reading: Reading | None, heads: list[str]) -> list[str]:
    """Complete and check a template's ``fields`` in place; returns the check names that apply."""
    checks: list[str] = []
    title = fields.get("title") or ""
    if heads and title and not in_head(title, heads):
        checks.append("title_not_in_head")
        if reading is not None and reading.title and in_head(reading.title, heads):
            fields["title"] = reading.title
            checks.append("title_from_reader")
    if reading is None:
        return checks
    if reading.title and title_key(fields["title"]) != title_key(reading.title):
        checks.append("disagree/title")
    mine = fields.get("published_at")
    theirs = reading.published_at
    if mine is not None and theirs is not None:
        if mine.date() != theirs.date():
            checks.append("disagree/published_at")
        elif reading.date_has_time and (mine.hour, mine.minute, mine.second) == (0, 0, 0) and theirs != mine:
            fields["published_at"] = theirs
            checks.append("filled/time")
    if fields.get("source") and reading.source and fields["source"] != reading.source:
        checks.append("disagree/source")
    for name in _FILLABLE:
        if not fields.get(name) and getattr(reading, name):
            fields[name] = getattr(reading, name)
            checks.append(f"filled/{name}")
    if reading.body and body_overlap(fields.get("body") or [], reading.body) < BODY_AGREEMENT:
        checks.append("disagree/body")
    return checks
