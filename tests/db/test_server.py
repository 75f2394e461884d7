"""The embedded archive's safety and lifecycle, on real PostgreSQL processes.

Safety (issue 18.4): the socket directory is private whatever the home's path, pg_hba.conf trusts
only that socket, nothing under the home is open to others, no folder above the home changes
mode.  Lifecycle (issue 17.2): a postmaster left by a SIGKILLed owner is adopted and stopped by
the next user; the last user out stops the server, and only then.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psutil
import psycopg
import pytest

from liaocheng_news.db import layout, postmaster
from liaocheng_news.db.server import ArchiveUnavailable, delete_data, embedded_server, stop_embedded

ROOT = Path(__file__).resolve().parents[2]


def _server_uid() -> int:
    return layout.server_user().uid


def _cleanup_home(home: Path) -> None:
    pgdata = layout.find_data_dir(home)
    if pgdata.is_dir():
        stop_embedded(pgdata)
    delete_data(home)


@pytest.fixture
def reachable_home():
    """A home in /tmp that PostgreSQL's user may pass through (0711): its data stays inside."""
    base = Path(tempfile.mkdtemp(prefix="lcn-srv-"))
    base.chmod(0o711)
    home = base / "home"
    home.mkdir(mode=0o711)
    yield home
    _cleanup_home(home)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def dedicated_root(monkeypatch):
    """Where root's archives go when PostgreSQL's user cannot reach the home (not /var/lib here)."""
    base = Path(tempfile.mkdtemp(prefix="lcn-srv-root-"))
    base.chmod(0o755)
    monkeypatch.setattr(layout, "DEDICATED_ROOT", base / "liaocheng-news")
    yield base / "liaocheng-news"
    shutil.rmtree(base, ignore_errors=True)


def _socket_dir(url: str) -> Path:
    return Path(parse_qs(urlsplit(url).query)["host"][0])


def postmaster_pid(conn) -> int:
    row = conn.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'").fetchone()
    return psutil.Process(row[0]).ppid()


def _gone(pid: int, timeout: float = 30) -> bool:
    try:
        psutil.Process(pid).wait(timeout)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        return False
    return True


# -- safety --------------------------------------------------------------------------------------
def test_a_long_home_path_gets_a_short_private_socket_dir(reachable_home):
    home = reachable_home / ("a-long-folder-name-" * 5) / "home"
    home.mkdir(parents=True, mode=0o711)
    home.parent.chmod(0o711)
    assert len(str(home / "pgdata" / ".s.PGSQL.5432")) > 108  # too long for a socket name
    server = embedded_server(home)
    try:
        sock_dir = _socket_dir(server.get_uri())
        st = os.lstat(sock_dir)
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700
        assert st.st_uid == _server_uid()
        assert "runtime-" not in str(sock_dir)  # not pgserver's shared, world-writable folder
        sock = sock_dir / ".s.PGSQL.5432"
        assert stat.S_ISSOCK(os.lstat(sock).st_mode) and stat.S_IMODE(os.lstat(sock).st_mode) & 0o077 == 0
        with psycopg.connect(server.get_uri()) as conn:
            assert conn.execute("SELECT current_setting('unix_socket_permissions')").fetchone() == ("0700",)
            assert conn.execute("SELECT current_setting('listen_addresses')").fetchone() == ("",)
    finally:
        server.cleanup()
        _cleanup_home(home)
    assert not (sock_dir / ".s.PGSQL.5432").exists()
    assert sock_dir.name.startswith("lcn-")
    shutil.rmtree(sock_dir)


