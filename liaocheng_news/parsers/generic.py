"""The generic fallback: trafilatura, configured for Chinese news pages.

Used only when none of a portal's template versions finds a title and a body.  trafilatura's
defaults count characters with Western prose in mind (250 characters minimum); Chinese packs a
word into one or two characters, so the minimums are lowered.  Its output lines then go through
the same cleaning as template bodies (furniture headings, chrome lines, bylines, print notes).
"""

from __future__ import annotations

import re
from copy import deepcopy
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import trafilatura
from trafilatura.settings import DEFAULT_CONFIG

from liaocheng_news.parsers.html import Block, blocks_of, first_text
from liaocheng_news.text.fields import parse_datetime

if TYPE_CHECKING:
    from configparser import ConfigParser

    from liaocheng_news.parsers.base import ArticleParser, Page

__all__ = ["generic_fields", "trafilatura_config"]

_INFO_LINE = re.compile(r"(来源|來源|发布时间|時間|时间|日期)\s*[:：]")
_TITLE_SUFFIX = re.compile(r"\s*[_|｜\-—–]+\s*[^_|｜\-—–]{2,20}$")


@lru_cache(maxsize=1)
def trafilatura_config() -> ConfigParser:
    config = deepcopy(DEFAULT_CONFIG)
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no SIGALRM: parsers run in any thread
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "60")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "20")
    config.set("DEFAULT", "MIN_EXTRACTED_COMM_SIZE", "20")
    config.set("DEFAULT", "MIN_OUTPUT_COMM_SIZE", "20")
    return config


def generic_fields(page: Page, parser: ArticleParser) -> dict[str, Any] | None:
    """Article fields from trafilatura, or None when it finds no title or too little body."""
    from liaocheng_news.parsers.base import breadcrumb_parts, read_blocks

    try:
        document = trafilatura.bare_extraction(
            page.text,
            url=page.url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            favor_precision=True,
            target_language=None,
            config=trafilatura_config(),
        )
    except Exception:  # trafilatura raises assorted errors on odd markup: treat as "found nothing"
        document = None
    if document is None or not getattr(document, "text", None):
        return None
    title = first_text(page.selector, ("h1",)) or _TITLE_SUFFIX.sub("", document.title or "").strip()
    lines = [line.strip() for line in document.text.splitlines() if line.strip()]
    # trafilatura keeps the 来源/时间 line in the text: read it as metadata, not as body
    info = [line for line in lines if _INFO_LINE.search(line) and len(line) <= 80]
    if not info:  # trafilatura often drops the meta line: find it in the page's own text blocks
        info = _page_info_lines(page)
    parts = read_blocks([Block("text", text=line) for line in lines if line not in info], page, title)
    if not title or sum(len(p) for p in parts.paragraphs) < parser.fallback_min_chars:
        return None
    fields = parser.byline_fields("\n".join([*info, *parts.byline_lines]))
    published_at = (
        fields.pop("published_at")
        or parse_datetime(" ".join(info))
        or parse_datetime(document.date or "")
        or parser.date_from_url(page.url)
    )
    crumbs: list[str] = []
    for version in parser.versions:
        if version.breadcrumb:
            crumbs = breadcrumb_parts(first_text(page.selector, version.breadcrumb, " "))
            if crumbs:
                break
    return {
        "title": title,
        "subtitle": None,
        "body": parts.paragraphs,
        "images": [],
        "published_at": published_at,
        "channel": parser.channel_of(crumbs, page),
        **fields,
        **parser.print_fields(parts.print_note),
    }


def _page_info_lines(page: Page) -> list[str]:
    """The first short 来源/时间 line of the page (page furniture excluded by length)."""
    body = page.selector.css("body")
    if not body or isinstance(body[0].root, str):
        return []
    for block in blocks_of(body[0].root):
        if block.kind == "text" and len(block.text) <= 80 and _INFO_LINE.search(block.text):
            return [block.text]
    return []
