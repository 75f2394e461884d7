"""The generic path: the reader's fields for a portal whose templates did not match.

The reader (:mod:`~liaocheng_news.parsers.reader`) knows Chinese news pages, not portals; the
portal's parser adds what it knows: its breadcrumb selectors and channel rule, and its URL-date
rule when the page states no date.  The government-site meta tag ``ColumnName`` (the national
guideline for government websites asks every article page for it) names the channel when no
breadcrumb does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liaocheng_news.parsers.html import first_text, select
from liaocheng_news.parsers.reader import read_page

if TYPE_CHECKING:
    from liaocheng_news.parsers.base import ArticleParser, Page

__all__ = ["GenericParser", "generic_fields"]


def generic_fields(page: Page, parser: ArticleParser) -> dict[str, Any] | None:
    """Article fields from the reader, or None when it finds no title or too little body."""
    from liaocheng_news.parsers.base import breadcrumb_parts

    reading = read_page(page)
    if reading is None or not reading.title or sum(len(p) for p in reading.body) < parser.fallback_min_chars:
        return None
    fields = reading.fields()
    if fields["published_at"] is None:
        fields["published_at"] = parser.date_from_url(page.url)
    crumbs: list[str] = []
    for version in parser.versions:
        if version.breadcrumb:
            crumbs = breadcrumb_parts(first_text(page.selector, version.breadcrumb, " "))
            if crumbs:
                break
    column = next(iter(select(page.selector, '//meta[@name="ColumnName"]/@content')), None)
    fields["channel"] = parser.channel_of(crumbs, page) or (column.strip() if column and column.strip() else None)
    return fields


def GenericParser(portal: str = "unknown") -> ArticleParser:
    """A parser with no templates: the reader alone, for pages of no known portal."""
    from liaocheng_news.parsers.base import ArticleParser

    return type("GenericParser", (ArticleParser,), {"portal": portal, "versions": ()})()
