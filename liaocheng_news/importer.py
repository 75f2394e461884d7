"""Reads text dumps of article pages (like the seeds) into Articles.

A dump is the visible text of a page: nav bars, breadcrumbs, the title, a 来源 line, the
body, then related-article and comment blocks and a footer.  An e-paper dump may open with its
masthead instead (``聊城日报 2025年11月21日 第3版``, ``第03版：要闻`` …, on one line or a few): the
masthead gives the edition, the date and the page, the headline that follows is the title, and
a 聊城日报 / 聊城晚报 masthead names the lcrb e-paper as the portal.  The importer finds the title
(not the nav or breadcrumb), the portal (from the page chrome), the date, source and bylines,
and the body without chrome.  It classifies lines on a normalised shadow copy (Simplified,
annotations removed) but keeps each line's raw text: the pipeline's normaliser repairs it and
records what it repaired, so a mirror copy stays distinguishable from a clean original.
Dumps of unknown layout still import with a best-effort title and body.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from liaocheng_news.items import Article
from liaocheng_news.parsers import get_parser
from liaocheng_news.parsers.base import breadcrumb_parts
from liaocheng_news.parsers.html import is_chrome_line, is_tail_heading
from liaocheng_news.text.fields import (
    clean_space, has_byline_label, parse_byline, parse_date, parse_datetime, parse_print_note)
from liaocheng_news.text.normalise import Normaliser

_shadow = Normaliser()

# Page chrome that identifies a portal (matched on the Simplified shadow text)
PORTAL_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("yybnet", re.compile(r"地方网\s*>|yybnet\.net|今日聊城\s+今日临清")),
    ("lcxw", re.compile(r"聊城新闻网|新聊城客户端|lcxw\.cn|您的位置:首页>")),
    ("lcrb", re.compile(r"lcrb\.lcxw\.cn|聊城日报数字报|聊城晚报数字报")),
    ("achie", re.compile(r"achie\.org|高新院新闻")),
    ("liaocheng_gov", re.compile(r"liaocheng\.gov\.cn|聊城市人民政府")),
    ("dzwww_liaocheng", re.compile(r"dzwww\.com|大众网·聊城")),
]
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+?/[^\s<>\"']*\d[^\s<>\"']*\.(?:s?html?|htm)")
BREADCRUMB = re.compile(r"(?:您的位置|当前位置|所在位置)\s*[:：]|^\S+(?:\s*>\s*\S+){2,}")
# Tail headings and chrome lines are the parsers' (parsers.html); these are what only text dumps show:
# a mirror's comment box and counters, a footer line, a chrome word left by a copy-paste.
_DUMP_TAIL = re.compile(r"^(?:欢迎\s*发表评论|评论列表|暂无评论|关于我们|分享到)")
_DUMP_CHROME = re.compile(r"^(?:Network|\S{0,6}正文\s+\d+\s+\d+)$")


def _is_tail(norm: str) -> bool:
    return is_tail_heading(norm) or bool(_DUMP_TAIL.match(norm))


def _is_chrome(norm: str) -> bool:
    return is_chrome_line(norm) or bool(_DUMP_CHROME.match(norm))


# An e-paper masthead: a short line (or the first few) of an edition name, a date, a page.
_EDITION = re.compile(r"《?(?P<edition>[\u4e00-\u9fff]{2,8}(?:日报|晚报|早报|商报|时报|都市报))》?")
_PAGE = re.compile(r"(?:第\s*)?(?P<page>[A-Za-z]?\d{1,3})\s*版(?:\s*[:：(（]\s*(?P<name>[^\s)）:：]{1,12})[)）]?)?")
_DATE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")
_WEEKDAY = re.compile(r"(?:星期|周)[一二三四五六日天]")
_MASTHEAD_LINES = 3  # a masthead spread over lines takes at most this many
_EPAPER_EDITIONS = {"聊城日报": "lcrb", "聊城晚报": "lcrb"}  # mastheads that name a portal

NAV_ITEM = re.compile(r"^[-•·\s]*\S{1,8}$")  # 要闻, - 政策解读 (nav and column lists)
SENTENCE_END = re.compile(r"[。！？!?…”」』)）]$")


@dataclass
class _Line:
    raw: str
    norm: str


@dataclass
class DumpParse:
    article: Article
    notes: list[str] = field(default_factory=list)


def iter_dump_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named on the command line, and the .txt files inside named folders (sorted)."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*.txt") if q.is_file())
        elif p.is_file():
            yield p
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")


def decode_dump(data: bytes, name: str = "dump") -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(f"{name}: neither UTF-8 nor GB18030 text")


def read_text(path: Path) -> str:
    return decode_dump(path.read_bytes(), str(path))


def parse_dump(text: str, url: str) -> Article:
    lines = [_Line(raw, clean_space(_shadow.text(raw))) for raw in text.replace("\r\n", "\n").split("\n")]
    lines = [ln for ln in lines if ln.norm]
    masthead, lines = read_masthead(lines)
    whole = "\n".join(ln.norm for ln in lines)
    portal = _portal(whole)
    if portal == "unknown" and masthead and masthead["edition"]:
        portal = _EPAPER_EDITIONS.get(masthead["edition"], "unknown")
    if portal == "unknown" and _looks_mirrored(text):
        portal = "mirror"  # no portal chrome, but the content-farm corruption is there
    named_url = _named_url(whole)
    if named_url:
        url = named_url

    title_index = _first_text_line(lines) if masthead else _title_index(lines)
    title = lines[title_index].norm if lines else ""
    raw_title = lines[title_index].raw.strip() if lines else ""
    header_end, meta = _header(lines, title_index, title, portal)
    body_lines = _body(lines[header_end:], title, meta)
    byline = parse_byline("\n".join(meta["byline_lines"]))
    note = meta["print_note"] or masthead
    article = Article(
        url=url,
        portal=portal,
        channel=meta["channel"],
        title=raw_title,
        subtitle=meta["subtitle"],
        body=body_lines,
        published_at=byline["published_at"] or (parse_datetime(note and note.get("published") and
                                                                str(note["published"])) if note else None),
        source=byline["source"],
        authors=byline["authors"],
        editor=byline["editor"],
        reviewer=byline["reviewer"],
        edition=note["edition"] if note else None,
        page_no=note["page_no"] if note else None,
        page_name=note["page_name"] if note else None,
        extraction="import",
    )
    return article


def read_masthead(lines: list[_Line]) -> tuple[dict | None, list[_Line]]:
    """An e-paper masthead opening the dump, and the lines after it.

    The masthead is the first line, or the first few, that hold nothing but an edition name
    (``聊城日报``, ``《聊城晚报》``), a date and a page (``第3版``, ``A03版``, ``第03版：要闻``) and
    a weekday — a date and a page at least between them.  Returns ``({"edition", "page_no",
    "page_name", "published"}, rest)``, or ``(None, lines)`` when the dump opens otherwise.
    """
    found: dict = {"edition": None, "page_name": None}
    used = 0
    for line in lines[:_MASTHEAD_LINES]:
        norm = line.norm
        edition, page, date = _EDITION.search(norm), _PAGE.search(norm), _DATE.search(norm)
        rest = norm
        for match in (edition, page, date):
            if match:
                rest = rest.replace(match.group(0), " ")
        if len(norm) > 60 or _WEEKDAY.sub(" ", rest).strip(" ,，|｜·/　-") or not (edition or page or date):
            break
        if edition and not found["edition"]:
            found["edition"] = edition.group("edition")
        if page and "page_no" not in found:
            number = page.group("page")
            found["page_no"] = number.lstrip("0") or number if number.isdigit() else number.upper()
            found["page_name"] = page.group("name")
        if date and "published" not in found:
            found["published"] = parse_date(date.group(0))
        used += 1
    if {"page_no", "published"} <= found.keys():  # a date and a page at least; the edition if named
        return found, lines[used:]
    return None, lines


def _first_text_line(lines: list[_Line]) -> int:
    """The headline under a masthead: the first line that is not page chrome."""
    for i, ln in enumerate(lines):
        if not (_is_chrome(ln.norm) or BREADCRUMB.search(ln.norm)):
            return i
    return 0


def _portal(whole: str) -> str:
    for name, pattern in PORTAL_MARKERS:
        if pattern.search(whole):
            return name
    return "unknown"


def _looks_mirrored(text: str) -> bool:
    counts: Counter = Counter()
    _shadow.text(text[:4000], counts)
    return counts.get("annotations_removed", 0) >= 3


def _named_url(whole: str) -> str | None:
    match = URL_IN_TEXT.search(whole)
    return match.group(0) if match else None


def _is_source_line(norm: str) -> bool:
    return bool(re.match(r"^(?:来源|稿源)\s*[:：]", norm)) or (
        bool(re.search(r"来源\s*[:：]", norm)) and parse_datetime(norm) is not None and len(norm) < 120)


def _title_index(lines: list[_Line]) -> int:
    """The title: the line before the 来源 line; else the most repeated headline-like line; else the first."""
    for i, ln in enumerate(lines):
        if _is_source_line(ln.norm):
            j = i - 1
            while j >= 0 and (_is_chrome(lines[j].norm) or BREADCRUMB.search(lines[j].norm)):
                j -= 1
            if j >= 0:
                return j
    counts = Counter(ln.norm for ln in lines if 6 <= len(ln.norm) <= 80 and not SENTENCE_END.search(ln.norm))
    repeated = [t for t, c in counts.items() if c >= 2 and not NAV_ITEM.match(t)]
    if repeated:
        first = min(repeated, key=lambda t: next(i for i, ln in enumerate(lines) if ln.norm == t))
        return next(i for i, ln in enumerate(lines) if ln.norm == first)
    i = 0
    while i < len(lines):
        run = 0  # a nav bar is a run of three or more short items; one short line is a title
        while i + run < len(lines) and NAV_ITEM.match(lines[i + run].norm):
            run += 1
        if run >= 3:
            i += run
        elif _is_chrome(lines[i].norm) or BREADCRUMB.search(lines[i].norm):
            i += 1
        else:
            return i
    return 0


def _channel(lines: list[_Line], title_index: int, portal: str) -> str | None:
    """The channel from the breadcrumb, read the way the portal's own parser reads it."""
    for ln in lines[:title_index]:
        if BREADCRUMB.search(ln.norm):
            parts = breadcrumb_parts(ln.norm)
            try:
                return get_parser(portal).channel_of(parts, None)
            except KeyError:
                return parts[-1] if parts else None
    return None


