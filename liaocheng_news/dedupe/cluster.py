"""Story clustering in PostgreSQL: put one stored article into its story.

:func:`place` is called by the store inside its open transaction, right after it inserted an
article row (or updated it with changed content).  The decision, in order:

1. **Exact**: another URL's article with the same ``content_hash`` (:func:`sketch.fingerprint`)
   → its story, outcome ``'exact'``.  Bodies too short to sketch match exactly only when their
   titles are the same too, and an empty body never matches (image-only pages are not one story).
2. **Near**: the body's 32 LSH band keys (:func:`sketch.body_bands`) are looked up in
   ``article_bands`` (primary key ``(band, article_id)``: one index probe per band reading at
   most :data:`MAX_PER_BAND` rows, so the cost grows neither with the archive nor with the size
   of a story); the :data:`MAX_CANDIDATES` articles sharing most bands are confirmed with the
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

Cost: a new article takes three round trips (lock and read; both candidate lookups in one
query; one write statement with CTEs) and ~0.3 ms of Python for the sketch.  Measured by
``bench/dedupe.py``: p99 ≈ 6 ms at 10k, 100k and 1M articles on a shared 2-core machine.  The
store places a batch's new rows with :func:`place_new`: the same decisions in two round trips
for the whole batch (plus one per copy), which halves the writer's and PostgreSQL's CPU per
new article.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg import pq

from liaocheng_news.dedupe import sketch
from liaocheng_news.portals import KIND_RANK, PORTALS, kind_rank

PLACE_LOCK = 7_311_992_004  # pg_advisory_xact_lock key of the placement decision
MAX_CANDIDATES = 20  # articles sharing the most bands that are confirmed, at most
MAX_PER_BAND = 50  # articles read per band key: a story with thousands of copies costs no more

CANONICAL_RULE = (
    "kind_rank(portal) ascending (origin < e-paper < aggregator < mirror < unknown; a copy whose "
    "text the normaliser had to repair — Traditional characters or pinyin annotations — ranks as a "
    "mirror whatever its page chrome says), then earliest published_at (NULLs last), then earliest "
    "first_seen, then lowest article id"
)
_RANK_NAMES = list(PORTALS)
_RANK_VALUES = [kind_rank(name) for name in _RANK_NAMES]

# The canonical copy of a story.  ``joining`` is an article whose story_id this same statement
# (or its CTE) is setting to the story: the statement's snapshot does not show that yet.
_CANONICAL_OF = """
    SELECT a.id
    FROM articles a
    LEFT JOIN unnest(%(names)s::text[], %(ranks)s::int[]) AS k(name, rank) ON k.name = a.portal
    WHERE a.story_id = %(story)s OR a.id = %(joining)s
    ORDER BY CASE WHEN coalesce((a.normalisation ->> 'converted_from_traditional')::int, 0) > 0
                    OR coalesce((a.normalisation ->> 'annotations_removed')::int, 0) > 0
                  THEN greatest(coalesce(k.rank, %(unknown)s), %(mirror)s)
                  ELSE coalesce(k.rank, %(unknown)s) END,
             a.published_at ASC NULLS LAST, a.first_seen, a.id
    LIMIT 1
"""
_CHOOSE_CANONICAL = f"UPDATE stories SET updated_at = now(), canonical_article_id = ({_CANONICAL_OF}) WHERE id = %(story)s"

# Takes the lock, then reads the article (its own row: visible whatever the snapshot).
_LOCK_AND_READ = "SELECT title, body, content_hash, story_id FROM articles, pg_advisory_xact_lock(%s) WHERE id = %s"

# Both kinds of candidate in one round trip: same fingerprint, and most shared LSH bands.
_CANDIDATES = """
WITH near AS (
    SELECT x.article_id, count(*) AS shared
    FROM unnest(%(keys)s::bigint[]) AS k(band)
    CROSS JOIN LATERAL (
        SELECT b.article_id FROM article_bands b
        WHERE b.band = k.band AND b.article_id <> %(id)s
        ORDER BY b.article_id LIMIT %(per_band)s) AS x
    GROUP BY x.article_id ORDER BY shared DESC, x.article_id LIMIT %(limit)s),
