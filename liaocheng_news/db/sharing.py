"""Who uses the embedded archive of a home, across processes, with locks that die with their holders.

Files in ``$LIAOCHENG_NEWS_HOME/run`` (mode 0700):

* ``lock`` — held exclusively while a process starts, joins, leaves or stops the server, so
  those decisions happen one at a time;
* ``users`` — every process that uses the server holds a shared lock on it.  The kernel drops
  the lock of a process that ends in any way, ``kill -9`` included, so "no one holds it" means
  "no one uses the server": the last user out stops it, and a postmaster left behind by a
  killed crawl is adopted by the next command (it finds no user) and stopped when it is done;
* ``serve.lock`` and ``serve.json`` — ``liaocheng-news db serve`` holds ``serve.lock``
  exclusively while it serves; ``serve.json`` (mode 0600) says its pid and URLs.  A
  ``serve.json`` whose lock no one holds is left over from a killed ``db serve`` and ignored.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path

from liaocheng_news.db.layout import current_user, make_private_dir


def run_dir(home: Path) -> Path:
    """``home/run``, private to the user running the command."""
    return make_private_dir(home / "run", current_user())


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


@contextmanager
def mutex(run: Path):
    """One process at a time decides about the server of this home."""
    fd = _open(run / "lock")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class Use:
    """This process's use of the server (a shared lock on ``run/users``).  Take and change it only
    under :func:`mutex`."""

    def __init__(self, run: Path):
        self.fd = _open(run / "users")

    def alone(self) -> bool:
        """Whether no other process uses the server; if so this one now holds the lock exclusively
        (:meth:`share` makes it shared again)."""
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def share(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_SH)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Serving:
    """The mark of ``db serve``: held while it serves, gone with its process."""

    def __init__(self, run: Path):
        self.run = run
        self.fd = _open(run / "serve.lock")
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = -1
            raise

    def publish(self, state: dict) -> None:
        tmp = self.run / f"serve.json.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({**state, "pid": os.getpid()}, fh)
        os.replace(tmp, self.run / "serve.json")

    def close(self) -> None:
        if self.fd >= 0:
            (self.run / "serve.json").unlink(missing_ok=True)
            os.close(self.fd)
            self.fd = -1


def served(run: Path) -> dict | None:
    """What ``db serve`` published, when a ``db serve`` is serving this home; else None."""
    try:
        fd = os.open(run / "serve.lock", os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return None  # no one serves: any serve.json is a leftover
    except BlockingIOError:
        try:
            return json.loads((run / "serve.json").read_text())
        except (FileNotFoundError, ValueError):
            return {}  # serving, still writing its state
    finally:
        os.close(fd)
