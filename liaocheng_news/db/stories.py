"""Stories in the archive: placement of articles, merges with redirects, canonical copies.

Every article belongs to one story (``articles.story_id``).  Placement runs inside the writer's
transaction, under a transaction-level advisory lock (:func:`lock`) that serialises the story
decision across processes: two crawls writing copies of one story at once make one story.

**One path.**  :func:`plan` decides where a batch of articles goes — new rows not yet written,
revised rows, or stored rows being re-placed — as if they were placed one after the other in
order: each article also meets the batch's earlier articles as candidates.  The decision:

1. *Candidates*: the archived articles sharing a passage or title key with it
   (``article_passages``, read at most :data:`MAX_PER_KEY` rows a key: a key in more rows is
   boilerplate or a widely copied story, and the cost grows neither with the archive nor with a
   story), keys held by :data:`rules.BOILERPLATE_STORIES` or more stories left out; the
   :data:`MAX_STORIES` stories sharing most keys, :data:`PER_STORY` copies of each; and the
   articles with the same ``content_hash`` (exact copies).
2. *Confirmation* with :func:`liaocheng_news.dedupe.rules.same_story` (containment of the
   smaller text in the larger, spread over paragraphs, the lead; boilerplate sentences left out),
   or an identical fingerprint (a body too short to sketch: with the same title too).
3. Every story confirmed is the article's story; when it confirms two or more, it *bridges*
   them: they are merged into the one with the lowest id (the oldest), the others' copies move
   to it and each merged id is recorded in ``story_redirects`` (reason ``merged``), so an id a
   consumer holds still resolves (:func:`live_id`, SQL ``story_live_id``).  Nothing is deleted
   silently.
4. Otherwise a new story; an article that was alone in its story keeps that story's id.

:func:`plan` then makes the new stories' rows and applies the merges, so that the caller writes
each article row with its story id already set (an article is never inserted and then updated
for its story); :func:`finish` writes the articles' keys, redirects a story whose last copy left
it (reason ``emptied``) and chooses the canonical copy of every story touched.

**Canonical copy** (:data:`CANONICAL_RULE`, one statement for all touched stories): a fullest
copy — a copy whose ``content_chars`` is under :data:`rules.FULL_COPY_RATIO` of the story's
largest is partial (an excerpt, a lead-only or truncated copy) and never canonical while a
fuller copy exists; then a portal page over an imported dump; then the portal's rank; then the
earliest publication, first seen, lowest id.

**Re-placement** (:func:`replace_all`) re-runs the same decisions over the whole archive in
article-id order, idempotently, keeping story ids where the stories stay the same, and reports
stories merged and canonical copies changed.
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import psycopg
from psycopg import pq

from liaocheng_news.dedupe import rules
from liaocheng_news.dedupe.sketch import Sketch, article_sketch, title_key
from liaocheng_news.portals import KIND_RANK, PORTALS, kind_rank

logger = logging.getLogger(__name__)

PLACE_LOCK = 7_311_992_004  # pg_advisory_xact_lock key of the placement decision
MAX_PER_KEY = 50  # archived articles read per key
MAX_STORIES = 8  # candidate stories confirmed per article, at most
PER_STORY = 2  # candidate copies of one story tried, at most
REPLACE_CHUNK = 500  # articles re-placed per round trip by replace_all

CANONICAL_RULE = (
    "a fullest copy first (content_chars at least {full:.0%} of the story's largest: an excerpt, "
    "lead-only or truncated copy is never canonical while a fuller copy exists), then a portal page "
    "over an imported dump, then kind_rank(portal) (origin < e-paper < aggregator < mirror < unknown; "
    "a copy whose text the normaliser had to repair — Traditional characters or pinyin annotations — "
    "ranks as a mirror whatever its page chrome says), then earliest published_at (NULLs last), "
    "then earliest first_seen, then lowest article id"
).format(full=rules.FULL_COPY_RATIO)
_RANK_NAMES = list(PORTALS)
_RANK_VALUES = [kind_rank(name) for name in _RANK_NAMES]

_CANONICAL = """
WITH m AS (
    SELECT a.story_id, a.id, a.extraction, a.published_at, a.first_seen,
           coalesce(a.content_chars, length(a.body)) AS chars,
           max(coalesce(a.content_chars, length(a.body))) OVER (PARTITION BY a.story_id) AS fullest,
           CASE WHEN coalesce((a.normalisation ->> 'converted_from_traditional')::int, 0) > 0
                  OR coalesce((a.normalisation ->> 'annotations_removed')::int, 0) > 0
                THEN greatest(coalesce(k.rank, %(unknown)s), %(mirror)s)
                ELSE coalesce(k.rank, %(unknown)s) END AS rank
    FROM articles a
    LEFT JOIN unnest(%(names)s::text[], %(ranks)s::int[]) AS k(name, rank) ON k.name = a.portal
    WHERE a.story_id = ANY(%(stories)s::bigint[])),