exact AS (
    SELECT story_id, title FROM articles
    WHERE content_hash = %(hash)s AND id <> %(id)s AND story_id IS NOT NULL AND %(exact)s
    ORDER BY (story_id = %(previous)s) DESC NULLS LAST, story_id LIMIT 50)
SELECT true, story_id, title, NULL::text, 0::bigint FROM exact
UNION ALL
SELECT false, a.story_id, NULL, a.body, n.shared
FROM near n JOIN articles a ON a.id = n.article_id WHERE a.story_id IS NOT NULL
"""

_INSERT_BANDS = (
    "INSERT INTO article_bands (band, article_id) SELECT unnest(%(keys)s::bigint[]), %(id)s ON CONFLICT DO NOTHING"
)

# _CANDIDATES for a batch of new articles (none of them placed yet, so none has bands or a story
# and none needs excluding): rows tagged with the asking article's index ``i``.
_CANDIDATES_MANY = """
WITH near AS (
    SELECT i, article_id, shared FROM (
        SELECT q.i, x.article_id, count(*) AS shared,
               row_number() OVER (PARTITION BY q.i ORDER BY count(*) DESC, x.article_id) AS r
        FROM unnest(%(idx)s::int[], %(keys)s::bigint[]) AS q(i, band)
        CROSS JOIN LATERAL (
            SELECT b.article_id FROM article_bands b
            WHERE b.band = q.band ORDER BY b.article_id LIMIT %(per_band)s) AS x
        GROUP BY q.i, x.article_id) AS ranked
    WHERE r <= %(limit)s),
exact AS (
    SELECT e.i, x.story_id, x.title
    FROM unnest(%(hidx)s::int[], %(hashes)s::text[]) AS e(i, hash)
    CROSS JOIN LATERAL (
        SELECT story_id, title FROM articles
        WHERE content_hash = e.hash AND story_id IS NOT NULL ORDER BY story_id LIMIT 50) AS x)
SELECT i, true, story_id, title, NULL::text, 0::bigint, 0::bigint FROM exact
UNION ALL
SELECT n.i, false, a.story_id, NULL, a.body, n.shared, n.article_id
FROM near n JOIN articles a ON a.id = n.article_id WHERE a.story_id IS NOT NULL
ORDER BY 1, 2 DESC, 3, 6 DESC, 7
"""

# _NEW_STORY for many articles at once: each gets a story of its own, as its canonical copy.
_NEW_STORIES = """
WITH s AS (INSERT INTO stories (canonical_article_id) SELECT unnest(%(ids)s::bigint[]) RETURNING id, canonical_article_id),
u AS (UPDATE articles a SET story_id = s.id FROM s WHERE a.id = s.canonical_article_id),
b AS (INSERT INTO article_bands (band, article_id)
      SELECT * FROM unnest(%(keys)s::bigint[], %(owners)s::bigint[]) ON CONFLICT DO NOTHING)
SELECT canonical_article_id, id FROM s
"""

# A new story for the article, with it as the canonical copy, and its bands: one statement.
_NEW_STORY = f"""
WITH s AS (INSERT INTO stories (canonical_article_id) VALUES (%(id)s) RETURNING id),
u AS (UPDATE articles SET story_id = (SELECT id FROM s) WHERE id = %(id)s),
b AS ({_INSERT_BANDS})
SELECT id FROM s
"""

# The article joins (or stays in) a story: its story_id, its bands and the canonical copy.
_JOIN_STORY = f"""
WITH u AS (UPDATE articles SET story_id = %(story)s WHERE id = %(id)s AND story_id IS DISTINCT FROM %(story)s),
b AS ({_INSERT_BANDS})
UPDATE stories SET updated_at = now(), canonical_article_id = ({_CANONICAL_OF}) WHERE id = %(story)s
"""

# The story an article left: deleted when empty, else its canonical copy chosen again.
_LEFT_STORY = "DELETE FROM stories WHERE id = %(story)s AND NOT EXISTS (SELECT 1 FROM articles WHERE story_id = %(story)s)"


def _bigint_array(values: list[int]) -> str:
    """A bigint[] literal, bound as one text parameter (cast in the SQL): psycopg would dump a
    list of 32 ints element by element, for a noticeable share of a placement's CPU."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def _rule_params(**kw) -> dict:
    return {"names": _RANK_NAMES, "ranks": _RANK_VALUES, "unknown": KIND_RANK["unknown"], "mirror": KIND_RANK["mirror"], "joining": None, **kw}


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
    _check_transaction(conn)
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (PLACE_LOCK,))


