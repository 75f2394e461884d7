"""Pure-text helpers that read dates, bylines and print notes out of Chinese news text.

Every portal parser and the seed importer (plain-text dumps) meet the same few line shapes:
``来源:聊城日报 2021-10-28 11:20``, ``■本报记者 苑莘``, ``编辑:李明`` ``审核:刘 飞``,
``初审编辑:赵志鹏 责任编辑:李兆辉``, ``2024年12月20日《聊城日报》2版``.  Reading them in one place
keeps the parsers down to selectors.  All functions are pure, total (they never raise on odd
input) and accept Simplified or Traditional label words (mirrors carry Traditional copies).

Name handling (a documented choice): Chinese typesetting pads a two-character name with a space
so that it lines up with three-character names (``审核:刘 飞``).  The pad is not part of the
name, and keeping it would make ``刘 飞`` and ``刘飞`` two different people in the archive, so
names made of single CJK characters separated by blanks are joined (``刘 飞`` -> ``刘飞``).
Blank-separated multi-character tokens stay separate names (``夏旭光 韩庆阳`` -> two names).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from liaocheng_news.text.lazy import LazyPattern

SHANGHAI = ZoneInfo("Asia/Shanghai")

__all__ = [
    "SHANGHAI",
    "parse_datetime",
    "find_datetime",
    "FoundDate",
    "parse_date",
    "parse_byline",
    "parse_print_note",
    "split_names",
    "people",
    "has_byline_label",
    "label_finder",
    "starts_with_byline_label",
    "clean_space",
]

_MIN_YEAR, _MAX_YEAR = 1990, 2100

# ---------------------------------------------------------------------------------------------
# dates

# 2021-10-28 11:20 / 2026-01-22 11:02:37 / 2024/03/29 / 2019.04.14 / 2026-01-22T11:02:37+08:00
_DASHED = re.compile(
    r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"
    r"(?:(?:[T\s]|&nbsp;)+(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2})(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
)
# 2024年12月20日 / 2024年12月20日 14:44 / 2024年12月20日14时44分
_CHINESE = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]"
    r"(?:\s*(?P<H>\d{1,2})\s*[:：时時]\s*(?P<M>\d{2})(?:\s*[:：分]\s*(?P<S>\d{2}))?)?"
)
# 20260122 in URLs (/20260122/151679.html, t20220126_9746270.htm)
_COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?!\d)")


def _build(match: re.Match[str]) -> datetime | None:
    parts = match.groupdict()
    try:
        year, month, day = int(parts["y"]), int(parts["m"]), int(parts["d"])
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            return None
        hour = int(parts.get("H") or 0)
        minute = int(parts.get("M") or 0)
        second = int(parts.get("S") or 0)
        tz = parts.get("tz")
        if tz:
            if tz == "Z":
                offset = timezone.utc
            else:
                sign = -1 if tz[0] == "-" else 1
                digits = tz[1:].replace(":", "")
                offset = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
            return datetime(year, month, day, hour, minute, second, tzinfo=offset).astimezone(SHANGHAI)
        return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
    except (ValueError, OverflowError):
        return None


def parse_datetime(text: str | None) -> datetime | None:
    """The first valid date (with its time, if given) in ``text``, aware in Asia/Shanghai.

    Dashed and Chinese forms are preferred over bare ``YYYYMMDD`` digit runs, which are only
    used when nothing else is there (they are how URLs carry dates, and a phone number or an id
    must not win over a real date in the same text).  Invalid dates (``2021-13-45``) are skipped;
    absent or unreadable input gives None.
    """
    found = find_datetime(text)
    return found.value if found else None


@dataclass(frozen=True)
class FoundDate:
    """A date found in a text: its value, whether a time of day was written, and where it is."""

    value: datetime
    has_time: bool
    start: int
    end: int


def find_datetime(text: str | None) -> FoundDate | None:
    """Like :func:`parse_datetime`, but says whether the text gave a time and where the date is."""
    if not text or not isinstance(text, str):
        return None
    found: list[FoundDate] = []
    for pattern in (_DASHED, _CHINESE):
        for match in pattern.finditer(text):
            value = _build(match)
            if value is not None:
                found.append(FoundDate(value, match.group("H") is not None, match.start(), match.end()))
                break
    if found:
        return min(found, key=lambda date_found: date_found.start)
    for match in _COMPACT.finditer(text):
        value = _build(match)
        if value is not None:
            return FoundDate(value, False, match.start(), match.end())
    return None


def parse_date(text: str | None) -> date | None:
    """The calendar date of :func:`parse_datetime` (for print notes and e-paper pages)."""
    value = parse_datetime(text)
    return value.date() if value else None


# ---------------------------------------------------------------------------------------------
# names and bylines

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACES = re.compile(r"[\s\u00a0\u3000]+")
_BULLETS = "■□●○◆◇▲△★☆◎·•|｜【】[]"


def clean_space(text: str | None) -> str:
    """Collapse all blanks (incl. NBSP and the ideographic space) to one ASCII space, stripped.

    ``str.split()`` cuts at exactly the characters the regex ``\\s`` matches (``str.isspace``),
    NBSP and U+3000 among them, in one C pass: the same result as ``_SPACES.sub(" ", text).strip()``."""
    return " ".join(text.split()) if text else ""


# Labels, longest first so that 初审编辑 is not read as 编辑.  Each maps to a role.
_LABELS: list[tuple[str, str]] = [
    ("初审编辑", "first_editor"), ("初審編輯", "first_editor"),
    ("责任编辑", "responsible_editor"), ("責任編輯", "responsible_editor"),
    ("本报通讯员", "correspondent"), ("本報通訊員", "correspondent"),
    ("特约通讯员", "correspondent"), ("特約通訊員", "correspondent"),
    ("本报记者", "reporter"), ("本報記者", "reporter"),
    ("特约记者", "reporter"), ("特約記者", "reporter"),
    ("见习记者", "reporter"), ("見習記者", "reporter"),
    ("发布时间", "time"), ("發佈時間", "time"), ("發布時間", "time"),
    ("发布日期", "time"), ("發佈日期", "time"), ("發布日期", "time"), ("发表时间", "time"),
    ("發表時間", "time"), ("发稿时间", "time"), ("发布于", "time"), ("發佈於", "time"),
    ("信息来源", "source"), ("信息來源", "source"), ("本文来源", "source"), ("本文來源", "source"),
    ("文章来源", "source"), ("文章來源", "source"), ("新闻来源", "source"), ("新聞來源", "source"),
    ("稿件来源", "source"), ("素材来源", "source"), ("来源于", "source"), ("來源於", "source"),
    ("通讯员", "correspondent"), ("通訊員", "correspondent"),
    ("实习生", "reporter"), ("實習生", "reporter"),
    ("记者", "reporter"), ("記者", "reporter"),
    ("作者", "author"), ("执笔", "author"), ("執筆", "author"), ("撰稿", "author"), ("撰文", "author"),
    ("责编", "responsible_editor"), ("責編", "responsible_editor"),
    ("编辑", "editor"), ("編輯", "editor"), ("编审", "reviewer"),
    ("审核", "reviewer"), ("審核", "reviewer"), ("终审", "reviewer"), ("終審", "reviewer"),
    ("审校", "reviewer"), ("校对", "proofreader"), ("校對", "proofreader"),
    ("来源", "source"), ("來源", "source"), ("稿源", "source"), ("出处", "source"),
    ("摄影", "photographer"), ("攝影", "photographer"),
    ("时间", "time"), ("時間", "time"), ("日期", "time"),
    ("点击", "ignore"), ("點擊", "ignore"), ("浏览", "ignore"), ("瀏覽", "ignore"),
    ("图", "photographer"), ("圖", "photographer"), ("摄", "photographer"), ("攝", "photographer"),
    ("文", "author"),
]
_ROLE = dict(_LABELS)


def _label(match: re.Match[str]) -> str:
    return match.group("long") or match.group("short") or match.group("glued") or match.group("outlet")
_SINGLE = {label for label, _ in _LABELS if len(label) == 1}
# A short label starts a field when it stands at a line start or after a blank/bullet/slash/punctuation,
# and is followed by a colon or a slash, or by a blank (long labels: also directly by a name), so
# that sentence text such as 记者了解到 is not read as a byline.
_LONG = sorted((label for label, _ in _LABELS if len(label) >= 3), key=len, reverse=True)
_SHORT = sorted((label for label, _ in _LABELS if len(label) < 3), key=len, reverse=True)
# two-character labels that start a field even glued to what precedes them when a colon follows
# ("2022-02-13 07:00:00来源：央广网", "来源：证券时报网作者：李在山")
_GLUED = ("来源", "來源", "作者", "编辑", "編輯", "责编", "責編", "记者", "記者", "时间", "時間", "日期", "摄影", "攝影")
# the labels an outlet's name may precede, before a blank ("光明日报记者 王建宏", "松花江网编辑 孙桂芳")
_AFTER_OUTLET = ("记者", "記者", "通讯员", "通訊員", "编辑", "編輯")
_LABEL_RE = LazyPattern(
    # labels of three or more characters (本报通讯员, 责任编辑) are distinctive enough to start a
    # field anywhere: yybnet runs them together ("■本报记者夏旭光本报通讯员朱红光")
    r"(?:(?P<long>" + "|".join(re.escape(label) for label in _LONG) + r")"
    r"|(?:^|(?<=[\s■□●◆▲★◎·•|｜/／(（【\[,，;；。]))"
    r"(?P<short>" + "|".join(re.escape(label) for label in _SHORT) + r")"
    r"|(?P<glued>" + "|".join(_GLUED) + r")(?=[ \t]*[:：])"
    r"|(?<=[" + _CJK + r"])(?P<outlet>" + "|".join(_AFTER_OUTLET) + r")(?=[ \t]+[" + _CJK + r"]))"
    r"[ \t]*(?P<sep>[:：/／]|(?(long)(?=[\s" + _CJK + r"])|(?<=[ \t])))",
    re.M,
)
_GLUED_DATE = re.compile(r"(?<!\d)\d{4}\s*[-/.年]")
# Words that fill a name slot but are not names.
_NOT_NAMES = {
    "资料图", "資料圖", "资料", "資料", "网络", "網絡", "网络图片", "網絡圖片", "受访者供图", "受訪者供圖",
    "视觉中国", "視覺中國", "本报", "本報", "供图", "供圖", "次",
    # what a reporter did, written after the names ("记者陈智 整合", "记者 王磊 摄")
    "整合", "综合", "綜合", "编译", "編譯", "采写", "採寫", "报道", "報道", "摄", "攝", "等",
}
_NAME_STOP = LazyPattern(r"[^" + _CJK + r"A-Za-z_·•\s、,，;；/／&＆]")
# where a name slot ends inside a run of characters: 发自北京, 山东冠县报道
_NAME_SLOT_END = re.compile(r"发自|發自|\S*报道|\S*報道")
# a person's name: two to four characters (more only with the · of transliterated names)
_PERSON = LazyPattern(r"[" + _CJK + r"]{2,4}|[" + _CJK + r"]+[·•][" + _CJK + r"·•]+|[A-Za-z][A-Za-z _.-]*")
_PEOPLE_ROLES = frozenset({"reporter", "correspondent"})
_NAME_SEPARATORS = re.compile(r"[、,，;；/／&＆]+")
_ONE_HANZI = LazyPattern(f"[{_CJK}]")
_NAME_REST = LazyPattern(f"[{_CJK}]{{1,2}}")  # what a padded name's first character joins
_YEAR = re.compile(r"\d{4}")


def split_names(value: str | None) -> list[str]:
    """Names in a name slot: split on 、,;/ and blanks; padded two-character names are joined.

    ``"夏旭光 韩庆阳"`` -> ``["夏旭光", "韩庆阳"]``; ``"刘 飞"`` -> ``["刘飞"]``;
    ``"李明、王 芳"`` -> ``["李明", "王芳"]``.  Placeholders such as 资料图 are dropped.
    """
    names: list[str] = []
    for chunk in _NAME_SEPARATORS.split(value or ""):
        tokens = [t.strip(_BULLETS) for t in _SPACES.split(chunk.strip()) if t.strip(_BULLETS)]
        i = 0
        while i < len(tokens):
            token = tokens[i]
            single = _ONE_HANZI.fullmatch(token)
            if single and i + 1 < len(tokens) and _NAME_REST.fullmatch(tokens[i + 1]):
                token += tokens[i + 1]  # 刘 飞 / 欧阳 娜 (a padded name)
                i += 1
            i += 1
            if token and token not in _NOT_NAMES and token not in names:
                names.append(token)
    return names


def _name_slot(value: str) -> str:
    """The leading run of a value that can be names (stops at quotes, digits, sentence text,
    and at 发自/…报道 written after the names)."""
    stop = _NAME_STOP.search(value)
    value = value[: stop.start()] if stop else value
    end = _NAME_SLOT_END.search(value)
    return value[: end.start()] if end else value


def people(names: list[str]) -> list[str]:
    """The names of a reporter slot that can be a person's name, up to the first that cannot
    (``["彭冲", "山东冠县报道"]`` -> ``["彭冲"]``)."""
    people: list[str] = []
    for name in names:
        if not _PERSON.fullmatch(name):
            break
        people.append(name)
    return people


def _empty_byline() -> dict[str, Any]:
    return {
        "source": None,
        "authors": [],
        "reporters": [],
        "correspondents": [],
        "photographers": [],
        "editor": None,
        "reviewer": None,
        "first_editor": None,
        "responsible_editor": None,
        "published_at": None,
    }


def _add(target: list[str], names: list[str]) -> None:
    for name in names:
        if name not in target:
            target.append(name)


def parse_byline(text: str | None) -> dict[str, Any]:
    """Read the labelled fields of a byline line or block.

    Returns a dict with every key present::

        source            来源/來源/稿源 (first blank-free token: "聊城日报", "大众网·海报新闻")
        authors           作者 + 记者 (本报记者, ■本报记者, 文/记者) + 通讯员, in order, deduplicated
        reporters, correspondents, photographers (图/摄影/摄; not in authors)
        editor            编辑; else 初审编辑 (dzwww's first-stage editor); else a lone 责任编辑
        reviewer          审核/终审; else 责任编辑 when a separate editor was named (dzwww:
                          初审编辑 -> editor, 责任编辑 -> reviewer)
        first_editor, responsible_editor   the raw 初审编辑 / 责任编辑 values
        published_at      a date on a 时间/日期/发布时间 label or on the 来源 line, else None

    Single-character labels (文/图/摄) count only before a slash or colon, so body text with
    those characters is not read as a byline.  Names follow :func:`split_names`.
    """
    result = _empty_byline()
    if not text or not isinstance(text, str):
        return result
    text = text.replace("\u00a0", " ").replace("\u3000", " ")
    matches = [
        m for m in _LABEL_RE.finditer(text)
        if not (_label(m) in _SINGLE and m.group("sep") not in (":", "：", "/", "／"))
    ]
    roles: dict[str, list[str]] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        line_end = text.find("\n", match.end())
        if line_end != -1:
            end = min(end, line_end)
        raw = text[match.end():end]
        role = _ROLE[_label(match)]
        if role == "ignore":
            continue
        if role == "source":
            token = clean_space(raw).split(" ")[0] if clean_space(raw) else ""
            token = _GLUED_DATE.split(token, 1)[0].strip(_BULLETS)  # 聊城日报2019-04-16
            if token and not _YEAR.match(token) and result["source"] is None:
                result["source"] = token
            if result["published_at"] is None:  # the 来源 line carries the date (before or after)
                line_start = text.rfind("\n", 0, match.start()) + 1
                line_stop = text.find("\n", match.end())
                result["published_at"] = parse_datetime(text[line_start: line_stop if line_stop != -1 else None])
            continue
        if role == "time":
            if result["published_at"] is None:
                result["published_at"] = parse_datetime(raw)
            continue
        names = split_names(_name_slot(raw))
        if role in _PEOPLE_ROLES:
            names = people(names)
        if role == "author" and not names and raw.strip() == "":
            continue  # "文/" followed directly by "记者": the next label carries the names
        roles.setdefault(role, [])
        _add(roles[role], names)

    def first(role: str) -> str | None:
        values = roles.get(role) or []
        return "、".join(values) if values else None

    _add(result["authors"], roles.get("author", []))
    _add(result["reporters"], roles.get("reporter", []))
    _add(result["correspondents"], roles.get("correspondent", []))
    _add(result["photographers"], roles.get("photographer", []))
    # authors in page order: reporters and correspondents keep the order they were written in
    for match in matches:
        role = _ROLE[_label(match)]
        if role in ("reporter", "correspondent"):
            _add(result["authors"], roles.get(role, []))
    result["first_editor"] = first("first_editor")
    result["responsible_editor"] = first("responsible_editor")
    editor = first("editor") or result["first_editor"]
    reviewer = first("reviewer")
    if result["responsible_editor"]:
        if editor and not reviewer:
            reviewer = result["responsible_editor"]
        elif not editor:
            editor = result["responsible_editor"]
    result["editor"] = editor
    result["reviewer"] = reviewer
    return result


def has_byline_label(text: str | None) -> bool:
    """True when ``text`` holds at least one byline label (for parsers deciding if a line is chrome)."""
    if not text:
        return False
    return any(
        not (_label(m) in _SINGLE and m.group("sep") not in (":", "：", "/", "／"))
        for m in _LABEL_RE.finditer(text)
    )


# the fields of parse_byline's result and the label roles that can fill each
_FIELD_ROLES = {
    "authors": ("author", "reporter", "correspondent"),
    "editor": ("editor", "first_editor", "responsible_editor"),
    "reviewer": ("reviewer", "responsible_editor"),
}


def label_finder(fields: Collection[str]) -> re.Pattern[str]:
    """A pattern that finds, in any text, each label :func:`parse_byline` could read one of
    ``fields`` ("authors", "editor", "reviewer") from; a single-character label (文)
    only before a colon or a slash, as parse_byline reads it.  It asks less than parse_byline
    does (no word boundary, any blanks before the colon), so where it finds nothing,
    parse_byline finds none of those fields in any part of that text."""
    roles = {role for name in fields for role in _FIELD_ROLES[name]}
    labels = {label for label, role in _LABELS if role in roles}
    # a label that holds another of two or more characters adds nothing (本报记者 holds 记者;
    # 撰文 stays: 文 alone counts only before a colon or slash)
    minimal = sorted(label for label in labels
                     if not any(len(o) > 1 and o != label and o in label for o in labels))
    return re.compile("|".join(
        re.escape(label) + (r"\s*[:：/／]" if label in _SINGLE else "") for label in minimal))


_OUTLET_NAME = LazyPattern(r"[" + _CJK + r"·•]{2,12}")  # compiled with the first byline (≈ 1.5 ms)


def starts_with_byline_label(text: str | None) -> bool:
    """True when ``text`` (after bullets such as ■) opens with a byline label: ``■本报记者 苑莘``,
    also after an outlet's name: ``光明日报记者 王建宏``, ``（松花江网编辑 孙桂芳）``."""
    core = (text or "").lstrip(_BULLETS + " (（")
    match = _LABEL_RE.match(core)
    if match is None:
        match = _LABEL_RE.search(core, 0, 16)
        if match is None or not match.group("outlet") or not _OUTLET_NAME.fullmatch(core[: match.start()]):
            return False
    return not (_label(match) in _SINGLE and match.group("sep") not in (":", "：", "/", "／"))


# ---------------------------------------------------------------------------------------------
# print notes

_PRINT_NOTE = LazyPattern(
    r"(?P<date>\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)?\s*"
    r"《(?P<edition>[^《》]{2,12}?[报報])》\s*"
    r"(?:第\s*)?(?P<page>[A-Za-z]?\d{1,3}|[一二三四五六七八九十]{1,3})\s*版"
    r"(?:\s*[:：(（]\s*(?P<name>[^\s)）:：]{1,12})[)）]?)?"
)


def parse_print_note(text: str | None) -> dict[str, Any] | None:
    """Read a print note: ``2024年12月20日《聊城日报》2版`` ->
    ``{"edition": "聊城日报", "page_no": "2", "page_name": None, "published": date(2024, 12, 20)}``.

    A page name given after a colon or in brackets (``…2版:要闻``, ``…A3版(民生)``) fills
    ``page_name``; a missing date gives ``published`` None.  No note gives None.
    """
    if not text or not isinstance(text, str):
        return None
    match = _PRINT_NOTE.search(text)
    if not match:
        return None
    page = match.group("page")
    page = page.lstrip("0") or page if page.isdigit() else page.upper()
    return {
        "edition": match.group("edition").strip(),
        "page_no": page,
        "page_name": match.group("name"),
        "published": parse_date(match.group("date")) if match.group("date") else None,
    }
