"""The PostgreSQL postmaster of one data directory: create the cluster, start, find, stop.

A postmaster outlives the process that started it (it runs in its own session, so a Ctrl-C or
a ``kill -9`` of a crawl does not reach it).  :func:`running` finds it again by its data
directory: ``postmaster.pid`` names a pid, and that pid counts only when it is a ``postgres``
process whose working directory is this data directory and which started when the file says.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from liaocheng_news.db.layout import ServerUser

logger = logging.getLogger(__name__)

START_TIMEOUT = 120.0  # seconds; a start after a crash replays the WAL first
STOP_TIMEOUT = 60.0  # seconds of a fast shutdown before an immediate one


class PostmasterError(RuntimeError):
    """The server could not be created, started or stopped; the message says why."""


@dataclass(frozen=True)
class Postmaster:
    """What ``postmaster.pid`` says of a running server."""

    pid: int
    pgdata: Path
    started: int  # Unix time
    port: int
    socket_dir: Path | None
    listen: str  # the first listen address, '' for none
    status: str  # starting, ready, stopping, standby

    @property
    def process(self) -> psutil.Process:
        return psutil.Process(self.pid)


def read_pid_file(pgdata: Path) -> Postmaster | None:
    """``postmaster.pid`` parsed, or None when there is none (or it is still being written)."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().split("\n")
    except FileNotFoundError:
        return None
    if len(lines) < 8:
        return None
    try:
        return Postmaster(pid=int(lines[0]), pgdata=Path(lines[1]), started=int(lines[2]), port=int(lines[3]),
                          socket_dir=Path(lines[4]) if lines[4].strip() else None, listen=lines[5].strip(),
                          status=lines[7].strip())
    except ValueError:
        return None


def _is_postmaster_of(pid: int, pgdata: Path, started: int | None) -> bool | None:
    """True: ``pid`` is the postmaster of ``pgdata``; False: it is not (or no such process);
    None: a postgres process we may not inspect."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        if proc.name() != "postgres":
            return False
        if os.path.realpath(proc.cwd()) != os.path.realpath(pgdata):
            return False
        return started is None or abs(proc.create_time() - started) < 5
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return None


def running(pgdata: Path) -> Postmaster | None:
    """The verified running postmaster of ``pgdata``, or None.

    A stale ``postmaster.pid`` (its pid now another program's) is removed, so that PostgreSQL
    can start; one naming a postgres process we cannot inspect is an error, never removed.
    """
    info = read_pid_file(pgdata)
    if info is None:
        return None
    verdict = _is_postmaster_of(info.pid, pgdata, info.started)
    if verdict is None:
        raise PostmasterError(f"{pgdata}/postmaster.pid names pid {info.pid}, a postgres process this user "
                              "may not inspect; stop it, or run as its owner")
    if verdict:
        return info
    try:
        alive = psutil.Process(info.pid).name() != "postgres"
    except psutil.NoSuchProcess:
        alive = False
    if alive:  # a reused pid: PostgreSQL would refuse to start while the file names a live process
        logger.info("removing stale %s/postmaster.pid (pid %d is another program now)", pgdata, info.pid)
        (pgdata / "postmaster.pid").unlink(missing_ok=True)
    return None


def initdb(bin_dir: Path, pgdata: Path, user: ServerUser) -> None:
    """Create the cluster in an empty data directory (superuser ``postgres``, UTF-8)."""
    if (pgdata / "PG_VERSION").exists():
        return
    logger.info("creating the embedded archive's database cluster in %s", pgdata)
    done = subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(pgdata), "-U", "postgres", "--encoding=UTF8",
         "--auth-local=trust", "--auth-host=scram-sha-256"],
        cwd=pgdata, stdin=subprocess.DEVNULL, capture_output=True, text=True, **user.popen_kwargs())
    if done.returncode:
        raise PostmasterError(f"initdb failed in {pgdata}: {(done.stderr or done.stdout).strip()[-2000:]}")


def _log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start(bin_dir: Path, pgdata: Path, user: ServerUser, *, socket_dir: Path, port: int,
          listen: str = "") -> Postmaster:
    """Start the postmaster in its own session, listening on ``socket_dir`` (and on TCP ``listen``
    when not empty); waits until it accepts connections."""
    log = pgdata / "log"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    try:
        if user.switch:
            os.fchown(fd, user.uid, user.gid)
        args = [str(bin_dir / "postgres"), "-D", str(pgdata),
                "-c", f"listen_addresses={listen}", "-c", f"port={port}",
                "-c", f"unix_socket_directories={socket_dir}", "-c", "unix_socket_permissions=0700",
                "-c", "password_encryption=scram-sha-256"]
        proc = subprocess.Popen(args, cwd=pgdata, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd,
                                start_new_session=True, umask=0o077, **user.popen_kwargs())
    finally:
        os.close(fd)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        info = read_pid_file(pgdata)
        if info is not None and info.pid == proc.pid and info.status == "ready":
            return info
        if proc.poll() is not None:
            raise PostmasterError(f"PostgreSQL did not start in {pgdata} (exit {proc.returncode}); "
                                  f"its log {log} ends:\n{_log_tail(log)}")
        if time.monotonic() > deadline:
            proc.terminate()
            raise PostmasterError(f"PostgreSQL did not become ready in {START_TIMEOUT:.0f} s in {pgdata}; "
                                  f"its log {log} ends:\n{_log_tail(log)}")
        time.sleep(0.05)


def wait_ready(pgdata: Path, info: Postmaster, timeout: float = START_TIMEOUT) -> Postmaster | None:
    """Wait while a found postmaster is starting; returns it ready, or None once it is gone."""
    deadline = time.monotonic() + timeout
    while info is not None and info.status not in ("ready", "standby") and time.monotonic() < deadline:
        time.sleep(0.1)
        info = running(pgdata)
    if info is not None and info.status == "stopping":
        _wait_gone(info.pid, STOP_TIMEOUT)
        return running(pgdata)
    return info


def _wait_gone(pid: int, timeout: float) -> bool:
    try:
        psutil.Process(pid).wait(timeout)  # also reaps it when it is our child
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        return False
    return True


def reload(info: Postmaster) -> None:
    """Make a running postmaster read its configuration files again (pg_hba.conf)."""
    os.kill(info.pid, signal.SIGHUP)


def stop(pgdata: Path, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop the verified postmaster of ``pgdata`` (fast shutdown: sessions end, data is flushed;
    after ``timeout`` an immediate one).  Returns whether one was running."""
    info = running(pgdata)
    if info is None:
        return False
    logger.debug("stopping the PostgreSQL of %s (pid %d)", pgdata, info.pid)
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 30.0)):
        try:
            os.kill(info.pid, sig)
        except ProcessLookupError:
            return True
        if _wait_gone(info.pid, wait):
            return True
        logger.warning("PostgreSQL (pid %d) still running %.0f s after signal %s", info.pid, wait, sig.name)
    raise PostmasterError(f"could not stop PostgreSQL pid {info.pid} of {pgdata}")
