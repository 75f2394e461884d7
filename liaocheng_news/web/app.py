"""The site's routes: pages (server-rendered, no script) and the same data as JSON under ``/api/``.

    /                  stories, newest first (filters: portal, channel, since, until; keyset pages)
    /story/{id}        a story: canonical text and fields, every copy, revisions with a diff
    /search?q=         the archive's Chinese search (api.search), terms highlighted
    /portals           each portal's last run, articles per day, fill rates, attention marks
    /runs              recent crawl runs and their stats
    /api/...           the same as JSON; /api/openapi.json describes it

A story id that was merged or emptied answers 301 with the live story's address.  Everything is
read through :mod:`.reader` (read-only, the reader role), every statement is in :mod:`.queries`.
"""

from __future__ import annotations

import logging
import time as clock
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlsplit

import jinja2
import psycopg
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException

from liaocheng_news.extensions.archive import RUN_SUMMARY
from liaocheng_news.attention import thresholds
from liaocheng_news.text.normalise import COUNT_KEYS
from liaocheng_news.web import health, highlight, queries
from liaocheng_news.web.chart import day_chart
from liaocheng_news.web.diff import version_diff
from liaocheng_news.web.guard import Guard
from liaocheng_news.web.models import (Copy, PortalsReport, Revision, Run, RunList, SearchHit, SearchResults,
                                       Story, StoryList, StorySummary)
from liaocheng_news.web.queries import SHANGHAI, BadRequest, Cursor, StoryFilters
from liaocheng_news.web.reader import open_pool

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 50
MAX_PAGE = 200
SEARCH_SIZE = 20
MAX_SEARCH = 200
RUNS_SIZE = 50
CHART_DAYS = 30
FILL_DAYS = 7  # fill rates over the articles first seen in the last week
FACETS_TTL = 300.0  # seconds the filter form's portal and channel lists are kept
NORMALISATION_LABELS = {  # COUNT_KEYS of the normaliser, as the story page names them
    "converted_from_traditional": "Traditional characters converted",
    "annotations_removed": "pinyin or Traditional annotations removed",
    "spam_removed": "spam phrases removed",
    "paragraphs_joined": "print-layout line breaks joined",
    "title_repeats_removed": "paragraphs repeating the title removed",
    "empty_paragraphs_dropped": "empty paragraphs dropped",
}
assert set(NORMALISATION_LABELS) == set(COUNT_KEYS), "a normaliser count without a label"


class NotFound(LookupError):
    """No such page or story."""


# -- presentation helpers -------------------------------------------------------------------------

def when(value: datetime | None, missing: str = "undated") -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else missing


def is_web_link(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https")


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = when
    env.globals.update(is_web_link=is_web_link, normalisation_labels=NORMALISATION_LABELS, summary_keys=[key for _, key in RUN_SUMMARY])
    return Jinja2Templates(env=env)


def _text(value: str, name: str) -> str:
    if "\x00" in value:  # PostgreSQL text cannot hold it
        raise BadRequest(f"{name} cannot contain a NUL character")
    return value.strip()


def _blank(value: str | None, name: str = "a filter") -> str | None:
    """A form field left empty means no filter."""
    return _text(value or "", name) or None


def _day(value: str | None, name: str) -> date | None:
    value = _blank(value)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} wants a date like 2026-01-31, not {value!r}") from None


def story_filters(portal: Annotated[str | None, Query(max_length=100, description="Only stories with a copy on this portal")] = None,
                  channel: Annotated[str | None, Query(max_length=200, description="Only stories with a copy in this channel")] = None,
                  since: Annotated[str | None, Query(description="Published on or after this day (YYYY-MM-DD, Asia/Shanghai)")] = None,
                  until: Annotated[str | None, Query(description="Published on or before this day (YYYY-MM-DD, Asia/Shanghai)")] = None,
                  ) -> StoryFilters:
    filters = StoryFilters(_blank(portal, "portal"), _blank(channel, "channel"), _day(since, "since"),
                           _day(until, "until"))
    if filters.since and filters.until and filters.since > filters.until:
        raise BadRequest("since is after until: no day is in between")
    return filters


def _cursor(before: str | None) -> Cursor | None:
    before = _blank(before)
    return Cursor.parse(before) if before else None


# -- building the data of each page (shared by the pages and the JSON) ------------------------------

async def _facets(app) -> dict[str, list[str]]:
    """portal -> channels (queries.facets), kept for FACETS_TTL seconds."""
    expires, value = app.state.facets
    if value is None or clock.monotonic() > expires:
        async with app.state.pool.connection() as conn:
            value = await queries.facets(conn)
        app.state.facets = (clock.monotonic() + FACETS_TTL, value)
    return value


