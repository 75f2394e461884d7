"""Where the embedded PostgreSQL keeps its data, its socket and its programs, kept private.

The rules (issue 18.4):

* PostgreSQL never runs as root.  Run by root, it runs as the ``pgserver`` system user (the name
  pgserver has always used, so existing data directories keep their owner); otherwise as the
  user who runs the command.
* The data directory is ``$LIAOCHENG_NEWS_HOME/pgdata``: a real directory, mode 0700, owned by
  the server's user.  No folder above it is ever chmodded.  When root runs the archive and the
  ``pgserver`` user cannot reach the home as it is (the default home under ``/root`` is 0700),
  the data goes to a directory that user owns, ``/var/lib/liaocheng-news-pgserver/<hash of the home>/pgdata``,
  and ``$LIAOCHENG_NEWS_HOME/pgdata`` becomes a symbolic link to it.  Any other link, or a data
  directory of another owner, is refused with a message saying what to do.
* The socket lives in the data directory when its path fits a socket name (108 bytes); otherwise
  in a short private directory (``$XDG_RUNTIME_DIR`` or ``/tmp``, ``lcn-<uid>-<hash>``), created
  mode 0700 and owned by the server's user, and refused if someone else made it first.  The socket
  file itself is mode 0700.
* ``pg_hba.conf`` is rewritten at every start: the local socket is trusted (only the server's user
  and root can enter its directory), every TCP connection needs a SCRAM password.
* The programs come from pgserver's bundled build.  When the ``pgserver`` user cannot reach them
  where pip put them, they are copied once to ``/var/lib/liaocheng-news-pgserver/pginstall-<version>``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import pwd
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT_SERVER_USER = "pgserver"
# root only: data directories (and, when needed, the programs) the pgserver user owns or can read
DEDICATED_ROOT = Path("/var/lib/liaocheng-news-pgserver")
SOCKET_PATH_MAX = 107  # sun_path is 108 bytes with its terminating NUL
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9._/@+=~-]+$")  # safe inside unix_socket_directories

HBA = """\
# Written by liaocheng-news at every start of the embedded archive; edits are overwritten.
# The local socket's directory is mode 0700 and owned by the server's user: only that user
# (and root) can reach it, so it is trusted.  Every TCP connection needs a SCRAM password;
# the server listens on TCP only under `liaocheng-news db serve --host ...`.
local   all   all                 trust
host    all   all   0.0.0.0/0     scram-sha-256
host    all   all   ::/0          scram-sha-256
"""


class UnsafePath(RuntimeError):
    """A data or socket directory that would be reachable by others, or is not ours."""


@dataclass(frozen=True)
class ServerUser:
    """The system user PostgreSQL runs as."""

    name: str
    uid: int
    gid: int
    switch: bool  # True when we are root and start PostgreSQL as another user

    def popen_kwargs(self) -> dict:
        """subprocess arguments that run a program as this user, without root's groups."""
        if not self.switch:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def can_reach(self, path: Path) -> bool:
        """Whether this user may search ``path`` and every folder above it (the kernel decides,
        ACLs included)."""
        if not self.switch:
            return os.access(path, os.X_OK)
        done = subprocess.run(["/bin/sh", "-c", 'test -x "$1"', "sh", str(path)],
                              cwd="/", stdin=subprocess.DEVNULL, capture_output=True, **self.popen_kwargs())
        return done.returncode == 0


def current_user() -> ServerUser:
    """The user running this process."""
    entry = pwd.getpwuid(os.geteuid())
    return ServerUser(entry.pw_name, entry.pw_uid, entry.pw_gid, switch=False)


def server_user() -> ServerUser:
    """The current user, or the ``pgserver`` system user (created if missing) when run as root."""
    if os.geteuid() != 0:
        return current_user()
    try:
        entry = pwd.getpwnam(ROOT_SERVER_USER)
    except KeyError:
        try:
            subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                            "--shell", "/usr/sbin/nologin", ROOT_SERVER_USER],
                           check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = getattr(exc, "stderr", "") or exc
            raise UnsafePath(f"PostgreSQL does not run as root, and the system user {ROOT_SERVER_USER!r} "
                             f"could not be created ({str(detail).strip()}); create it with "
                             f"`useradd --system --user-group {ROOT_SERVER_USER}`") from exc
        entry = pwd.getpwnam(ROOT_SERVER_USER)
    return ServerUser(entry.pw_name, entry.pw_uid, entry.pw_gid, switch=True)


