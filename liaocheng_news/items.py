"""The typed item every spider, importer and pipeline passes along.

An :class:`Article` is a plain dataclass, so Scrapy handles it through
itemadapter and the parsers can build one with no Scrapy involved.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Image:
    url: str
    caption: str = ""


@dataclass
class Article:
    # identity and provenance
    url: str
    portal: str
    channel: str | None = None
    # text
    title: str = ""
    subtitle: str | None = None
    body: list[str] = field(default_factory=list)  # paragraphs, in order
    images: list[Image] = field(default_factory=list)
    # byline and metadata
    published_at: datetime | None = None  # timezone-aware (Asia/Shanghai)
    source: str | None = None  # 来源 (source outlet)
    authors: list[str] = field(default_factory=list)  # 记者 / 通讯员 / 作者
    editor: str | None = None  # 编辑 / 责任编辑 / 初审编辑
    reviewer: str | None = None  # 审核 / 责任编辑 (dzwww)
    # print pieces (聊城日报 / 聊城晚报 and print notes on web copies)
    edition: str | None = None  # 聊城日报 / 聊城晚报
    page_no: str | None = None
    page_name: str | None = None
    # how the item was made
    extraction: str = "portal"  # portal | fallback | import
    template: str | None = None  # which template read it: <portal>/<version>, generic; None for imports
    extraction_checks: list[str] = field(default_factory=list)  # parsers.crosscheck findings, for run stats
    fetched_at: datetime | None = None
    # filled by the pipelines
    normalisation: dict[str, int] = field(default_factory=dict)
    content_hash: str | None = None
    story_id: int | None = None

    TEXT_FIELDS = ("title", "subtitle", "source", "editor", "reviewer", "page_name", "channel")

    @property
    def body_text(self) -> str:
        return "\n".join(self.body)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def image_from(value: Any) -> Image:
    if isinstance(value, Image):
        return value
    if isinstance(value, dict):
        return Image(url=value.get("url", ""), caption=value.get("caption", "") or "")
    return Image(url=str(value))


def article_to_json(article: Article) -> dict[str, Any]:
    """A JSON-safe dict (datetimes in ISO 8601 with offset), e.g. for the spool."""
    data = article.to_dict()
    for key in ("published_at", "fetched_at"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    return data


def article_from_json(data: dict[str, Any]) -> Article:
    data = dict(data)
    for key in ("published_at", "fetched_at"):
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key])
    data["images"] = [image_from(i) for i in data.get("images") or []]
    known = {f.name for f in dataclasses.fields(Article)}
    return Article(**{k: v for k, v in data.items() if k in known})