best AS (
    SELECT DISTINCT ON (story_id) story_id, id FROM m
    ORDER BY story_id, chars < %(full)s * fullest, extraction = 'import', rank,
             published_at ASC NULLS LAST, first_seen, id)
UPDATE stories s SET canonical_article_id = best.id, updated_at = now()
FROM best WHERE s.id = best.story_id AND s.canonical_article_id IS DISTINCT FROM best.id
RETURNING s.id
"""

# Candidates of every article of a batch in one round trip, tagged with the article's index:
# 'k' rows: archived articles holding one of its keys (at most MAX_PER_KEY a key);
# 'e' rows: archived articles with its content_hash; 'm' rows: how many other articles its
# previous story holds.  ``placed_below`` (re-placement) hides the rows not yet re-placed.
# And ids: 'a' rows, one for each row not written yet; 's' rows, one for each story the batch
# may create (ids a batch does not use are left as gaps: a story id says only "made after").
_CANDIDATES = """
SELECT 'k', q.i, q.key, x.article_id, a.story_id, NULL::text
FROM unnest(%(ki)s::int[], %(keys)s::bigint[], %(kself)s::bigint[]) AS q(i, key, self)
CROSS JOIN LATERAL (
    SELECT p.article_id FROM article_passages p
    WHERE p.key = q.key AND p.article_id IS DISTINCT FROM q.self
    ORDER BY p.article_id LIMIT %(per_key)s) AS x
JOIN articles a ON a.id = x.article_id
UNION ALL
SELECT 'e', e.i, NULL, x.id, x.story_id, x.title
FROM unnest(%(ei)s::int[], %(hashes)s::text[], %(eself)s::bigint[]) AS e(i, hash, self)
CROSS JOIN LATERAL (
    SELECT id, story_id, title FROM articles
    WHERE content_hash = e.hash AND id IS DISTINCT FROM e.self
      AND (%(placed_below)s::bigint IS NULL AND story_id IS NOT NULL OR id < %(placed_below)s::bigint)
    ORDER BY id LIMIT %(per_key)s) AS x
UNION ALL
SELECT 'm', m.i, NULL, NULL, (SELECT count(*) FROM articles WHERE story_id = m.prev AND id <> m.self), NULL
FROM unnest(%(mi)s::int[], %(prevs)s::bigint[], %(mself)s::bigint[]) AS m(i, prev, self)
UNION ALL
SELECT 'a', g, NULL, nextval('articles_id_seq'), NULL, NULL FROM generate_series(1, %(new_articles)s) AS g
UNION ALL
SELECT 's', g, NULL, NULL, nextval('stories_id_seq'), NULL FROM generate_series(1, %(new_stories)s) AS g
"""

_BODIES = "SELECT id, title, body FROM articles WHERE id = ANY(%s::bigint[])"

_NEW_STORIES = "INSERT INTO stories (id) SELECT unnest(%s::bigint[])"
_NEW_STORY_IDS = "SELECT nextval('stories_id_seq') FROM generate_series(1, %s)"

# The canonical copy of new stories of one copy: that copy.
_SOLE_CANONICAL = """
UPDATE stories s SET canonical_article_id = v.article FROM unnest(%s::bigint[], %s::bigint[]) AS v(story, article)
WHERE s.id = v.story
"""

# Stories merged into others (``from`` → ``to``, both live): copies moved, redirects written and
# flattened (one step always), rows deleted.  Foreign keys are checked at the statement's end,
# when the copies have moved.
_MERGE = """
WITH m AS (SELECT * FROM unnest(%(from)s::bigint[], %(to)s::bigint[]) AS m(from_id, to_id)),
moved AS (UPDATE articles a SET story_id = m.to_id FROM m WHERE a.story_id = m.from_id),
flat AS (UPDATE story_redirects r SET to_id = m.to_id FROM m WHERE r.to_id = m.from_id),
kept AS (INSERT INTO story_redirects (from_id, to_id, reason) SELECT from_id, to_id, %(reason)s FROM m)
DELETE FROM stories s USING m WHERE s.id = m.from_id
"""

# Stories whose last copy left them (``from``), redirected to where it went (``to``).
_EMPTIED = """
WITH e AS (SELECT * FROM unnest(%(from)s::bigint[], %(to)s::bigint[]) AS e(from_id, to_id)),
gone AS (DELETE FROM stories s USING e WHERE s.id = e.from_id
         AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.story_id = e.from_id) RETURNING s.id),
