"""``liaocheng-news db serve``: the embedded archive kept running for consumers.

On its unix socket by default (private to the server's user and root).  With a TCP host it
listens there too, and every TCP login needs a SCRAM password (``pg_hba.conf``,
:mod:`liaocheng_news.db.layout`): the superuser's password is the one given (the command reads
it from ``LIAOCHENG_NEWS_DB_PASSWORD``), or one generated once and kept in
``$LIAOCHENG_NEWS_HOME/pgpass`` (mode 0600, libpq's password-file format, named by the printed
URL).  A host that is not loopback is refused unless the operator allows it explicitly and gives
the password.  While it serves, other commands of the same home join the server and never stop
it; on SIGINT/SIGTERM it lets go of the server, which stops unless another command still uses it.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import psycopg
from psycopg import sql

from liaocheng_news.db import postmaster, sharing
from liaocheng_news.db.server import SUPERUSER, embedded_server, home_dir, socket_url, tcp_url

PASSFILE = "pgpass"
TCP_DEFAULT_PORT = 5432


class ServeError(RuntimeError):
    """``db serve`` cannot serve (the message says why and what to do)."""


class ServeUsageError(ServeError):
    """``db serve`` was asked for something it refuses to do (a host, a port)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str, *, allow_remote: bool, password: str | None) -> None:
    """Refuse a TCP host that is not one address, or reaches beyond this machine without both
    the operator's explicit permission and a password of the operator's choosing."""
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ServeUsageError(f"--host wants one IP address (127.0.0.1, ::1) or localhost, not {host!r}") from None
    if is_loopback(host):
        return
    if not allow_remote or not password:
        raise ServeUsageError(f"--host {host} would open the archive beyond this machine: pass --allow-remote and set "
                         "the password in LIAOCHENG_NEWS_DB_PASSWORD (traffic is not encrypted: prefer an SSH "
                         "tunnel to 127.0.0.1)")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def stored_password(home: Path) -> tuple[str, Path, bool]:
    """The superuser's password kept in ``home/pgpass`` (generated and written, mode 0600, the
    first time); returns it, the file, and whether it was just made."""
    path = home / PASSFILE
    try:
        for line in path.read_text().splitlines():
            fields = line.split(":", 4)
            if len(fields) == 5 and fields[3] == SUPERUSER:
                return fields[4].replace("\\:", ":").replace("\\\\", "\\"), path, False
    except FileNotFoundError:
        pass
    password = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"# written by liaocheng-news db serve: the archive superuser's TCP password\n"
                 f"*:*:*:{SUPERUSER}:{_escape(password)}\n")
    return password, path, True


def set_password(url: str, role: str, password: str) -> None:
    """Give ``role`` a SCRAM password; only its verifier, computed here, reaches the server."""
    with psycopg.connect(url, autocommit=True) as conn:
        verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(verifier)))


def serve(home: str | os.PathLike | None = None, *, host: str | None = None, port: int | None = None,
          allow_remote: bool = False, password: str | None = None, user: str = SUPERUSER,
          say: Callable[[str], None] | None = None, stop: threading.Event | None = None) -> int:
    """Serve until SIGINT/SIGTERM (or ``stop`` is set); returns the exit status.

    Prints the connection URL (for ``user``) on stdout, notes through ``say`` (default: stderr).
    """
    say = say or _stderr
    home = home_dir(home)
    if host is not None:
        check_host(host, allow_remote=allow_remote, password=password)
    if port is not None and host is None:
        raise ServeUsageError("--port is the TCP port: give --host 127.0.0.1 with it")
    run = sharing.run_dir(home)
    try:
        mark = sharing.Serving(run)
    except BlockingIOError:
        state = sharing.served(run) or {}
        raise ServeError(f"the archive of {home} is already served (pid {state.get('pid', '?')}): "
                         f"{state.get('url', '')}") from None
    try:
        tcp_port = port or TCP_DEFAULT_PORT
        server = embedded_server(home, listen=host or "", port=tcp_port if host else None)
        try:
            passfile = None
            if host:
                if password is None:
                    password, passfile, made = stored_password(home)
                    if made:
                        say(f"a password for TCP logins as {SUPERUSER} was generated and stored in {passfile} "
                            "(mode 0600; the URL below names it)")
                set_password(server.get_uri(), SUPERUSER, password)
                url = tcp_url(host, tcp_port, user, passfile=passfile)
            else:
                url = server.get_uri(user=user)
            local = server.get_uri()
            mark.publish({"url": tcp_url(host, tcp_port, passfile=passfile) if host else local, "socket_url": local,
                          "tcp_host": host, "port": server.info.port,
                          "passfile": str(passfile) if passfile else None,
                          "started_at": datetime.now(timezone.utc).isoformat()})
            print(url, flush=True)
            say(f"serving the archive of {home} (PostgreSQL pid {server.pid}); stop with Ctrl-C or SIGTERM")
            return _wait(server.pgdata, stop, say)
        finally:
            server.cleanup()
    finally:
        mark.close()


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _wait(pgdata: Path, stop: threading.Event | None, say: Callable[[str], None]) -> int:
    """Until SIGINT/SIGTERM (handled in the main thread only) or ``stop``; 1 if PostgreSQL died."""
    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(1.0):
            if postmaster.running(pgdata) is None:
                say(f"the archive's PostgreSQL stopped while being served; see its log {pgdata / 'log'}")
                return 1
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
