"""Page objects and the parser base: extraction apart from crawling (the Fundus / web-poet way).

A :class:`Page` is what a fetch returned (URL, bytes, headers, status); an
:class:`ArticleParser` turns it into a :class:`liaocheng_news.items.Article` with no Scrapy
involved, so a parser is tested on a stored page alone.

Portals change templates under us.  A parser therefore holds an ordered list of
:class:`TemplateVersion` s (newest first); the first version whose anchors match and that finds
a title and a body wins (``extraction="portal"``, ``template="<portal>/<version>"``), and its
fields are completed by the reader where it can add something, and compared with the reader's on
a sample of pages (:mod:`~liaocheng_news.parsers.crosscheck`).
When none does on a page whose URL is an article URL, the reader
(:mod:`~liaocheng_news.parsers.reader`) reads it and the item says ``extraction="fallback"``,
``template="generic"``, so a template change shows up as a rise in fallbacks and in the
cross-check's counts, not as silent garbage.  Nothing usable raises :class:`NotAnArticle`;
undecodable bytes raise :class:`DecodeError` (never mojibake).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import cached_property
from typing import Any, ClassVar

from lxml import etree
from parsel import Selector

from liaocheng_news.items import Article
from liaocheng_news.parsers.body import BodyParts, is_byline_line, read_blocks
from liaocheng_news.parsers.crosscheck import cross_check, reader_needed
from liaocheng_news.parsers.encoding import DecodeError, decode_html
from liaocheng_news.parsers.headline import head_titles, headline_end, in_head, strip_markup
from liaocheng_news.parsers.html import (
    Block,
    absolute_url,
    blocks_of,
    chrome_elements,
    first_text,
    node_text,
    select,
    select_all,
)
from liaocheng_news.parsers.reader import read_page
from liaocheng_news.text.fields import SHANGHAI, clean_space, parse_byline, parse_datetime, parse_print_note

__all__ = [
    "Page",
    "ArticleParser",
    "TemplateVersion",
    "ListPage",
    "DecodeError",
    "NotAnArticle",
    "ParserError",
    "Selectors",
    "GENERIC_TEMPLATE",
    # body reading lives in parsers.body; kept importable from here
    "BodyParts",
    "is_byline_line",
    "read_blocks",
    "breadcrumb_parts",
]

Selectors = tuple[str, ...]
GENERIC_TEMPLATE = "generic"  # the template name of articles the reader read


class ParserError(Exception):
    """Base of the errors a parser raises on purpose (a spider counts them by class name)."""


class NotAnArticle(ParserError):
    """The page holds no usable article (a list, an index, an error page, an empty shell)."""


_BODY_END_TAGS = re.compile(r"</(?:body|html)\s*>", re.I)
_ALL_TEXT = etree.XPath("string()", smart_strings=False)


class Page:
    """A fetched page: URL, raw bytes, response headers (case-insensitive) and status.

    ``text`` decodes the bytes right for Chinese portals whose header and meta tag disagree
    (see :mod:`liaocheng_news.parsers.encoding`) and raises :class:`DecodeError` rather than
    return mojibake; ``selector`` is a parsel selector over that text.
    """

    def __init__(self, url: str, body: bytes, headers: Mapping[str, str] | None = None, status: int = 200) -> None:
        self.url = url
        self.body = body
        self.headers = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        self.status = status
        self.encoding: str | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @cached_property
    def text(self) -> str:
        text, self.encoding = decode_html(self.body, self.header("content-type"))
        return text

    @cached_property
    def selector(self) -> Selector:
        """The parsed page.  End tags of ``<body>``/``<html>`` are dropped first: browsers read on
        past a stray ``</html>`` (templates glued from parts leave one before the article), while
        libxml2 stops there."""
        text = _BODY_END_TAGS.sub("", self.text) if self.text else "<html></html>"
        return Selector(text=text, type="html", base_url=self.url)

    @cached_property
    def all_text(self) -> str:
        """Every text node of the parsed page joined in document order (scripts and the head's
        included, markup and comments not): where the reader's text can come from."""
        root = self.selector.root
        return _ALL_TEXT(root) if not isinstance(root, str) else root

    @cached_property
    def head_titles(self) -> list[str]:
        """The titles the page's head gives (``<title>``, og:title, ArticleTitle, Founder's title)."""
        return head_titles(self.selector, self.text)

    @cached_property
    def base_url(self) -> str:
        """The URL relative links resolve against (``<base href>`` if the page has one)."""
        base = next(iter(select(self.selector, "base::attr(href)")), None)
        return absolute_url(self.url, base) or self.url if base else self.url

    def absolute(self, href: str | None) -> str:
        return absolute_url(self.base_url, href)

    def __repr__(self) -> str:
        return f"Page({self.url!r}, {len(self.body)} bytes, status={self.status})"