async def _stories(app, filters: StoryFilters, before: str | None, limit: int) -> StoryList:
    after = _cursor(before)
    facets = await _facets(app)
    if filters.portal:
        portals = [filters.portal]
    else:
        portals = [p for p, channels in facets.items() if filters.channel is None or filters.channel in channels]
    async with app.state.pool.connection() as conn:
        rows, following = await queries.stories(conn, filters, portals, after, limit)
    return StoryList(stories=[StorySummary(**r) for r in rows], next=str(following) if following else None)


async def _story(pool, story_id: int) -> Story | int:
    """The live story, or the id of the live story a merged/emptied id resolves to."""
    async with pool.connection() as conn:
        live = await queries.resolve_story(conn, story_id)
        if live is None:
            raise NotFound(f"no story {story_id}")
        if live != story_id:
            return live
        row = await queries.story(conn, story_id)
    if row is None:  # resolved to itself but not live: nothing to show
        raise NotFound(f"no story {story_id}")
    copies, revisions = row.pop("copy_rows"), row.pop("revision_rows")
    return Story(**row, articles=[Copy(**c) for c in copies], revisions=[Revision(**r) for r in revisions])


async def _search(pool, q: str, limit: int) -> SearchResults:
    q = _text(q, "the search")
    if not q:
        return SearchResults(query="", terms=[], hits=[])
    async with pool.connection() as conn:
        terms, hits = await queries.search(conn, q, limit)
    return SearchResults(query=q, terms=terms, hits=[SearchHit(**h) for h in hits])


async def _portals(app) -> PortalsReport:
    now = datetime.now(SHANGHAI)
    crawled = health.crawled()
    names = sorted(set(await _facets(app)) | set(crawled))
    async with app.state.pool.connection() as conn:
        found = await queries.portals(conn, names, set(crawled), now, CHART_DAYS, FILL_DAYS,
                                      drift=app.state.drift_checks)
    settings = app.state.settings
    return PortalsReport(today=now.date(), days=CHART_DAYS, fill_days=FILL_DAYS,
                         drift_checks_shown=app.state.drift_checks,
                         portals=health.report(names, found, now.date(), CHART_DAYS, now,
                                               lambda portal: thresholds(settings, portal)))