def _check_transaction(conn: psycopg.AsyncConnection) -> None:
    if conn.autocommit and conn.info.transaction_status == pq.TransactionStatus.IDLE:
        raise RuntimeError("place() must run inside a transaction (the advisory lock is transaction-level)")


def _pick(rows: list[tuple], mine: sketch.BodySketch, title: str, previous: int | None) -> tuple[int | None, str]:
    """The story an article joins, and how: exact rows first, then confirmed near candidates."""
    for is_exact, story_id, other_title, _, _ in rows:
        if is_exact and (mine.bands or sketch.key_text(other_title) == sketch.key_text(title)):
            return story_id, "exact"
    best: tuple[float, bool, int] | None = None  # (containment, is previous story, -story id)
    confirmed: set[int] = set()
    for _, story_id, _, other, _ in sorted((r for r in rows if not r[0]), key=lambda r: -r[4]):
        if story_id in confirmed:  # one confirmed copy per story is enough
            continue
        theirs = other if isinstance(other, np.ndarray) else sketch.shingles(other)
        score = sketch.containment(mine.shingles, theirs)
        if score < sketch.COPY_THRESHOLD:
            continue
        confirmed.add(story_id)
        key = (score, story_id == previous, -story_id)
        if best is None or key > best:
            best = key
    return (None, "new_story") if best is None else (-best[2], "copy")


async def _has_other_members(conn: psycopg.AsyncConnection, story_id: int, article_id: int) -> bool:
    row = await (
        await conn.execute(
            "SELECT EXISTS (SELECT 1 FROM articles WHERE story_id = %s AND id <> %s)", (story_id, article_id)
        )
    ).fetchone()
    return bool(row[0])


async def choose_canonical(conn: psycopg.AsyncConnection, story_id: int) -> None:
    """Set the story's canonical copy by :data:`CANONICAL_RULE` (e.g. after a copy's dates changed)."""
    await conn.execute(_CHOOSE_CANONICAL, _rule_params(story=story_id))


async def place(conn: psycopg.AsyncConnection, article_id: int) -> Placement:
    """Put the stored article ``article_id`` into its story (see the module docstring).

    A new article costs three round trips: lock and read; candidates; one write statement.
    (The store places the new rows of a batch with :func:`place_new`, and this for revisions.)
    """
    _check_transaction(conn)
    row = await (await conn.execute(_LOCK_AND_READ, (PLACE_LOCK, article_id))).fetchone()
    if row is None:
        raise LookupError(f"no article with id {article_id}")
    title, body, content_hash, previous = row
    mine = sketch.sketch_body(body)
    keys = _bigint_array(mine.bands)
    params = {"keys": keys, "id": article_id, "limit": MAX_CANDIDATES, "per_band": MAX_PER_BAND,
              "hash": content_hash, "exact": bool(sketch.key_text(body)), "previous": previous}
    rows = await (await conn.execute(_CANDIDATES, params)).fetchall()
    story_id, outcome = _pick(rows, mine, title, previous)

    if previous is not None:
        if story_id is None and not await _has_other_members(conn, previous, article_id):
            story_id = previous  # alone in its story before and after: keep the id consumers know
        await conn.execute("DELETE FROM article_bands WHERE article_id = %s", (article_id,))
    created = story_id is None
    if created:
        story_id = (await (await conn.execute(_NEW_STORY, {"keys": keys, "id": article_id})).fetchone())[0]
    else:
        await conn.execute(_JOIN_STORY, _rule_params(keys=keys, id=article_id, story=story_id, joining=article_id))
    if previous is not None and previous != story_id:
        await conn.execute(_LEFT_STORY, {"story": previous})
        await conn.execute(_CHOOSE_CANONICAL, _rule_params(story=previous))
    return Placement(story_id=story_id, outcome=outcome, created=created, previous_story_id=previous)


