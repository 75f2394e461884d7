"""Commands for the archive's consumers: ``search``, the change-feed options of ``export``, and
``db grant-reader``.

    search QUERY [--limit N] [--json]       ranked canonical copies with a snippet (api.search)
    export --after SEQ [--revisions] [--published-since D] [--published-until D] [--undated]
           [--portal P] [--seq-file FILE] [--format jsonl|csv] [--jobs N]
                                            what changed after SEQ, in change order; the last SEQ
                                            on stderr (and in FILE)
    db grant-reader NAME                    a read-only login (password from
                                            LIAOCHENG_NEWS_READER_PASSWORD, else asked twice)

``cli.py`` wires them: :func:`add_search_parser` on the top-level subparsers,
:func:`add_export_arguments` on the ``export`` parser (``cmd_export`` hands over to
:func:`run_export` when :func:`wants_feed`), :func:`add_grant_reader_parser` on the ``db``
subparsers.  Each ``run_*``/``cmd_*`` returns the exit status and writes errors as one line.

Every one opens the archive its Scrapy settings name (``-s LIAOCHENG_NEWS_DATABASE_URL=…``,
else the environment), as every other command does.  ``search`` and ``export --after`` read
only the ``api`` schema and migrate nothing, so a consumer runs them with its read-only login;
``db grant-reader`` is the operator's and migrates the archive first.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import contextlib
import csv
import getpass
import json
import os
import sys
import tempfile
from datetime import date, datetime, time
from pathlib import Path
from typing import TextIO

from liaocheng_news.ops.cli import add_settings_option, settings_of
from liaocheng_news.text.fields import SHANGHAI

EXIT_USAGE = 64
EXIT_ARCHIVE_UNAVAILABLE = 2  # every command's "archive unreachable"
PASSWORD_VARIABLE = "LIAOCHENG_NEWS_READER_PASSWORD"


class UsageError(ValueError):
    """A bad option value; the message says which and why."""


def _say(message: str) -> None:
    print(f"liaocheng-news: {message}", file=sys.stderr, flush=True)


def parse_time(value: str | None, option: str) -> datetime | None:
    """An ISO date or date-time; naive values are Asia/Shanghai (where the portals publish)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} wants an ISO date like 2024-01-31 or 2024-01-31T08:00, not {value!r}") from None
    if isinstance(parsed, date) and not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, time())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


API_VERSION = 1  # the version of the api schema these commands read (api.version())


async def _open_for_reading(settings):
    """The archive, for a command that only reads ``api``: nothing is migrated (a reader's
    login may not), and an archive without the api this code reads is refused in one line."""
    import psycopg

    from liaocheng_news.db.archive import Archive
    from liaocheng_news.db.server import ArchiveUnavailable

    archive = await Archive.from_settings(settings, migrate=False)
    try:
        async with archive.pool.connection() as conn:
            version = (await (await conn.execute("SELECT api.version()")).fetchone())[0]
    except (psycopg.errors.InvalidSchemaName, psycopg.errors.UndefinedFunction):
        version = None
    except BaseException:
        await archive.close()
        raise
    if version != API_VERSION:
        await archive.close()
        raise ArchiveUnavailable(
            "the archive has no consumer api (schema version 4 or later): open it once with an operator's "
            "command (e.g. liaocheng-news runs) to migrate it" if version is None else
            f"the archive's api is version {version}; this liaocheng-news reads version {API_VERSION}")
    return archive


def _run(coro) -> int:
    """Run a command's coroutine: its exit status, or one line and the status of what failed."""
    from liaocheng_news.db.migrate import SchemaTooNew
    from liaocheng_news.db.roles import ReaderRoleError
    from liaocheng_news.db.server import ArchiveUnavailable

    try:
        return asyncio.run(coro)
    except (UsageError, ReaderRoleError) as exc:
        _say(str(exc))
        return EXIT_USAGE
    except (ArchiveUnavailable, SchemaTooNew) as exc:
        _say(str(exc))
        return EXIT_ARCHIVE_UNAVAILABLE


# -- search -----------------------------------------------------------------------------------------
def add_search_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("search", help="search the archive (Chinese phrases, ASCII words); best first")
    p.add_argument("query", help="words or phrases, all of which must occur, e.g. \"临清 轴承\"")
    p.add_argument("--limit", type=int, default=20, help="at most this many results (1–1000, default 20)")
    p.add_argument("--json", action="store_true", help="JSON Lines: one object per result")
    add_settings_option(p)
    p.set_defaults(func=cmd_search)
    return p


async def search(conn, query: str, limit: int = 20) -> list[dict]:
    """``api.search``: canonical copies matching every token of ``query``, best first."""
    from psycopg.rows import dict_row

    cur = conn.cursor(row_factory=dict_row)
    await cur.execute("SELECT * FROM api.search(%s, %s)", (query, limit))
    return await cur.fetchall()


