"""Story clustering in PostgreSQL: put one stored article into its story.

:func:`place` is called by the store inside its open transaction, right after it inserted an
article row (or updated it with changed content).  The decision, in order:

1. **Exact**: another URL's article with the same ``content_hash`` (:func:`sketch.fingerprint`)
   → its story, outcome ``'exact'``.  Bodies too short to sketch match exactly only when their
   titles are the same too, and an empty body never matches (image-only pages are not one story).
2. **Near**: the body's LSH band keys (:func:`sketch.body_bands`) are looked up in
   ``article_bands`` (primary key ``(band, article_id)``: one index probe per band, so the cost
   does not grow with the archive); the candidates sharing most bands are confirmed with the
   guarded containment :func:`sketch.containment` ``>= COPY_THRESHOLD``.  The best-confirmed
   candidate's story wins (ties: the article's previous story, then the lowest story id); two
   stories are never merged by one article.  Outcome ``'copy'``.
3. **Otherwise** a new story, outcome ``'new_story'``.  On re-placement an article that was
   alone in its story keeps that story id (consumers may hold it), with ``created=False``.

Then the article's bands are (re)written and the story's canonical copy is chosen again by
:data:`CANONICAL_RULE`; a story the article left gets its canonical re-chosen, or is deleted
when it has no copy left.

Concurrency: the whole decision runs under ``pg_advisory_xact_lock(PLACE_LOCK)``, held until the
caller's transaction ends, so two crawls never both create a story for one story: the second
waits, and (READ COMMITTED, PostgreSQL's default) its next statements see the first one's
committed bands.  The store may call :func:`lock_placement` at the start of its transaction to
take the lock before it writes article rows (avoids a lock-order deadlock when two processes
upsert the same URL in one batch).  Keep transactions short: other writers wait on the lock.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import pq

from liaocheng_news.dedupe import sketch
from liaocheng_news.portals import KIND_RANK, PORTALS, kind_rank

PLACE_LOCK = 7_311_992_004  # pg_advisory_xact_lock key of the placement decision
MAX_CANDIDATES = 20  # articles sharing the most bands that are confirmed, at most

CANONICAL_RULE = (
    "kind_rank(portal) ascending (origin < e-paper < aggregator < mirror < unknown), "
    "then earliest published_at (NULLs last), then earliest first_seen, then lowest article id"
)
_RANK_NAMES = list(PORTALS)
_RANK_VALUES = [kind_rank(name) for name in _RANK_NAMES]

_CHOOSE_CANONICAL = """
UPDATE stories SET updated_at = now(), canonical_article_id = (
    SELECT a.id
    FROM articles a
    LEFT JOIN unnest(%(names)s::text[], %(ranks)s::int[]) AS k(name, rank) ON k.name = a.portal
    WHERE a.story_id = %(story)s
    ORDER BY coalesce(k.rank, %(unknown)s), a.published_at ASC NULLS LAST, a.first_seen, a.id
    LIMIT 1)
WHERE id = %(story)s
"""


@dataclass
class Placement:
    """Where :func:`place` put an article.

    ``outcome``: ``'exact'`` (identical fingerprint to another URL's article), ``'copy'``
    (a near copy of a known story) or ``'new_story'`` (alone in its story).  ``created`` says
    whether a story row was made now (count it as a new story); ``previous_story_id`` is the
    story the article was in before (re-placement), ``None`` for a new article.
    """

    story_id: int
    outcome: str
    created: bool = False
    previous_story_id: int | None = None


async def lock_placement(conn: psycopg.AsyncConnection) -> None:
    """Take the placement lock for the rest of the caller's transaction."""
    if conn.autocommit and conn.info.transaction_status == pq.TransactionStatus.IDLE:
        raise RuntimeError("place() must run inside a transaction (the advisory lock is transaction-level)")
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (PLACE_LOCK,))


async def _exact_match(
    conn: psycopg.AsyncConnection, article_id: int, content_hash: str, title: str, sketchable: bool,
    previous: int | None,
) -> int | None:
    """The story of another article with the same fingerprint, if any."""
    rows = await (
        await conn.execute(
            "SELECT story_id, title FROM articles WHERE content_hash = %s AND id <> %s AND story_id IS NOT NULL"
            " ORDER BY (story_id = %s) DESC NULLS LAST, story_id LIMIT 50",
            (content_hash, article_id, previous),
        )
    ).fetchall()
    for story_id, other_title in rows:
        if sketchable or sketch.key_text(other_title) == sketch.key_text(title):
            return story_id
    return None


