"""Where the archive lives: ``LIAOCHENG_NEWS_DATABASE_URL``, or an embedded PostgreSQL.

With the variable unset, an embedded PostgreSQL 16 (pgserver's bundled build) keeps its data in
``$LIAOCHENG_NEWS_HOME/pgdata`` (default: the user's XDG data directory,
``~/.local/share/liaocheng-news``) and listens on a private unix socket; on TCP only under
``liaocheng-news db serve --host``, with a password.  Where the data and the socket go and how
they are kept private: :mod:`liaocheng_news.db.layout`.  How processes share one server, and how
a postmaster left behind by a killed command is adopted: :mod:`liaocheng_news.db.sharing`.

Every command that needs the archive joins the running server of its home, or starts one; the
last process using it stops it (``db serve`` is such a process: while it serves, no crawl stops
the server).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import platformdirs

from liaocheng_news.db import layout, postmaster, sharing

logger = logging.getLogger(__name__)

DEFAULT_PORT = 5432  # on the socket only, it just names the socket file
SUPERUSER = "postgres"


class ArchiveUnavailable(RuntimeError):
    """The archive cannot be reached; the message says what to check."""


def home_path(home: str | os.PathLike | None = None) -> Path:
    """LIAOCHENG_NEWS_HOME, or the XDG data directory (not created)."""
    value = home or os.environ.get("LIAOCHENG_NEWS_HOME")
    return Path(value) if value else Path(platformdirs.user_data_dir("liaocheng-news", appauthor=False))


def home_dir(home: str | os.PathLike | None = None) -> Path:
    """:func:`home_path`, created (mode 0700) when missing."""
    path = home_path(home)
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
    return path


def socket_url(socket_dir: Path | str, port: int, user: str = SUPERUSER, database: str = SUPERUSER) -> str:
    """The URL of a server's unix socket."""
    return f"postgresql://{quote(user, safe='')}@/{quote(database, safe='')}?host={quote(str(socket_dir), safe='')}&port={port}"


def tcp_url(host: str, port: int, user: str = SUPERUSER, database: str = SUPERUSER,
            passfile: Path | None = None) -> str:
    """The URL of a server on TCP (no password inside: it is in ``passfile`` or the environment)."""
    shown = f"[{host}]" if ":" in host else host
    url = f"postgresql://{quote(user, safe='')}@{shown}:{port}/{quote(database, safe='')}"
    return url + (f"?passfile={quote(str(passfile), safe='')}" if passfile else "")


class EmbeddedServer:
    """This process's use of the embedded PostgreSQL of one home (see the module docstring)."""

    def __init__(self, home: Path, pgdata: Path, info: postmaster.Postmaster, use: sharing.Use,
                 cleanup_mode: str | None):
        self.home, self.pgdata, self.info, self._use, self.cleanup_mode = home, pgdata, info, use, cleanup_mode
        atexit.register(self.cleanup)

    @property
    def pid(self) -> int:
        return self.info.pid

    def get_uri(self, database: str | None = None, user: str = SUPERUSER) -> str:
        """The URL of its unix socket (the server's user, and root, may connect; no password)."""
        return socket_url(self.info.socket_dir, self.info.port, user, database or SUPERUSER)

    def cleanup(self) -> None:
        """Stop using the server; stop it when no other process uses it (``cleanup_mode``
        ``"stop"``; ``"delete"`` also removes its data; ``None`` leaves it running)."""
        if self._use.fd < 0:
            return
        atexit.unregister(self.cleanup)
        _embedded.pop(str(self.pgdata), None)
        run = sharing.run_dir(self.home)
        with sharing.mutex(run):
            try:
                if self.cleanup_mode and self._use.alone():
                    postmaster.stop(self.pgdata)
                    if self.cleanup_mode == "delete":
                        delete_data(self.home, self.info.socket_dir)
            finally:
                self._use.close()


def delete_data(home: Path, socket_dir: Path | None = None) -> None:
    """Remove the (stopped) embedded archive of ``home``: its data directory, and the short socket
    folder it used.  Only folders this module makes are removed: ``home/pgdata`` itself, or the
    dedicated folder it links to, and a private ``lcn-…`` socket folder."""
    link = home / "pgdata"
    if socket_dir is not None and socket_dir.name.startswith("lcn-") and socket_dir != link.resolve():
        try:
            layout.check_private_dir(socket_dir, layout.server_user())
            shutil.rmtree(socket_dir, ignore_errors=True)
        except layout.UnsafePath:
            pass
    if link.is_symlink():
        ours = layout.dedicated_dir(home)
        if link.resolve() == (ours / "pgdata").resolve():
            shutil.rmtree(ours, ignore_errors=True)
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link, ignore_errors=True)


_embedded: dict[str, EmbeddedServer] = {}


def _private_socket(info: postmaster.Postmaster, pgdata: Path, user: layout.ServerUser) -> bool:
    """Whether a running server's socket is where this code puts it, in a private directory."""
    try:
        expected = layout.socket_dir(pgdata, user, info.port)
        layout.check_private_dir(expected, user)
    except layout.UnsafePath:
        return False
    return info.socket_dir == expected