@dataclass
class ListPage:
    """What a list page links to: article URLs (absolute, in page order) and the next page."""

    links: list[str] = field(default_factory=list)
    next_page: str | None = None


_CRUMB_LABEL = re.compile(r"^.*?(您的位置|当前位置|您现在的位置|所在位置|位置)\s*[:：]")
_CRUMB_SEPARATOR = re.compile(r"\s*(?:>|›|»|＞|→|/)\s*")


def breadcrumb_parts(text: str) -> list[str]:
    """``您的位置:首页>要闻 > 社会 >`` -> ``["要闻", "社会"]`` (home, 正文 and the label dropped)."""
    text = _CRUMB_LABEL.sub("", clean_space(text))
    parts = [clean_space(part) for part in _CRUMB_SEPARATOR.split(text)]
    return [part for part in parts if part and part not in ("首页", "首頁", "主页", "正文", "正文内容")]


# --- template versions -----------------------------------------------------------------------


class TemplateVersion:
    """One template of a portal: selectors, and an :meth:`extract` that reads them.

    Selector attributes are tuples of alternatives (CSS, or XPath when a query starts with
    ``/``, ``./`` or ``(``); the first alternative that matches is used.  A version whose page
    shape does not fit selectors overrides :meth:`extract` (or parts of it).
    """

    name: ClassVar[str] = "default"
    # selectors that must all match for the template to apply: the template's own markers (ids,
    # class names, a CMS comment), never a bare tag; the body selector must match as well
    anchors: ClassVar[Selectors] = ()
    title: ClassVar[Selectors] = ("h1",)
    subtitle: ClassVar[Selectors] = ()
    body: ClassVar[Selectors] = ()
    info: ClassVar[Selectors] = ()  # the 来源 / 时间 line(s)
    byline: ClassVar[Selectors] = ()  # 编辑:/审核:/记者 lines outside the body container
    breadcrumb: ClassVar[Selectors] = ()
    print_note: ClassVar[Selectors] = ()  # 《聊城日报》2版 outside the body container
    chrome: ClassVar[Selectors] = ()  # extra nodes to drop from the body container

    def matches(self, page: Page) -> bool:
        """True when every anchor selector finds something on the page."""
        return all(select(page.selector, query) for query in self.anchors)

    def headline(self, page: Page) -> str:
        """The first title-selector match that the page's head titles name (a breadcrumb in an
        ``<h2>`` is not the headline); the first non-empty match when none is named."""
        heads = page.head_titles
        first = ""
        for query in self.title:
            for found in select(page.selector, query):
                text = strip_markup(node_text(found))
                if not text:
                    continue
                if not heads or in_head(text, heads):
                    return text
                first = first or text
        return first

    def extract(self, page: Page, parser: ArticleParser) -> dict[str, Any] | None:
        """Field values, or None when this template does not fit the page (no title or body)."""
        sel = page.selector
        title = self.headline(page)
        containers = [c for c in select_all(sel, self.body) if not isinstance(c, str)] if self.body else []
        if not title or not containers:
            return None
        blocks: list[Block] = []
        for container in _outermost(containers):
            blocks.extend(blocks_of(container, set(chrome_elements(container, self.chrome))))
        # a headline inside the body container: what stands before it (an 信息公开 table) is not body
        cut = headline_end([block.text for block in blocks], title)
        if cut is not None:
            blocks = blocks[cut:]
        parts = read_blocks(blocks, page, title)
        if not parts.paragraphs:
            return None
        info_text = " ".join(node_text(node, " ") for node in select_all(sel, self.info)) if self.info else ""
        byline_text = [node_text(node, " ") for node in select_all(sel, self.byline)] if self.byline else []
        fields = parser.byline_fields("\n".join([info_text, *parts.byline_lines, *byline_text]))
        published_at = fields.pop("published_at") or parse_datetime(info_text) or parser.date_from_url(page.url)
        note = parts.print_note
        if note is None and self.print_note:
            note = parse_print_note(first_text(sel, self.print_note, " "))
        if published_at is None and note and note.get("published"):
            published_at = datetime.combine(note["published"], time(), tzinfo=SHANGHAI)
        crumbs = breadcrumb_parts(first_text(sel, self.breadcrumb, " ")) if self.breadcrumb else []
        return {
            "title": title,
            "subtitle": first_text(sel, self.subtitle) or None if self.subtitle else None,
            "body": parts.paragraphs,
            "images": parts.images,
            "published_at": published_at,
            "channel": parser.channel_of(crumbs, page),
            **fields,
            **parser.print_fields(note),
        }


