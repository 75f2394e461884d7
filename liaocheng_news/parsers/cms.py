"""Conventions of the content-management systems Chinese news sites run on, shared by the
portal templates and the reader.

- Founder (方正) e-papers write the article's metadata into an HTML comment:
  ``<!--enpproperty <articleid>…</articleid><date>2024-03-29</date>…<founder-title>…</founder-title>
  /enpproperty-->`` (older pages: ``<!--mpproperty <founder-date>…</founder-date> … /mpproperty-->``);
  the body sits in ``<founder-content>`` (or ``#ozoom``).
"""

from __future__ import annotations

import html
import re

from liaocheng_news.text.fields import clean_space

__all__ = ["enpproperty"]

_ENP = re.compile(r"<!--\s*(?:enp|mp)property(.*?)/?(?:enp|mp)property\s*-->", re.S | re.I)
_ENP_FIELD = re.compile(r"<(?:founder-)?([a-z]+)>(.*?)</(?:founder-)?\1>", re.S | re.I)


def enpproperty(text: str) -> dict[str, str]:
    """The fields of the Founder metadata comment, keyed without the ``founder-`` prefix.

    ``<date>2024-03-29</date>…<founder-title>图片新闻</founder-title>`` ->
    ``{"date": "2024-03-29", "title": "图片新闻"}``; inner tags (``<p>``) and entities are
    removed, empty fields are left out.  No comment gives ``{}``.
    """
    match = _ENP.search(text or "")
    if not match:
        return {}
    fields: dict[str, str] = {}
    for name, value in _ENP_FIELD.findall(match.group(1)):
        value = clean_space(html.unescape(re.sub(r"<[^>]+>|<!\[CDATA\[|\]\]>", "", value)))
        if value and name.lower() not in fields:
            fields[name.lower()] = value
    return fields
