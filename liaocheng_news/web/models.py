"""The shapes of the site's data: the JSON under ``/api/`` (and its OpenAPI description) and what
the page templates are given.  Times are ISO 8601 in Asia/Shanghai (+08:00).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class StorySummary(BaseModel):
    """A row of the list: a story, seen through one copy (its canonical copy; with a portal or
    channel filter, its copy there)."""

    id: int = Field(description="Story id (api.stories.id)")
    article_id: int = Field(description="The copy this row shows (api.articles.id)")
    title: str = Field(description="That copy's headline")
    published_at: datetime | None = Field(description="That copy's publication time; null when undated")
    portal: str = Field(description="That copy's portal")
    channel: str | None = Field(description="That copy's channel")
    portals: list[str] = Field(description="Every portal that carries a copy of the story, sorted")
    copies: int = Field(description="Number of copies of the story")


class StoryList(BaseModel):
    stories: list[StorySummary]
    next: str | None = Field(description="Pass as `before` for the next page; null on the last page")


class Version(BaseModel):
    """The fields a version of an article has: those a revision keeps (diff.FIELDS and the body)."""

    id: int
    revision: int = Field(description="Which version: 1, then +1 for each content change")
    title: str
    subtitle: str | None
    published_at: datetime | None
    source: str | None
    authors: list[str]
    editor: str | None
    reviewer: str | None
    body: str = Field(description="One paragraph a line")
    images: list[dict[str, Any]]


class Copy(Version):
    """One copy of a story (an api.articles row): its text, fields and provenance."""

    url: str
    portal: str
    channel: str | None
    edition: str | None
    page_no: str | None
    page_name: str | None
    extraction: str = Field(description="portal (its parser), fallback (generic extractor) or import")
    template: str | None = Field(description="The template that read it, where the archive records one")
    normalisation: dict[str, int] = Field(description="What the normaliser repaired (counts)")
    is_canonical: bool
    first_seen: datetime
    last_seen: datetime
    last_changed: datetime
    crawl_run_id: int | None


class Revision(Version):
    """An earlier version of a copy (an api.revisions row; ``id`` is the revision row's)."""

    article_id: int
    valid_from: datetime
    superseded_at: datetime


class Story(BaseModel):
    id: int
    canonical_article_id: int | None
    copies: int
    portals: list[str]
    first_seen: datetime | None
    last_seen: datetime | None
    first_published_at: datetime | None
    articles: list[Copy] = Field(description="Every copy, the canonical one first")
    revisions: list[Revision] = Field(description="Earlier versions of the copies, by copy and revision")


class SearchHit(BaseModel):
    article_id: int
    story_id: int
    url: str
    portal: str
    title: str
    published_at: datetime | None
    rank: float = Field(description="api.search's rank: 1 when every term is in the headline, 0 when in the text")
    snippet: str = Field(description="About 80 characters of the body around the first hit, terms marked «…»")


class SearchResults(BaseModel):
    query: str
    terms: list[str] = Field(description="The query's terms, as the snippets mark them")
    hits: list[SearchHit]


class DayCount(BaseModel):
    day: date
    articles: int = Field(description="Articles first seen that day (Asia/Shanghai)")


class LastRun(BaseModel):
    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    pages: int
    articles: int
    errors: int
    fallbacks: int
    detail: str | None = Field(default=None, description="Why the run ended as it did, where it says")


class DriftCheck(BaseModel):
    """A ``liaocheng-news check-portals`` result (the archive's drift_checks, migration 6)."""

    verdict: str = Field(description="ok, broken or unreachable")
    checked_at: datetime
    detail: str
    replay: bool = Field(description="Checked against recorded pages, not the live portal")


class PortalHealth(BaseModel):
    portal: str
    title: str | None = Field(description="The portal's name, for portals the crawler knows")
    kind: str | None = Field(description="The source's kind (portals.py: origin, epaper, aggregator, government, "
                                         "mirror, unknown); null for a portal the crawler does not know")
    crawled: bool = Field(description="The crawler has a spider for it (false: imports and mirrors only)")
    last_run: LastRun | None
    per_day: list[DayCount] = Field(description="One entry per day of the window, oldest first")
    window_articles: int = Field(description="Articles first seen in the window")
    last_new_day: date | None = Field(description="The last day of the window with a new article; null: none")
    fill_articles: int = Field(description="Articles first seen in the fill-rate days")
    fill_rates: dict[str, float | None] = Field(
        description="Share of the fill-rate days' articles with each field filled; null when there are none")
    last_drift_check: DriftCheck | None = Field(
        description="The last drift check; null when none is recorded (or the archive's api does not show them)")
    attention: list[str] = Field(description="Why the portal needs attention (what `liaocheng-news status` says, "
                                             "with the same thresholds); empty when it looks healthy")


class PortalsReport(BaseModel):
    today: date = Field(description="The last day of the windows (Asia/Shanghai)")
    days: int = Field(description="Days of the per-day counts")
    fill_days: int = Field(description="Days (up to today) the fill rates are taken over")
    drift_checks_shown: bool = Field(description="The archive's api shows drift checks (api.drift_checks); "
                                                 "false: none can be shown")
    portals: list[PortalHealth]


class Run(BaseModel):
    id: int
    spider: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    host: str | None
    job_id: str | None
    stats: dict[str, Any]


class RunList(BaseModel):
    runs: list[Run]
    next: int | None = Field(description="Pass as `before` for older runs; null when none is left")
