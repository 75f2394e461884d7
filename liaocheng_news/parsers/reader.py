"""The reader: any Chinese news page into article fields, with no template.

It reads a page the way a person does:

1. the article is where the prose is (:mod:`~liaocheng_news.parsers.density`);
2. the headline is the page text its ``<title>`` names (:mod:`~liaocheng_news.parsers.headline`);
3. between the headline and the article sits the info line (``2022-02-13 09:57 来源：光明网``);
   the lines just before and after the article, and the article's first and last short lines,
   carry bylines (``光明日报记者 王建宏 张文攀``, ``（责编：…）``, ``编辑:李楠``), which are read and
   taken out of the body;
4. the body ends where page furniture starts: a furniture heading (相关新闻 …), a disclaimer
   (声明, 反侵权公告 …), a share prompt, keywords, or the editor's line;
5. the publication time is the info line's, made precise to the minute by the page's machine
   data when they agree on the day (:mod:`~liaocheng_news.parsers.pagedates`), else the
   machine data's, else a labelled date after the article, else the URL's.

The result is a :class:`Reading` (``fields()`` gives the field dict template versions return),
or None when the page holds no prose.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml.html import HtmlElement

from liaocheng_news.items import Image
from liaocheng_news.parsers.density import Run, choose_containers, runs_of
from liaocheng_news.parsers.headline import choose_headline, headline_end, title_key
from liaocheng_news.parsers.body import read_blocks
from liaocheng_news.parsers.cms import enpproperty
from liaocheng_news.parsers.html import Block, chrome_elements, element_hints, is_chrome_line, is_tail_heading, select
from liaocheng_news.parsers.pagedates import machine_dates
from liaocheng_news.text.fields import (
    FoundDate,
    clean_space,
    find_datetime,
    label_finder,
    parse_byline,
    parse_print_note,
    people,
    split_names,
)
from liaocheng_news.text.lazy import LazyPattern

__all__ = ["Reading", "read_page", "may_find"]

INFO_REGION = 15  # runs between the headline and the article searched for the info line
AFTER_REGION = 8  # runs after the article searched for bylines
LINE_MAX = 100  # an info or byline line is short
MIN_BODY_CHARS = 20

# where the article ends: disclaimers, share prompts, keyword lists (furniture headings are
# html.is_tail_heading)
_END_MARKERS = re.compile(
    r"^[【\[(（]?\s*(?:(?:免责|特别|版权|郑重)?声明|反侵权公告|版权所有|原创版权|转载申请|Notice\s*:|"
    r"分享(?:让更多人看到|到|至)|(?:文章)?关键[词字]\s*[:：>]|标签\s*[:：]|你可能会喜欢|为你推荐|为您推荐|"
    r"推荐阅读|热门推荐|相关稿件|更多精彩|扫一扫|点击排行|热点推荐|打印本页|关闭窗口|查看评论|写评论|我要评论|"
    r"网友评论|已有\d+条评论)"
)
# an editor's line ends the article too ("（责编：…）", "【编辑:刘欢】", "责任编辑：张迪")
_EDITOR_LINE = LazyPattern(r"^[【\[(（]?\s*(?:[^\s：:]{0,8}(?:责任编辑|责编|编辑)|审核|终审)\s*[:：/／ ]")
_PAGINATION = re.compile(r"^(?:[\[【]\s*\d{1,2}\s*[\]】]\s*)+$|^(?:上一页|下一页|首页|尾页|\d{1,2}|\s)+$")
_BARE_NAMES = LazyPattern(r"[（(]\s*([\u4e00-\u9fff]{2,4}(?:[\s、][\u4e00-\u9fff]{2,4}){0,3})\s*[）)]$")
_DISPATCH = re.compile(
    r"^.{0,40}?[（(]\s*(?:[^（）()]{0,12}?)(?:记者|通讯员|实习生|記者|通訊員)\s*([^（）()]{2,40})[）)]")
_NAME_OUTLET = LazyPattern(r"^([\u4e00-\u9fff]{2,4}(?:[\s、][\u4e00-\u9fff]{2,4}){0,3})\s*[/／]\s*([\u4e00-\u9fff·]{2,15})$")
_OUTLET = re.compile(r"(?:报|報|网|網|社|台|刊|新闻|新聞|客户端|客戶端|频道|頻道|日报|晚报|周刊)$")
_LABEL_ONLY = re.compile(r"^[^\s:：]{1,8}[:：]$")
_NOT_OUTLET = re.compile(
    r"^(?:星期|周[一二三四五六日天]|来源|來源|作者|编辑|責任|责任|浏览|点击|阅读|字号|字体|分享|打印|举报|评论|"
    r"收藏|关注|http|www|第?\s*[A-Za-z]?\d{1,3}\s*版|[\d:：\-/.]+$)|[:：]", re.I)
_SENTENCE = re.compile(r"[。！？；]")


@dataclass
class Reading:
    """What the reader found, before it becomes article fields."""

    title: str = ""
    body: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    published_at: datetime | None = None
    date_has_time: bool = False
    source: str | None = None
    authors: list[str] = field(default_factory=list)
    editor: str | None = None
    reviewer: str | None = None
    print_note: dict[str, Any] | None = None

    def fields(self) -> dict[str, Any]:
        """The field dict a template version returns (print fields from the print note)."""
        note = self.print_note or {}
        return {
            "title": self.title,
            "subtitle": None,
            "body": self.body,
            "images": self.images,
            "published_at": self.published_at,
            "source": self.source,
            "authors": self.authors,
            "editor": self.editor,
            "reviewer": self.reviewer,
            "edition": note.get("edition"),
            "page_no": note.get("page_no"),
            "page_name": note.get("page_name"),
        }


def read_page(page) -> Reading | None:
    """Read ``page`` (a :class:`~liaocheng_news.parsers.base.Page`); None when it holds no prose."""
    root = page.selector.root
    if not isinstance(root, HtmlElement):
        return None
    runs = runs_of(root)
    containers, _ = choose_containers(runs)
    if not containers:
        return None
    inside = _inside(runs, containers)
    if not inside:
        return None
    start, end = inside[0], inside[-1]
    title, title_index = choose_headline(runs, page.head_titles, start, end)
    title_end = _headline_end(runs, title, title_index)

    reading = Reading(title=title)
    article = [runs[i] for i in inside if title_end is None or i > title_end]
    article = _without_chrome(article, containers)
    lead_meta, article = _split_lead(article, title)
    article, tail_meta = _split_tail(article)
    if sum(run.chars for run in article) < MIN_BODY_CHARS:
        return None

    # the info region: under the headline (or just above the article when the headline is not in the text)
    first = (title_end + 1) if title_end is not None and title_end < start else max(0, start - 8)
    info_lines = _lines(runs[max(first, start - INFO_REGION): start]) + _lines(lead_meta)
    before_lines = _lines(runs[max(0, (title_index or start) - 10): title_index or start])
    after_lines = _lines(tail_meta) + _lines(_after(runs, end))

    parts = read_blocks(_blocks(article), page, title)
    after_lines += parts.byline_lines
    date_line = _read_dates(reading, page, info_lines, before_lines, after_lines)
    _read_bylines(reading, page, info_lines, after_lines, article, date_line)
    reading.body = parts.paragraphs
    reading.images = parts.images
    reading.print_note = parts.print_note
    for line in [*info_lines, *after_lines]:
        note = parse_print_note(line) if not reading.print_note and len(line) <= 40 else None
        if note:
            reading.print_note = note
            break
    return reading


# --- what the reader can find at all ------------------------------------------------------------

# the looser forms of the unlabelled author credits the reader reads (_BARE_NAMES, _NAME_OUTLET):
# any blanks where a run of text has one, anywhere in the page's text
_BARE_NAMES_ANYWHERE = LazyPattern(r"[（(]\s*[\u4e00-\u9fff]{2,4}(?:[\s、]+[\u4e00-\u9fff]{2,4}){0,3}\s*[）)]")
_NAME_OUTLET_ANYWHERE = LazyPattern(r"[\u4e00-\u9fff]{2,4}\s*[/／]\s*[\u4e00-\u9fff·]{2,15}")
# a time of day, as find_datetime reads one (12:30, 12时30分)
_TIME_OF_DAY = re.compile(r"\d{1,2}\s*[:：时時]\s*\d{2}")
_BYLINE_LABELS = {name: label_finder([name]) for name in ("authors", "editor", "reviewer")}


def may_find(page, wanted: Collection[str]) -> bool:
    """Whether :func:`read_page` could find any of ``wanted`` on ``page``: fields of
    :class:`Reading` (``published_at``, ``source``, ``authors``, ``editor``, ``reviewer``) or
    ``time`` (a time of day).  False only when the page holds nothing the reader reads them from,
    so a False is sure (the test over the fixtures and real pages checks it):

    - ``editor`` and ``reviewer`` come only from labelled bylines (parse_byline), and a label is
      in the page's text wherever a byline holds it;
    - ``authors`` also from credits without a label (``（张巨峰）``, ``石佳/中国青年报``) and a
      Founder page's metadata comment;
    - a ``time`` from any text or machine data holding one (a ``12:30`` in the page's text or markup);
    - ``published_at`` and ``source`` from too many places (the URL, an outlet beside a date):
      always True.
    """
    for name in wanted:
        if name in ("published_at", "source"):
            return True
        if name == "time":
            if _TIME_OF_DAY.search(page.text) or _TIME_OF_DAY.search(page.all_text) or _TIME_OF_DAY.search(page.url):
                return True
        elif _BYLINE_LABELS[name].search(page.all_text):
            return True
        elif name == "authors" and ("property" in page.text or _BARE_NAMES_ANYWHERE.search(page.all_text)
                                    or _NAME_OUTLET_ANYWHERE.search(page.all_text)):
            return True
    return False


# --- where things are ----------------------------------------------------------------------------


def _inside(runs: Sequence[Run], containers: Sequence[HtmlElement]) -> list[int]:
    """Indexes of the runs inside the containers, in page order."""
    chosen = set(containers)
    verdict: dict[HtmlElement, bool] = {}
    found: list[int] = []
    for run in runs:
        owner = run.owner
        if owner not in verdict:
            node, path = owner, []
            result = False
            while node is not None:
                if node in verdict:
                    result = verdict[node]
                    break
                path.append(node)
                if node in chosen:
                    result = True
                    break
                node = node.getparent()
            for seen in path:
                verdict[seen] = result
        if verdict[owner]:
            found.append(run.index)
    return found


def _headline_end(runs: Sequence[Run], title: str, index: int | None) -> int | None:
    """The index of the headline's last run (a headline broken by ``<br>`` spans several)."""
    if index is None:
        return None
    cut = headline_end([run.text for run in runs[index: index + 6]], title)
    return index + cut - 1 if cut else index


def _without_chrome(article: list[Run], containers: Sequence[HtmlElement]) -> list[Run]:
    """The runs not inside share bars, related-news boxes, comment blocks … of the containers."""
    chrome: set[HtmlElement] = set()
    for container in containers:
        chrome.update(chrome_elements(container))
    if not chrome:
        return article
    kept = []
    for run in article:
        node = run.owner
        hidden = False
        while node is not None and node not in containers:
            if node in chrome:
                hidden = True
                break
            node = node.getparent()
        if not hidden:
            kept.append(run)
    return kept


def _after(runs: Sequence[Run], end: int) -> list[Run]:
    """The short runs right after the article, up to a furniture heading."""
    found = []
    for run in runs[end + 1: end + 1 + AFTER_REGION]:
        if is_tail_heading(run.text):
            break
        found.append(run)
    return found


def _lines(runs: Sequence[Run]) -> list[str]:
    """Short runs as text lines; a bare label (``发布日期：``) is joined to the run after it."""
    lines: list[str] = []
    pending = ""
    for run in runs:
        if run.chars > LINE_MAX:
            pending = ""
            continue
        text = run.spaced
        if _LABEL_ONLY.match(text):
            pending = text
            continue
        lines.append(f"{pending}{text}" if pending else text)
        pending = ""
    return lines


def _is_meta_line(run: Run) -> bool:
    """A short line that is an info line, a byline, a chrome line or a link (not article text)."""
    text = run.text
    if run.chars > LINE_MAX:
        return False
    if is_chrome_line(text) or (run.link_chars * 2 > run.chars and not _SENTENCE.search(text)):
        return True
    if _PAGINATION.match(text):
        return True
    if find_datetime(text) is not None and not _SENTENCE.search(text) and run.chars <= 60:
        return True
    return _is_byline(text)


def _is_byline(text: str) -> bool:
    if len(text) > 60 or _SENTENCE.search(text.rstrip("。")):
        return False
    fields = parse_byline(text)
    if fields["authors"] or fields["editor"] or fields["reviewer"] or fields["source"] or fields["photographers"]:
        return True
    return bool(_BARE_NAMES.fullmatch(text.strip()) or _NAME_OUTLET.match(text.strip()))


def _is_prose(run: Run) -> bool:
    return run.chars >= 60 or bool(_SENTENCE.search(run.text))


def _split_lead(article: list[Run], title: str) -> tuple[list[Run], list[Run]]:
    """The article's leading info/byline lines (metadata) and the rest.

    Meta lines are looked for up to the first prose paragraph: a kicker (【新春走基层】) or a pull
    quote may stand before the byline.
    """
    lead: list[Run] = []
    kept: list[Run] = []
    key = title_key(title)
    for index, run in enumerate(article):
        if _is_prose(run) or index >= 6:
            return lead, kept + article[index:]
        if title_key(run.text) == key or _is_meta_line(run):
            lead.append(run)
        else:
            kept.append(run)
    return lead, kept


def _split_tail(article: list[Run]) -> tuple[list[Run], list[Run]]:
    """The article up to where furniture starts, and its trailing byline lines (metadata)."""
    cut = len(article)
    for index, run in enumerate(article):
        text = run.text
        if is_tail_heading(text) or (run.chars <= LINE_MAX and (_END_MARKERS.match(text) or _EDITOR_LINE.match(text))):
            cut = index
            break
    body, rest = article[:cut], article[cut: cut + 4]
    tail: list[Run] = [run for run in rest if run.chars <= LINE_MAX and not is_tail_heading(run.text)]
    while body and _is_meta_line(body[-1]):
        tail.insert(0, body.pop())
    return body, tail


# --- dates --------------------------------------------------------------------------------------


def _first_date(lines: Sequence[str], labelled_only: bool = False) -> tuple[FoundDate, str] | None:
    for line in lines:
        if labelled_only and parse_byline(line)["published_at"] is None:
            continue
        found = find_datetime(line)
        if found is not None:
            return found, line
    return None


def _read_dates(reading: Reading, page, info: list[str], before: list[str], after: list[str]) -> str | None:
    """Set the publication time; returns the info line it was read from (None: from elsewhere)."""
    machine = machine_dates(page.selector.root, page.text, page.url)
    chosen = _first_date(info) or _first_date(before, labelled_only=True)
    found = chosen[0] if chosen else None
    if found is None:
        non_url = [m.found for m in machine if m.origin != "url"]
        found = non_url[0] if non_url else None
    if found is None:
        labelled = _first_date(after, labelled_only=True)
        found = labelled[0] if labelled else None
    if found is None:
        url = [m.found for m in machine if m.origin == "url"]
        found = url[0] if url else None
    if found is None:
        return None
    if not found.has_time:  # the most precise value that agrees on the day
        for candidate in machine:
            if candidate.found.has_time and candidate.found.value.date() == found.value.date():
                found = candidate.found
                break
    reading.published_at = found.value
    reading.date_has_time = found.has_time
    return chosen[1] if chosen else None


def _outlet_beside_date(line: str) -> str | None:
    """The unlabelled outlet on a date line: ``2022-02-13 09:57 光明网``, ``中国网 2019-11-25 10:37``."""
    found = find_datetime(line)
    if found is None:
        return None
    after = clean_space(line[found.end:]).lstrip("·•|｜-— ")
    token = after.split(" ")[0] if after else ""
    if token and not _NOT_OUTLET.match(token) and re.search(r"[\u4e00-\u9fff]", token) and 2 <= len(token) <= 20:
        return token
    before = clean_space(line[: found.start]).split(" ")
    token = before[-1] if before else ""
    if token and not _NOT_OUTLET.match(token) and _OUTLET.search(token) and 2 <= len(token) <= 20:
        return token
    return None


# --- bylines ------------------------------------------------------------------------------------


def _read_bylines(reading: Reading, page, info: list[str], after: list[str], article: list[Run],
                  date_line: str | None) -> None:
    head = parse_byline("\n".join(info))
    tail = parse_byline("\n".join(after))
    founder = enpproperty(page.text) if "property" in page.text else {}
    # the first place that names authors names them (an info line's 作者 and a dispatch's
    # credit may name the same people differently: an office, its members)
    for names in (head["authors"], _name_outlet(info)[0], _dispatch_credit(article), tail["authors"],
                  _closing_names(article, after), split_names(founder.get("author"))):
        if names:
            reading.authors = list(dict.fromkeys(names))
            break
    reading.source = (head["source"] or _meta_source(page) or (date_line and _outlet_beside_date(date_line))
                      or _name_outlet(info)[1] or tail["source"])
    reading.editor = head["editor"] or tail["editor"]
    reading.reviewer = head["reviewer"] or tail["reviewer"]


def _meta_source(page) -> str | None:
    """The ``ContentSource`` meta tag of government sites (the national guideline for government
    websites asks every article page for it)."""
    for value in select(page.selector, '//meta[@name="ContentSource" or @name="contentSource"]/@content'):
        if clean_space(value):
            return clean_space(value)
    return None


def _name_outlet(lines: Sequence[str]) -> tuple[list[str], str | None]:
    """``石佳/中国青年报`` on an info line: the author and the outlet."""
    for line in lines:
        match = _NAME_OUTLET.match(line.strip())
        if match and _OUTLET.search(match.group(2)):
            return split_names(match.group(1)), match.group(2)
    return [], None


def _dispatch_credit(article: Sequence[Run]) -> list[str]:
    """The reporters credited at the start of a dispatch: ``新华社巴黎12月9日电（记者 唐霁）``."""
    for run in article[:2]:
        match = _DISPATCH.match(run.text)
        if match:
            return people(split_names(match.group(1)))
    return []


def _closing_names(article: Sequence[Run], after: Sequence[str]) -> list[str]:
    """A bare name in brackets closing the article: ``…举行。（张巨峰）`` or a line ``（袁源）``."""
    candidates = list(after[:2])
    if article:
        candidates.insert(0, article[-1].text)
    for text in candidates:
        match = _BARE_NAMES.search(text.strip())
        if match:
            credited = parse_byline(match.group(1))["authors"]
            return credited or split_names(match.group(1))
    return []


# --- body ---------------------------------------------------------------------------------------


def _blocks(article: Sequence[Run]) -> list[Block]:
    """The article's runs as body blocks (images where they stood, caption hints) for read_blocks."""
    blocks: list[Block] = []
    for run in article:
        for src, alt in run.images:
            blocks.append(Block("image", src=src, alt=clean_space(alt)))
        centered, caption = element_hints(run.owner)
        blocks.append(Block("text", text=run.text, centered=centered, caption_hint=caption))
    return blocks
