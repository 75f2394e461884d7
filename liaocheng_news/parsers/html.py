"""HTML mechanics shared by every portal parser: node text, paragraphs, images, chrome removal.

Portal modules hold only selectors; everything that turns a selected node into clean article
fields lives here, so a fix (a new share widget, a new "related" heading) helps every portal.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement
from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from liaocheng_news.text.fields import clean_space

__all__ = [
    "Block",
    "Found",
    "compiled",
    "select",
    "select_all",
    "first_text",
    "node_text",
    "blocks_of",
    "chrome_elements",
    "element_hints",
    "is_chrome_line",
    "is_tail_heading",
    "absolute_url",
    "CHROME_SELECTORS",
]

_CSS = HTMLTranslator()

# Elements that never hold article text, wherever they appear.
CHROME_SELECTORS: tuple[str, ...] = (
    "script", "style", "noscript", "iframe", "form", "button", "input", "textarea", "select",
    "nav", "footer", "aside", "object", "embed", "video", "audio", "svg",
    "[class*=share]", "[id*=share]", "[class*=bdsharebuttonbox]",
    "[class*=fontsize]", "[class*=font-size]", "[id*=fontsize]",
    "[class*=related]", "[class*=recommend]", "[class*=tuijian]", "[class*=xgxw]", "[class*=xgtj]",
    "[class*=comment]", "[id*=comment]", "[class*=pinglun]",
    "[class*=breadcrumb]", "[class*=crumb]", "[class*=position]",
    "[class~=ad]", "[class^=ad-]", "[class^=ad_]", "[id^=ad_]", "[id^=ad-]", "[class*=advert]",
    "[class*=qrcode]", "[class*=ewm]", "[class*=page-tools]", "[class*=promo]",
)

# A paragraph that opens a block of page furniture: everything after it is not the article.
_TAIL_HEADINGS = re.compile(
    r"^(新闻推荐|相关推荐|相关新闻|相关阅读|相关文章|相关文章推荐|猜你喜欢|频道推荐|热点阅读|热点排行|热门推荐|"
    r"图文看点|精彩推荐|推荐阅读|延伸阅读|网友评论|评论|我要评论|发表评论|热门评论|最新评论|精彩评论|上一篇|下一篇|"
    r"相關推薦|相關新聞|相關閱讀|相關文章推薦|猜你喜歡|頻道推薦|熱點閱讀|網友評論|評論)"
    r"\s*([:：(（].*)?$"
)
# Single lines of page furniture (font size, share, print, QR codes) dropped wherever they are.
_CHROME_LINES = re.compile(
    r"(?i)^(A\+\s*A-|A\+|A-|分享(到)?[:：]?|打印|关闭窗口|关闭|返回顶部|收藏|字号[:：]?.*|【?字体[:：].*|"
    r"扫一扫.*|扫描二维码.*|手机看新闻|微信扫一扫.*|点击[:：]?\s*次|浏览[:：]?\s*次|"
    r"【纠错】|\[纠错\]|责任编辑[:：]?\s*$|编辑[:：]?\s*$|审核[:：]?\s*$|(上|下)一篇[:：].*|首页|正文|"
    r"广告|展开全文|订阅|T\s*\+\s*-|(?:(?:pdf|word|doc)\s*下载\s*)+)$"
)


Found = HtmlElement | str  # what a query finds: elements, or the strings of text and attribute queries


# the translation of a CSS ``#id``: every element's id compared with the name
_ID_TEST = re.compile(r"\[@id = ('[^']*')\]")


def _xpath_of(query: str) -> str:
    """A query as XPath: one starting with ``/``, ``./`` or ``(`` is XPath, anything else CSS
    (parsel's dialect: ``a::attr(href)``, ``::text``).

    A CSS ``#name`` becomes ``[@id][@id = 'name']``, the same filter: libxml2 then compares only
    the ids of elements that have one (``#articleContent`` on a bench page 23 → 15 µs).  Not
    done when the XPath holds a double-quoted literal, where the pattern could be text."""
    query = query.strip()
    if query.startswith(("/", "./", "(")):
        return query
    xpath = _CSS.css_to_xpath(query)
    return xpath if '"' in xpath else _ID_TEST.sub(r"[@id][@id = \1]", xpath)


@lru_cache(maxsize=1024)
def compiled(query: str) -> etree.XPath:
    """A CSS or XPath query compiled once (parsel compiles a query on every call)."""
    return etree.XPath(_xpath_of(query), smart_strings=False)


def select(node: Selector | HtmlElement, query: str) -> list[Found]:
    """The matches of a CSS or XPath query under ``node``: elements, or strings for text and
    attribute queries (and an XPath function's value, as a one-item list)."""
    root = node.root if isinstance(node, Selector) else node
    if isinstance(root, str):
        return []
    found = compiled(query)(root)
    return found if isinstance(found, list) else [found]


def select_all(node: Selector | HtmlElement, queries: str | tuple[str, ...] | list[str]) -> list[Found]:
    """The matches of the first query (of several alternatives) that matches anything."""
    for query in (queries,) if isinstance(queries, str) else queries:
        found = select(node, query)
        if found:
            return found
    return []


_TEXT_NODES = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)]", smart_strings=False)
_ALL_TEXT_NODES = etree.XPath(".//text()", smart_strings=False)
_UNREAD = ("script", "style")


def _text_nodes(element: HtmlElement) -> list[str]:
    """The text nodes of ``element`` outside scripts and styles.  An element with no script or
    style inside or above it (nearly every one) takes the plain query: libxml2 evaluates the
    ancestor test for every text node, 3-10× the cost of the query itself, while lxml's tag-filtered
    iterators find a script or style at C speed."""
    if next(element.iterdescendants(*_UNREAD), None) is None and next(element.iterancestors(*_UNREAD), None) is None:
        return _ALL_TEXT_NODES(element)
    return _TEXT_NODES(element)


def node_text(node: Selector | HtmlElement | str | None, sep: str = "") -> str:
    """All text of a node (not scripts/styles), blanks collapsed.

    ``sep`` joins the text pieces of different elements: "" for titles (inline tags inside a
    title are not word breaks in Chinese), " " for info lines where ``<span>``s hold fields.
    """
    if node is None:
        return ""
    if isinstance(node, str):
        return clean_space(node)
    element = node.root if isinstance(node, Selector) else node
    if isinstance(element, str):
        return clean_space(element)
    if not isinstance(element.tag, str) or element.tag in ("script", "style"):
        return ""
    return clean_space(sep.join(_text_nodes(element)))


def first_text(node: Selector | HtmlElement, queries: str | tuple[str, ...] | list[str], sep: str = "") -> str:
    """Text of the first non-empty match among alternative selectors ("" if none)."""
    for query in (queries,) if isinstance(queries, str) else queries:
        for found in select(node, query):
            text = node_text(found, sep)
            if text:
                return text
    return ""


def absolute_url(base: str, href: str | None) -> str:
    href = (href or "").strip()
    if not href or href.startswith(("javascript:", "data:", "#", "mailto:")):
        return ""
    return urljoin(base, href)


@lru_cache(maxsize=256)
def _chrome_xpath(queries: tuple[str, ...]) -> etree.XPath:
    """Chrome selectors (CSS or XPath) as one compiled XPath union."""
    return etree.XPath(" | ".join(f"({_xpath_of(query)})" for query in queries))


# CSS attribute tests of CHROME_SELECTORS as one regular expression per attribute: ``*=`` (anywhere),
# ``^=`` (at the start), ``~=`` (a whole word, between the blanks XPath's normalize-space() splits at)
_CSS_TEST = re.compile(r"\[(class|id)([*^~])=([\w-]+)\]")
_BLANK = "[ \t\r\n]"


def _simple_chrome() -> tuple[frozenset[str], re.Pattern[str] | None, re.Pattern[str] | None, tuple[str, ...]]:
    """(tag names, class test, id test, selectors of any other shape) of CHROME_SELECTORS."""
    tags, rest = set(), []
    tests: dict[str, list[str]] = {"class": [], "id": []}
    for query in CHROME_SELECTORS:
        attribute = _CSS_TEST.fullmatch(query)
        if re.fullmatch(r"[a-z][a-z0-9]*", query):
            tags.add(query)
        elif attribute:
            name, op, value = attribute.groups()
            value = re.escape(value)
            tests[name].append({"*": value, "^": f"\\A{value}", "~": f"(?:\\A|{_BLANK}){value}(?:{_BLANK}|\\Z)"}[op])
        else:
            rest.append(query)
    compiled_tests = [re.compile("|".join(tests[name])) if tests[name] else None for name in ("class", "id")]
    return frozenset(tags), compiled_tests[0], compiled_tests[1], tuple(rest)


_CHROME_TAGS, _CHROME_CLASS, _CHROME_ID, _CHROME_OTHER = _simple_chrome()


def chrome_elements(element: HtmlElement, extra: tuple[str, ...] = ()) -> list[HtmlElement]:
    """The chrome elements (generic list plus ``extra``) under ``element``, in document order.

    The generic list's tags and class/id tests are checked in one walk of the elements (the XPath
    union of its 45 selectors walked the tree once per selector: 6× slower); ``extra`` selectors
    (a template's own, CSS or XPath) and any generic one of another shape are matched by XPath."""
    queries = (*_CHROME_OTHER, *extra)
    by_xpath = {node for node in _chrome_xpath(queries)(element) if isinstance(node, HtmlElement)} if queries else ()
    found = []
    for node in element.iter(etree.Element):
        if node is element:
            continue
        if node.tag in _CHROME_TAGS or node in by_xpath:
            found.append(node)
            continue
        classes = node.get("class")
        if classes is not None and _CHROME_CLASS is not None and _CHROME_CLASS.search(classes):
            found.append(node)
            continue
        ids = node.get("id")
        if ids is not None and _CHROME_ID is not None and _CHROME_ID.search(ids):
            found.append(node)
    return found


def is_chrome_line(text: str) -> bool:
    return bool(_CHROME_LINES.match(text))


def is_tail_heading(text: str) -> bool:
    return bool(_TAIL_HEADINGS.match(text))


# --- paragraphs and images -------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol",
    "blockquote", "table", "tbody", "thead", "tr", "td", "th", "figure", "figcaption", "center", "dd",
    "dt", "dl", "pre", "address", "hr", "main",
}
_CAPTION_HINT = re.compile(r"caption|note|pic|img|photo|tuzhu|tushuo|imgtxt|explain", re.I)
_CENTER_HINT = re.compile(r"text-align\s*:\s*center", re.I)


@dataclass
class Block:
    """A paragraph of text or an image, in page order, with hints for caption detection."""

    kind: str  # "text" | "image"
    text: str = ""
    src: str = ""
    alt: str = ""
    centered: bool = False
    caption_hint: bool = False


def element_hints(element: HtmlElement, top: HtmlElement | None = None) -> tuple[bool, bool]:
    """Whether a block is centered and whether it looks like a caption, from it and its two
    nearest ancestors (none above ``top``)."""
    centered = False
    caption = False
    node: HtmlElement | None = element
    depth = 0
    while node is not None and depth < 3:
        if not isinstance(node.tag, str):
            break
        style = node.get("style") or ""
        if _CENTER_HINT.search(style) or (node.get("align") or "").lower() == "center" or node.tag == "center":
            centered = True
        classes = f"{node.get('class') or ''} {node.get('id') or ''}"
        if node.tag == "figcaption" or _CAPTION_HINT.search(classes):
            caption = True
        node = node.getparent() if node is not top else None
        depth += 1
    return centered, caption


class _BlockWalker:
    """One walk of :func:`blocks_of` (a class, not nested functions: a recursive closure refers to
    itself through its cell, and that cycle kept each page's whole tree, through the elements it
    holds, alive until the garbage collector's next pass)."""

    def __init__(self, element: HtmlElement, skip: Collection[HtmlElement]) -> None:
        self.element = element
        self.skip = skip
        self.blocks: list[Block] = []
        self.buffer: list[str] = []
        self.owner: list[HtmlElement] = [element]

    def flush(self) -> None:
        text = clean_space("".join(self.buffer))
        self.buffer.clear()
        if text:
            centered, caption = element_hints(self.owner[-1], self.element)
            self.blocks.append(Block("text", text=text, centered=centered, caption_hint=caption))

    def walk(self, node: HtmlElement) -> None:
        buffer = self.buffer
        if node in self.skip:
            if node.tail and node.tail.strip():
                buffer.append(node.tail)
            return
        tag = node.tag if isinstance(node.tag, str) else ""
        if not tag:  # comments, processing instructions
            if node.tail:
                buffer.append(node.tail)
            return
        tag = tag.lower()
        if tag in ("script", "style", "noscript", "template"):
            if node.tail:
                buffer.append(node.tail)
            return
        if tag == "br":
            self.flush()
        elif tag == "img":
            self.flush()
            src = ""
            for attribute in ("data-original", "data-src", "data-lazy-src", "src"):
                if node.get(attribute):
                    src = node.get(attribute)
                    break
            self.blocks.append(Block("image", src=src, alt=clean_space(node.get("alt") or node.get("title") or "")))
        else:
            is_block = tag in _BLOCK_TAGS
            if is_block:
                self.flush()
                self.owner.append(node)
            if node.text:
                buffer.append(node.text)
            for child in node:
                self.walk(child)
            if is_block:
                self.flush()
                self.owner.pop()
        if node.tail:
            buffer.append(node.tail)


def blocks_of(element: HtmlElement, skip: Collection[HtmlElement] = ()) -> list[Block]:
    """Paragraph and image blocks of an element: block tags and ``<br>`` end paragraphs.

    The elements in ``skip`` (its chrome: :func:`chrome_elements`) are read as if they were not
    there: their text is left out, the text after them (a tail with more than blanks) kept, and
    nothing above ``element`` hints at captions, as when reading a copy of ``element`` without them.
    """
    walker = _BlockWalker(element, skip)
    walker.walk(element)
    walker.flush()
    return walker.blocks


def tostring(element: HtmlElement) -> str:
    return etree.tostring(element, encoding="unicode", method="html")