async def _near_match(
    conn: psycopg.AsyncConnection, article_id: int, body: str, keys: list[int], previous: int | None
) -> int | None:
    """The story of the best confirmed near copy among the band candidates, if any."""
    ranked = await (
        await conn.execute(
            "SELECT article_id FROM article_bands WHERE band = ANY(%s) AND article_id <> %s"
            " GROUP BY article_id ORDER BY count(*) DESC, article_id LIMIT %s",
            (keys, article_id, MAX_CANDIDATES),
        )
    ).fetchall()
    if not ranked:
        return None
    order = [r[0] for r in ranked]
    rows = await (
        await conn.execute(
            "SELECT id, story_id, body FROM articles WHERE id = ANY(%s) AND story_id IS NOT NULL",
            (order,),
        )
    ).fetchall()
    by_id = {r[0]: (r[1], r[2]) for r in rows}
    mine = sketch.shingles(body)
    best: tuple[float, bool, int] | None = None  # (containment, is previous story, -story id)
    confirmed: set[int] = set()
    for cid in order:
        if cid not in by_id:
            continue
        story_id, other = by_id[cid]
        if story_id in confirmed:  # one confirmed copy per story is enough
            continue
        score = sketch.containment(mine, sketch.shingles(other))
        if score < sketch.COPY_THRESHOLD:
            continue
        confirmed.add(story_id)
        key = (score, story_id == previous, -story_id)
        if best is None or key > best:
            best = key
    return None if best is None else -best[2]


async def _has_other_members(conn: psycopg.AsyncConnection, story_id: int, article_id: int) -> bool:
    row = await (
        await conn.execute(
            "SELECT EXISTS (SELECT 1 FROM articles WHERE story_id = %s AND id <> %s)", (story_id, article_id)
        )
    ).fetchone()
    return bool(row[0])


async def choose_canonical(conn: psycopg.AsyncConnection, story_id: int) -> None:
    """Set the story's canonical copy by :data:`CANONICAL_RULE`."""
    await conn.execute(
        _CHOOSE_CANONICAL,
        {"names": _RANK_NAMES, "ranks": _RANK_VALUES, "unknown": KIND_RANK["unknown"], "story": story_id},
    )


async def _write_bands(conn: psycopg.AsyncConnection, article_id: int, keys: list[int], replace: bool) -> None:
    if replace:
        await conn.execute("DELETE FROM article_bands WHERE article_id = %s", (article_id,))
    if keys:
        await conn.execute(
            "INSERT INTO article_bands (band, article_id) SELECT unnest(%s::bigint[]), %s ON CONFLICT DO NOTHING",
            (keys, article_id),
        )


async def place(conn: psycopg.AsyncConnection, article_id: int) -> Placement:
    """Put the stored article ``article_id`` into its story (see the module docstring)."""
    await lock_placement(conn)
    row = await (
        await conn.execute(
            "SELECT title, body, content_hash, story_id FROM articles WHERE id = %s", (article_id,)
        )
    ).fetchone()
    if row is None:
        raise LookupError(f"no article with id {article_id}")
    title, body, content_hash, previous = row
    keys = sketch.body_bands(body)
    has_text = bool(sketch.key_text(body))

    story_id: int | None = None
    outcome = "new_story"
    created = False
    if has_text:
        story_id = await _exact_match(conn, article_id, content_hash, title, bool(keys), previous)
        if story_id is not None:
            outcome = "exact"
    if story_id is None and keys:
        story_id = await _near_match(conn, article_id, body, keys, previous)
        if story_id is not None:
            outcome = "copy"
    if story_id is None:
        if previous is not None and not await _has_other_members(conn, previous, article_id):
            story_id = previous
        else:
            story_id = (await (await conn.execute("INSERT INTO stories DEFAULT VALUES RETURNING id")).fetchone())[0]
            created = True

    if story_id != previous:
        await conn.execute("UPDATE articles SET story_id = %s WHERE id = %s", (story_id, article_id))
    await _write_bands(conn, article_id, keys, replace=previous is not None)
    await choose_canonical(conn, story_id)
    if previous is not None and previous != story_id:
        if await _has_other_members(conn, previous, article_id):
            await choose_canonical(conn, previous)
        else:
            await conn.execute("DELETE FROM stories WHERE id = %s", (previous,))
    return Placement(story_id=story_id, outcome=outcome, created=created, previous_story_id=previous)
