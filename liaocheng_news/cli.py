"""The ``liaocheng-news`` command: crawl, import, export, runs, normalize and operator tools."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import sys
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "liaocheng_news.settings")

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXPORT_FIELDS = (
    "url", "portal", "channel", "title", "subtitle", "published_at", "source", "authors", "editor",
    "reviewer", "body", "images", "edition", "page_no", "page_name", "extraction", "normalisation",
    "story_id", "is_canonical", "content_hash", "revision", "first_seen", "last_seen",
)
EXIT_ARCHIVE_UNAVAILABLE = 2


def _die(message: str, code: int = EXIT_ARCHIVE_UNAVAILABLE) -> None:
    print(f"liaocheng-news: {message}", file=sys.stderr)
    raise SystemExit(code)


def _open_archive():
    from liaocheng_news.db.archive import Archive
    from liaocheng_news.db.server import ArchiveUnavailable
    from liaocheng_news.db.migrate import SchemaTooNew

    async def opener():
        try:
            return await Archive.open()
        except (ArchiveUnavailable, SchemaTooNew) as exc:
            _die(str(exc))

    return opener


def _iso(value):
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat()
    return value


# -- crawling ---------------------------------------------------------------------------------
def portal_spiders() -> list[str]:
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    from liaocheng_news.portals import PORTALS

    names = SpiderLoader.from_settings(get_project_settings()).list()
    return [n for n in names if n in PORTALS]


def spider_class(name: str):
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.project import get_project_settings

    return SpiderLoader.from_settings(get_project_settings()).load(name)


def run_spiders(spiders: list[tuple[str, dict]], settings_overrides: dict | None = None) -> int:
    """Run spiders in one Scrapy process; returns 0 when every run finished normally."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for key, value in (settings_overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = []
    for name, kwargs in spiders:
        crawler = process.create_crawler(name)
        crawlers.append(crawler)
        process.crawl(crawler, **kwargs)
    process.start()
    print_summary(crawlers)
    bad = [c.spider.name for c in crawlers
           if c.stats.get_value("finish_reason") not in ("finished", None)]
    if bad:
        print(f"liaocheng-news: runs that did not finish normally: {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0


SUMMARY_COLUMNS = (("pages", "pages_fetched"), ("articles", "articles_fetched"), ("stored", "items_stored"),
                   ("duplicate", "items_duplicate"), ("dropped", "items_dropped"),
                   ("fallback", "fallback_extractions"), ("spooled", "items_spooled"), ("errors", "errors"))


def print_summary(crawlers) -> None:
    """One line per spider at the end of a crawl (the same figures go to crawl_runs)."""
    header = f"{'spider':<16} {'status':<10}" + "".join(f"{name:>10}" for name, _ in SUMMARY_COLUMNS)
    lines = [header]
    for crawler in crawlers:
        stats = crawler.stats.get_stats()
        name = getattr(crawler.spider, "name", "?")
        lines.append(f"{name:<16} {str(stats.get('finish_reason', '-')):<10}"
                     + "".join(f"{stats.get(key, 0):>10}" for _, key in SUMMARY_COLUMNS))
    print("\n".join(lines), file=sys.stderr)


def _check_archive() -> bool:
    """Refuse to start when the archive is unreachable; returns whether it holds no article."""
    async def check():
        archive = await _open_archive()()
        try:
            return await archive.is_empty()
        finally:
            await archive.close()

    return asyncio.run(check())


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """NAME=VALUE options as a dict; a value without '=' is a usage error, not a traceback."""
    pairs = {}
    for value in values or []:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            _die(f"{option} wants NAME=VALUE, not {value!r}", 64)
        pairs[name] = rest
    return pairs


def cmd_crawl(args) -> int:
    overrides = _pairs(args.set, "-s/--set")
    spider_args = _pairs(args.arg, "-a/--arg")
    from liaocheng_news import settings as defaults
    from liaocheng_news.workers import cpu_workers

    try:
        cpu_workers(overrides.get("CPU_WORKERS", defaults.CPU_WORKERS))
    except ValueError as exc:
        _die(str(exc), 64)
    empty = _check_archive()
    server = None
    replay_url = args.replay_url
    if args.replay is not None and replay_url:
        _die("--replay DIR and --replay-url URL are two ways to say the same thing: give one", 64)
    if args.replay is not None:
        from liaocheng_news.replay import ReplayServer, default_replay_dir

        try:
            directory = Path(args.replay) if args.replay else default_replay_dir()
        except FileNotFoundError as exc:
            _die(str(exc), 66)
        if not directory.is_dir():
            _die(f"no replay directory {directory}", 66)
        server = ReplayServer(directory).start()
        replay_url = server.url
        print(f"replaying recorded pages from {directory} at {server.url}", file=sys.stderr)
    if replay_url:
        if not replay_url.startswith(("http://", "https://")):
            _die(f"--replay-url wants an http:// URL, not {replay_url!r}", 64)
        overrides["REPLAY_URL"] = replay_url
        # one local server: no politeness delay needed (robots.txt is still read and obeyed)
        overrides.update({"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_BACKOFF_BASE": 0.1,
                          "CONCURRENT_REQUESTS_PER_DOMAIN": 8, **overrides})
    try:
        if empty and not args.no_seed:
            print("the archive is empty: importing the seed corpus first", file=sys.stderr)
            spiders = [("import", {})]  # the packaged seed corpus
        else:
            spiders = []
        names = args.spiders or portal_spiders()
        unknown = sorted(set(names) - set(portal_spiders()) - {"import"})
        if unknown:
            _die(f"unknown spider(s): {', '.join(unknown)}; known: {', '.join(portal_spiders())}", 64)
        for name in names:
            cls = spider_class(name)
            kwargs = {**(cls.replay_args if replay_url else {}), **spider_args}
            try:
                cls(**kwargs)  # bad spider arguments are a usage error, said before anything starts
            except (TypeError, ValueError) as exc:
                _die(f"{name}: {exc}", 64)
            spiders.append((name, kwargs))
        return run_spiders(spiders, overrides)
    finally:
        if server:
            server.stop()


def cmd_import(args) -> int:
    from liaocheng_news.importer import iter_dump_files

    try:
        files = list(iter_dump_files(args.paths))
    except FileNotFoundError as exc:
        _die(str(exc), 66)
    if not files:
        _die("no .txt dumps found in the given paths", 66)
    _check_archive()
    return run_spiders([("import", {"paths": [str(p) for p in files]})])


# -- reading the archive ------------------------------------------------------------------------
def _parse_since(value: str | None):
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        _die(f"--since wants an ISO date like 2024-01-31, not {value!r}", 64)
    if isinstance(parsed, date) and not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, time())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


