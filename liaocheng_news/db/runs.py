"""Crawl runs left ``running`` by a process that is gone: found by host and pid, closed as interrupted.

A crawl records its process id in ``crawl_runs.pid`` (migration 6) beside the host.  When the
process dies without closing its run (``kill -9``, a second Ctrl-C, a power cut), the run stays
``running``; the next crawl on the same host closes every such run whose process no longer
exists (:func:`close_stale_runs`).  Runs of other hosts, and runs recorded before migration 6
(no pid), cannot be checked from here and are left as they are.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from psycopg.types.json import Jsonb

# words in the command line of a process that can be a crawl (liaocheng-news, scrapy crawl, scrapyd's runner)
_CRAWL_WORDS = (b"liaocheng", b"scrapy")


def this_host() -> str:
    return socket.gethostname()


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process that may be a crawl (a pid reused by another program is not)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by another user
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc to ask: it exists, so it may be the crawl
    return pid == os.getpid() or any(word in cmdline for word in _CRAWL_WORDS)


async def record_pid(pool, run_id: int, pid: int | None = None) -> None:
    async with pool.connection() as conn:
        await conn.execute("UPDATE crawl_runs SET pid = %s WHERE id = %s", (pid or os.getpid(), run_id))


async def close_stale_runs(pool, host: str | None = None, alive=process_alive) -> list[int]:
    """Close the ``running`` runs of this host whose process is gone as ``interrupted``; their ids."""
    host = host or this_host()
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT id, pid FROM crawl_runs WHERE status = 'running' AND host = %s AND pid IS NOT NULL", (host,))
        stale = [run_id for run_id, pid in await cur.fetchall() if not alive(pid)]
        if not stale:
            return []
        note = {"status_detail": "its process ended without closing it (closed by the next crawl on this host)"}
        cur = await conn.execute(
            "UPDATE crawl_runs SET status = 'interrupted', finished_at = now(), stats = stats || %s "
            "WHERE id = ANY(%s) AND status = 'running' RETURNING id", (Jsonb(note), stale))
        return sorted(r[0] for r in await cur.fetchall())