def cmd_search(args, out: TextIO | None = None) -> int:
    out = out or sys.stdout

    async def go() -> int:
        if not 1 <= args.limit <= 1000:
            raise UsageError("--limit wants a number from 1 to 1000")
        archive = await _open_for_reading(settings_of(args))
        try:
            async with archive.pool.connection() as conn:
                terms = (await (await conn.execute("SELECT api.search_terms(%s)", (args.query,))).fetchone())[0]
                if not terms:
                    raise UsageError("the query has no Chinese characters, letters or digits to search for")
                hits = await search(conn, args.query, args.limit)
        finally:
            await archive.close()
        for n, hit in enumerate(hits, 1):
            published = hit["published_at"].astimezone(SHANGHAI) if hit["published_at"] else None
            if args.json:
                record = {**hit, "published_at": published.isoformat() if published else None}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                continue
            day = published.strftime("%Y-%m-%d") if published else "undated"
            out.write(f"{n:>3}. {hit['title']}  [{hit['portal']}, {day}, story {hit['story_id']}]\n"
                      f"     {hit['url']}\n     {hit['snippet']}\n")
        if not hits and not args.json:
            _say(f"nothing found for {args.query!r}")
        return 0

    return _run(go())


# -- export: the change feed ---------------------------------------------------------------------------
def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """The change-feed options of ``export`` (its --format and --portal stay as they are)."""
    parser.add_argument("--after", type=int, metavar="SEQ",
                        help="only what changed after this change_seq, in change order; the last SEQ "
                             "goes to stderr (0: everything)")
    parser.add_argument("--seq-file", type=Path, metavar="FILE",
                        help="read SEQ from FILE (0 when missing) and write the last SEQ back after a "
                             "complete export")
    parser.add_argument("--revisions", action="store_true",
                        help="also earlier versions of revised articles (records with kind: revision)")
    parser.add_argument("--published-since", metavar="DATE", help="published at or after (ISO; Asia/Shanghai)")
    parser.add_argument("--published-until", metavar="DATE", help="published before (ISO; Asia/Shanghai)")
    parser.add_argument("--undated", action="store_true",
                        help="with a publication-date filter: also articles with no publication date")
    parser.add_argument("--jobs", type=int, default=EXPORT_JOBS, metavar="N",
                        help=f"with the options above: connections that make the records, on one snapshot "
                             f"(1–{MAX_EXPORT_JOBS}, default {EXPORT_JOBS}; 1 loads the archive's server least)")


# Connections an export uses by default.  The server's JSON is the export's cost (~27–31 µs of a
# backend's CPU a record, bench/consumers.py), so records come faster from more backends while the
# server has cores to spare or shares them with other work: at 100k records on this project's
# loaded 2-core machine (2026-12-02, medians of 5 rounds, range) one connection made 22.8k
# records/s (19.8–28.2k), two 34.5k (26.6–39.6k), three 35.8k (29.6–48.9k), and under a heavier
# load (~6) one 13–19k, two 16–28k, three 27–30k.  A catch-up of a few changes takes one.
EXPORT_JOBS = 3
MAX_EXPORT_JOBS = 4  # the archive's connection pool holds four


def wants_feed(args) -> bool:
    """Whether ``export`` was given a change-feed option (then :func:`run_export` does it)."""
    return any((args.after is not None, args.seq_file is not None, args.revisions,
                args.published_since, args.published_until, args.undated))


def _read_seq(path: Path) -> int:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return 0
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read --seq-file {path}: {exc}") from None
    if not text.isdigit():
        raise UsageError(f"--seq-file {path} holds {text[:40]!r}, not a change_seq")
    return int(text)