flat AS (UPDATE story_redirects r SET to_id = e.to_id FROM e JOIN gone ON gone.id = e.from_id
         WHERE r.to_id = e.from_id),
kept AS (INSERT INTO story_redirects (from_id, to_id, reason)
         SELECT e.from_id, e.to_id, 'emptied' FROM e JOIN gone ON gone.id = e.from_id)
SELECT id FROM gone
"""

_INSERT_KEYS = "INSERT INTO article_passages (key, article_id) SELECT * FROM unnest(%s::bigint[], %s::bigint[])"

_LIVE_ID = """
SELECT id FROM stories WHERE id = %(id)s
UNION ALL
SELECT to_id FROM story_redirects WHERE from_id = %(id)s
LIMIT 1
"""


def bigint_array(values: Sequence[int] | np.ndarray) -> str:
    """A bigint[] literal, bound as one text parameter and cast in the SQL: psycopg would dump a
    list element by element, a noticeable share of a batch's CPU."""
    if isinstance(values, np.ndarray):
        return "{" + ",".join(values.astype(str)) + "}" if values.size else "{}"
    return "{" + ",".join(map(str, values)) + "}"


def _null_array(values: Sequence[int | None]) -> str:
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


def _text_array(values: Sequence[str]) -> str:
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


async def lock(conn: psycopg.AsyncConnection) -> None:
    """Take the placement lock for the rest of the caller's transaction."""
    _check_transaction(conn)
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (PLACE_LOCK,))


def _check_transaction(conn: psycopg.AsyncConnection) -> None:
    if conn.autocommit and conn.info.transaction_status == pq.TransactionStatus.IDLE:
        raise RuntimeError("placement must run inside a transaction (the advisory lock is transaction-level)")


async def live_id(conn: psycopg.AsyncConnection, story_id: int) -> int | None:
    """The live story a story id stands for (itself, or where its redirect points); None if none."""
    row = await (await conn.execute(_LIVE_ID, {"id": story_id})).fetchone()
    return row[0] if row else None


# --- what is placed, and where it went ---------------------------------------------------


@dataclass
class Placing:
    """An article to place: its text, and its stored row when it has one."""

    title: str
    body: str
    content_hash: str | None
    article_id: int | None = None  # the stored row (a revision, a re-placement); None: not written yet
    previous: int | None = None  # its story before
    sketch: Sketch = field(init=False)

    def __post_init__(self) -> None:
        self.sketch = article_sketch(self.title, self.body)

    @property
    def exact_key(self) -> str | None:
        """The fingerprint an exact copy shares; None for an empty body (image-only pages are no story)."""
        return self.content_hash if self.content_hash and self.sketch.size else None


@dataclass(frozen=True)
class Placement:
    """Where an article went.

    ``outcome``: ``'exact'`` (identical fingerprint to another URL's article), ``'copy'`` (a copy
    confirmed by ``rule``: copy, excerpt or lead) or ``'new_story'`` (alone in its story).
    ``created``: a story row was made for it.  ``merged``: the stories it bridged into
    ``story_id`` (their ids now redirect there).
    """

    story_id: int
    outcome: str
    created: bool = False
    previous_story_id: int | None = None
    rule: str | None = None
    merged: tuple[int, ...] = ()


