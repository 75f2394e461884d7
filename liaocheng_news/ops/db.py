"""``liaocheng-news db …``: reach, serve, back up and restore the archive.

    db serve [--host 127.0.0.1 --port N] [--user NAME]   keep the embedded archive running, print its URL
    db url [--user NAME]                                 the URL of the running archive
    db psql [--user NAME] [PSQL ARGS…]                   the bundled psql, connected to the archive
    db backup FILE                                       pg_dump, custom format
    db restore FILE [--force]                            pg_restore into an empty archive (--force: replace)

With ``LIAOCHENG_NEWS_DATABASE_URL`` set, ``url``, ``psql``, ``backup`` and ``restore`` use that
server; ``serve`` is for the embedded archive only.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from psycopg.conninfo import make_conninfo

EXIT_FAILED = 1
EXIT_USAGE = 64
EXIT_NO_INPUT = 66
PASSWORD_VARIABLE = "LIAOCHENG_NEWS_DB_PASSWORD"  # db serve --host: the superuser's TCP password


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``db`` and its subcommands to a ``add_subparsers()`` object."""
    parser = subparsers.add_parser("db", help="reach, serve, back up and restore the archive",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="db_command", required=True, metavar="{serve,url,psql,backup,restore,grant-reader}")

    p = sub.add_parser("serve", help="keep the embedded archive running for consumers; prints its URL")
    p.add_argument("--host", help="also listen on TCP at this address (loopback; a password is required)")
    p.add_argument("--port", type=int, help="the TCP port (default 5432)")
    p.add_argument("--allow-remote", action="store_true",
                   help=f"allow a --host that is not loopback (needs {PASSWORD_VARIABLE})")
    p.add_argument("--user", default="postgres", help="the role named in the printed URL")

    p = sub.add_parser("url", help="print the URL of the running archive (exit 1 when none runs)")
    p.add_argument("--user", default="postgres", help="the role named in the URL")

    p = sub.add_parser("psql", help="open the bundled psql on the archive (further arguments go to psql)")
    p.add_argument("--user", default=None, help="log in as this role")
    p.add_argument("psql_args", nargs=argparse.REMAINDER, help="arguments for psql")

    p = sub.add_parser("backup", help="write the archive to FILE (pg_dump custom format, mode 0600)")
    p.add_argument("file", type=Path)

    p = sub.add_parser("restore", help="load a backup into the archive (refuses a non-empty one without --force)")
    p.add_argument("file", type=Path)
    p.add_argument("--force", action="store_true", help="replace an archive that holds data")

    from liaocheng_news.ops import consumers

    parser.set_defaults(func=run)
    consumers.add_grant_reader_parser(sub)  # its own func, taking precedence over run
    return parser


def _say(message: str) -> None:
    print(f"liaocheng-news: {message}", file=sys.stderr, flush=True)


def _with_user(url: str, user: str | None) -> str:
    return make_conninfo(url, user=user) if user else url


class _Archive:
    """The archive's URL for one command: the configured server, or the embedded one (joined or
    started, and let go at the end: stopped if this command was its last user)."""

    def __enter__(self) -> str:
        from liaocheng_news.db.server import embedded_server

        self.server = None
        url = os.environ.get("LIAOCHENG_NEWS_DATABASE_URL")
        if not url:
            self.server = embedded_server()
            url = self.server.get_uri()
        return url

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            self.server.cleanup()


def _serve(args) -> int:
    from liaocheng_news.db.serving import serve

    return serve(host=args.host, port=args.port, allow_remote=args.allow_remote,
                 password=os.environ.get(PASSWORD_VARIABLE) or None, user=args.user,
                 say=_say)


def _url(args) -> int:
    url = os.environ.get("LIAOCHENG_NEWS_DATABASE_URL")
    if url:
        print(_with_user(url, args.user if args.user != "postgres" else None))
        return 0
    from liaocheng_news.db.server import home_path, running_url

    url = running_url(user=args.user)
    if url is None:
        _say(f"no embedded archive is running for {home_path()}; start one with `liaocheng-news db serve`")
        return EXIT_FAILED
    print(url)
    return 0


def _psql(args) -> int:
    from liaocheng_news.db.layout import client_bin

    extra = args.psql_args[1:] if args.psql_args[:1] == ["--"] else args.psql_args
    with _Archive() as url:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is psql's (it cancels a query)
        try:
            return subprocess.call([str(client_bin("psql")), "--dbname", _with_user(url, args.user), *extra])
        finally:
            signal.signal(signal.SIGINT, previous)


def _backup(args) -> int:
    from liaocheng_news.db.backup import backup

    with _Archive() as url:
        size = backup(url, args.file)
    _say(f"backup written to {args.file} ({size:,} bytes, custom format; restore with `liaocheng-news db restore`)")
    return 0


def _restore(args) -> int:
    from liaocheng_news.db.backup import check_file, restore

    check_file(args.file)  # before any server starts
    with _Archive() as url:
        restore(url, args.file, force=args.force)
    _say(f"restored {args.file} into the archive")
    return 0


def run(args) -> int:
    """Run a parsed ``db`` command; returns its exit status (errors are one line on stderr)."""
    from liaocheng_news.ops.cli import EXIT_ARCHIVE_UNAVAILABLE  # every command's "archive unreachable"
    from liaocheng_news.db.backup import BackupError, NoBackupFile
    from liaocheng_news.db.server import ArchiveUnavailable
    from liaocheng_news.db.serving import ServeError, ServeUsageError

    command = {"serve": _serve, "url": _url, "psql": _psql, "backup": _backup, "restore": _restore}[args.db_command]
    # the most specific kind first: each says its one line and leaves with its exit status
    exits = ((ServeUsageError, EXIT_USAGE), (NoBackupFile, EXIT_NO_INPUT),
             (ArchiveUnavailable, EXIT_ARCHIVE_UNAVAILABLE), (ServeError, EXIT_FAILED), (BackupError, EXIT_FAILED))
    try:
        return command(args)
    except tuple(kind for kind, _ in exits) as exc:
        _say(str(exc))
        return next(code for kind, code in exits if isinstance(exc, kind))
