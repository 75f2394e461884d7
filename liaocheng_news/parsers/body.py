"""Body blocks into article parts: paragraphs, images with captions, byline lines, a print note.

Shared by the portal templates (blocks from their body selectors) and the reader (blocks from
the runs of the container it chose), so a rule about captions, bylines or furniture helps both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from liaocheng_news.items import Image
from liaocheng_news.parsers.html import Block, is_chrome_line, is_tail_heading
from liaocheng_news.text.fields import parse_byline, parse_print_note, starts_with_byline_label

if TYPE_CHECKING:
    from liaocheng_news.parsers.base import Page

__all__ = ["BodyParts", "IMAGE_NOISE", "is_byline_line", "read_blocks"]

_LEADING_MARKS = "■□●◆▲★◎·•（(【[ 　"
_TRAILING_MARKS = "）)】] 　"
IMAGE_NOISE = re.compile(r"share|qrcode|ewm|erweima|logo|icon|blank\.gif|spacer|loading|arrow|btn", re.I)
_PICTURE_LABEL = re.compile(r"[图圖文摄攝][/／:：]")  # 图/资料图: a byline line with no name
_FILENAME = re.compile(r"\.(jpe?g|png|gif|webp|bmp)$|^(img|image|pic|photo|dsc|微信图片)[_\d-]*$", re.I)


def is_byline_line(text: str) -> bool:
    """A short line that is a byline (``■本报记者 苑莘``, ``编辑:李明``, ``图/资料图``), not prose."""
    core = text.strip(_LEADING_MARKS).rstrip(_TRAILING_MARKS)
    if not core or len(core) > 60 or not starts_with_byline_label(core):
        return False
    fields = parse_byline(core)
    named = any(fields[key] for key in ("authors", "editor", "reviewer", "photographers", "source", "published_at"))
    return named or bool(_PICTURE_LABEL.match(core))


@dataclass
class BodyParts:
    """The article part of a body container, with the bylines and notes found inside it."""

    paragraphs: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    byline_lines: list[str] = field(default_factory=list)
    print_note: dict[str, Any] | None = None


def read_blocks(blocks: Sequence[Block], page: Page, title: str = "") -> BodyParts:
    """Split body blocks into paragraphs, images with captions, byline lines and a print note.

    Page furniture is dropped: single chrome lines (A+A-, 分享, 打印) anywhere, and everything
    from a furniture heading on (新闻推荐, 相关推荐, 猜你喜欢, 评论, 频道推荐, 热点阅读 …).  A
    caption is the short centered (or caption-classed) paragraph right after an image, else a
    meaningful ``alt``; caption paragraphs are not repeated in the body.
    """
    parts = BodyParts()
    consumed: set[int] = set()
    for index, block in enumerate(blocks):
        if index in consumed:
            continue
        if block.kind == "image":
            url = page.absolute(block.src)
            if not url or IMAGE_NOISE.search(url):
                continue
            caption = ""
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            if (
                following is not None
                and following.kind == "text"
                and (following.centered or following.caption_hint)
                and len(following.text) <= 120
                and not is_tail_heading(following.text)
                and not is_byline_line(following.text)
            ):
                caption = following.text
                consumed.add(index + 1)
            elif block.alt and not _FILENAME.search(block.alt) and block.alt != title:
                caption = block.alt
            if all(image.url != url for image in parts.images):
                parts.images.append(Image(url=url, caption=caption))
            continue
        text = block.text
        if is_tail_heading(text):
            break
        if is_chrome_line(text) or text == title:
            continue
        note = parse_print_note(text) if len(text) <= 40 else None
        if note:
            parts.print_note = parts.print_note or note
            continue
        if is_byline_line(text):
            parts.byline_lines.append(text)
            continue
        parts.paragraphs.append(text)
    return parts
