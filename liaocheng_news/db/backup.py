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
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from liaocheng_news.db.layout import client_bin

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


def _failure(what: str, done: subprocess.CompletedProcess) -> BackupError:
    lines = [line for line in (done.stderr or "").splitlines() if line.strip()]
    return BackupError(f"{what} failed (exit {done.returncode}): " + ("; ".join(lines[-5:]) or "no message"))


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
            raise _failure("pg_dump", done)
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


def restore(url: str, file: Path, *, force: bool = False) -> None:
    """Replace the archive at ``url`` by the backup in ``file``, in one transaction."""
    file = Path(file)
    if not file.is_file():
        raise BackupError(f"no backup file {file}")
    listing = subprocess.run([str(client_bin("pg_restore")), "--list", str(file)], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True)
    if listing.returncode:
        raise BackupError(f"{file} is not a backup made by `liaocheng-news db backup` (pg_restore: "
                          f"{listing.stderr.strip().splitlines()[-1] if listing.stderr.strip() else 'unreadable'})")
    try:
        full = holds_data(url)
    except psycopg.OperationalError as exc:
        raise BackupError(f"cannot reach the archive: {str(exc).strip()}") from exc
    if full and not force:
        shown = ", ".join(full[:5]) + (" …" if len(full) > 5 else "")
        raise BackupError(f"the archive is not empty ({shown} hold data); restoring would replace it. "
                          "Back it up first, then pass --force to replace it")
    conninfo, env = _client(url)
    script = subprocess.Popen([str(client_bin("pg_restore")), "--no-owner", "--file", "-", str(file)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        done = subprocess.run([str(client_bin("psql")), "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
                               "--single-transaction", "--command", _WIPE, "--file", "-", "--dbname", conninfo],
                              env=env, stdin=script.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    finally:
        script.stdout.close()
        script_err = script.stderr.read().decode(errors="replace")
        script.stderr.close()
        script.wait()
    if script.returncode:
        raise BackupError(f"pg_restore could not read {file}: {script_err.strip()[-500:]}; nothing was changed")
    if done.returncode:
        raise BackupError(str(_failure("restore", done)) + "; the archive is unchanged (one transaction)")