def _header(lines: list[_Line], title_index: int, title: str, portal: str) -> tuple[int, dict]:
    """Consume the lines after the title that are header: source/date, bylines, print note, chrome."""
    meta = {"byline_lines": [], "print_note": None, "subtitle": None,
            "channel": _channel(lines, title_index, portal)}
    i = title_index + 1
    seen_byline = False
    while i < len(lines):
        norm = lines[i].norm
        if norm == title or _is_chrome(norm):
            pass
        elif _is_source_line(norm) or (len(norm) <= 40 and has_byline_label(norm)):
            meta["byline_lines"].append(norm)
            seen_byline = True
        elif len(norm) <= 40 and parse_print_note(norm):
            meta["print_note"] = parse_print_note(norm)
        elif (not seen_byline and meta["subtitle"] is None and i == title_index + 1
              and 6 <= len(norm) <= 60 and not re.search(r"[。！？!?]", norm)):
            meta["subtitle"] = lines[i].raw.strip()
        else:
            break
        i += 1
    return i, meta


def _body(lines: list[_Line], title: str, meta: dict) -> list[str]:
    body: list[str] = []
    ended = False
    for ln in lines:
        norm = ln.norm
        if re.match(r"^(?:责任编辑|初审编辑|编辑|审核)\s*[:：]", norm):
            meta["byline_lines"].append(norm)  # 编辑:李明 / 审核:刘飞 close the body
            ended = True
            continue
        if ended or _is_tail(norm):
            break
        if norm == title or _is_chrome(norm):
            continue
        if len(norm) <= 40 and re.match(r"^(?:文|图|记者|通讯员|本报记者|■)", norm) and has_byline_label(norm):
            meta["byline_lines"].append(norm)  # 文/记者 夏旭光 韩庆阳 图/资料图 at the end of a body
            continue
        body.append(ln.raw.strip())
    return body


