"""The ``liaocheng-news`` command: crawl, import, export, runs, status, normalize and operator tools.

Exit statuses: 0 success; for ``crawl`` and ``import`` the worst run's status
(:mod:`liaocheng_news.outcomes`: 3 degraded, 1 failed, 130/143 interrupted by SIGINT/SIGTERM);
1 for ``status`` when a portal needs attention; 2 the archive cannot be reached (or its
LIAOCHENG_NEWS_DATABASE_URL / LIAOCHENG_NEWS_HOME is unusable); 64 a usage error; 66 a named
file or folder is missing.  A reader that stops reading (``liaocheng-news export | head``) ends
the command quietly with 0.
"""

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

from liaocheng_news import outcomes  # noqa: E402 - after the settings module is named
from liaocheng_news.db.archive import EXPORT_FIELDS  # noqa: E402
from liaocheng_news.extensions.archive import RUN_SUMMARY  # noqa: E402
from liaocheng_news.text.fields import SHANGHAI  # noqa: E402

EXIT_ARCHIVE_UNAVAILABLE = outcomes.EXIT_ARCHIVE_UNAVAILABLE
EXIT_USAGE = outcomes.EXIT_USAGE
EXIT_NO_INPUT = outcomes.EXIT_NO_INPUT
# the recorded pages of a source checkout: what --replay, `replay` and save-fixture use unless
# given a folder (the operator tools never look there on their own)
SOURCE_FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def _die(message: str, code: int = EXIT_ARCHIVE_UNAVAILABLE) -> None:
    print(f"liaocheng-news: {message}", file=sys.stderr)
    raise SystemExit(code)


