"""Read-only logins for consumers: members of the group role migration 0004 creates.

``liaocheng_news_reader`` (NOLOGIN) has USAGE on the ``api`` schema, SELECT on its views and
EXECUTE on its functions, and nothing on the internal tables.  :func:`grant_reader` makes (or
updates) a login in it.  The password never reaches the server as text: libpq turns it into a
SCRAM-SHA-256 verifier on this side (as psql's ``\\password`` does), and that verifier is the
literal in ``CREATE ROLE`` (which takes no bind parameters; the name is a quoted identifier).
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

READER_GROUP = "liaocheng_news_reader"
MIN_PASSWORD = 8
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_POWERS = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")


class ReaderRoleError(ValueError):
    """The name or password cannot be used for a reader login; the message says why."""


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise ReaderRoleError(
            f"{name!r} is not a usable role name: lower-case letters, digits and _, starting with a letter "
            "or _, at most 63 characters")
    if name.startswith("pg_") or name in ("postgres", "public", READER_GROUP):
        raise ReaderRoleError(f"{name!r} is reserved; choose another name")
    return name


def check_password(password: str) -> str:
    if password is None or len(password) < MIN_PASSWORD:
        raise ReaderRoleError(f"the password needs at least {MIN_PASSWORD} characters")
    if "\x00" in password:
        raise ReaderRoleError("the password cannot contain a NUL character")
    return password


# The group role, made when missing (roles are the server's: another archive may have made it).
# Also run before a backup is restored into a server that never had it (db/backup.py): the
# backup's grants name it.
ENSURE_GROUP = f"""
DO $lcn_reader$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{READER_GROUP}') THEN
        CREATE ROLE {READER_GROUP} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END $lcn_reader$;
"""


async def ensure_group(conn: psycopg.AsyncConnection) -> None:
    """The group role exists and holds its privileges in this database (migration 0004 does this
    too, unless the migrating role could not create roles)."""
    await conn.execute(ENSURE_GROUP)
    await conn.execute("SELECT archive_grant_reader_privileges()")


async def grant_reader(conn: psycopg.AsyncConnection, name: str, password: str) -> bool:
    """Create the login ``name`` in the reader group with ``password``, or set the password of a
    reader login that exists; returns True when the role was created.

    Refuses (:class:`ReaderRoleError`) a role that exists but is not a plain reader: one with
    superuser or other powers, or a member of any other role.
    """
    check_name(name)
    check_password(password)
    async with conn.transaction():
        await ensure_group(conn)
        cur = await conn.execute(
            f"SELECT {', '.join(_POWERS)}, "
            "ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "      WHERE m.member = r.oid) FROM pg_roles r WHERE r.rolname = %s", (name,))
        existing = await cur.fetchone()
        if existing is not None:
            *powers, groups = existing
            if any(powers) or groups != [READER_GROUP]:
                raise ReaderRoleError(f"role {name!r} exists and is not a reader login; choose another name")
        verifier = conn.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
        ident, group = sql.Identifier(name), sql.Identifier(READER_GROUP)
        if existing is None:
            await conn.execute(sql.SQL(
                "CREATE ROLE {} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                "PASSWORD {} IN ROLE {}").format(ident, sql.Literal(verifier), group))
        else:
            await conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(verifier)))
        # consumers write api.articles or just articles; and nothing they run can write
        await conn.execute(sql.SQL("ALTER ROLE {} SET search_path = api").format(ident))
        await conn.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident))
    return existing is None