def _acquire(home: Path, cleanup_mode: str | None, listen: str | None, port: int | None) -> EmbeddedServer:
    user = layout.server_user()
    run = sharing.run_dir(home)
    with sharing.mutex(run):
        pgdata = layout.data_dir(home, user)
        use = sharing.Use(run)
        try:
            alone = use.alone()
            info = postmaster.running(pgdata)
            if info is not None:
                info = postmaster.wait_ready(pgdata, info)
            if alone:  # nobody else uses it: it runs the way this process asks, socket only by default
                listen, port = listen or "", port or DEFAULT_PORT
            if info is not None:  # join it, adopt it, or stop it
                fits = ((listen is None or info.listen == listen) and (port is None or info.port == port)
                        and _private_socket(info, pgdata, user))
                if not fits and alone:
                    logger.warning("stopping the PostgreSQL of %s left running (pid %d, socket %s, listen %r): "
                                   "it does not run the way this command needs", pgdata, info.pid,
                                   info.socket_dir, info.listen)
                    postmaster.stop(pgdata)
                    info = None
                elif not fits:
                    raise ArchiveUnavailable(
                        f"the embedded archive in {pgdata} is in use by other commands, listening on "
                        f"{info.listen or 'its socket only'} port {info.port} (socket {info.socket_dir}); "
                        f"this command needs {listen or 'the socket only'} port {port}: stop the others first")
                else:
                    if alone:
                        logger.info("adopting the PostgreSQL of %s left running by an ended process (pid %d)",
                                    pgdata, info.pid)
                    if layout.write_hba(pgdata, user):
                        postmaster.reload(info)
            if info is None:
                bin_dir = layout.server_bin(user)
                postmaster.initdb(bin_dir, pgdata, user)
                layout.write_hba(pgdata, user)
                port = port or DEFAULT_PORT
                info = postmaster.start(bin_dir, pgdata, user, port=port, listen=listen or "",
                                        socket_dir=layout.socket_dir(pgdata, user, port))
            use.share()
        except BaseException:
            use.close()
            raise
    return EmbeddedServer(home, pgdata, info, use, cleanup_mode)


def embedded_server(home: str | os.PathLike | None = None, cleanup_mode: str | None = "stop", *,
                    listen: str | None = None, port: int | None = None) -> EmbeddedServer:
    """Join (or start) the embedded PostgreSQL whose data lives under ``home``.

    ``listen``/``port``: the TCP address and port it must listen on ('' for the socket only);
    None takes the running server as it is.  Raises :class:`ArchiveUnavailable` with a clear
    message when it cannot be started or is unsafe.
    """
    home = home_dir(home)
    key = str(layout.find_data_dir(home))
    if key in _embedded and (listen is None or _embedded[key].info.listen == listen):
        return _embedded[key]
    try:
        server = _acquire(home, cleanup_mode, listen, port)
    except (layout.UnsafePath, postmaster.PostmasterError, OSError) as exc:
        raise ArchiveUnavailable(
            f"could not start the embedded PostgreSQL of {home}: {exc}. "
            f"Its log is {home / 'pgdata' / 'log'}; or set LIAOCHENG_NEWS_DATABASE_URL to use another server."
        ) from exc
    _embedded[str(server.pgdata)] = server
    return server


def database_url(home: str | os.PathLike | None = None, url: str | None = None) -> str:
    """The URL the archive is reached at: an explicit one, the environment's, or the embedded server's."""
    url = url or os.environ.get("LIAOCHENG_NEWS_DATABASE_URL")
    if url:
        return url
    return embedded_server(home).get_uri()


def running_url(home: str | os.PathLike | None = None, user: str = SUPERUSER) -> str | None:
    """The URL of the embedded archive of ``home`` when it runs (nothing is started): what
    ``db serve`` published (its TCP URL when it listens on TCP), else its socket's; None when
    it does not run."""
    home = home_path(home)
    pgdata = layout.find_data_dir(home)
    state = sharing.served(home / "run") if (home / "run").is_dir() else None
    if state and state.get("tcp_host"):
        passfile = Path(state["passfile"]) if state.get("passfile") else None
        return tcp_url(state["tcp_host"], state["port"], user, passfile=passfile)
    info = postmaster.running(pgdata) if pgdata.is_dir() else None
    if info is None or info.status not in ("ready", "standby") or info.socket_dir is None:
        return None
    return socket_url(info.socket_dir, info.port, user)


def stop_embedded(pgdata: str | os.PathLike) -> None:
    """Stop the postmaster of a data directory, whoever uses it (it survives a killed owner)."""
    postmaster.stop(Path(pgdata))


@contextmanager
def throwaway_server(prefix: str = "lcn-tmp-pg-") -> Iterator[str]:
    """An embedded PostgreSQL in a new temporary directory, stopped and deleted afterwards
    (also when its postmaster outlived a killed owner); yields its superuser URL."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    home.chmod(0o711)  # run by root, PostgreSQL's own user must pass through this folder (only)
    server = embedded_server(home, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        try:
            server.cleanup()
        finally:
            stop_embedded(server.pgdata)
            delete_data(home, server.info.socket_dir)
            shutil.rmtree(home, ignore_errors=True)