# story ids of stories place_new() will create, above any real one and in creation order, as the
# real ones will be (the lowest story id breaks ties, as in place())
_UNMADE = 1 << 62


async def place_new(conn: psycopg.AsyncConnection,
                    articles: Sequence[tuple[int, str, str, str | None]]) -> list[Placement]:
    """:func:`place` for a batch of just-inserted articles ``(id, title, body, content_hash)``,
    under the placement lock (:func:`lock_placement`), with the decisions :func:`place` would
    make one after the other in this order, in two round trips plus one per copy found.

    One query reads every article's candidates; an article also meets the batch's earlier
    articles as candidates (exact: same fingerprint; near: shared band keys), as it would have
    met them in the archive had they been placed first.  The new stories are then written in
    one statement and the copies join their stories one statement each.
    """
    _check_transaction(conn)
    if not articles:
        return []
    mine = [sketch.sketch_body(body) for _, _, body, _ in articles]
    exact = [bool(h) and bool(sketch.key_text(body)) for _, _, body, h in articles]
    idx = [i for i, m in enumerate(mine) for _ in m.bands]
    hidx = [i for i in range(len(articles)) if exact[i]]
    params = {"idx": idx, "keys": _bigint_array([k for m in mine for k in m.bands]),
              "hidx": hidx, "hashes": [articles[i][3] for i in hidx],
              "limit": MAX_CANDIDATES, "per_band": MAX_PER_BAND}
    found: list[list[tuple]] = [[] for _ in articles]
    for i, *row in await (await conn.execute(_CANDIDATES_MANY, params)).fetchall():
        found[i].append(tuple(row))

    story: list[int] = []
    outcomes: list[str] = []
    made = 0
    for i, (article_id, title, body, content_hash) in enumerate(articles):
        rows = found[i]
        near = [r for r in rows if not r[0]]
        mine_bands = set(mine[i].bands)
        batch_exact = []
        for j in range(i):  # the batch's earlier articles, placed already in place()'s order
            if exact[i] and articles[j][3] == content_hash:
                batch_exact.append((True, story[j], articles[j][1], None, 0, articles[j][0]))
            shared = len(mine_bands.intersection(mine[j].bands))
            if shared:
                near.append((False, story[j], None, mine[j].shingles, shared, articles[j][0]))
        near = sorted(near, key=lambda r: (-r[4], r[5]))[:MAX_CANDIDATES]
        exact_rows = sorted([r for r in rows if r[0]] + batch_exact, key=lambda r: r[1])
        picked, outcome = _pick([r[:5] for r in exact_rows + near], mine[i], title, None)
        if picked is None:
            picked, made = _UNMADE + made, made + 1
        story.append(picked)
        outcomes.append(outcome)

    real: dict[int, int] = {}
    fresh = [i for i, outcome in enumerate(outcomes) if outcome == "new_story"]
    if fresh:
        owners = [articles[i][0] for i in fresh for _ in mine[i].bands]
        rows = await (await conn.execute(_NEW_STORIES, {
            "ids": [articles[i][0] for i in fresh],
            "keys": _bigint_array([k for i in fresh for k in mine[i].bands]), "owners": owners})).fetchall()
        made_for = dict(rows)  # article id -> its new story's id
        for i in fresh:
            real[story[i]] = made_for[articles[i][0]]
    placements = []
    for i, (article_id, _, _, _) in enumerate(articles):
        outcome = outcomes[i]
        story_id = real.get(story[i], story[i])
        if outcome != "new_story":
            await conn.execute(_JOIN_STORY, _rule_params(keys=_bigint_array(mine[i].bands), id=article_id,
                                                         story=story_id, joining=article_id))
        placements.append(Placement(story_id=story_id, outcome=outcome, created=outcome == "new_story"))
    return placements