class UsageParser(argparse.ArgumentParser):
    """argparse, with usage errors (an unknown command, a bad option) ending in 64, not 2: 2 is
    this command's "the archive cannot be reached"."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """NAME=VALUE options as a dict; a value without '=' is a usage error, not a traceback."""
    pairs = {}
    for value in values or []:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            _die(f"{option} wants NAME=VALUE, not {value!r}", EXIT_USAGE)
        pairs[name] = rest
    return pairs


def add_settings_option(parser: argparse.ArgumentParser) -> None:
    """``-s NAME=VALUE``: every command that opens the archive takes it (read by :func:`settings_of`)."""
    parser.add_argument("-s", "--set", action="append", metavar="NAME=VALUE",
                        help="Scrapy setting, e.g. LIAOCHENG_NEWS_DATABASE_URL=postgresql://reader@host/db")


def settings_of(args):
    """The project's settings with the command's ``-s`` on top: the archive they name is the one
    every command opens."""
    return project_settings(_pairs(getattr(args, "set", None), "-s/--set"))


def project_settings(overrides: dict | None = None):
    """The project's Scrapy settings with ``-s NAME=VALUE`` on top: what the crawl runs with and
    what every archive check and read of this command sees."""
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def usable_home(settings) -> Path:
    """LIAOCHENG_NEWS_HOME (or its default), made when missing; exits 2 in one line when it cannot
    be used (not a folder, not writable)."""
    from liaocheng_news.db.server import home_dir, home_path

    where = home_path(settings.get("LIAOCHENG_NEWS_HOME"))
    try:
        home = home_dir(settings.get("LIAOCHENG_NEWS_HOME"))
    except OSError as exc:
        _die(f"LIAOCHENG_NEWS_HOME {where} cannot be used: {exc.strerror or exc}")
    if not home.is_dir() or not os.access(home, os.W_OK | os.X_OK):
        _die(f"LIAOCHENG_NEWS_HOME {where} cannot be used: not a folder this user can write to")
    return home


def check_database_url(settings) -> None:
    """A LIAOCHENG_NEWS_DATABASE_URL that is no PostgreSQL URL or conninfo string: exit 2 in one line."""
    url = settings.get("LIAOCHENG_NEWS_DATABASE_URL")
    if not url:
        return
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(url)
    except ProgrammingError as exc:
        _die(f"LIAOCHENG_NEWS_DATABASE_URL is not a PostgreSQL URL (postgresql://user@host/db) "
             f"or key=value string: {str(exc).strip().splitlines()[0]}")


def _open_archive(settings):
    """An awaitable that opens the archive ``settings`` name, or exits 2 saying why not."""
    from liaocheng_news.db.archive import Archive
    from liaocheng_news.db.server import ArchiveUnavailable

    check_database_url(settings)
    if not settings.get("LIAOCHENG_NEWS_DATABASE_URL"):
        usable_home(settings)  # the embedded archive lives there

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
def run_spiders(settings, spiders: list[tuple[type, dict]], screen=None) -> int:
    """Run spiders (classes and their arguments) in one Scrapy process, with progress on the
    console, SIGINT/SIGTERM handled (:mod:`liaocheng_news.shutdown`) and the summary table last;
    returns the exit status of the worst run (:mod:`liaocheng_news.outcomes`)."""
    from scrapy.crawler import CrawlerProcess

    from liaocheng_news.commands.crawl import crawl_outcome
    from liaocheng_news.ops.console import CrawlProgress
    from liaocheng_news.shutdown import Shutdown

    settings = settings.copy()
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # ops.console's handlers log
    process = CrawlerProcess(settings)
    crawlers = []
    for cls, kwargs in spiders:
        crawler = process.create_crawler(cls)
        crawlers.append(crawler)
        process.crawl(crawler, **kwargs)
    shutdown = Shutdown(process, crawlers, settings.getfloat("STOP_GRACE_SECONDS")).install()
    progress = CrawlProgress(screen, crawlers, settings.getfloat("PROGRESS_INTERVAL")).start() if screen else None
    try:
        process.start(install_signal_handlers=False)
    finally:
        if progress:
            progress.stop()
        shutdown.finish()
    status, code = crawl_outcome(crawlers, shutdown)
    lines = summary_lines(crawlers)
    if screen:
        lines += screen.closing_lines()
    lines += verdict_lines(crawlers, shutdown)
    if screen and status != outcomes.FINISHED:
        lines += screen.log_lines()
    print("\n".join(lines), file=sys.stderr, flush=True)
    return code


def verdict_lines(crawlers, shutdown) -> list[str]:
    """What went wrong, in a line or two under the table (nothing when every run finished)."""
    if shutdown.signame:
        return [f"liaocheng-news: interrupted by {shutdown.signame}"
                + ("; any run left open is closed by the next crawl" if shutdown.forced else "")]
    runs = [(getattr(c.spider, "name", None) or c.spidercls.name, c.stats.get_value("run_status"),
             c.stats.get_value("status_detail") or "") for c in crawlers]
    portals = [r for r in runs if r[0] != "import"]
    if portals and all(st == outcomes.FAILED for _, st, _ in portals):
        reasons = sorted({why.split(" (")[0] for _, _, why in portals})
        return [f"liaocheng-news: every portal failed: {'; '.join(reasons)}"]
    lines = []
    for status in (outcomes.FAILED, outcomes.DEGRADED):
        named = [f"{name} ({why})" for name, st, why in runs if st == status]
        if named:
            lines.append(f"liaocheng-news: {status}: {', '.join(named)}")
    return lines


_WIDTH = 2 + max(len(label) for label, _ in RUN_SUMMARY)


def _summary_header(first: str) -> str:
    return first + "".join(f"{label:>{_WIDTH}}" for label, _ in RUN_SUMMARY)


def _summary_figures(stats: dict) -> str:
    return "".join(f"{stats.get(key, 0):>{_WIDTH}}" for _, key in RUN_SUMMARY)


def summary_lines(crawlers) -> list[str]:
    """One line per spider at the end of a crawl (the same figures go to crawl_runs)."""
    lines = [_summary_header(f"{'spider':<16} {'status':<12}")]
    for crawler in crawlers:
        stats = crawler.stats.get_stats()
        name = getattr(crawler.spider, "name", None) or crawler.spidercls.name
        lines.append(f"{name:<16} {str(stats.get('run_status', '-')):<12}" + _summary_figures(stats))
    return lines


def _screen(settings, command: str, verbose: bool):
    """The console of a crawl or an import, and its log file under LIAOCHENG_NEWS_HOME."""
    from liaocheng_news.ops import console

    home = usable_home(settings)
    try:
        return console.setup(settings, command, verbose=verbose, home=home)
    except OSError as exc:
        _die(f"LIAOCHENG_NEWS_HOME {home} cannot be used: its logs folder: {exc.strerror or exc}")


def _archive_is_empty(settings) -> bool:
    """Refuse to start when the archive is unreachable; returns whether it holds no article."""
    async def check():
        archive = await _open_archive(settings)
        try:
            return await archive.is_empty()
        finally:
            await archive.close()

    return asyncio.run(check())


def replay_source(args) -> tuple[Path | None, str | None]:
    """(folder to serve, or None; URL of a running replay server, or None) from ``--replay``,
    ``--replay-dir DIR`` and ``--replay-url URL`` (crawl and check-portals say it the same way)."""
    if args.replay_dir is not None and args.replay_url:
        _die("--replay-dir DIR and --replay-url URL are two ways to say where the pages are: give one", EXIT_USAGE)
    if args.replay_url:
        if not args.replay_url.startswith(("http://", "https://")):
            _die(f"--replay-url wants an http:// URL, not {args.replay_url!r}", EXIT_USAGE)
        return None, args.replay_url
    if args.replay_dir is None and not args.replay:
        return None, None
    directory = Path(args.replay_dir) if args.replay_dir is not None else SOURCE_FIXTURES
    if not directory.is_dir():
        _die(f"no replay directory {directory}" + ("" if args.replay_dir is not None else
             " (the recorded pages ship with a source checkout): pass --replay-dir DIR"), EXIT_NO_INPUT)
    return directory, None


def add_replay_options(parser: argparse.ArgumentParser) -> None:
    """``--replay``, ``--replay-dir DIR``, ``--replay-url URL``: recorded pages instead of the portals."""
    parser.add_argument("--replay", action="store_true",
                        help="use recorded pages served on 127.0.0.1 (the checkout's tests/fixtures) "
                             "instead of the portals")
    parser.add_argument("--replay-dir", metavar="DIR", help="the same, with the recorded pages of DIR")
    parser.add_argument("--replay-url", metavar="URL",
                        help="the same, with the pages a running replay server serves at URL "
                             "(liaocheng-news replay DIR starts one)")


def cmd_crawl(args) -> int:
    overrides = _pairs(args.set, "-s/--set")
    spider_args = _pairs(args.arg, "-a/--arg")
    server = None
    directory, replay_url = replay_source(args)
    if directory is not None:
        from liaocheng_news.ops.replay import ReplayServer

        server = ReplayServer(directory).start()
        replay_url = server.url
        print(f"replaying recorded pages from {directory} at {server.url}", file=sys.stderr)
    if replay_url:
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
            _die(f"unknown spider(s): {', '.join(unknown)}; known: {', '.join(portals)}", EXIT_USAGE)
        spiders = []
        for name in names:
            cls = portals.get(name) or loader.load(name)
            kwargs = {**(getattr(cls, "replay_args", {}) if replay_url else {}), **spider_args}
            try:
                cls(**kwargs)  # bad spider arguments are a usage error, said before anything starts
            except (TypeError, ValueError) as exc:
                _die(f"{name}: {exc}", EXIT_USAGE)
            spiders.append((cls, kwargs))
        check_database_url(settings)
        screen = _screen(settings, "crawl", args.verbose)  # before the archive check: it logs too
        if _archive_is_empty(settings) and not args.no_seed:
            print("the archive is empty: importing the seed corpus first", file=sys.stderr)
            spiders.insert(0, (loader.load("import"), {}))  # the packaged seed corpus
        return run_spiders(settings, spiders, screen)
    finally:
        if server:
            server.stop()


def cmd_import(args) -> int:
    from liaocheng_news.importer import iter_dump_files

    try:
        files = list(iter_dump_files(args.paths))
    except FileNotFoundError as exc:
        _die(str(exc), EXIT_NO_INPUT)
    if not files:
        _die("no .txt dumps found in the given paths", EXIT_NO_INPUT)
    settings = settings_of(args)
    check_database_url(settings)
    screen = _screen(settings, "import", args.verbose)
    _archive_is_empty(settings)
    from scrapy.spiderloader import SpiderLoader

    spider = SpiderLoader.from_settings(settings).load("import")
    return run_spiders(settings, [(spider, {"paths": [str(p) for p in files]})], screen)


# -- reading the archive ------------------------------------------------------------------------
def _parse_since(value: str | None):
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        _die(f"--since wants an ISO date like 2024-01-31, not {value!r}", EXIT_USAGE)
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
    if args.stories and args.format == "csv":
        _die("--stories writes JSON Lines only (a story holds a list of copies); "
             "for a table of articles leave out --stories", EXIT_USAGE)
    if args.portal is not None:
        from liaocheng_news.portals import PORTALS

        if args.portal not in PORTALS:
            _die(f"unknown portal {args.portal!r}; known: {', '.join(PORTALS)}", EXIT_USAGE)
    settings = settings_of(args)
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
    settings = settings_of(args)

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
    print(_summary_header(f"{'id':>5} {'spider':<16} {'started (' + SHANGHAI.key + ')':<24} {'status':<12}"))
    for r in runs:
        started = r["started_at"].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        print(f"{r['id']:>5} {r['spider']:<16} {started:<24} {r['status']:<12}" + _summary_figures(r["stats"] or {}))
    return 0


def cmd_normalize(args) -> int:
    from liaocheng_news.importer import decode_dump
    from liaocheng_news.ops.console import ReadProgress, stderr_console
    from liaocheng_news.text.normalise import Normaliser

    settings = settings_of(args)
    name = args.file if args.file and args.file != "-" else "<stdin>"
    try:  # UTF-8 or GB18030 (GBK, GB2312), as `import` reads dumps
        data = Path(args.file).read_bytes() if name != "<stdin>" else sys.stdin.buffer.read()
        text = decode_dump(data, name)
    except OSError as exc:
        _die(f"cannot read {name}: {exc.strerror or exc}", EXIT_NO_INPUT)
    except ValueError as exc:
        _die(f"cannot read {exc}", EXIT_NO_INPUT)
    lines = text.split("\n")
    progress = ReadProgress(stderr_console(), len(text), "normalize", settings.getfloat("PROGRESS_INTERVAL"))

    def read():
        for line in lines:
            progress.advance(len(line) + 1)
            yield line

    try:
        paragraphs = Normaliser(extra_spam_phrases=settings.getlist("NORMALISE_SPAM_PHRASES")).paragraphs(read())
    finally:
        progress.close()
    out = sys.stdout
    for paragraph in paragraphs:
        out.write(paragraph + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="liaocheng-news", description=__doc__.split("\n\n")[0],
                         epilog="exit statuses: 0 success, 1 failed (status: attention needed), 2 archive "
                                "unreachable, 3 degraded, 64 usage, 66 missing input, 130/143 interrupted")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="the whole log on the console too (it always goes to $LIAOCHENG_NEWS_HOME/logs/)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # -s reaches every command that opens the archive: the crawl, and the checks and reads around it
    with_settings = argparse.ArgumentParser(add_help=False)
    add_settings_option(with_settings)
    # -v after the command too (not overriding one given before it)
    with_settings.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                               help="the whole log on the console too")

    p = sub.add_parser("crawl", parents=[with_settings],
                       help="crawl portals into the archive (all portal spiders by default)",
                       description="Crawl portals into the archive: a progress line per spider, a summary "
                                   "table at the end. Exit status 0 finished, 3 degraded, 1 failed, 2 archive "
                                   "unreachable, 130/143 interrupted.")
    p.add_argument("spiders", nargs="*", metavar="SPIDER", help="portals to crawl (default: all)")
    add_replay_options(p)
    p.add_argument("-a", "--arg", action="append", metavar="NAME=VALUE", help="spider argument")
    p.add_argument("--no-seed", action="store_true", help="do not import the seed corpus into an empty archive")
    p.set_defaults(func=cmd_crawl)

    p = sub.add_parser("import", parents=[with_settings],
                       help="import text dumps (files or folders) through the pipelines",
                       description="Import text dumps (UTF-8 or GBK/GB18030 .txt files, or folders of them). "
                                   "Exit status 1 when no article could be imported.")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", parents=[with_settings],
                       help="export the archive (JSON Lines on stdout; CSV with --format csv)")
    p.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="JSON Lines (default) or CSV")
    p.add_argument("--portal", help="only this portal's articles (or stories holding one of its copies)")
    p.add_argument("--since", help=f"published on or after this ISO date/time ({SHANGHAI.key})")
    p.add_argument("--stories", action="store_true",
                   help="one object per story, with all its copies (JSON Lines only)")
    p.set_defaults(func=cmd_export)
    from liaocheng_news.ops import consumers

    consumers.add_export_arguments(p)
    consumers.add_search_parser(sub)

    p = sub.add_parser("runs", parents=[with_settings], help="recent crawl runs and their stats",
                       description="Recent crawl runs, newest first: spider, start, status (finished, degraded, "
                                   "failed, interrupted, running) and the run's figures.")
    p.add_argument("--json", action="store_true", help="one JSON object per run, with all its stats")
    p.add_argument("--limit", type=int, default=20, help="how many runs (default 20)")
    p.add_argument("--spider", help="only this spider's runs")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("normalize", parents=[with_settings],
                       help="print the normalised text of a file (or stdin), a paragraph a line",
                       description="Print the normalised text (Simplified, annotations and spam removed) of "
                                   "a UTF-8 or GBK/GB18030 file, or of stdin, one paragraph a line.")
    p.add_argument("file", nargs="?", help="the file (default: stdin)")
    p.set_defaults(func=cmd_normalize)

    from liaocheng_news.ops import status as ops_status

    ops_status.add_parser(sub, parents=[with_settings])

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
    try:
        code = _main(argv)
        sys.stdout.flush()  # a reader gone now raises here, not at exit
        return code
    except BrokenPipeError:
        # the reader stopped reading (`export | head`): not an error of this command
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0


def _main(argv: list[str] | None) -> int:
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
    if args.command not in ("crawl", "import"):  # ops.console sets up a crawl's logging
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
