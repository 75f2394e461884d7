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

os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "liaocheng_news.settings")

from liaocheng_news.db.archive import EXPORT_FIELDS  # noqa: E402 - after the settings module is named
from liaocheng_news.extensions.archive import RUN_SUMMARY  # noqa: E402
from liaocheng_news.text.fields import SHANGHAI  # noqa: E402

EXIT_ARCHIVE_UNAVAILABLE = 2
# the recorded pages of a source checkout: what --replay, `replay` and save-fixture use unless
# given a folder (the operator tools never look there on their own)
SOURCE_FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def _die(message: str, code: int = EXIT_ARCHIVE_UNAVAILABLE) -> None:
    print(f"liaocheng-news: {message}", file=sys.stderr)
    raise SystemExit(code)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """NAME=VALUE options as a dict; a value without '=' is a usage error, not a traceback."""
    pairs = {}
    for value in values or []:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            _die(f"{option} wants NAME=VALUE, not {value!r}", 64)
        pairs[name] = rest
    return pairs


def project_settings(overrides: dict | None = None):
    """The project's Scrapy settings with ``-s NAME=VALUE`` on top: what the crawl runs with and
    what every archive check and read of this command sees."""
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def _open_archive(settings):
    """An awaitable that opens the archive ``settings`` name, or exits 2 saying why not."""
    from liaocheng_news.db.archive import Archive
    from liaocheng_news.db.server import ArchiveUnavailable

    async def opener():
        try:
            return await Archive.from_settings(settings)
        except ArchiveUnavailable as exc:  # SchemaTooNew included
            _die(str(exc))

    return opener()


def _iso(value):
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).isoformat()
    return value


# -- crawling ---------------------------------------------------------------------------------
def run_spiders(settings, spiders: list[tuple[type, dict]]) -> int:
    """Run spiders (classes and their arguments) in one Scrapy process; returns 0 when every
    run finished normally."""
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)
    crawlers = []
    for cls, kwargs in spiders:
        crawler = process.create_crawler(cls)
        crawlers.append(crawler)
        process.crawl(crawler, **kwargs)
    process.start()
    print_summary(crawlers)
    bad = [c.spider.name for c in crawlers
           if c.stats.get_value("finish_reason") not in ("finished", None)]
    if bad:
        print(f"liaocheng-news: runs that did not finish normally: {', '.join(bad)}", file=sys.stderr)
    return 1 if bad else 0


_WIDTH = 2 + max(len(label) for label, _ in RUN_SUMMARY)


def _summary_header(first: str) -> str:
    return first + "".join(f"{label:>{_WIDTH}}" for label, _ in RUN_SUMMARY)


def _summary_figures(stats: dict) -> str:
    return "".join(f"{stats.get(key, 0):>{_WIDTH}}" for _, key in RUN_SUMMARY)


def print_summary(crawlers) -> None:
    """One line per spider at the end of a crawl (the same figures go to crawl_runs)."""
    lines = [_summary_header(f"{'spider':<16} {'status':<10}")]
    for crawler in crawlers:
        stats = crawler.stats.get_stats()
        name = getattr(crawler.spider, "name", "?")
        lines.append(f"{name:<16} {str(stats.get('finish_reason', '-')):<10}" + _summary_figures(stats))
    print("\n".join(lines), file=sys.stderr)


def _archive_is_empty(settings) -> bool:
    """Refuse to start when the archive is unreachable; returns whether it holds no article."""
    async def check():
        archive = await _open_archive(settings)
        try:
            return await archive.is_empty()
        finally:
            await archive.close()

    return asyncio.run(check())


def cmd_crawl(args) -> int:
    overrides = _pairs(args.set, "-s/--set")
    spider_args = _pairs(args.arg, "-a/--arg")
    server = None
    replay_url = args.replay_url
    if args.replay is not None and replay_url:
        _die("--replay DIR and --replay-url URL are two ways to say the same thing: give one", 64)
    if args.replay is not None:
        from liaocheng_news.ops.replay import ReplayServer

        directory = Path(args.replay) if args.replay else SOURCE_FIXTURES
        if not directory.is_dir():
            _die(f"no replay directory {directory}" + ("" if args.replay else
                 " (the recorded pages ship with a source checkout): pass --replay DIR"), 66)
        server = ReplayServer(directory).start()
        replay_url = server.url
        print(f"replaying recorded pages from {directory} at {server.url}", file=sys.stderr)
    if replay_url:
        if not replay_url.startswith(("http://", "https://")):
            _die(f"--replay-url wants an http:// URL, not {replay_url!r}", 64)
        # one local server: no politeness delay needed (robots.txt is still read and obeyed)
        overrides = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_BACKOFF_BASE": 0.1,
                     "CONCURRENT_REQUESTS_PER_DOMAIN": 8, **overrides, "REPLAY_URL": replay_url}
    try:
        settings = project_settings(overrides)
        from scrapy.spiderloader import SpiderLoader

        from liaocheng_news.spiders import portal_spiders

        loader = SpiderLoader.from_settings(settings)  # the spider list, built once
        portals = portal_spiders(loader)
        names = args.spiders or list(portals)
        unknown = sorted(set(names) - set(portals) - {"import"})
        if unknown:
            _die(f"unknown spider(s): {', '.join(unknown)}; known: {', '.join(portals)}", 64)
        spiders = []
        for name in names:
            cls = portals.get(name) or loader.load(name)
            kwargs = {**(getattr(cls, "replay_args", {}) if replay_url else {}), **spider_args}
            try:
                cls(**kwargs)  # bad spider arguments are a usage error, said before anything starts
            except (TypeError, ValueError) as exc:
                _die(f"{name}: {exc}", 64)
            spiders.append((cls, kwargs))
        if _archive_is_empty(settings) and not args.no_seed:
            print("the archive is empty: importing the seed corpus first", file=sys.stderr)
            spiders.insert(0, (loader.load("import"), {}))  # the packaged seed corpus
        return run_spiders(settings, spiders)
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
    settings = project_settings(_pairs(args.set, "-s/--set"))
    _archive_is_empty(settings)
    from scrapy.spiderloader import SpiderLoader

    spider = SpiderLoader.from_settings(settings).load("import")
    return run_spiders(settings, [(spider, {"paths": [str(p) for p in files]})])


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
    from liaocheng_news.ops import consumers

    if consumers.wants_feed(args):
        return consumers.run_export(args)
    since = _parse_since(args.since)
    settings = project_settings(_pairs(args.set, "-s/--set"))
    out = sys.stdout

    async def run():
        archive = await _open_archive(settings)
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
    settings = project_settings(_pairs(args.set, "-s/--set"))

    async def run():
        archive = await _open_archive(settings)
        try:
            return await archive.runs(limit=args.limit, spider=args.spider)
        finally:
            await archive.close()

    runs = asyncio.run(run())
    if args.json:
        for r in runs:
            print(json.dumps({k: _iso(v) for k, v in r.items()}, ensure_ascii=False, default=str))
        return 0
    print(_summary_header(f"{'id':>5} {'spider':<16} {'started (' + SHANGHAI.key + ')':<24} {'status':<10}"))
    for r in runs:
        started = r["started_at"].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        print(f"{r['id']:>5} {r['spider']:<16} {started:<24} {r['status']:<10}" + _summary_figures(r["stats"] or {}))
    return 0


