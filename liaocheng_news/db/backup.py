"""Backups of the archive with the bundled pg_dump / pg_restore (custom format).

``backup`` writes the whole archive database to a file (mode 0600, written under a temporary
name and renamed when complete).  ``restore`` replays one into the archive in a single
transaction: either the archive afterwards holds exactly the backup, or nothing changed.  It
refuses an archive that holds data unless forced; the schema bookkeeping of a freshly migrated,
empty archive does not count as data.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from liaocheng_news.db.layout import client_bin
from liaocheng_news.db.roles import ENSURE_GROUP  # the backup's grants name the reader group

BOOKKEEPING = {("public", "schema_migrations")}  # rows here are not archive data
_SYSTEM_SCHEMAS = "nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'"
# every user schema dropped, the public schema recreated as PostgreSQL 16 creates it
_WIPE = f"""\
DO $wipe$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE {_SYSTEM_SCHEMAS} LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $wipe$;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
COMMENT ON SCHEMA public IS 'standard public schema';
"""


class BackupError(RuntimeError):
    """A backup or restore that did not happen; the message says why."""


class NoBackupFile(BackupError):
    """The backup file to restore does not exist."""


def _client(url: str) -> tuple[str, dict]:
    """A conninfo without its password, and an environment carrying it (so that it never shows
    in the process list)."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise BackupError(f"not a database URL: {exc}") from None
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo(**params), env


def _last_lines(text: str, lines: int = 5) -> str:
    found = [line for line in text.splitlines() if line.strip()]
    return "; ".join(found[-lines:]) or "no message"


def backup(url: str, file: Path) -> int:
    """Write the archive at ``url`` to ``file``; returns its size in bytes."""
    file = Path(file)
    if file.is_dir():
        raise BackupError(f"{file} is a directory; give a file name")
    if not file.parent.is_dir():
        raise BackupError(f"no folder {file.parent} for the backup")
    tmp = file.with_name(f".{file.name}.partial-{os.getpid()}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    conninfo, env = _client(url)
    try:
        done = subprocess.run([str(client_bin("pg_dump")), "--format=custom", "--file", str(tmp),
                               "--dbname", conninfo], env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True)
        if done.returncode:
            raise BackupError(f"pg_dump failed (exit {done.returncode}): {_last_lines(done.stderr)}")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, file)
    finally:
        tmp.unlink(missing_ok=True)
    return file.stat().st_size


def holds_data(url: str) -> list[str]:
    """The user tables of the database at ``url`` that hold a row (schema bookkeeping aside)."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE c.relkind IN ('r', 'p') AND {_SYSTEM_SCHEMAS} ORDER BY 1, 2").fetchall()
        full = []
        for schema, table in tables:
            if (schema, table) in BOOKKEEPING:
                continue
            query = sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.Identifier(schema, table))
            if conn.execute(query).fetchone()[0]:
                full.append(f"{schema}.{table}")
        return full


def check_file(file: Path) -> None:
    """Raise :class:`BackupError` unless ``file`` is a backup pg_restore can read."""
    file = Path(file)
    if not file.is_file():
        raise NoBackupFile(f"no backup file {file}")
    listing = subprocess.run([str(client_bin("pg_restore")), "--list", str(file)], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True)
    if listing.returncode:
        raise BackupError(f"{file} is not a backup made by `liaocheng-news db backup` "
                          f"(pg_restore: {_last_lines(listing.stderr, 1)})")


def restore(url: str, file: Path, *, force: bool = False) -> None:
    """Replace the archive at ``url`` by the backup in ``file``, in one transaction."""
    check_file(file)
    try:
        full = holds_data(url)
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot reach the archive: {str(exc).strip()}") from exc
    if full and not force:
        shown = ", ".join(full[:5]) + (" …" if len(full) > 5 else "")
        raise BackupError(f"the archive is not empty ({shown} hold data); restoring would replace it. "
                          "Back it up first, then pass --force to replace it")
    conninfo, env = _client(url)
    with tempfile.TemporaryFile() as script_err, tempfile.TemporaryFile() as psql_err:
        script = subprocess.Popen([str(client_bin("pg_restore")), "--no-owner", "--file", "-", str(file)],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=script_err)
        psql = subprocess.Popen([str(client_bin("psql")), "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
                                 "--dbname", conninfo], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=psql_err)
        try:
            # the transaction commits only after pg_restore read the whole backup: a backup that
            # breaks off half-way must not leave half an archive
            psql.stdin.write(b"BEGIN;\n" + _WIPE.encode() + ENSURE_GROUP.encode() + b"\n")
            while chunk := script.stdout.read(1 << 16):
                psql.stdin.write(chunk)
            if script.wait() == 0:
                psql.stdin.write(b"COMMIT;\n")
            psql.stdin.close()
        except BrokenPipeError:  # psql stopped at an error; its message says which
            pass
        finally:
            script.stdout.close()
            script.wait()
            psql.wait()
        if script.returncode:
            raise BackupError(f"pg_restore could not read {file}: {_tail(script_err)}; the archive is unchanged")
        if psql.returncode:
            raise BackupError(f"restore failed: {_tail(psql_err)}; the archive is unchanged (one transaction)")


def _tail(fh) -> str:
    fh.seek(0)
    return _last_lines(fh.read().decode(errors="replace"))
