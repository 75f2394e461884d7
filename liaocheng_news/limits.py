"""Ceilings on what one page or item may cost the crawl's process.

A crawl parses and normalises in the process that downloads (one event loop): a page that takes
seconds to read stalls every download meanwhile.  The ceilings, each a setting, keep the worst
page or item near a second (``bench/ceilings.py`` measures parse and normalisation at them):

* DOWNLOAD_MAXSIZE (Scrapy's): bytes downloaded; a bigger response is cancelled
  (:mod:`liaocheng_news.middlewares.containment` counts it as ``items_dropped/too_large``);
* PAGE_MAX_ELEMENTS, PAGE_MAX_TEXT_BYTES: markup tags, and bytes of text outside markup, scripts
  and styles, of a page that is parsed (:func:`page_too_heavy`, ``items_dropped/too_large``);
* ITEM_MAX_TITLE_CHARS, ITEM_MAX_BODY_CHARS: an article's title and body once parsed
  (:func:`item_too_long`, ``items_dropped/title_too_long`` and ``body_too_long``).

Nesting deeper than the parser can walk is a counted drop too (``items_dropped/too_deep``, by
the spider, from the RecursionError the walk raises).
"""

from __future__ import annotations

import re

from liaocheng_news.items import Article

_SCRIPTS = re.compile(rb"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_MARKUP = re.compile(rb"<[^>]*>")


def page_weight(body: bytes) -> tuple[int, int]:
    """(tags, bytes of text outside markup, scripts and styles) of a page's bytes."""
    return body.count(b"<"), len(_MARKUP.sub(b"", _SCRIPTS.sub(b"", body)))


def page_too_heavy(body: bytes, settings) -> str | None:
    """Why a page is too heavy to parse in the crawl's process, or None."""
    max_tags = settings.getint("PAGE_MAX_ELEMENTS")
    tags = body.count(b"<")
    if max_tags and tags > max_tags:
        return f"{tags} tags (PAGE_MAX_ELEMENTS={max_tags})"
    max_text = settings.getint("PAGE_MAX_TEXT_BYTES")
    if max_text and len(body) > max_text:  # only then can the text alone be too long
        text = page_weight(body)[1]
        if text > max_text:
            return f"{text} bytes of text (PAGE_MAX_TEXT_BYTES={max_text})"
    return None


def item_too_long(article: Article, settings) -> tuple[str, str] | None:
    """(drop reason, detail) of an article whose title or body is over its ceiling, or None."""
    max_title = settings.getint("ITEM_MAX_TITLE_CHARS")
    if max_title and len(article.title or "") > max_title:
        return "title_too_long", f"{len(article.title)} characters (ITEM_MAX_TITLE_CHARS={max_title})"
    max_body = settings.getint("ITEM_MAX_BODY_CHARS")
    body = sum(len(p) for p in article.body or ())
    if max_body and body > max_body:
        return "body_too_long", f"{body} characters (ITEM_MAX_BODY_CHARS={max_body})"
    return None