def _article_record(row: dict) -> dict:
    record = {k: _iso(row.get(k)) for k in EXPORT_FIELDS}
    record["body"] = row["body"]
    return record


def cmd_export(args) -> int:
    since = _parse_since(args.since)
    out = sys.stdout

    async def run():
        archive = await _open_archive()()
        try:
            if args.stories:
                async for story in archive.export_stories(portal=args.portal, since=since):
                    if story["canonical"] is not None:
                        story["canonical"] = _article_record(story["canonical"])
                    out.write(json.dumps(story, ensure_ascii=False, default=str) + "\n")
                return
            writer = None
            async for row in archive.export(portal=args.portal, since=since):
                record = _article_record(row)
                if args.format == "csv":
                    if writer is None:
                        writer = csv.DictWriter(out, fieldnames=list(EXPORT_FIELDS))
                        writer.writeheader()
                    writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                                     for k, v in record.items()})
                else:
                    out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        finally:
            await archive.close()

    asyncio.run(run())
    return 0


def cmd_runs(args) -> int:
    async def run():
        archive = await _open_archive()()
        try:
            return await archive.runs(limit=args.limit, spider=args.spider)
        finally:
            await archive.close()

    runs = asyncio.run(run())
    if args.json:
        for r in runs:
            print(json.dumps({k: _iso(v) for k, v in r.items()}, ensure_ascii=False, default=str))
        return 0
    print(f"{'id':>5} {'spider':<16} {'started (Asia/Shanghai)':<24} {'status':<10}"
          + "".join(f"{name:>10}" for name, _ in SUMMARY_COLUMNS))
    for r in runs:
        started = r["started_at"].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        stats = r["stats"] or {}
        print(f"{r['id']:>5} {r['spider']:<16} {started:<24} {r['status']:<10}"
              + "".join(f"{stats.get(key, 0):>10}" for _, key in SUMMARY_COLUMNS))
    return 0


def cmd_normalize(args) -> int:
    from liaocheng_news.text.normalise import Normaliser

    from scrapy.utils.project import get_project_settings

    extra = get_project_settings().getlist("NORMALISE_SPAM_PHRASES")
    try:
        text = Path(args.file).read_text(encoding="utf-8") if args.file and args.file != "-" else sys.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        _die(f"cannot read {args.file}: {exc}", 66)
    for paragraph in Normaliser(extra_spam_phrases=extra).paragraphs(text.split("\n")):
        print(paragraph)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="liaocheng-news", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("crawl", help="crawl portals into the archive (all portal spiders by default)")
    p.add_argument("spiders", nargs="*")
    p.add_argument("--replay", nargs="?", const="", default=None, metavar="DIR",
                   help="crawl recorded pages served on 127.0.0.1 (default: the project's fixtures)")
    p.add_argument("--replay-url", metavar="URL",
                   help="crawl recorded pages a replay server already serves at URL "
                        "(shared by several crawls; python -m liaocheng_news.replay DIR starts one)")
    p.add_argument("-a", "--arg", action="append", metavar="NAME=VALUE", help="spider argument")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="Scrapy setting")
    p.add_argument("--no-seed", action="store_true", help="do not import the seed corpus into an empty archive")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("import", help="import text dumps (files or folders) through the pipelines")
    p.add_argument("paths", nargs="+")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export the archive (JSON Lines on stdout; CSV with --format csv)")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("--portal")
    p.add_argument("--since", help="published on or after this ISO date/time (Asia/Shanghai)")
    p.add_argument("--stories", action="store_true", help="one object per story, with all its copies")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("runs", help="recent crawl runs and their stats")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--spider")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("normalize", help="print the normalised text of a file (or stdin), a paragraph a line")
    p.add_argument("file", nargs="?")
    p.set_defaults(func=cmd_normalize)

    from liaocheng_news.ops import web

    web.add_parser(sub)

    # operator tools that live in their own modules, each with its own argument parser
    for name, (module, help_text) in DELEGATED.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


DELEGATED = {
    "schedule": ("liaocheng_news.scheduling", "schedule due spiders on scrapyd (run from a timer)"),
    "check-portals": ("liaocheng_news.drift", "live check that every portal's parser still works"),
    "save-fixture": ("liaocheng_news.fixtures", "record a live page as a new test fixture"),
}


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        import importlib

        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        module = importlib.import_module(DELEGATED[argv[0]][0])
        return module.main(argv[1:], prog=f"liaocheng-news {argv[0]}") or 0
    args = build_parser().parse_args(argv)
    if args.command not in ("crawl", "import"):  # Scrapy configures logging for crawls
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