# --- the decision (shared by the store and re-placement) --------------------------------


class _Labels:
    """Story labels during one decision: union-find over the stories an article bridges.

    The live labels are story ids, and ``_UNMADE + k`` for the k-th story a batch creates (above
    any real id, so a merge always survives in a real story)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, label: int) -> int:
        root = label
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while label != root:
            self.parent[label], label = root, self.parent[label]
        return root

    def union(self, labels: Sequence[int]) -> int:
        roots = {self.find(label) for label in labels}
        survivor = min(roots)
        for r in roots:
            self.parent[r] = survivor
        return survivor

    def of(self, article_id: int, story_id: int | None) -> int | None:
        """The label of an archived article (None: not placed yet)."""
        return None if story_id is None else self.find(story_id)


_UNMADE = 1 << 62


@dataclass
class _Decision:
    label: int
    outcome: str
    rule: str | None
    bridged: tuple[int, ...]  # labels confirmed besides the survivor (before union)


def _shared_scores(rows, boilerplate: Callable[[int], bool], labels: _Labels) -> dict[int, dict[int, int]]:
    """label -> {archived article -> shared non-boilerplate keys}, from one article's 'k' rows."""
    found: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for key, article_id, story_id in rows:
        label = labels.of(article_id, story_id)
        if label is not None and not boilerplate(key):
            found[label][article_id] += 1
    return found


def _best(found: dict[int, dict[int, int]]) -> list[tuple[int, list[int]]]:
    """The MAX_STORIES labels sharing most keys, each with its PER_STORY best articles."""
    ranked = heapq.nsmallest(MAX_STORIES, found.items(), key=lambda kv: (-max(kv[1].values()), kv[0]))
    return [(label, [a for a, _ in heapq.nsmallest(PER_STORY, arts.items(), key=lambda kv: (-kv[1], kv[0]))])
            for label, arts in ranked]