def _outermost(elements: list[Any]) -> list[Any]:
    """The body containers to read among a selector's matches: not one inside another (it would
    repeat its text), not a second copy of one (a print or mobile rendering), and not a piece
    far shorter than the main one (a footer sharing the body's class, such as a second
    ``TRS_Editor``)."""
    chosen = set(elements)
    outer = [e for e in elements if not any(a in chosen for a in e.iterancestors())]
    if len(outer) < 2:
        return outer
    texts = [node_text(e) for e in outer]
    longest = max(len(text) for text in texts)
    kept, seen = [], set()
    for element, text in zip(outer, texts):
        if text in seen or len(text) * 5 < longest:
            continue
        seen.add(text)
        kept.append(element)
    return kept


# --- the parser ------------------------------------------------------------------------------


class ArticleParser:
    """Base of every portal parser; a portal module sets ``portal``, ``versions`` and URL rules."""

    portal: ClassVar[str] = ""
    versions: ClassVar[Sequence[TemplateVersion]] = ()
    article_url: ClassVar[re.Pattern[str] | None] = None  # what an article URL looks like
    list_links: ClassVar[Selectors] = ()  # <a> elements (or their containers) of a list page
    next_page: ClassVar[Selectors] = ()  # the "下一页" link of a list page
    fallback_min_chars: ClassVar[int] = 60  # body text the generic extractor must find
    site_crumbs: ClassVar[frozenset[str]] = frozenset()  # breadcrumb parts that are no channel
    # one template page in this many (by a hash of its URL: the same pages every run) is read by
    # the reader in full and compared with it (parsers.crosscheck): disagree/* is a sampled rate
    compare_every: ClassVar[int] = 16

    # -- hooks a portal may override ----------------------------------------------------------

    def channel_of(self, crumbs: list[str], page: Page | None = None) -> str | None:
        """The channel from breadcrumb parts: the last one that is not a :attr:`site_crumbs` name."""
        crumbs = [c for c in crumbs if c not in self.site_crumbs]
        return crumbs[-1] if crumbs else None

    def date_from_url(self, url: str) -> datetime | None:
        return parse_datetime(url)

    def is_article_url(self, url: str) -> bool:
        return bool(self.article_url.search(url)) if self.article_url is not None else True

    def compares(self, url: str) -> bool:
        """Whether a template page at ``url`` is one of the sample compared with the reader."""
        return zlib.crc32(url.encode("utf-8", "surrogatepass")) % self.compare_every == 0

    # -- shared mechanics ---------------------------------------------------------------------

    @staticmethod
    def byline_fields(text: str) -> dict[str, Any]:
        """Article byline fields (source, authors, editor, reviewer, published_at) of a text."""
        parsed = parse_byline(text)
        return {
            "source": parsed["source"],
            "authors": parsed["authors"],
            "editor": parsed["editor"],
            "reviewer": parsed["reviewer"],
            "published_at": parsed["published_at"],
        }

    @staticmethod
    def print_fields(note: dict[str, Any] | None) -> dict[str, Any]:
        if not note:
            return {"edition": None, "page_no": None, "page_name": None}
        return {"edition": note["edition"], "page_no": note["page_no"], "page_name": note["page_name"]}

    def parse(self, page: Page, compare: bool | None = None) -> Article:
        """The article on ``page``: portal templates first, then the reader (the generic path).

        A template applies when its anchors match and it finds a title and a body; the reader
        then fills what it missed, where it can add something, and on the sample of pages
        :meth:`compares` picks (every page with ``compare=True``, none with ``False``) its
        fields are compared with the template's (:mod:`~liaocheng_news.parsers.crosscheck`).
        The article says which template read it (``template``: ``<portal>/<version>`` or
        ``generic``) and what the checks found (``extraction_checks``).  Raises
        :class:`DecodeError` for undecodable bytes and :class:`NotAnArticle` when neither a
        template nor the reader finds a title and a body (or the URL is no article URL).
        """
        if page.status >= 400:
            raise NotAnArticle(f"{page.url}: HTTP {page.status}")
        _ = page.text  # decode first: DecodeError before anything else
        for version in self.versions:
            if not version.matches(page):
                continue
            fields = version.extract(page, self)
            if fields and fields.get("title") and fields.get("body"):
                compare = self.compares(page.url) if compare is None else compare
                reading = read_page(page) if compare or reader_needed(fields, page) else None
                checks = cross_check(fields, reading, page.head_titles, compare)
                return self._article(page, fields, "portal", f"{self.portal}/{version.name}", checks)
        if not self.is_article_url(page.url):
            raise NotAnArticle(f"{page.url}: not an article URL of {self.portal} and no template matched")
        fields = self.fallback(page)
        if not fields:
            raise NotAnArticle(f"{page.url}: no template matched and the reader found no article")
        return self._article(page, fields, "fallback", GENERIC_TEMPLATE, [])

    def _article(self, page: Page, fields: dict[str, Any], extraction: str, template: str,
                 checks: list[str]) -> Article:
        values = {key: value for key, value in fields.items() if key in Article.__dataclass_fields__}
        values.setdefault("channel", None)
        return Article(url=page.url, portal=self.portal, extraction=extraction, template=template,
                       extraction_checks=checks, **values)

    def fallback(self, page: Page) -> dict[str, Any] | None:
        """The reader's fields, with this portal's channel and URL-date rules."""
        from liaocheng_news.parsers.generic import generic_fields

        return generic_fields(page, self)

    def parse_list(self, page: Page) -> ListPage:
        """Article links (absolute, deduplicated, article URLs only) and the next list page."""
        links: list[str] = []
        anchors = select_all(page.selector, self.list_links) if self.list_links else []
        for anchor in anchors:
            if isinstance(anchor, str):
                continue
            hrefs = [anchor.get("href")] if anchor.get("href") else select(anchor, "a::attr(href)")
            for href in hrefs:
                url = page.absolute(href)
                if url and self.is_article_url(url) and url not in links:
                    links.append(url)
        next_url = None
        for query in self.next_page:
            for found in select(page.selector, query):
                href = found if isinstance(found, str) else found.get("href")
                candidate = page.absolute(href)
                if candidate and candidate != page.url:
                    next_url = candidate
                    break
            if next_url:
                break
        return ListPage(links=links, next_page=next_url)