def cmd_normalize(args) -> int:
    from liaocheng_news.text.normalise import Normaliser

    extra = project_settings().getlist("NORMALISE_SPAM_PHRASES")
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
    # -s reaches every command that opens the archive: the crawl, and the checks and reads around it
    with_settings = argparse.ArgumentParser(add_help=False)
    with_settings.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="Scrapy setting")

    p = sub.add_parser("crawl", parents=[with_settings],
                       help="crawl portals into the archive (all portal spiders by default)")
    p.add_argument("spiders", nargs="*")
    p.add_argument("--replay", nargs="?", const="", default=None, metavar="DIR",
                   help="crawl recorded pages served on 127.0.0.1 (default: the checkout's tests/fixtures)")
    p.add_argument("--replay-url", metavar="URL",
                   help="crawl recorded pages a replay server already serves at URL "
                        "(shared by several crawls; liaocheng-news replay DIR starts one)")
    p.add_argument("-a", "--arg", action="append", metavar="NAME=VALUE", help="spider argument")
    p.add_argument("--no-seed", action="store_true", help="do not import the seed corpus into an empty archive")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("import", parents=[with_settings],
                       help="import text dumps (files or folders) through the pipelines")
    p.add_argument("paths", nargs="+")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", parents=[with_settings],
                       help="export the archive (JSON Lines on stdout; CSV with --format csv)")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    p.add_argument("--portal")
    p.add_argument("--since", help=f"published on or after this ISO date/time ({SHANGHAI.key})")
    p.add_argument("--stories", action="store_true", help="one object per story, with all its copies")
    p.set_defaults(func=cmd_export)
    from liaocheng_news.ops import consumers

    consumers.add_export_arguments(p)
    consumers.add_search_parser(sub)

    p = sub.add_parser("runs", parents=[with_settings], help="recent crawl runs and their stats")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--spider")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("normalize", help="print the normalised text of a file (or stdin), a paragraph a line")
    p.add_argument("file", nargs="?")
    p.set_defaults(func=cmd_normalize)

    from liaocheng_news.ops import db as ops_db

    ops_db.add_parser(sub)
    from liaocheng_news.ops import extract
    extract.add_parser(sub)
    from liaocheng_news.ops import sources as ops_sources

    ops_sources.add_parser(sub)
    from liaocheng_news.ops import stories as ops_stories

    ops_stories.add_parser(sub)
    from liaocheng_news.ops import web

    web.add_parser(sub)

    # operator tools that live in their own modules, each with its own argument parser
    for name, (_, help_text) in DELEGATED.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


# command -> (module of liaocheng_news.ops, help); their main(argv, prog) parses the rest
DELEGATED = {
    "schedule": ("scheduling", "schedule due spiders on scrapyd (run from a timer)"),
    "check-portals": ("drift", "live check that every portal's parser still works"),
    "save-fixture": ("fixtures", "record a live page as a new test fixture"),
    "replay": ("replay", "serve recorded pages on 127.0.0.1 for crawl --replay-url"),
}
# the tools that take the checkout's recorded pages as their default folder
WITH_FIXTURES = {"save-fixture", "replay"}


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED:
        import importlib

        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        module = importlib.import_module(f"liaocheng_news.ops.{DELEGATED[argv[0]][0]}")
        extra = {"default_dir": SOURCE_FIXTURES if SOURCE_FIXTURES.is_dir() else None} if argv[0] in WITH_FIXTURES else {}
        return module.main(argv[1:], prog=f"liaocheng-news {argv[0]}", **extra) or 0
    args = build_parser().parse_args(argv)
    if args.command not in ("crawl", "import"):  # Scrapy configures logging for crawls
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