async def _decide(conn: psycopg.AsyncConnection, items: Sequence[Placing], labels: _Labels,
                  new_label: Callable[[int, Placing, int, list[_Decision]], int],
                  placed_below: int | None = None, new_ids: bool = False,
                  ) -> tuple[list[_Decision], list[int], list[int]]:
    """Where each item goes, in order (see the module docstring); reads only.

    ``new_label(i, item, others, decisions)`` names the story made for item ``i`` when nothing
    confirms (``others``: how many other archived articles its previous story holds;
    ``decisions``: the batch's decisions so far).  With ``new_ids``, also allocates an article id
    for each item not written yet and a story id for each item, in the same round trip: returns
    (decisions, article ids, story ids).
    """
    ki, keys, kself, ei, hashes, eself, mi, prevs, mself = ([] for _ in range(9))
    for i, item in enumerate(items):
        for key in item.sketch.keys:
            ki.append(i)
            keys.append(key)
            kself.append(item.article_id)
        if item.exact_key:
            ei.append(i)
            hashes.append(item.exact_key)
            eself.append(item.article_id)
        if item.previous is not None:
            mi.append(i)
            prevs.append(item.previous)
            mself.append(item.article_id)
    rows = await (await conn.execute(_CANDIDATES, {
        "ki": bigint_array(ki), "keys": bigint_array(keys), "kself": _null_array(kself),
        "ei": bigint_array(ei), "hashes": _text_array(hashes), "eself": _null_array(eself),
        "mi": bigint_array(mi), "prevs": bigint_array(prevs), "mself": _null_array(mself),
        "per_key": MAX_PER_KEY, "placed_below": placed_below,
        "new_articles": sum(item.article_id is None for item in items) if new_ids else 0,
        "new_stories": len(items) if new_ids else 0})).fetchall()
    article_ids = sorted(r[3] for r in rows if r[0] == "a")
    story_ids = sorted(r[4] for r in rows if r[0] == "s")
    key_rows: list[list[tuple[int, int, int | None]]] = [[] for _ in items]
    exact_rows: list[list[tuple[int, int | None, str]]] = [[] for _ in items]
    others = [0] * len(items)
    key_stories: dict[int, set[int]] = defaultdict(set)  # archived stories holding each key
    for kind, i, key, article_id, story_id, title in rows:
        if kind in ("a", "s"):
            continue
        if kind == "k":
            key_rows[i].append((key, article_id, story_id))
            label = labels.of(article_id, story_id)
            if label is not None:
                key_stories[key].add(label)
        elif kind == "e":
            exact_rows[i].append((article_id, story_id, title))
        else:
            others[i] = story_id  # the count rides in the story_id column
    batch_stories: dict[int, set[int]] = defaultdict(set)  # labels of the batch's placed items, by key

    def boilerplate(key: int) -> bool:
        archived, batched = key_stories.get(key, ()), batch_stories.get(key, ())
        if len(archived) + len(batched) < rules.BOILERPLATE_STORIES:
            return False  # too few holders, whatever they have become (most keys: none at all)
        holders = {labels.find(s) for s in archived}
        holders.update(labels.find(s) for s in batched)
        return len(holders) >= rules.BOILERPLATE_STORIES

    # the archived copies worth confirming for every item, and their texts in one round trip
    wanted = [_best(_shared_scores(key_rows[i], boilerplate, labels)) for i in range(len(items))]
    ids = sorted({a for best in wanted for _, arts in best for a in arts})
    texts: dict[int, Sketch] = {}
    if ids:
        for article_id, title, body in await (await conn.execute(_BODIES, (bigint_array(ids),))).fetchall():
            texts[article_id] = article_sketch(title, body)

    decisions: list[_Decision] = []
    earlier_by_key: dict[int, list[int]] = defaultdict(list)  # the batch's earlier items holding each key
    earlier_by_hash: dict[str, list[int]] = defaultdict(list)  # … with each exact key
    for i, item in enumerate(items):
        mine = item.sketch
        confirmed: dict[int, str] = {}  # label -> the rule that confirmed it
        # exact copies (a body too short to sketch: with the same title too)
        exact = [(labels.of(a, s), title_key(t)) for a, s, t in exact_rows[i]]
        if item.exact_key:
            exact += [(decisions[j].label, items[j].sketch.title) for j in earlier_by_hash[item.exact_key]]
        for label, their_title in exact:
            if label is not None and (mine.shingles.size >= rules.MIN_SHINGLES or their_title == mine.title):
                confirmed.setdefault(labels.find(label), "exact")
        # near copies: the archived candidates, then the batch's earlier articles sharing a key
        mine_keys = set(mine.keys)
        boiler = {k: boilerplate(k) for k in mine_keys}
        common = [k for k in mine_keys if boiler[k]]
        candidates = [(label, texts[a]) for label, arts in wanted[i] for a in arts if a in texts]
        sharing = {j for k in mine_keys if not boiler[k] for j in earlier_by_key.get(k, ())}
        candidates += [(decisions[j].label, items[j].sketch) for j in sorted(sharing)]
        strong = {label for label in confirmed}  # exact copies bridge
        for label, theirs in candidates:
            label = labels.find(label)
            if label in strong:
                continue
            evidence = rules.compare(mine, theirs, common)
            rule = rules.decide(evidence)
            if rule:
                confirmed.setdefault(label, rule)
                if rules.bridges(evidence, rule):
                    strong.add(label)
        if confirmed:
            # the stories it bridges are merged into the oldest; a text that is only inside
            # several stories joins the oldest of them and merges nothing (rules.bridges)
            roots = sorted({labels.find(label) for label in (strong or confirmed)})
            survivor = labels.union(roots) if strong else roots[0]
            if strong and len(roots) > 1:
                logger.debug("%r bridges stories %s: %s", item.title, roots, {k: confirmed[k] for k in confirmed})
            outcome = "exact" if confirmed.get(survivor) == "exact" or "exact" in confirmed.values() else "copy"
            rule = confirmed.get(survivor) or next(iter(confirmed.values()))
            decisions.append(_Decision(survivor, outcome, rule, tuple(r for r in roots if r != survivor) if strong else ()))
        else:
            decisions.append(_Decision(new_label(i, item, others[i], decisions), "new_story", None, ()))
        for key in mine_keys:
            batch_stories[key].add(decisions[-1].label)
            earlier_by_key[key].append(i)
        if item.exact_key:
            earlier_by_hash[item.exact_key].append(i)
    return decisions, article_ids, story_ids