async def _runs(pool, spider: str | None, before: int | None, limit: int) -> RunList:
    async with pool.connection() as conn:
        rows = await queries.runs(conn, _blank(spider, "spider"), before, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return RunList(runs=[Run(**r) for r in rows], next=rows[-1]["id"] if more else None)


def _revision_diffs(story: Story) -> dict[int, list[dict]]:
    """article id -> each change of that copy, oldest first: the version before, the version after
    (a later revision, or the copy as it is now), and their diff."""
    by_article: dict[int, list[Revision]] = {}
    for r in story.revisions:
        by_article.setdefault(r.article_id, []).append(r)
    out = {}
    for copy in story.articles:
        versions = [*sorted(by_article.get(copy.id, []), key=lambda r: r.revision), copy]
        out[copy.id] = [{"old": old, "new": new, "diff": version_diff(old.model_dump(), new.model_dump())}
                        for old, new in zip(versions, versions[1:])]
    return out


# -- the application ---------------------------------------------------------------------------------

def create_app(database_url: str, *, token: str | None = None, pool_size: int = 4, settings=None):
    """The site as an ASGI application; once started, ``app.state`` holds the pool and who it
    reads as (``reader``).  ``settings``: the project's Scrapy settings (PORTAL_THRESHOLDS: when
    a portal needs attention); by default, as ``liaocheng-news status`` reads them."""
    templates = _templates()
    if settings is None:
        from scrapy.utils.project import get_project_settings  # the project's, as `status` reads them

        settings = get_project_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.pool, app.state.reader = await open_pool(database_url, max_size=pool_size)
        app.state.facets = (0.0, None)
        async with app.state.pool.connection() as conn:  # asked once: a later migration shows after a restart
            app.state.drift_checks = await queries.has_drift_checks(conn)
        app.state.settings = settings
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(title="liaocheng-news archive", version="1",
                  description="Read-only JSON of the Liaocheng news archive (its api schema, version 1). "
                              "Times are ISO 8601 in Asia/Shanghai.",
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        reader = getattr(request.app.state, "reader", None)
        return templates.TemplateResponse(request, name, {"nav": name, "reader": reader, **context},
                                          status_code=status, headers={"cache-control": "no-cache"})

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def error(request: Request, status: int, message: str) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=status)
        return page(request, "error.html", status, title={400: "Bad request", 404: "Not found",
                                                             503: "Archive unavailable"}.get(status, "Error"),
                    message=message)

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest):
        return error(request, 400, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return error(request, 404, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())
        return error(request, 422 if wants_json(request) else 400, problems)

    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(PoolTimeout)
    async def unavailable(request: Request, exc: Exception):
        logger.error("archive unavailable: %s", exc)
        return error(request, 503, "the archive cannot be reached just now; try again shortly")

    # -- pages --
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def stories_page(request: Request, filters: Annotated[StoryFilters, Depends(story_filters)],
                           before: str | None = None):
        data = await _stories(request.app, filters, before, PAGE_SIZE)
        shown = {k: v for k, v in (("portal", filters.portal), ("channel", filters.channel),
                                   ("since", filters.since), ("until", filters.until)) if v}
        next_link = f"/?{urlencode({**shown, 'before': data.next})}" if data.next else None
        facets = await _facets(request.app)
        return page(request, "stories.html", data=data, filters=filters, portals=sorted(facets),
                    channels=sorted({c for channels in facets.values() for c in channels}),
                    next_link=next_link, first_link=f"/?{urlencode(shown)}" if before else None)

    @app.get("/story/{story_id:int}", response_class=HTMLResponse, include_in_schema=False)
    async def story_page(request: Request, story_id: int):
        found = await _story(request.app.state.pool, story_id)
        if isinstance(found, int):
            return RedirectResponse(f"/story/{found}", status_code=301)
        return page(request, "story.html", story=found, canonical=found.articles[0] if found.articles else None,
                    diffs=_revision_diffs(found))

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    async def search_page(request: Request, q: Annotated[str, Query(max_length=queries.MAX_QUERY)] = ""):
        results = await _search(request.app.state.pool, q, SEARCH_SIZE)
        return page(request, "search.html", results=results, snippet=highlight.snippet, marked=highlight.terms_in)

    @app.get("/portals", response_class=HTMLResponse, include_in_schema=False)
    async def portals_page(request: Request):
        report = await _portals(request.app)
        return page(request, "portals.html", report=report, chart=day_chart)

    @app.get("/runs", response_class=HTMLResponse, include_in_schema=False)
    async def runs_page(request: Request, spider: Annotated[str | None, Query(max_length=100)] = None,
                        before: Annotated[int | None, Query(ge=1, le=queries.MAX_STORY_ID)] = None):
        data = await _runs(request.app.state.pool, spider, before, RUNS_SIZE)
        shown = {"spider": spider} if _blank(spider) else {}
        next_link = f"/runs?{urlencode({**shown, 'before': data.next})}" if data.next else None
        return page(request, "runs.html", data=data, spider=_blank(spider), next_link=next_link)

    # -- JSON --
    @app.get("/api/stories", response_model=StoryList, summary="Stories, newest publication first",
             description="One row per story (its canonical copy); with a portal or channel, one row per copy "
                         "there. Undated rows come last.")
    async def stories_json(request: Request, filters: Annotated[StoryFilters, Depends(story_filters)],
                           before: Annotated[str | None, Query(description="`next` of the previous page")] = None,
                           limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE_SIZE):
        return await _stories(request.app, filters, before, limit)

    @app.get("/api/stories/{story_id}", response_model=Story, summary="A story with every copy and revision",
             responses={301: {"description": "A merged or emptied story id: Location is the live story"},
                        404: {"description": "No such story id"}})
    async def story_json(request: Request, story_id: int):
        found = await _story(request.app.state.pool, story_id)
        if isinstance(found, int):
            return RedirectResponse(f"/api/stories/{found}", status_code=301)
        return found

    @app.get("/api/search", response_model=SearchResults, summary="The archive's Chinese search (api.search)")
    async def search_json(request: Request, q: Annotated[str, Query(max_length=queries.MAX_QUERY)],
                          limit: Annotated[int, Query(ge=1, le=MAX_SEARCH)] = SEARCH_SIZE):
        return await _search(request.app.state.pool, q, limit)

    @app.get("/api/portals", response_model=PortalsReport, summary="Each portal's health")
    async def portals_json(request: Request):
        return await _portals(request.app)

    @app.get("/api/runs", response_model=RunList, summary="Crawl runs, newest first")
    async def runs_json(request: Request, spider: Annotated[str | None, Query(max_length=100)] = None,
                        before: Annotated[int | None, Query(ge=1, le=queries.MAX_STORY_ID)] = None,
                        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = RUNS_SIZE):
        return await _runs(request.app.state.pool, spider, before, limit)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception):
        logger.exception("%s %s failed", request.method, request.url.path)
        return error(request, 500, "the page could not be made; the site's log says why")

    app.add_middleware(Guard, token=token)
    return app