def test_pg_hba_trusts_only_the_private_socket_and_wants_scram_on_tcp(reachable_home):
    server = embedded_server(reachable_home)
    try:
        lines = [line.split() for line in (server.pgdata / "pg_hba.conf").read_text().splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
        assert lines, "pg_hba.conf has rules"
        for rule in lines:
            if rule[0] == "local":
                assert rule[-1] == "trust"
            else:
                assert rule[0] == "host" and rule[-1] == "scram-sha-256", rule
        with psycopg.connect(server.get_uri()) as conn:  # what the server itself applies
            methods = conn.execute("SELECT type, auth_method FROM pg_hba_file_rules").fetchall()
        assert set(methods) == {("local", "trust"), ("host", "scram-sha-256")}
        sock_dir = _socket_dir(server.get_uri())
        assert stat.S_IMODE(os.stat(sock_dir).st_mode) == 0o700 and os.stat(sock_dir).st_uid == _server_uid()
    finally:
        server.cleanup()


def test_nothing_under_the_home_or_in_the_data_dir_is_open_to_others(reachable_home):
    server = embedded_server(reachable_home)
    try:
        with psycopg.connect(server.get_uri()) as conn:
            conn.execute("CREATE TABLE t (x int)")
        opened = []
        for top in (reachable_home, server.pgdata):
            for folder, dirs, files in os.walk(top):
                for name in [*dirs, *files]:
                    st = os.lstat(os.path.join(folder, name))
                    if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o007:
                        opened.append((os.path.join(folder, name), oct(st.st_mode)))
        assert opened == []
        st = os.stat(server.pgdata)
        assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == _server_uid()
    finally:
        server.cleanup()


def test_no_folder_above_the_home_changes_mode(dedicated_root):
    base = Path(tempfile.mkdtemp(prefix="lcn-srv-private-"))  # 0700, like /root
    try:
        home = base / "deep" / "home"
        home.mkdir(parents=True)
        (base / "deep").chmod(0o750)
        parents = [p for p in [home, *home.parents]]
        before = {p: stat.S_IMODE(os.stat(p).st_mode) for p in parents}
        server = embedded_server(home)
        try:
            with psycopg.connect(server.get_uri()) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
            if os.geteuid() == 0:  # PostgreSQL's user cannot pass base: the data went where it can
                assert (home / "pgdata").is_symlink()
                assert server.pgdata == layout.dedicated_dir(home) / "pgdata"
                assert str(server.pgdata).startswith(str(dedicated_root))
                owner = os.stat(server.pgdata.parent)
                assert owner.st_uid == _server_uid() and stat.S_IMODE(owner.st_mode) == 0o700
            else:
                assert server.pgdata == home / "pgdata"
        finally:
            server.cleanup()
            _cleanup_home(home)
        assert {p: stat.S_IMODE(os.stat(p).st_mode) for p in parents} == before
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_data_dir_its_server_user_cannot_reach_is_refused_not_opened(dedicated_root):
    base = Path(tempfile.mkdtemp(prefix="lcn-srv-private-"))  # 0700
    try:
        home = base / "home"
        (home / "pgdata").mkdir(parents=True)
        if os.geteuid() == 0:  # PostgreSQL runs as pgserver, who cannot pass base
            with pytest.raises(ArchiveUnavailable, match="never does. Move the data"):
                embedded_server(home)
        else:  # PostgreSQL runs as this user, who can
            server = embedded_server(home)
            assert server.pgdata == home / "pgdata"
            server.cleanup()
        assert stat.S_IMODE(os.stat(base).st_mode) == 0o700
    finally:
        _cleanup_home(base / "home")
        shutil.rmtree(base, ignore_errors=True)


def test_a_socket_dir_someone_else_opened_is_refused(reachable_home):
    home = reachable_home / ("x" * 90)
    home.mkdir(mode=0o711)
    server = embedded_server(home)
    sock_dir = _socket_dir(server.get_uri())
    server.cleanup()
    assert sock_dir.name.startswith("lcn-") and not (sock_dir / ".s.PGSQL.5432").exists()
    try:
        sock_dir.chmod(0o777)  # as pgserver's /tmp/runtime-0 folders were
        with pytest.raises(ArchiveUnavailable, match="mode 0777"):
            embedded_server(home)
        assert postmaster.running(server.pgdata) is None
    finally:
        shutil.rmtree(sock_dir, ignore_errors=True)
        _cleanup_home(home)


def test_a_data_dir_linked_elsewhere_is_refused(reachable_home):
    (reachable_home / "pgdata").symlink_to(reachable_home.parent)
    with pytest.raises(ArchiveUnavailable, match="is a link to"):
        embedded_server(reachable_home)


# -- lifecycle -----------------------------------------------------------------------------------
_HOLDER = textwrap.dedent("""
    import sys, time
    from liaocheng_news.db.server import embedded_server
    server = embedded_server(sys.argv[1])
    print(server.pid, flush=True)
    sys.stdin.readline()  # until the test says so (or kills this process)
""")


def _holder(home: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(home)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    return proc, int(proc.stdout.readline())


def test_a_postmaster_left_by_a_sigkilled_owner_is_adopted_and_stopped(reachable_home):
    proc, pid = _holder(reachable_home)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    time.sleep(0.5)
    assert psutil.pid_exists(pid), "the postmaster outlives its killed owner"
    server = embedded_server(reachable_home)
    assert server.pid == pid  # adopted, not a second server
    with psycopg.connect(server.get_uri()) as conn:
        assert postmaster_pid(conn) == pid
    server.cleanup()
    assert _gone(pid), "the adopter stops the orphan when it is done"
    assert postmaster.running(server.pgdata) is None


def test_the_last_user_stops_the_server_and_only_the_last(reachable_home):
    proc, pid = _holder(reachable_home)
    try:
        server = embedded_server(reachable_home)
        assert server.pid == pid
        server.cleanup()  # the holder still uses it
        time.sleep(0.5)
        assert psutil.pid_exists(pid) and postmaster.running(server.pgdata) is not None
    finally:
        proc.stdin.close()  # the holder ends normally: it was the last user
        proc.wait(60)
    assert _gone(pid)


def test_an_orphan_with_an_open_socket_is_stopped_not_adopted(reachable_home):
    server = embedded_server(reachable_home)
    pgdata, safe_pid = server.pgdata, server.pid
    server.cleanup()
    assert _gone(safe_pid)
    # a postmaster as pgserver 0.1.4 left them: socket in a world-writable folder, no owner
    public = Path(tempfile.mkdtemp(prefix="lcn-srv-public-"))
    public.chmod(0o777)
    try:
        user = layout.server_user()
        old = postmaster.start(layout.server_bin(user), pgdata, user, socket_dir=public, port=5432)
        assert (public / ".s.PGSQL.5432").exists()
        server = embedded_server(reachable_home)
        try:
            assert server.pid != old.pid and _gone(old.pid)
            assert _socket_dir(server.get_uri()) != public
            assert stat.S_IMODE(os.stat(_socket_dir(server.get_uri())).st_mode) == 0o700
        finally:
            server.cleanup()
    finally:
        stop_embedded(pgdata)
        shutil.rmtree(public, ignore_errors=True)


def test_a_stale_pid_file_naming_another_program_does_not_block_a_start(reachable_home):
    server = embedded_server(reachable_home)
    pgdata = server.pgdata
    server.cleanup()
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        (pgdata / "postmaster.pid").write_text(f"{sleeper.pid}\n{pgdata}\n{int(time.time())}\n5432\n\n\n0 0\nready\n")
        server = embedded_server(reachable_home)
        assert server.pid != sleeper.pid and sleeper.poll() is None  # the other program is left alone
        server.cleanup()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_programs_its_server_user_cannot_reach_are_copied_not_opened(reachable_home, dedicated_root, monkeypatch):
    install = layout._bundled_install()
    base = Path(tempfile.mkdtemp(prefix="lcn-srv-venv-"))  # 0700: a virtualenv under /root
    try:
        shutil.copytree(install, base / "pgserver" / "pginstall", ignore=shutil.ignore_patterns("include"))
        shutil.copytree(install.parent.parent / "pgserver.libs", base / "pgserver.libs")
        monkeypatch.setattr(layout, "_bundled_install", lambda: base / "pgserver" / "pginstall")
        server = embedded_server(reachable_home)
        try:
            exe = Path(psutil.Process(server.pid).exe())
            if os.geteuid() == 0:  # pgserver cannot pass base: it runs a copy it can read
                assert exe.is_relative_to(dedicated_root) and not exe.is_relative_to(base)
            else:
                assert exe.is_relative_to(base)
        finally:
            server.cleanup()
        assert stat.S_IMODE(os.stat(base).st_mode) == 0o700
    finally:
        shutil.rmtree(base, ignore_errors=True)
