"""Where the archive lives: ``LIAOCHENG_NEWS_DATABASE_URL``, or an embedded PostgreSQL.

With the variable unset, an embedded PostgreSQL 16 (the pgserver package) keeps its data in
``$LIAOCHENG_NEWS_HOME/pgdata`` (default: the user's XDG data directory,
``~/.local/share/liaocheng-news``).  pgserver listens on a unix socket only, never on TCP.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

logger = logging.getLogger(__name__)


class ArchiveUnavailable(RuntimeError):
    """The archive cannot be reached; the message says what to check."""


def home_dir(home: str | os.PathLike | None = None) -> Path:
    """LIAOCHENG_NEWS_HOME, or the XDG data directory."""
    value = home or os.environ.get("LIAOCHENG_NEWS_HOME")
    path = Path(value) if value else Path(platformdirs.user_data_dir("liaocheng-news", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


_embedded = {}


def embedded_server(home: str | os.PathLike | None = None, cleanup_mode: str | None = "stop"):
    """Start (or join) the embedded PostgreSQL whose data lives under ``home``."""
    import pgserver  # imported late: only the embedded archive needs it

    pgdata = home_dir(home) / "pgdata"
    key = str(pgdata)
    if key not in _embedded:
        try:
            _embedded[key] = pgserver.get_server(pgdata, cleanup_mode=cleanup_mode)
        except Exception as exc:  # pgserver raises several kinds; one clear message
            log = pgdata / "log"
            raise ArchiveUnavailable(
                f"could not start the embedded PostgreSQL in {pgdata}: {exc}. "
                f"See its log at {log}, or set LIAOCHENG_NEWS_DATABASE_URL to use another server."
            ) from exc
    return _embedded[key]


def database_url(home: str | os.PathLike | None = None, url: str | None = None) -> str:
    """The URL the archive is reached at: an explicit one, the environment's, or the embedded server's."""
    url = url or os.environ.get("LIAOCHENG_NEWS_DATABASE_URL")
    if url:
        return url
    return embedded_server(home).get_uri()


def stop_embedded(pgdata: str | os.PathLike) -> None:
    """Stop a postmaster by its data directory (it survives a killed owner process)."""
    pgdata = Path(pgdata)
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user="pgserver" if os.geteuid() == 0 else None)
        return
    except Exception:  # noqa: BLE001 - fall back to a signal
        pass
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 15)
    except (OSError, ValueError):
        pass
    time.sleep(0.5)


@contextmanager
def throwaway_server(prefix: str = "lcn-tmp-pg-") -> Iterator[str]:
    """An embedded PostgreSQL in a new temporary directory, stopped and deleted afterwards
    (also when its postmaster outlived a killed owner); yields its superuser URL."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    home.chmod(0o755)  # pgserver runs postgres as its own user when started as root
    server = embedded_server(home, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        try:
            server.cleanup()
        finally:
            _embedded.pop(str(home / "pgdata"), None)
            stop_embedded(home / "pgdata")
            shutil.rmtree(home, ignore_errors=True)
