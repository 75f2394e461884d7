"""``liaocheng-news check-portals``: a live check that each portal's parser still works.

For each portal: fetch its first list page and one article (politely: robots.txt, the
project's User-Agent, DOWNLOAD_DELAY between requests to one host), run the portal's parser,
and print a table — portal, list links found, fields filled, portal parser or fallback,
verdict.  Exit status 1 when any portal is broken (no links, or an article without
title/date/body from its own parser), so a daily timer can alert on it.

The results are recorded in the archive (``drift_checks``), where ``liaocheng-news status``
shows each portal's last check; an archive that cannot be reached costs the record, not the
check (one warning line).  ``--replay``, ``--replay-dir DIR`` and ``--replay-url URL`` check
recorded pages instead, as ``crawl`` says it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field

from liaocheng_news.items import PARSED_FIELDS
from liaocheng_news.ops.fetch import Fetcher
from liaocheng_news.parsers import get_parser
from liaocheng_news.parsers.base import NotAnArticle
from liaocheng_news.portals import PORTALS
from liaocheng_news.spiders import portal_spiders

# the fields counted as filled: what a parser reads off the page (not its URL, portal or method)
FIELDS = tuple(f for f in PARSED_FIELDS if f not in ("url", "portal", "extraction"))
REQUIRED = ("title", "published_at", "body")


@dataclass
class Check:
    portal: str
    list_url: str | None = None
    links: int = 0
    article_url: str | None = None
    filled: list[str] = field(default_factory=list)
    extraction: str | None = None
    verdict: str = "ok"
    detail: str = ""

    @property
    def healthy(self) -> bool:
        return self.verdict == "ok"


def check_portal(spider_cls, fetcher: Fetcher, replay: bool = False, chromium: str | None = None) -> Check:
    check = Check(spider_cls.name)
    if PORTALS[spider_cls.name].needs_browser:  # its pages are shells: read them rendered
        from liaocheng_news.ops.render import BrowserFetcher

        fetcher = BrowserFetcher(fetcher, chromium or "")
    parser = get_parser(spider_cls.name)
    urls = spider_cls.probe_urls(replay=replay)
    if not urls:
        check.verdict, check.detail = "broken", "the spider names no list page"
        return check
    check.list_url = urls[0]
    try:
        listing_page = fetcher.fetch(check.list_url)
        pages = parser.page_links(listing_page) if hasattr(parser, "page_links") and listing_page.status < 400 else []
        if pages and listing_page.url not in pages:  # an e-paper's first page that is not read itself:
            for check.list_url in pages:  # the first of the pages to read that answers
                listing_page = fetcher.fetch(check.list_url)
                if listing_page.status < 400:
                    break
        if listing_page.status >= 400:
            check.verdict, check.detail = "broken", f"list page HTTP {listing_page.status}"
            return check
        links = parser.parse_list(listing_page).links
    except Exception as exc:  # noqa: BLE001 - one portal's failure must not hide the others' results
        check.verdict, check.detail = "unreachable", f"list page: {_one_line(exc)}"
        return check
    check.links = len(links)
    if not links:
        check.verdict, check.detail = "broken", "no article links on the list page"
        return check
    check.article_url = links[0]
    try:
        article = parser.parse(fetcher.fetch(links[0]))
    except NotAnArticle as exc:
        check.verdict, check.detail = "broken", f"article: {exc}"
        return check
    except Exception as exc:  # noqa: BLE001 - as above
        check.verdict, check.detail = "unreachable", f"article: {_one_line(exc)}"
        return check
    check.extraction = article.extraction
    check.filled = [f for f in FIELDS if getattr(article, f)]
    missing = [f for f in REQUIRED if f not in check.filled]
    if article.extraction != "portal" and parser.versions:  # (a source declared without a template: the reader)
        check.verdict, check.detail = "broken", "the portal's parser found no body (generic fallback used)"
    elif missing:
        check.verdict, check.detail = "broken", f"article lacks {', '.join(missing)}"
    return check


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def portal_spider_classes(names: list[str] | None = None) -> list[type]:
    available = portal_spiders()
    wanted = names or list(available)
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        print(f"liaocheng-news check-portals: unknown portal(s): {', '.join(unknown)}; known: {', '.join(available)}",
              file=sys.stderr)
        raise SystemExit(64)
    return [available[n] for n in wanted]


def render_table(checks: list[Check]) -> str:
    rows = [("portal", "links", "fields", "parser", "verdict")]
    for c in checks:
        rows.append((c.portal, str(c.links), f"{len(c.filled)}/{len(FIELDS)}", c.extraction or "-",
                     c.verdict + (f": {c.detail}" if c.detail else "")))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows)


def record(settings, checks: list[Check], replay: bool) -> None:
    """The results into the archive's drift_checks (a warning when the archive cannot take them)."""
    import asyncio

    from liaocheng_news.db.archive import Archive
    from liaocheng_news.db.health import record_drift_checks

    async def write():
        archive = await Archive.from_settings(settings)
        try:
            await record_drift_checks(archive.pool, [asdict(c) for c in checks], replay)
        finally:
            await archive.close()

    try:
        asyncio.run(write())
    except Exception as exc:  # noqa: BLE001 - the check's verdict stands without its record
        line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        print(f"check-portals: results not recorded in the archive: {line}", file=sys.stderr)


def main(argv: list[str] | None = None, prog: str = "liaocheng-news check-portals") -> int:
    from liaocheng_news.ops.cli import UsageParser, add_replay_options, project_settings, replay_source

    parser = UsageParser(prog=prog, description=__doc__.split("\n\n")[0])
    parser.add_argument("portals", nargs="*", help="portals to check (default: all)")
    add_replay_options(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object per portal")
    parser.add_argument("--no-record", action="store_true", help="do not record the results in the archive")
    args = parser.parse_args(argv)
    settings = project_settings()
    directory, replay_url = replay_source(args)
    server = None
    if directory is not None:
        from liaocheng_news.ops.replay import ReplayServer

        server = ReplayServer(directory).start()
        replay_url = server.url
    try:
        fetcher = Fetcher.from_settings(settings, replay_url=replay_url)
        if replay_url:
            fetcher.delay = 0
        checks = [check_portal(cls, fetcher, replay=bool(replay_url), chromium=settings.get("CHROMIUM_EXECUTABLE"))
                  for cls in portal_spider_classes(args.portals)]
    finally:
        if server:
            server.stop()
    if not args.no_record:
        record(settings, checks, replay=bool(replay_url))
    if args.json:
        for c in checks:
            print(json.dumps({**asdict(c), "healthy": c.healthy}, ensure_ascii=False))
    else:
        print(render_table(checks))
    broken = [c.portal for c in checks if not c.healthy]
    if broken:
        print(f"broken: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0