# --- the store's path: plan, write the rows, finish ---------------------------------------


@dataclass
class Plan:
    """What :func:`plan` decided for a batch, and what :func:`write` and :func:`finish` do with it."""

    items: Sequence[Placing]
    placements: list[Placement]
    article_ids: list[int]  # each item's row: its own, or the id allocated for the row to insert
    new_stories: list[int] = field(default_factory=list)
    merges: list[tuple[int, int]] = field(default_factory=list)  # (story merged away, its survivor)
    sole: dict[int, int] = field(default_factory=dict)  # new story -> its only copy
    touched: set[int] = field(default_factory=set)  # stories whose canonical copy is chosen again
    left: list[tuple[int, int]] = field(default_factory=list)  # (story a copy left, the story it went to)


def _rule_params(**kw) -> dict:
    return {"names": _RANK_NAMES, "ranks": _RANK_VALUES, "unknown": KIND_RANK["unknown"],
            "mirror": KIND_RANK["mirror"], "full": rules.FULL_COPY_RATIO, **kw}


async def plan(conn: psycopg.AsyncConnection, items: Sequence[Placing]) -> Plan:
    """Decide where a batch goes, under the placement lock (reads only: one round trip, two when
    there are copies to confirm).  Every placement has its story id, and every item an article
    id (allocated for rows not written yet); then the caller, in one pipeline, calls
    :func:`write`, writes its rows with those ids, and calls :func:`finish`."""
    _check_transaction(conn)
    if not items:
        return Plan(items, [], [])
    labels = _Labels()
    unmade: list[int] = []
    reused: set[int] = set()

    def new_label(i: int, item: Placing, others: int, decisions: list[_Decision]) -> int:
        previous = item.previous
        if previous is not None and previous not in reused and labels.find(previous) == previous:
            for j, d in enumerate(decisions):  # the batch's earlier moves in and out of that story
                here = labels.find(d.label) == previous
                if items[j].previous == previous and not here:
                    others -= 1
                elif here and items[j].previous != previous:
                    others += 1
            if others <= 0:  # alone in its story before and after: it keeps the id consumers know
                reused.add(previous)
                return previous
        unmade.append(_UNMADE + len(unmade))
        return unmade[-1]

    decisions, fresh_ids, story_ids = await _decide(conn, items, labels, new_label, new_ids=True)
    allocated = iter(fresh_ids)
    article_ids = [item.article_id if item.article_id is not None else next(allocated) for item in items]
    roots = {labels.find(d.label) for d in decisions}
    made = sorted(label for label in roots if label >= _UNMADE)
    real = dict(zip(made, story_ids))  # in creation order, as the ids were drawn
    merged = sorted(label for label in labels.parent if label < _UNMADE and labels.find(label) != label)
    if merged:
        logger.info("stories merged by bridging copies: %s", {m: labels.find(m) for m in merged})

    def story(label: int) -> int:
        root = labels.find(label)
        return real.get(root, root)

    placements = []
    members: dict[int, list[int]] = defaultdict(list)
    for item, d, article_id in zip(items, decisions, article_ids, strict=True):
        sid = story(d.label)
        members[sid].append(article_id)
        placements.append(Placement(
            story_id=sid, outcome=d.outcome, created=d.outcome == "new_story" and labels.find(d.label) in real,
            previous_story_id=item.previous, rule=d.rule,
            merged=tuple(sorted(m for m in merged if labels.find(m) == labels.find(d.label) and m in d.bridged))))
    new = sorted(real.values())
    sole = {sid: members[sid][0] for sid in new if len(members[sid]) == 1}
    left = [(p.previous_story_id, p.story_id) for p in placements
            if p.previous_story_id is not None and p.previous_story_id != p.story_id and p.previous_story_id not in merged]
    touched = (set(members) - set(sole)) | {f for f, _ in left}
    return Plan(items, placements, article_ids, new, [(m, story(m)) for m in merged], sole, touched, left)