def _write_seq(path: Path, seq: int) -> None:
    """Replace the file in one step, so an interrupted run leaves the previous SEQ."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(f"{seq}\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_value(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value


async def export_changes(conn, out: TextIO, after: int, *, revisions: bool = False, filters=None,
                         fmt: str = "jsonl", helpers=(), jobs: int | None = None) -> tuple[int, int]:
    """Write what changed after ``after`` to ``out`` (JSON Lines or CSV); returns (records, last SEQ).
    ``helpers`` (and ``jobs``): more connections to the archive that make part of the records
    (:class:`liaocheng_news.db.feed.Changes`)."""
    from liaocheng_news.db.feed import changes_after

    count = 0
    async with changes_after(conn, after, revisions=revisions, filters=filters, helpers=helpers,
                             jobs=jobs) as changes:
        if fmt == "jsonl":
            write = _utf8_writer(out)
            async with contextlib.aclosing(changes.chunks()) as chunks:
                async for n, text in chunks:
                    write(text)
                    write(b"\n")
                    count += n
        else:
            writer = None
            async with contextlib.aclosing(aiter(changes)) as records:  # a failed write ends the COPYs at once
                async for record in records:
                    if writer is None:
                        writer = csv.DictWriter(out, fieldnames=list(record), extrasaction="ignore")
                        writer.writeheader()
                    writer.writerow({k: _csv_value(v) for k, v in record.items()})
                    count += 1
        return count, changes.last_seq


def _utf8_writer(out: TextIO):
    """A function that writes UTF-8 text given as bytes to ``out``: straight to its byte stream
    when it has one that takes UTF-8 (a file, stdout), else decoded."""
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if buffer is not None and encoding and codecs.lookup(encoding).name == "utf-8":
        out.flush()  # what was written as text goes first
        return buffer.write
    return lambda data: out.write(data.decode())


def run_export(args, out: TextIO | None = None) -> int:
    """``export`` with change-feed options (see :func:`add_export_arguments`)."""
    import psycopg
    from psycopg_pool import PoolTimeout

    from liaocheng_news.db.feed import Filters
    from liaocheng_news.db.server import ArchiveUnavailable

    out = out or sys.stdout

    async def go() -> int:
        if args.after is not None and args.after < 0:
            raise UsageError("--after wants a change_seq (0 or more)")
        if getattr(args, "stories", False):
            raise UsageError("--stories does not go with the change-feed options")
        if not 1 <= args.jobs <= MAX_EXPORT_JOBS:
            raise UsageError(f"--jobs wants a number from 1 to {MAX_EXPORT_JOBS}")
        after = args.after if args.after is not None else (_read_seq(args.seq_file) if args.seq_file else 0)
        filters = Filters(published_since=parse_time(args.published_since, "--published-since"),
                          published_until=parse_time(args.published_until, "--published-until"),
                          undated=args.undated, portal=getattr(args, "portal", None))
        archive = await _open_for_reading(settings_of(args))
        try:
            async with contextlib.AsyncExitStack() as stack:
                async def helpers(n: int) -> list:
                    """The further connections the snapshot's changes can use (a catch-up of a few
                    changes takes none), asked for once the feed knows its high-water mark."""
                    try:
                        return [await stack.enter_async_context(archive.pool.connection()) for _ in range(n)]
                    except (psycopg.OperationalError, PoolTimeout) as exc:
                        raise ArchiveUnavailable(f"the archive gave no {n + 1} connections for the export "
                                                 f"({exc}); try --jobs 1") from exc

                conn = await stack.enter_async_context(archive.pool.connection())
                count, last = await export_changes(conn, out, after, revisions=args.revisions, filters=filters,
                                                   fmt=getattr(args, "format", "jsonl"), helpers=helpers,
                                                   jobs=args.jobs)
        finally:
            await archive.close()
        out.flush()
        if args.seq_file:
            _write_seq(args.seq_file, last)
        _say(f"exported {count} records changed after {after}; last SEQ {last}")
        return 0

    return _run(go())


# -- db grant-reader ----------------------------------------------------------------------------------
def add_grant_reader_parser(db_subparsers) -> argparse.ArgumentParser:
    p = db_subparsers.add_parser(
        "grant-reader", help="make a read-only login for consumers (api schema only)",
        description=f"Create the login NAME in the read-only group liaocheng_news_reader, or set the password "
                    f"of such a login.  The password comes from {PASSWORD_VARIABLE}, or is asked twice.")
    p.add_argument("name", help="the login's name (lower-case letters, digits, _)")
    add_settings_option(p)
    p.set_defaults(func=cmd_grant_reader)
    return p


def _password() -> str:
    password = os.environ.get(PASSWORD_VARIABLE)
    if password:
        return password
    if not sys.stdin.isatty():
        raise UsageError(f"set {PASSWORD_VARIABLE} (there is no terminal to ask for the password)")
    first = getpass.getpass("password for the reader: ")
    if first != getpass.getpass("again: "):
        raise UsageError("the two passwords differ")
    return first


def cmd_grant_reader(args) -> int:
    from liaocheng_news.db.roles import READER_GROUP, check_name, check_password, grant_reader

    async def go() -> int:
        check_name(args.name)
        password = check_password(_password())  # before any server starts
        from liaocheng_news.db.archive import Archive

        archive = await Archive.from_settings(settings_of(args))  # the operator's: migrated
        try:
            async with archive.pool.connection() as conn:
                created = await grant_reader(conn, args.name, password)
        finally:
            await archive.close()
        _say(f"{'created' if created else 'updated'} the read-only login {args.name} ({READER_GROUP}); "
             f"it reads the api schema: liaocheng-news db url --user {args.name}")
        return 0

    return _run(go())
