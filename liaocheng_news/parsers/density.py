"""Where the article is on a page: text runs scored by length and punctuation, summed into containers.

This is the idea of text and symbol density (洪鸿辉 et al., 基于文本及符号密度的网页正文提取方法,
the method GNE describes) in the accumulating form of Readability: article prose is long runs
of text with sentence punctuation and few links; navigation, link lists and page furniture are
short runs, mostly link text, with little punctuation.  Each run scores by its length and its
punctuation and gives its score to the element holding it, that element's parent, and half to
the grandparent; an element's total, scaled by the share of its text that is not link text and
nudged by class names that say "content" or "comment", picks the container.  Sibling
containers that score close to the best one (an article split over several ``<div>`` s) join it.

Written from the published idea; no code of GNE (GPL) is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from liaocheng_news.text.fields import clean_space

__all__ = ["Run", "runs_of", "choose_containers", "SKIPPED_TAGS"]

# never article text, and never holding it
SKIPPED_TAGS = frozenset({
    "script", "style", "noscript", "template", "iframe", "select", "option", "button", "input",
    "textarea", "svg", "object", "embed", "video", "audio", "title", "meta", "link", "map",
    "canvas",
})
# elements that end a run of text (as in a browser's block layout)
_BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "header", "footer", "nav", "aside", "main", "h1", "h2", "h3", "h4",
    "h5", "h6", "li", "ul", "ol", "blockquote", "table", "tbody", "thead", "tfoot", "tr", "td", "th",
    "figure", "figcaption", "center", "dd", "dt", "dl", "pre", "address", "hr", "form", "body", "html",
    "caption", "fieldset", "legend", "details", "summary",
})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_PUNCT = re.compile(r"[，。；！？、,;!?：:“”]")
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
# class/id words that say what a container is (Readability's weights, with the Chinese CMS
# conventions: TRS_Editor, Hanweb's zoom, Founder's founder-content, 正文 = zhengwen)
_POSITIVE = re.compile(
    r"article|content|text|body|entry|main|detail|zoom|trs_editor|trs_ueditor|founder|post|story|"
    r"zhengwen|zw|news_?con|con_?text|artic", re.I)
_NEGATIVE = re.compile(
    r"comment|pinglun|footer|foot|sidebar|side|related|recommend|tuijian|xgxw|share|nav|menu|"
    r"banner|breadcrumb|crumb|copyright|links?\b|hot|rank|paihang|ad-|advert|widget|popup|login|"
    r"reply|tool", re.I)


@dataclass
class Run:
    """A run of text between block boundaries, with the element that holds it."""

    owner: HtmlElement
    text: str  # inline elements joined as they are (no blank between two spans of a sentence)
    chars: int  # non-blank characters
    link_chars: int  # of them, inside <a>
    heading: bool = False  # inside h1-h6
    index: int = 0  # order in the page
    spaced: str = ""  # the text with a blank where an inline element starts or ends (info lines)
    images: list[tuple[str, str]] = field(default_factory=list)  # (src, alt) of images just before it

    @property
    def score(self) -> float:
        """What the run says about its container: prose scores, links and fragments do not."""
        if self.chars < 10 or self.link_chars * 2 > self.chars:
            return 0.0
        return 1.0 + len(_PUNCT.findall(self.text)) + min(self.chars / 40.0, 6.0)


_BOUNDARY = None  # an inline element's start or end among a run's pieces
_BLANKS = " \t\r\n\u00a0\u3000"


class _Walker:
    """One pass over a tree, cutting its text into runs at block elements and ``<br>``."""

    def __init__(self, root: HtmlElement) -> None:
        self.runs: list[Run] = []
        self.pieces: list[str | None] = []
        self.links = 0
        self.owners: list[HtmlElement] = [root]
        self.in_link = 0
        self.in_heading = 0
        self.images: list[tuple[str, str]] = []

    def flush(self) -> None:
        if not self.pieces:
            return
        pieces, self.pieces = self.pieces, []
        text = clean_space("".join(filter(None, pieces)))
        links, self.links = self.links, 0
        if not text:
            return
        spaced = clean_space("".join([piece or " " for piece in pieces]))
        chars = len(text) - text.count(" ")
        images, self.images = self.images, []
        self.runs.append(Run(self.owners[-1], text, chars, min(links, chars), bool(self.in_heading),
                             len(self.runs), spaced, images))

    def add(self, text: str | None) -> None:
        if text:
            self.pieces.append(text)
            if self.in_link:
                self.links += len(text) - sum(text.count(c) for c in _BLANKS)

    def walk(self, node: HtmlElement) -> None:
        tag = node.tag
        if not isinstance(tag, str):  # comments, processing instructions
            return
        tag = tag.lower()
        if tag in SKIPPED_TAGS:
            return
        style = node.get("style")
        if style and _HIDDEN.search(style):
            return
        if tag == "br":
            self.flush()
            return
        if tag == "img":
            src = node.get("data-original") or node.get("data-src") or node.get("src") or ""
            if src:
                self.flush()
                self.images.append((src, node.get("alt") or node.get("title") or ""))
            return
        block = tag in _BLOCK_TAGS
        if block:
            self.flush()
            self.owners.append(node)
        else:
            self.pieces.append(_BOUNDARY)
        if tag == "a":
            self.in_link += 1
        heading = tag in _HEADINGS
        if heading:
            self.in_heading += 1
        text = node.text
        if text:
            self.add(text)
        for child in node:
            self.walk(child)
            tail = child.tail
            if tail:
                self.add(tail)
        if block:
            self.flush()
            self.owners.pop()
        else:
            self.pieces.append(_BOUNDARY)
        if heading:
            self.in_heading -= 1
        if tag == "a":
            self.in_link -= 1


def runs_of(root: HtmlElement) -> list[Run]:
    """Every run of text under ``root`` in page order (scripts, forms' controls, hidden parts skipped)."""
    walker = _Walker(root)
    walker.walk(root)
    walker.flush()
    return walker.runs


@dataclass
class _Stats:
    score: float = 0.0
    chars: int = 0
    link_chars: int = 0
    first: int = 10**9
    last: int = -1
    runs: list[int] = field(default_factory=list)


def _class_weight(element: HtmlElement) -> float:
    """A factor from the element's class and id: content-like names up, furniture-like down."""
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    if not names.strip():
        return 1.0
    weight = 1.0
    if _NEGATIVE.search(names):
        weight *= 0.5
    if _POSITIVE.search(names):
        weight *= 1.3
    return weight


def _is_prose_paragraph(element: HtmlElement, entry: _Stats | None) -> bool:
    """A ``<p>`` of plain prose beside the container (a lead paragraph set apart: ``p.chapo``)."""
    return (
        entry is not None
        and element.tag == "p"
        and entry.chars >= 80
        and entry.link_chars * 4 < entry.chars
        and entry.score > 0
    )


def _depth(element: HtmlElement, known: dict[HtmlElement, int]) -> int:
    """How deep ``element`` is in its tree, remembered in ``known`` for it and its ancestors (a
    module function: a recursive closure refers to itself and, through the elements it remembers,
    kept the page's tree alive until the garbage collector's next pass)."""
    if element not in known:
        parent = element.getparent()
        known[element] = 0 if parent is None else _depth(parent, known) + 1
    return known[element]


def choose_containers(runs: list[Run]) -> tuple[list[HtmlElement], dict[HtmlElement, float]]:
    """The article's container(s), in page order, and every scored element's final score.

    Empty when nothing on the page reads as prose.
    """
    # the runs' text and link text summed per owner first (in the order owners first hold a run,
    # which is the order the elements enter ``stats``), then given to each owner's ancestors once
    owned: dict[HtmlElement, list[int]] = {}
    for run in runs:
        sums = owned.get(run.owner)
        if sums is None:
            owned[run.owner] = [run.chars, run.link_chars, run.index, run.index]
        else:
            sums[0] += run.chars
            sums[1] += run.link_chars
            sums[2] = min(sums[2], run.index)
            sums[3] = max(sums[3], run.index)
    stats: dict[HtmlElement, _Stats] = {}
    for owner, (chars, link_chars, first, last) in owned.items():
        node: HtmlElement | None = owner
        while node is not None:  # every ancestor knows its text and link text
            entry = stats.get(node)
            if entry is None:
                entry = stats[node] = _Stats()
            entry.chars += chars
            entry.link_chars += link_chars
            entry.first = min(entry.first, first)
            entry.last = max(entry.last, last)
            node = node.getparent()
    for run in runs:  # scores added run by run, in page order (float sums as before)
        score = run.score
        if not score:
            continue
        node = run.owner
        for share in (1.0, 1.0, 0.5):
            if node is None:
                break
            stats[node].score += score * share
            node = node.getparent()
    final: dict[HtmlElement, float] = {}
    for element, entry in stats.items():
        if entry.score <= 0:
            continue
        link_density = entry.link_chars / entry.chars if entry.chars else 1.0
        final[element] = entry.score * (1.0 - link_density) * _class_weight(element)
    if not final:
        return [], final
    depth: dict[HtmlElement, int] = {}
    best = max(final, key=lambda e: (final[e], _depth(e, depth)))
    if final[best] <= 0:
        return [], final
    top = final[best]
    chosen = [best]
    parent = best.getparent()
    if parent is not None:
        threshold = max(10.0, top * 0.2)
        for sibling in parent:
            if sibling is best or not isinstance(sibling.tag, str):
                continue
            if _class_weight(sibling) < 1.0:  # a comment list or a sidebar beside the article
                continue
            if final.get(sibling, 0.0) >= threshold or _is_prose_paragraph(sibling, stats.get(sibling)):
                chosen.append(sibling)
        order = {element: index for index, element in enumerate(parent)}
        chosen.sort(key=lambda e: order.get(e, 0))
    return chosen, final