async def write(conn: psycopg.AsyncConnection, planned: Plan) -> None:
    """The stories the rows will point at: new stories made, bridged stories merged (their
    copies moved, their ids redirected).  Before the caller writes its rows, in its pipeline."""
    if planned.new_stories:
        await conn.execute(_NEW_STORIES, (bigint_array(planned.new_stories),))
    if planned.merges:
        await conn.execute(_MERGE, {"from": bigint_array([f for f, _ in planned.merges]),
                                    "to": bigint_array([t for _, t in planned.merges]), "reason": "merged"})


async def finish(conn: psycopg.AsyncConnection, planned: Plan) -> None:
    """After the caller wrote its rows with their story ids (same pipeline): the articles' keys,
    a redirect for each story its last copy left, the canonical copy of every story touched."""
    items = planned.items
    if not items:
        return
    rewritten = [aid for aid, item in zip(planned.article_ids, items, strict=True) if item.article_id is not None]
    if rewritten:
        await conn.execute("DELETE FROM article_passages WHERE article_id = ANY(%s::bigint[])", (bigint_array(rewritten),))
    keys = [item.sketch.keys for item in items]
    owners = np.repeat(np.asarray(planned.article_ids, dtype=np.int64), [len(k) for k in keys])
    await conn.execute(_INSERT_KEYS, (bigint_array([k for ks in keys for k in ks]), bigint_array(owners)))
    if planned.left:  # a story that is gone by now is skipped by the canonical choice below
        await conn.execute(_EMPTIED, {"from": bigint_array([f for f, _ in planned.left]),
                                      "to": bigint_array([t for _, t in planned.left])})
    if planned.sole:
        await conn.execute(_SOLE_CANONICAL, (bigint_array(list(planned.sole)), bigint_array(list(planned.sole.values()))))
    if planned.touched:
        await conn.execute(_CANONICAL, _rule_params(stories=bigint_array(sorted(planned.touched))))


async def choose_canonical(conn: psycopg.AsyncConnection, story_ids: Sequence[int]) -> list[int]:
    """Choose the canonical copy of stories again (e.g. after a copy's dates changed); returns
    the ids of the stories whose canonical copy changed."""
    cur = await conn.execute(_CANONICAL, _rule_params(stories=bigint_array(sorted(story_ids))))
    return [r[0] for r in await cur.fetchall()]


async def place(conn: psycopg.AsyncConnection, article_id: int) -> Placement:
    """(Re)place one stored article — the store's path for one row (:func:`plan`, its story id
    written, :func:`finish`).  Takes the placement lock."""
    await lock(conn)
    row = await (await conn.execute("SELECT title, body, content_hash, story_id FROM articles WHERE id = %s",
                                    (article_id,))).fetchone()
    if row is None:
        raise LookupError(f"no article with id {article_id}")
    title, body, content_hash, previous = row
    item = Placing(title, body, content_hash, article_id=article_id, previous=previous)
    planned = await plan(conn, [item])
    placement = planned.placements[0]
    async with conn.pipeline():
        await write(conn, planned)
        await conn.execute("UPDATE articles SET story_id = %s, content_chars = %s WHERE id = %s "
                           "AND (story_id, content_chars) IS DISTINCT FROM (%s, %s)",
                           (placement.story_id, item.sketch.size, article_id, placement.story_id, item.sketch.size))
        await finish(conn, planned)
    return placement


# --- re-placement of the whole archive ----------------------------------------------------


@dataclass(frozen=True)
class ReplaceReport:
    articles: int
    stories_before: int
    stories_after: int
    stories_merged: int  # story ids that now redirect to another story
    stories_created: int  # stories made for copies that left their story
    articles_moved: int  # articles whose story id changed
    canonicals_changed: int  # stories kept whose canonical copy changed


class _Groups(_Labels):
    """Labels of re-placement: each group is named by its first article's id."""

    def __init__(self) -> None:
        super().__init__()
        self.article: dict[int, int] = {}

    def of(self, article_id: int, story_id: int | None) -> int | None:
        label = self.article.get(article_id)
        return None if label is None else self.find(label)


