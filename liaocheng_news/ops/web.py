"""``liaocheng-news web [--host 127.0.0.1] [--port 8080]``: the archive's read-only site.

Serves :mod:`liaocheng_news.web` with uvicorn over the archive (``LIAOCHENG_NEWS_DATABASE_URL``,
or the embedded one), reading as the read-only role.  On loopback it needs no credentials; on
any other address it refuses to start unless ``LIAOCHENG_NEWS_WEB_TOKEN`` holds a token (at
least 16 characters), which every request must then present (basic auth password or bearer
token).  A token that is set is required on loopback too.  Stops cleanly on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import socket
import sys

EXIT_FAILED = 1
EXIT_USAGE = 64
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``web`` to an ``add_subparsers()`` object."""
    parser = subparsers.add_parser("web", help="serve a read-only site over the archive (stories, search, portals)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to listen on (default 127.0.0.1; any other needs LIAOCHENG_NEWS_WEB_TOKEN)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8080)")
    parser.set_defaults(func=run)
    return parser


def _say(message: str) -> None:
    print(f"liaocheng-news: {message}", file=sys.stderr, flush=True)


def is_loopback(host: str) -> bool:
    """Only literal loopback addresses and ``localhost`` count (another name may resolve elsewhere)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the server starts (so a taken port is one clear line)."""
    family, kind, proto, _, address = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def _check_archive(url: str):
    from liaocheng_news.web.reader import open_pool

    pool, info = await open_pool(url, min_size=1, max_size=1)
    await pool.close()
    return info


def run(args) -> int:
    """Serve until stopped; the exit status (errors are one line on stderr)."""
    from liaocheng_news.ops.cli import EXIT_ARCHIVE_UNAVAILABLE  # every command's "archive unreachable"
    from liaocheng_news.db.server import ArchiveUnavailable, database_url
    from liaocheng_news.web.guard import TOKEN_VARIABLE, TokenError, check_token

    token = os.environ.get(TOKEN_VARIABLE) or None
    if not 0 < args.port < 65536:
        _say(f"--port wants a port number from 1 to 65535, not {args.port}")
        return EXIT_USAGE
    try:
        if token:
            check_token(token)
    except TokenError as exc:
        _say(str(exc))
        return EXIT_USAGE
    if not is_loopback(args.host) and not token:
        _say(f"refusing to serve on {args.host} without credentials: set {TOKEN_VARIABLE} to a token of at least "
             "16 characters (clients give it as the basic-auth password or a bearer token), or serve on 127.0.0.1")
        return EXIT_USAGE
    try:
        url = database_url()
        info = asyncio.run(_check_archive(url))
    except ArchiveUnavailable as exc:
        _say(str(exc))
        return EXIT_ARCHIVE_UNAVAILABLE
    try:
        sock = _listen(args.host, args.port)
    except OSError as exc:
        _say(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return EXIT_FAILED

    import uvicorn

    from liaocheng_news.web.app import create_app

    reading_as = info.role or f"{info.login} (no read-only role: read-only transactions only)"
    shown_host = f"[{args.host.strip('[]')}]" if ":" in args.host else args.host
    _say(f"serving the archive read-only at http://{shown_host}:{args.port}/ (reading as {reading_as}"
         f"{'; credentials required' if token else ''}); Ctrl-C stops")
    config = uvicorn.Config(create_app(url, token=token), log_config=None, server_header=False,
                            proxy_headers=False, access_log=logging.getLogger().isEnabledFor(logging.INFO),
                            log_level=logging.getLogger().getEffectiveLevel())
    server = uvicorn.Server(config)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again for the handler
    # it found: ours ends the command normally, so exit handlers run (the embedded archive is let go)
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    except _Stopped:
        pass
    finally:
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if server.started else EXIT_FAILED


class _Stopped(Exception):
    """SIGINT or SIGTERM after the server shut down."""


def _stop(signum, frame) -> None:
    raise _Stopped(signum)