def _mode(st: os.stat_result) -> str:
    return f"{stat.S_IMODE(st.st_mode):04o}"


def check_private_dir(path: Path, user: ServerUser) -> None:
    """Raise :class:`UnsafePath` unless ``path`` is a real directory (not a link), owned by the
    server's user, that no one else may enter."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise UnsafePath(f"{path} does not exist") from None
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePath(f"{path} is not a directory (a link or a file); remove it")
    if st.st_uid != user.uid:
        raise UnsafePath(f"{path} belongs to uid {st.st_uid}, not to {user.name} (uid {user.uid}) who runs "
                         "PostgreSQL; someone else made it: remove it or choose another LIAOCHENG_NEWS_HOME")
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise UnsafePath(f"{path} has mode {_mode(st)}: other users could reach the database; expected 0700")


def make_private_dir(path: Path, user: ServerUser) -> Path:
    """Create ``path`` (its parent must exist) mode 0700 for the server's user, or check the one
    there; never changes a folder it did not create except to close its own group/other bits."""
    try:
        os.mkdir(path, 0o700)
        created = True
    except FileExistsError:
        created = False
    if created:
        os.chmod(path, 0o700, follow_symlinks=False)  # the umask may have left less
        if user.switch:
            os.chown(path, user.uid, user.gid, follow_symlinks=False)
    check_private_dir(path, user)
    return path


def _digest(text: str, size: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:size]


def dedicated_dir(home: Path) -> Path:
    """root only: the folder the ``pgserver`` user owns for the archive of ``home``."""
    return DEDICATED_ROOT / _digest(str(home.resolve()), 16)


def _make_dedicated_root() -> Path:
    """``DEDICATED_ROOT`` for root: root's, 0755 (searchable, so the pgserver user reaches its
    own folder inside)."""
    try:
        os.mkdir(DEDICATED_ROOT, 0o755)
        os.chmod(DEDICATED_ROOT, 0o755)
    except FileExistsError:
        pass
    st = os.lstat(DEDICATED_ROOT)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0 or stat.S_IMODE(st.st_mode) & 0o022:
        raise UnsafePath(f"{DEDICATED_ROOT} must be a directory owned by root that only root can write "
                         f"(found uid {st.st_uid}, mode {_mode(st)})")
    return DEDICATED_ROOT


def find_data_dir(home: Path) -> Path:
    """The data directory of ``home`` as it is now (nothing created, nothing checked)."""
    link = home / "pgdata"
    return link.resolve() if link.is_symlink() else link


def data_dir(home: Path, user: ServerUser) -> Path:
    """The data directory of ``home``, made or checked by the rules above (module docstring)."""
    link = home / "pgdata"
    ours = dedicated_dir(home) / "pgdata"
    if link.is_symlink():
        if not user.switch or link.resolve() != ours:
            raise UnsafePath(f"{link} is a link to {link.resolve()}: the embedded archive keeps its data in "
                             f"{link} itself{' or ' + str(ours) if user.switch else ''}; remove the link "
                             "(move the data back first) or set LIAOCHENG_NEWS_DATABASE_URL")
        make_private_dir(ours.parent, user)
        pgdata = make_private_dir(ours, user)
    elif link.exists():
        if not user.can_reach(home):
            raise UnsafePath(
                f"{user.name}, who runs PostgreSQL, cannot reach {link} without opening folders above it to "
                f"other users, which liaocheng-news never does. Move the data (with no command running): "
                f"mkdir -p {ours.parent} && mv {link} {ours} && chown -R {user.name}: {ours.parent} && "
                f"chmod 700 {ours.parent} && ln -s {ours} {link}")
        st = os.lstat(link)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == user.uid and stat.S_IMODE(st.st_mode) & 0o077:
            logger.warning("data directory %s had mode %s; closed to 0700", link, _mode(st))
            os.chmod(link, 0o700, follow_symlinks=False)  # the data directory itself, never a parent
        check_private_dir(link, user)
        pgdata = link
    elif not user.switch or user.can_reach(home):
        pgdata = make_private_dir(link, user)
    else:  # root, and the pgserver user cannot reach the home: a folder of its own
        _make_dedicated_root()
        make_private_dir(ours.parent, user)
        pgdata = make_private_dir(ours, user)
        os.symlink(ours, link)
        logger.info("the embedded archive of %s keeps its data in %s (linked from %s)", home, ours, link)
    return pgdata


def _socket_fits(directory: Path, port: int) -> bool:
    name = str(directory / f".s.PGSQL.{port}")
    return len(os.fsencode(name)) <= SOCKET_PATH_MAX and bool(_PLAIN_PATH.match(str(directory)))


def socket_dir(pgdata: Path, user: ServerUser, port: int) -> Path:
    """The private directory of the server's socket: the data directory when the socket's path
    fits, else ``lcn-<uid>-<hash>`` in a short runtime folder."""
    if _socket_fits(pgdata, port):
        return pgdata
    bases = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and not user.switch:
        bases.append(Path(runtime))
    bases.append(Path("/tmp"))
    name = f"lcn-{user.uid}-{_digest(str(pgdata), 10)}"
    for base in bases:
        if base.is_dir() and user.can_reach(base) and _socket_fits(base / name, port):
            return make_private_dir(base / name, user)
    raise UnsafePath(f"no short private folder for the socket of {pgdata} (tried {', '.join(map(str, bases))})")


def write_hba(pgdata: Path, user: ServerUser) -> bool:
    """Write ``pg_hba.conf`` (mode 0600, the server user's); returns whether it changed."""
    path = pgdata / "pg_hba.conf"
    try:
        if path.read_text() == HBA:
            return False
    except FileNotFoundError:
        pass
    tmp = pgdata / "pg_hba.conf.lcn-new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(HBA)
    if user.switch:
        os.chown(tmp, user.uid, user.gid)
    os.replace(tmp, path)
    return True


def _bundled_install() -> Path:
    """pgserver's ``pginstall`` folder, found without importing pgserver (whose import has side
    effects we do not want)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise UnsafePath("the pgserver package (the embedded PostgreSQL) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall"


def client_bin(name: str) -> Path:
    """A bundled client program (psql, pg_dump, pg_restore), run as the current user."""
    return _bundled_install() / "bin" / name


def server_bin(user: ServerUser) -> Path:
    """The bundled ``bin`` folder as the server's user can run it (copied for it when needed)."""
    install = _bundled_install()
    if user.can_reach(install / "bin" / "postgres"):
        return install / "bin"
    # the package's own folders hold the build (pginstall) and its shared libraries (pgserver.libs,
    # found by a relative RPATH); the copy keeps that layout
    package = install.parent
    libs = package.parent / "pgserver.libs"
    version = importlib.metadata.version("pgserver")
    target = _make_dedicated_root() / f"pginstall-{version}"
    if not (target / "pgserver" / "pginstall" / "bin" / "postgres").exists():
        staging = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(install, staging / "pgserver" / "pginstall", ignore=shutil.ignore_patterns("include"))
        if libs.is_dir():
            shutil.copytree(libs, staging / "pgserver.libs")
        for folder, dirs, files in os.walk(staging):
            os.chmod(folder, 0o755)
            for f in files:
                p = os.path.join(folder, f)
                os.chmod(p, 0o755 if os.stat(p).st_mode & stat.S_IXUSR else 0o644)
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, target)
        except OSError:  # another process copied it first
            shutil.rmtree(staging, ignore_errors=True)
        logger.info("copied the bundled PostgreSQL to %s: %s cannot reach %s", target, user.name, install)
    return target / "pgserver" / "pginstall" / "bin"