async def replace_all(conn: psycopg.AsyncConnection, chunk: int = REPLACE_CHUNK,
                      progress: Callable[[int], None] | None = None) -> ReplaceReport:
    """Re-run placement over every stored article with the current rules, in article-id order,
    in the caller's transaction and under the placement lock (crawls wait for it).

    The decisions are those of placing the articles again one after the other; then every
    resulting group keeps the story id most of its copies had (a group whose copies all shared
    one story keeps it), a group left with none gets a new story, and a story no group kept is
    redirected (reason ``merged``) to the group that now holds its canonical copy.  Running it
    twice changes nothing the second time.
    """
    await lock(conn)
    before = dict(await (await conn.execute("SELECT id, story_id FROM articles ORDER BY id")).fetchall())
    canonical_before = dict(await (await conn.execute("SELECT id, canonical_article_id FROM stories")).fetchall())
    await conn.execute("TRUNCATE article_passages")
    groups = _Groups()
    last = 0
    while True:
        rows = await (await conn.execute(
            "SELECT id, title, body, content_hash FROM articles WHERE id > %s ORDER BY id LIMIT %s",
            (last, chunk))).fetchall()
        if not rows:
            break
        items = [Placing(title, body, content_hash, article_id=aid) for aid, title, body, content_hash in rows]
        decisions, _, _ = await _decide(conn, items, groups, lambda i, item, others, done: item.article_id,
                                        placed_below=rows[0][0])
        for item, d in zip(items, decisions, strict=True):
            groups.article[item.article_id] = d.label
        keys = [item.sketch.keys for item in items]
        ids = [item.article_id for item in items]
        async with conn.pipeline():
            await conn.execute(_INSERT_KEYS, (bigint_array([k for ks in keys for k in ks]),
                                              bigint_array(np.repeat(np.asarray(ids, np.int64), [len(k) for k in keys]))))
            await conn.execute(
                "UPDATE articles a SET content_chars = v.chars FROM unnest(%s::bigint[], %s::int[]) AS v(id, chars) "
                "WHERE a.id = v.id AND a.content_chars IS DISTINCT FROM v.chars",
                (bigint_array(ids), bigint_array([item.sketch.size for item in items])))
        last = rows[-1][0]
        if progress:
            progress(len(groups.article))

    # every group keeps the story most of its copies had, unless a group before it took that one
    members: dict[int, list[int]] = defaultdict(list)
    for article_id in sorted(groups.article):
        members[groups.of(article_id, None)].append(article_id)
    assigned: dict[int, int | None] = {}
    taken: set[int] = set()
    for group, arts in sorted(members.items(), key=lambda kv: kv[1][0]):
        votes = Counter(before[a] for a in arts if before[a] in canonical_before and before[a] not in taken)
        keep = min(votes, key=lambda s: (-votes[s], s)) if votes else None
        assigned[group] = keep
        if keep is not None:
            taken.add(keep)
    fresh = [g for g, s in assigned.items() if s is None]
    if fresh:
        ids = sorted(r[0] for r in await (await conn.execute(_NEW_STORY_IDS, (len(fresh),))).fetchall())
        await conn.execute(_NEW_STORIES, (bigint_array(ids),))
        assigned.update(zip(fresh, ids, strict=True))
    after = {a: assigned[groups.of(a, None)] for a in groups.article}
    moved = [a for a in after if after[a] != before[a]]
    if moved:
        await conn.execute("UPDATE articles a SET story_id = v.story FROM unnest(%s::bigint[], %s::bigint[]) "
                           "AS v(id, story) WHERE a.id = v.id", (bigint_array(moved), bigint_array([after[a] for a in moved])))
    dropped = sorted(set(canonical_before) - taken)
    if dropped:
        def heir(story: int) -> int:  # the story that now holds its canonical copy (or one of its copies)
            canonical = canonical_before.get(story)
            if canonical in after:
                return after[canonical]
            return after[min(a for a, s in before.items() if s == story)]

        await conn.execute(_MERGE, {"from": bigint_array(dropped), "to": bigint_array([heir(s) for s in dropped]),
                                    "reason": "merged"})
    live = sorted(set(assigned.values()))
    changed = set(await choose_canonical(conn, live)) if live else set()
    return ReplaceReport(
        articles=len(after), stories_before=len(canonical_before), stories_after=len(live),
        stories_merged=len(dropped), stories_created=len(fresh), articles_moved=len(moved),
        canonicals_changed=len(changed & taken))
