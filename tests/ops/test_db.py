"""``liaocheng-news db serve/url/psql/backup/restore`` through the real command (issue 15:
reach and backups), on real embedded PostgreSQL servers."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import psycopg
import pytest

from liaocheng_news.db import layout, postmaster
from liaocheng_news.db.server import embedded_server
from tests.db.test_server import _cleanup_home, _gone, reachable_home  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "liaocheng_news" / "seeds"


def _env(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LIAOCHENG_NEWS_DATABASE_URL", "LIAOCHENG_NEWS_DB_PASSWORD")}
    return {**env, "LIAOCHENG_NEWS_HOME": str(home), "LIAOCHENG_NEWS_LOG_LEVEL": "WARNING", **extra}


def cli(home: Path, *args: str, **extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "liaocheng_news.cli", *args], cwd=ROOT, env=_env(home, **extra),
                          capture_output=True, text=True, timeout=300)


class Served:
    """``db serve`` running in a subprocess; its first line of output is the URL."""

    def __init__(self, home: Path, *args: str, **extra):
        self.proc = subprocess.Popen([sys.executable, "-m", "liaocheng_news.cli", "db", "serve", *args], cwd=ROOT,
                                     env=_env(home, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.url = self.proc.stdout.readline().strip()
        assert self.url, self.proc.stderr.read()

    def stop(self) -> tuple[int, str]:
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postmaster(home: Path) -> int:
    return postmaster.running(layout.find_data_dir(home)).pid


def test_serve_shares_its_server_with_other_commands_and_stops_cleanly(reachable_home):
    home = reachable_home
    served = Served(home)
    try:
        assert served.url.startswith("postgresql://postgres@/postgres?host=")
        pid = _postmaster(home)
        assert cli(home, "db", "url").stdout.strip() == served.url
        assert "reader@" in cli(home, "db", "url", "--user", "reader").stdout
        psql = cli(home, "db", "psql", "--", "-At", "-c", "SELECT 40 + 2")
        assert (psql.returncode, psql.stdout.strip()) == (0, "42")
        again = cli(home, "db", "serve")
        assert again.returncode == 1 and f"pid {served.proc.pid}" in again.stderr
        # a crawl process (import through the pipelines) uses the served server and leaves it running
        imported = cli(home, "import", str(SEEDS))
        assert imported.returncode == 0, imported.stderr[-2000:]
        assert _postmaster(home) == pid
        with psycopg.connect(served.url) as conn:
            assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == len(list(SEEDS.glob("*.txt")))
    finally:
        code, err = served.stop()
    assert code == 0, err
    assert _gone(pid)
    gone = cli(home, "db", "url")
    assert gone.returncode == 1 and "no embedded archive is running" in gone.stderr
    assert not (home / "run" / "serve.json").exists()


def test_serve_on_loopback_tcp_wants_the_password(reachable_home):
    home, port = reachable_home, _free_port()
    served = Served(home, "--host", "127.0.0.1", "--port", str(port))
    try:
        passfile = home / "pgpass"
        assert served.url == f"postgresql://postgres@127.0.0.1:{port}/postgres?passfile={str(passfile).replace('/', '%2F')}"
        assert stat.S_IMODE(os.stat(passfile).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(home / "run" / "serve.json").st_mode) == 0o600
        with psycopg.connect(served.url) as conn:
            assert conn.execute("SELECT host(inet_server_addr()), inet_server_port()").fetchone() == ("127.0.0.1", port)
        assert cli(home, "db", "url").stdout.strip() == served.url
        for password in (None, "wrong"):
            with pytest.raises(psycopg.OperationalError, match="password"):
                psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres", password=password,
                                passfile=os.devnull)
        connections = [c.laddr for c in psutil.Process(_postmaster(home)).net_connections("inet")
                       if c.status == psutil.CONN_LISTEN]
        assert [a.ip for a in connections] == ["127.0.0.1"]
    finally:
        code, err = served.stop()
    assert code == 0, err
    # the operator's own password, from the environment: no file needed
    served = Served(home, "--host", "127.0.0.1", "--port", str(port), LIAOCHENG_NEWS_DB_PASSWORD="s3cret:pw")
    try:
        assert "passfile" not in served.url
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                             password="s3cret:pw", passfile=os.devnull) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        assert served.stop()[0] == 0


@pytest.mark.parametrize("args, env", [
    (["--host", "0.0.0.0"], {}),
    (["--host", "192.0.2.7", "--allow-remote"], {}),  # allowed, but no password of the operator's
    (["--host", "example.org", "--allow-remote"], {"LIAOCHENG_NEWS_DB_PASSWORD": "x"}),
    (["--port", "5999"], {}),
])
def test_serve_refuses_what_would_reach_beyond_this_machine(reachable_home, args, env):
    result = cli(reachable_home, "db", "serve", *args, **env)
    assert result.returncode == 64, result.stderr
    assert result.stderr.startswith("liaocheng-news: --")
    assert not (reachable_home / "pgdata").exists()  # refused before any server starts


def _tables(url: str) -> dict[str, list]:
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' "
            "ORDER BY 1")]
        return {name: sorted(map(repr, conn.execute(f"SELECT * FROM {name}").fetchall())) for name in names}


def test_backup_restored_into_a_fresh_home_is_the_same_archive(reachable_home):
    first, fresh = reachable_home / "first", reachable_home / "fresh"
    for home in (first, fresh):
        home.mkdir(mode=0o711)
    dump = reachable_home / "archive.dump"
    try:
        assert cli(first, "import", str(SEEDS)).returncode == 0
        made = cli(first, "db", "backup", str(dump))
        assert made.returncode == 0, made.stderr
        assert stat.S_IMODE(os.stat(dump).st_mode) == 0o600
        assert cli(fresh, "db", "restore", str(dump)).returncode == 0
        servers = [embedded_server(first), embedded_server(fresh)]
        try:
            original = _tables(servers[0].get_uri())
            assert original["public.articles"] and _tables(servers[1].get_uri()) == original
        finally:
            for server in servers:
                server.cleanup()
        refused = cli(fresh, "db", "restore", str(dump))
        assert refused.returncode == 1 and "not empty" in refused.stderr and "--force" in refused.stderr
        # a backup that breaks off half-way changes nothing, even forced
        cut = reachable_home / "cut.dump"
        data = dump.read_bytes()
        cut.write_bytes(data[: len(data) * 3 // 4])
        broken = cli(fresh, "db", "restore", "--force", str(cut))
        assert broken.returncode == 1 and "unchanged" in broken.stderr
        assert cli(fresh, "db", "restore", "--force", str(dump)).returncode == 0
        server = embedded_server(fresh)
        try:
            assert _tables(server.get_uri()) == original
        finally:
            server.cleanup()
    finally:
        _cleanup_home(first)
        _cleanup_home(fresh)


def test_restore_says_what_is_wrong_with_its_file(reachable_home):
    missing = cli(reachable_home, "db", "restore", str(reachable_home / "nothing.dump"))
    assert missing.returncode == 66 and "no backup file" in missing.stderr
    with tempfile.NamedTemporaryFile(dir=reachable_home, suffix=".dump") as junk:
        junk.write(b"not a backup\n" * 10)
        junk.flush()
        result = cli(reachable_home, "db", "restore", junk.name)
    assert result.returncode == 1 and "is not a backup" in result.stderr
    assert "Traceback" not in result.stderr
