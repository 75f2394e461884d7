"""The publication dates a page states outside its visible text: meta tags, JSON-LD, script data,
a Founder e-paper's ``enpproperty`` comment, the URL.

The reader prefers the date line under the headline (what the reader sees); these are what it
falls back on, and what makes a day-only line precise to the minute when they agree on the day.
A time of exactly midnight in machine data is read as "no time given" (e-papers write
``2022-02-13 00:00:00`` for a day).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from liaocheng_news.parsers.cms import enpproperty
from liaocheng_news.text.fields import FoundDate, find_datetime

__all__ = ["MachineDate", "machine_dates"]

# meta tags that carry the publication time, most trusted first (Open Graph / schema.org, then
# the names Chinese CMSs use: TRS and Hanweb government sites' PubDate, gov.cn's
# firstpublishedtime, the common publishdate/pubdate spellings); keys are lower case
_META_RANK = {
    name: rank for rank, name in enumerate((
        "article:published_time", "datepublished", "og:release_date", "pubdate", "publishdate",
        "publish_date", "publishtime", "firstpublishedtime", "dc.date.issued", "dc.date",
    ))
}
# publication times in a page's script data ("pubtime": "2019-09-07 19:02:26")
_SCRIPT_KEYS = re.compile(
    r"(?:pubtime|pubTime|publishTime|publish_time|pubDate|pub_date|datePublished|publishDate)[\"']?"
    r"""\s*[:=]\s*["']([^"'<>]{8,40})["']""")
_SCRIPT_MAX = 200_000  # characters of script text searched


@dataclass(frozen=True)
class MachineDate:
    found: FoundDate
    origin: str  # meta | json-ld | script | enpproperty | url


def _from(text: str | None, origin: str) -> MachineDate | None:
    found = find_datetime(text)
    if found is None:
        return None
    if found.has_time and found.value.hour == 0 and found.value.minute == 0 and found.value.second == 0:
        found = FoundDate(found.value, False, found.start, found.end)
    return MachineDate(found, origin)


def _json_ld_dates(text: str) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    values: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            value = item.get("datePublished") or item.get("dateCreated")
            if isinstance(value, str):
                values.append(value)
            stack.extend(v for v in item.values() if isinstance(v, (list, dict)))
    return values


def machine_dates(root: HtmlElement, page_text: str, url: str) -> list[MachineDate]:
    """Every date the page's machine data gives, most trusted first (the URL last)."""
    found: list[MachineDate] = []

    def add(text: str | None, origin: str) -> None:
        value = _from(text, origin)
        if value is not None:
            found.append(value)

    metas: list[tuple[int, str]] = []
    for meta in root.iter("meta", "time"):
        if meta.tag == "time":
            if meta.get("itemprop") == "datePublished" or meta.get("pubdate") is not None:
                metas.append((_META_RANK["datepublished"], meta.get("datetime") or ""))
            continue
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        if key in _META_RANK:
            metas.append((_META_RANK[key], meta.get("content") or ""))
    for _, value in sorted(metas, key=lambda pair: pair[0]):
        add(value, "meta")
    script_chars = 0
    for script in root.iter("script"):
        text = script.text or ""
        if not text or script_chars > _SCRIPT_MAX:
            continue
        script_chars += len(text)
        if "ld+json" in (script.get("type") or ""):
            for value in _json_ld_dates(text):
                add(value, "json-ld")
            continue
        for match in _SCRIPT_KEYS.finditer(text):
            add(match.group(1), "script")
    if "property" in page_text:
        add(enpproperty(page_text).get("date"), "enpproperty")
    add(url, "url")
    found.sort(key=lambda date: _ORIGIN_RANK[date.origin])
    return found


_ORIGIN_RANK = {"meta": 0, "json-ld": 1, "script": 2, "enpproperty": 3, "url": 4}
