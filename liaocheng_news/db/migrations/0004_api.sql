-- liaocheng-news archive, schema version 4: the consumer API.
--
--   * the change feed: change_seq on articles and article_revisions, in commit order, with a
--     NOTIFY on channel liaocheng_news_changes after each committed write;
--   * Chinese search with no extension: character-pair keys in a GIN index (article_search);
--   * the schema `api` (version 1), the consumers' contract: views and functions only;
--   * the read-only group role liaocheng_news_reader (USAGE on api, nothing on the tables).
--
-- Consumers read only `api`; the tables in `public` are internal and may change.  `api` changes
-- only through migrations and only additively (new views, new columns at the end, new
-- functions); a breaking change creates `api_v2` beside `api`, which stays version 1.
-- See docs/consumers.md.  Never edit an applied migration; add a new numbered file instead.


-- == The change feed ==========================================================================
-- Every insert of an article, every write of a consumer-visible column of an article (a content
-- revision, a move to another story; not a last_seen touch), every flip of a story's canonical
-- copy (both copies), and every revision row takes the next value of archive_change_seq.
--
-- Why the numbers are in commit order: a number is taken only by a transaction that holds the
-- feed lock (advisory key 7311992015, transaction-level, so held until commit or rollback):
--   * inserts take it from the column default, after a statement trigger took the lock
--     (articles_feed_lock, article_revisions_feed_lock: before the statement's first row);
--   * updates of consumer-visible columns take it in a row trigger, after the same statement
--     trigger (articles_feed_update renumbers a row whose writer left change_seq as it was);
--   * canonical flips take it in the stories trigger, which takes the lock itself.
-- So a transaction that takes a number has waited for every transaction that took one before
-- it to end: whenever a reader sees change_seq N committed, it already sees every committed row
-- below N.  A consumer that remembers the highest change_seq it read and asks for
-- `change_seq > last` later never misses a row and never reads one twice.  The rule for writers:
-- never set change_seq yourself and never call nextval('archive_change_seq'); write the tables
-- and let the defaults and triggers number the rows (Archive.store does exactly that).  The
-- store holds its placement lock (7311992004) from its first statement; the feed lock comes
-- after it, so the two locks are always taken in that order.
--
-- Cost: a statement trigger that finds the lock taken does not run (its WHEN is false), and a
-- row insert pays only the default's nextval, so a batch pays for the lock once.

CREATE SEQUENCE archive_change_seq AS bigint CACHE 1;  -- CACHE 1: values in the order taken
COMMENT ON SEQUENCE archive_change_seq IS
    'change_seq of articles and article_revisions; taken only under the feed lock (see migration 0004)';

ALTER TABLE articles ADD COLUMN change_seq bigint;
ALTER TABLE article_revisions ADD COLUMN change_seq bigint;

-- The first number this transaction can take (set when it takes the feed lock, kept in a
-- transaction-local setting): every number at or above it was taken by this transaction.
CREATE FUNCTION archive_feed_first() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    AS $$ SELECT nullif(current_setting('liaocheng_news.feed_first', true), '')::bigint $$;

CREATE FUNCTION archive_feed_begin() RETURNS void
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
    last bigint;
    called boolean;
BEGIN
    PERFORM pg_advisory_xact_lock(7311992015);  -- the feed lock: held until commit
    IF archive_feed_first() IS NULL THEN
        SELECT last_value, is_called INTO last, called FROM archive_change_seq;
        PERFORM set_config('liaocheng_news.feed_first', (CASE WHEN called THEN last + 1 ELSE last END)::text, true);
    END IF;
END
$$;
COMMENT ON FUNCTION archive_feed_begin() IS
    'Takes the feed lock (advisory key 7311992015, held until commit) and notes the first change_seq this transaction can take';

CREATE FUNCTION archive_feed_lock() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM archive_feed_begin();
    RETURN NULL;
END
$$;

-- A consumer-visible column changed and the writer left change_seq as it was: the next number.
CREATE FUNCTION archive_articles_renumber() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.change_seq := nextval('archive_change_seq');
    RETURN NEW;
END
$$;

-- A story's canonical copy changed: both copies' is_canonical changed, so both re-enter the feed
-- (a copy numbered by this transaction already keeps its number).
CREATE FUNCTION archive_stories_canonical() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    flipped bigint[];
BEGIN
    SELECT array_agg(x.id) INTO flipped
    FROM old_stories o JOIN new_stories n ON n.id = o.id
    CROSS JOIN LATERAL unnest(ARRAY[o.canonical_article_id, n.canonical_article_id]) AS x(id)
    WHERE o.canonical_article_id IS DISTINCT FROM n.canonical_article_id AND x.id IS NOT NULL;
    IF flipped IS NOT NULL THEN
        PERFORM archive_feed_begin();
        UPDATE articles SET change_seq = nextval('archive_change_seq')
        WHERE id = ANY (flipped) AND change_seq < archive_feed_first();
    END IF;
    RETURN NULL;
END
$$;

-- One notification per committed transaction that took numbers: a deferred trigger queued for
-- the row that took the transaction's first number sends, at commit, the last number taken
-- (the sequence's last value: nobody else can take one while this transaction holds the lock).
CREATE FUNCTION archive_feed_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('liaocheng_news_changes', (SELECT last_value FROM archive_change_seq)::text);
    RETURN NULL;
END
$$;


-- == Chinese search, with no extension ==========================================================
-- Each article's text becomes a sorted array of integer keys in article_search.tokens (GIN):
--   * each pair of adjacent Han characters (CJK unified ideographs U+4E00–U+9FFF, extension A
--     U+3400–U+4DBF, compatibility U+F900–U+FAFF): han(a) * 32768 + han(b), where han(c) is
--     c - 0x3400, or c - 0xF900 + 0x6C00 for the compatibility ideographs (all below 32768);
--   * each ASCII word (a run of letters and digits, full-width ones as ASCII, lower-cased, at
--     most 64 characters): 939524096 (0x38000000) plus the low 27 bits of the first four bytes
--     of its MD5;
--   * the keys of the headline (title, a space, subtitle; first 1000 characters) a second time
--     plus 1073741824 (2^30), so the index finds headline matches.
-- The body counts up to its first 60000 characters.  A query matches an article whose keys hold
-- every key of the query; a one-character Han term is looked for in the text itself.
-- The store computes the same array in Python (liaocheng_news/db/search.py; a test holds the two
-- equal) and writes the row with the article; a trigger fills it for any other writer.
--
-- The document lives in its own narrow table, written only when the text (or the publication
-- time) changes: touches, story moves and canonical flips rewrite the article row but never the
-- document or its index entries.  The keys are stored out of line (TOAST), so the table's own
-- rows are small and a search that orders many matches by time reads few pages.

CREATE SCHEMA api;
COMMENT ON SCHEMA api IS
    'liaocheng-news consumer API, version 1: views and functions over the archive. Changes only '
    'through migrations and only additively; a breaking change creates api_v2 beside api. '
    'See docs/consumers.md.';

CREATE FUNCTION api.version() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 1 $$;
COMMENT ON FUNCTION api.version() IS 'The version of this api schema (1); a breaking change makes api_v2';

CREATE FUNCTION api.search_fold(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT translate(t, '０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚABCDEFGHIJKLMNOPQRSTUVWXYZ',
                        '0123456789abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz')
$$;
COMMENT ON FUNCTION api.search_fold(text) IS
    'Full-width letters and digits as ASCII, ASCII letters lower-cased (keeps the length)';

CREATE FUNCTION api.search_keys(t text) RETURNS integer[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    WITH f AS (SELECT api.search_fold(t) AS t)
    SELECT ARRAY(
        SELECT DISTINCT k FROM (
            SELECT (CASE WHEN a >= 63744 THEN a - 36096 ELSE a - 13312 END) * 32768
                   + CASE WHEN b >= 63744 THEN b - 36096 ELSE b - 13312 END
            FROM f, regexp_matches(f.t, '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}', 'g') AS m,
                 generate_series(1, length(m[1]) - 1) AS i,
                 LATERAL (SELECT ascii(substr(m[1], i, 1)) AS a, ascii(substr(m[1], i + 1, 1)) AS b) AS c
            UNION ALL
            SELECT 939524096 | (('x' || left(md5(m[1]), 8))::bit(32)::integer & 134217727)
            FROM f, regexp_matches(f.t, '[a-z0-9]+', 'g') AS m
            WHERE length(m[1]) <= 64
        ) AS x(k)
        ORDER BY k)
$$;
COMMENT ON FUNCTION api.search_keys(text) IS
    'The search keys of a text, sorted: Han character pairs and ASCII words (see migration 0004); '
    'a query matches an article whose document (api.search_document) holds all of its keys';

CREATE FUNCTION api.search_document(title text, subtitle text, body text) RETURNS integer[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    WITH h AS (SELECT api.search_keys(left(coalesce(title, '') || ' ' || coalesce(subtitle, ''), 1000)) AS k)
    SELECT ARRAY(SELECT DISTINCT x FROM (
        SELECT unnest(h.k) FROM h
        UNION ALL SELECT unnest(h.k) + 1073741824 FROM h
        UNION ALL SELECT unnest(api.search_keys(left(coalesce(body, ''), 60000)))) AS d(x)
        ORDER BY x)
$$;
COMMENT ON FUNCTION api.search_document(text, text, text) IS
    'The search document of an article: the keys of its headline and body, and the headline''s keys '
    'again plus 2^30 (headline matches); sorted';

CREATE TABLE article_search (
    article_id   bigint PRIMARY KEY,  -- articles.id (no foreign key: a trigger removes the row with the article)
    published_at timestamptz,         -- the article's, for the newest-first order of search
    tokens       integer[] NOT NULL   -- api.search_document(title, subtitle, body)
) WITH (toast_tuple_target = 128);
ALTER TABLE article_search ALTER COLUMN tokens SET STORAGE EXTERNAL;  -- out of line, not compressed
COMMENT ON TABLE article_search IS
    'The search document of each article (migration 0004): written with the article''s text, by the store '
    '(liaocheng_news/db/search.py) or the trigger articles_search_*';

-- A writer other than the store (which writes the documents itself and says so with the setting
-- liaocheng_news.search_by_store): the document made in SQL.
CREATE FUNCTION archive_search_fill() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO article_search (article_id, published_at, tokens)
    VALUES (NEW.id, NEW.published_at, api.search_document(NEW.title, NEW.subtitle, NEW.body))
    ON CONFLICT (article_id) DO UPDATE SET published_at = EXCLUDED.published_at, tokens = EXCLUDED.tokens;
    RETURN NULL;
END
$$;

CREATE FUNCTION archive_search_drop() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM article_search WHERE article_id = OLD.id;
    RETURN NULL;
END
$$;


-- == Filling the new columns of an existing archive ==============================================
-- Existing rows are numbered in the order they changed: a revision row when it was superseded,
-- an article at its last change (a revision before the article version that replaced it).
CREATE TEMPORARY TABLE archive_feed_backfill ON COMMIT DROP AS
SELECT kind, id, row_number() OVER (ORDER BY at, kind, id) AS seq
FROM (SELECT 0 AS kind, id, superseded_at AS at FROM article_revisions
      UNION ALL
      SELECT 1, id, last_changed FROM articles) AS x;

UPDATE article_revisions r SET change_seq = b.seq
FROM archive_feed_backfill b WHERE b.kind = 0 AND b.id = r.id;
UPDATE articles a SET change_seq = b.seq
FROM archive_feed_backfill b WHERE b.kind = 1 AND b.id = a.id;
SELECT setval('archive_change_seq', greatest((SELECT max(seq) FROM archive_feed_backfill), 1),
              (SELECT count(*) FROM archive_feed_backfill) > 0);
INSERT INTO article_search (article_id, published_at, tokens)
SELECT id, published_at, api.search_document(title, subtitle, body) FROM articles;

ALTER TABLE articles ALTER COLUMN change_seq SET DEFAULT nextval('archive_change_seq'),
                     ALTER COLUMN change_seq SET NOT NULL;
ALTER TABLE article_revisions ALTER COLUMN change_seq SET DEFAULT nextval('archive_change_seq'),
                              ALTER COLUMN change_seq SET NOT NULL;
CREATE UNIQUE INDEX articles_change_seq ON articles (change_seq);
CREATE UNIQUE INDEX article_revisions_change_seq ON article_revisions (change_seq);
CREATE INDEX article_search_tokens ON article_search USING gin (tokens);
CREATE INDEX article_search_recent ON article_search (published_at DESC NULLS LAST, article_id DESC);

-- the consumer-visible columns of articles (all but last_seen, content_chars and change_seq)
CREATE TRIGGER articles_feed_lock
    BEFORE INSERT OR UPDATE OF url, portal, channel, title, subtitle, published_at, source, authors, editor, reviewer,
                               body, images, edition, page_no, page_name, extraction, template, normalisation,
                               content_hash, story_id, revision, first_seen, last_changed, crawl_run_id
    ON articles FOR EACH STATEMENT WHEN (archive_feed_first() IS NULL) EXECUTE FUNCTION archive_feed_lock();
CREATE TRIGGER articles_feed_update
    BEFORE UPDATE OF url, portal, channel, title, subtitle, published_at, source, authors, editor, reviewer,
                     body, images, edition, page_no, page_name, extraction, template, normalisation,
                     content_hash, story_id, revision, first_seen, last_changed, crawl_run_id
    ON articles FOR EACH ROW WHEN (NEW.change_seq = OLD.change_seq) EXECUTE FUNCTION archive_articles_renumber();
CREATE TRIGGER article_revisions_feed_lock BEFORE INSERT ON article_revisions
    FOR EACH STATEMENT WHEN (archive_feed_first() IS NULL) EXECUTE FUNCTION archive_feed_lock();
CREATE TRIGGER stories_feed_canonical AFTER UPDATE ON stories
    REFERENCING OLD TABLE AS old_stories NEW TABLE AS new_stories
    FOR EACH STATEMENT EXECUTE FUNCTION archive_stories_canonical();
CREATE CONSTRAINT TRIGGER articles_feed_notify AFTER INSERT OR UPDATE ON articles
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.change_seq = archive_feed_first())
    EXECUTE FUNCTION archive_feed_notify();
CREATE CONSTRAINT TRIGGER article_revisions_feed_notify AFTER INSERT ON article_revisions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.change_seq = archive_feed_first())
    EXECUTE FUNCTION archive_feed_notify();

CREATE TRIGGER articles_search_insert AFTER INSERT ON articles
    FOR EACH ROW WHEN (coalesce(current_setting('liaocheng_news.search_by_store', true), '') <> 'on')
    EXECUTE FUNCTION archive_search_fill();
CREATE TRIGGER articles_search_update AFTER UPDATE OF title, subtitle, body, published_at ON articles
    FOR EACH ROW WHEN (coalesce(current_setting('liaocheng_news.search_by_store', true), '') <> 'on'
                       AND (OLD.title, OLD.subtitle, OLD.body, OLD.published_at)
                           IS DISTINCT FROM (NEW.title, NEW.subtitle, NEW.body, NEW.published_at))
    EXECUTE FUNCTION archive_search_fill();
CREATE TRIGGER articles_search_delete AFTER DELETE ON articles
    FOR EACH ROW EXECUTE FUNCTION archive_search_drop();


-- == The api views ==================================================================================

CREATE VIEW api.articles AS
SELECT a.id, a.url, a.portal, a.channel, a.title, a.subtitle, a.published_at, a.source, a.authors,
       a.editor, a.reviewer, a.body, a.images, a.edition, a.page_no, a.page_name, a.extraction, a.template,
       a.normalisation, a.content_hash, a.story_id,
       coalesce(s.canonical_article_id = a.id, false) AS is_canonical,
       a.revision, a.first_seen, a.last_seen, a.last_changed, a.crawl_run_id, a.change_seq
FROM articles a
LEFT JOIN stories s ON s.id = a.story_id;

COMMENT ON VIEW api.articles IS
    'One row per archived URL (every copy of a story keeps its own row). Read changes in order with '
    'change_seq > last ORDER BY change_seq; see docs/consumers.md.';
COMMENT ON COLUMN api.articles.id IS 'Article id (stable)';
COMMENT ON COLUMN api.articles.url IS 'Canonical URL, unique (file:// for imported dumps that name no URL)';
COMMENT ON COLUMN api.articles.portal IS 'The portal the copy comes from (lcxw, yybnet, lcrb, achie, liaocheng_gov, dzwww_liaocheng, lcxw_app, mirror, unknown, …)';
COMMENT ON COLUMN api.articles.channel IS 'The portal''s section or county channel (今日临清, 要闻 …)';
COMMENT ON COLUMN api.articles.title IS 'Headline, normalised Simplified Chinese';
COMMENT ON COLUMN api.articles.subtitle IS 'Sub-headline, normalised Simplified Chinese';
COMMENT ON COLUMN api.articles.published_at IS 'Publication time (portals publish in Asia/Shanghai); NULL when the page gives none';
COMMENT ON COLUMN api.articles.source IS '来源: the outlet the piece comes from';
COMMENT ON COLUMN api.articles.authors IS 'Reporters and correspondents (记者, 通讯员, 作者)';
COMMENT ON COLUMN api.articles.editor IS '编辑 / 责任编辑 (dzwww: 初审编辑)';
COMMENT ON COLUMN api.articles.reviewer IS '审核 (dzwww: 责任编辑)';
COMMENT ON COLUMN api.articles.body IS 'Normalised Simplified body, one paragraph a line';
COMMENT ON COLUMN api.articles.images IS 'JSON array of {"url": …, "caption": …}';
COMMENT ON COLUMN api.articles.edition IS 'Print pieces: 聊城日报 or 聊城晚报';
COMMENT ON COLUMN api.articles.page_no IS 'Print pieces: page number';
COMMENT ON COLUMN api.articles.page_name IS 'Print pieces: page name';
COMMENT ON COLUMN api.articles.extraction IS 'How the text was read: portal (the portal''s parser), fallback (generic extractor), import (text dump)';
COMMENT ON COLUMN api.articles.template IS 'The template that read the page: <portal>/<version>, generic (the page reader), NULL (imports, older rows)';
COMMENT ON COLUMN api.articles.normalisation IS 'JSON object: what the normaliser repaired (counts; all zero for a clean original)';
COMMENT ON COLUMN api.articles.content_hash IS 'sha256 of the body without punctuation and whitespace (identical bodies share it)';
COMMENT ON COLUMN api.articles.story_id IS 'The story this copy belongs to (api.stories.id); an article moved to another story re-enters the feed';
COMMENT ON COLUMN api.articles.is_canonical IS 'This copy is its story''s canonical copy; a change re-enters both copies in the feed';
COMMENT ON COLUMN api.articles.revision IS '1, then +1 each time a re-crawl found changed content (earlier versions: api.revisions)';
COMMENT ON COLUMN api.articles.first_seen IS 'When the URL was first fetched';
COMMENT ON COLUMN api.articles.last_seen IS 'When the URL was last fetched (a fetch that finds no change moves only this; it does not enter the feed)';
COMMENT ON COLUMN api.articles.last_changed IS 'When the content last changed (first stored, or revised)';
COMMENT ON COLUMN api.articles.crawl_run_id IS 'The crawl run that last wrote the content (api.crawl_runs.id)';
COMMENT ON COLUMN api.articles.change_seq IS 'Position in the change feed, unique across api.articles and api.revisions; rises each time the row changes, in commit order';

CREATE VIEW api.revisions AS
SELECT r.id, r.article_id, a.url, a.portal, r.revision, r.title, r.subtitle, r.published_at, r.source, r.authors,
       r.editor, r.reviewer, r.body, r.images, r.content_hash, r.valid_from, r.superseded_at, r.change_seq
FROM article_revisions r
JOIN articles a ON a.id = r.article_id;

COMMENT ON VIEW api.revisions IS
    'Earlier versions of articles, one row per superseded version; in the change feed with their own change_seq';
COMMENT ON COLUMN api.revisions.id IS 'Revision row id';
COMMENT ON COLUMN api.revisions.article_id IS 'The article (api.articles.id) this was a version of';
COMMENT ON COLUMN api.revisions.url IS 'The article''s URL';
COMMENT ON COLUMN api.revisions.portal IS 'The article''s portal';
COMMENT ON COLUMN api.revisions.revision IS 'Which version this was (the article''s revision number then)';
COMMENT ON COLUMN api.revisions.title IS 'Headline of this version';
COMMENT ON COLUMN api.revisions.subtitle IS 'Sub-headline of this version';
COMMENT ON COLUMN api.revisions.published_at IS 'Publication time this version gave';
COMMENT ON COLUMN api.revisions.source IS '来源 of this version';
COMMENT ON COLUMN api.revisions.authors IS 'Reporters of this version';
COMMENT ON COLUMN api.revisions.editor IS 'Editor of this version';
COMMENT ON COLUMN api.revisions.reviewer IS 'Reviewer of this version';
COMMENT ON COLUMN api.revisions.body IS 'Body of this version, one paragraph a line';
COMMENT ON COLUMN api.revisions.images IS 'Images of this version (JSON array of {"url", "caption"})';
COMMENT ON COLUMN api.revisions.content_hash IS 'content_hash of this version''s body';
COMMENT ON COLUMN api.revisions.valid_from IS 'When this version was first seen';
COMMENT ON COLUMN api.revisions.superseded_at IS 'When the next version replaced it';
COMMENT ON COLUMN api.revisions.change_seq IS 'Position in the change feed (below the change_seq the article took with the version that replaced this one)';

-- Every story id ever handed out, with the live story it resolves to: a live story itself, a story
-- that was merged or emptied through its redirect (migration 0002 keeps redirects one step long).
CREATE VIEW api.story_ids AS
SELECT s.id, s.id AS story_id
FROM stories s
UNION ALL
SELECT r.from_id, r.to_id
FROM story_redirects r;

COMMENT ON VIEW api.story_ids IS
    'Every story id a consumer may hold, with the live story (api.stories.id) it resolves to: a merged or emptied story resolves to the story its copies went to';
COMMENT ON COLUMN api.story_ids.id IS 'A story id, live or not';
COMMENT ON COLUMN api.story_ids.story_id IS 'The live story it resolves to';

CREATE VIEW api.stories AS
SELECT s.id, s.canonical_article_id, c.copies, c.portals, c.first_seen, c.last_seen, c.first_published_at,
       s.created_at, s.updated_at
FROM stories s
CROSS JOIN LATERAL (
    SELECT count(*) AS copies, array_agg(DISTINCT a.portal ORDER BY a.portal) AS portals,
           min(a.first_seen) AS first_seen, max(a.last_seen) AS last_seen,
           min(a.published_at) AS first_published_at
    FROM articles a WHERE a.story_id = s.id) AS c;

COMMENT ON VIEW api.stories IS
    'Live stories: copies of one news item across portals. A story id you hold that is not here resolves through api.story_ids';
COMMENT ON COLUMN api.stories.id IS 'Story id';
COMMENT ON COLUMN api.stories.canonical_article_id IS 'The canonical copy (api.articles.id): origin portal over e-paper over aggregator over mirror, then earliest published';
COMMENT ON COLUMN api.stories.copies IS 'Number of copies (articles) in the story';
COMMENT ON COLUMN api.stories.portals IS 'The portals that carry a copy, sorted';
COMMENT ON COLUMN api.stories.first_seen IS 'When the first copy was first fetched';
COMMENT ON COLUMN api.stories.last_seen IS 'When a copy was last fetched';
COMMENT ON COLUMN api.stories.first_published_at IS 'The earliest publication time among the copies (NULL when none is dated)';
COMMENT ON COLUMN api.stories.created_at IS 'When the story was made';
COMMENT ON COLUMN api.stories.updated_at IS 'When a copy last joined or left, or the canonical copy was chosen again';

CREATE VIEW api.crawl_runs AS
SELECT r.id, r.spider, r.started_at, r.finished_at, r.status, r.host, r.job_id, r.stats
FROM crawl_runs r;

COMMENT ON VIEW api.crawl_runs IS 'Crawl runs (and imports): what ran when, how it ended, what it counted';
COMMENT ON COLUMN api.crawl_runs.id IS 'Run id (api.articles.crawl_run_id)';
COMMENT ON COLUMN api.crawl_runs.spider IS 'The portal crawled (spider name), or import';
COMMENT ON COLUMN api.crawl_runs.started_at IS 'When the run started';
COMMENT ON COLUMN api.crawl_runs.finished_at IS 'When it ended; NULL while running (or if its process died)';
COMMENT ON COLUMN api.crawl_runs.status IS 'running, finished, or the crawl''s close reason';
COMMENT ON COLUMN api.crawl_runs.host IS 'Host name of the machine that ran it';
COMMENT ON COLUMN api.crawl_runs.job_id IS 'scrapyd job id when run under scrapyd';
COMMENT ON COLUMN api.crawl_runs.stats IS 'JSON object of the run''s counters (items_stored, items_revised, items_dropped/<reason>, dedupe/…; see README)';

-- The portals present in the archive (a loose index scan over articles_portal_published, then per
-- portal an index-only count and the newest publication time), with the portal's latest run.
CREATE VIEW api.portals AS
WITH RECURSIVE p(portal) AS (
    SELECT min(portal) FROM articles
    UNION ALL
    SELECT (SELECT min(a.portal) FROM articles a WHERE a.portal > p.portal) FROM p WHERE p.portal IS NOT NULL
)
SELECT p.portal, n.articles, n.latest_published_at, r.id AS last_run_id, r.status AS last_run_status,
       r.started_at AS last_run_started_at, r.finished_at AS last_run_finished_at
FROM p
CROSS JOIN LATERAL (SELECT count(*) AS articles, max(a.published_at) AS latest_published_at
                    FROM articles a WHERE a.portal = p.portal) AS n
LEFT JOIN LATERAL (SELECT c.id, c.status, c.started_at, c.finished_at FROM crawl_runs c
                   WHERE c.spider = p.portal ORDER BY c.started_at DESC LIMIT 1) AS r ON true
WHERE p.portal IS NOT NULL;

COMMENT ON VIEW api.portals IS 'The portals the archive holds articles from, with counts and their latest crawl run';
COMMENT ON COLUMN api.portals.portal IS 'Portal name (api.articles.portal)';
COMMENT ON COLUMN api.portals.articles IS 'Number of archived articles from the portal';
COMMENT ON COLUMN api.portals.latest_published_at IS 'The newest publication time among them';
COMMENT ON COLUMN api.portals.last_run_id IS 'The portal''s latest crawl run (api.crawl_runs.id), NULL when none';
COMMENT ON COLUMN api.portals.last_run_status IS 'Its status';
COMMENT ON COLUMN api.portals.last_run_started_at IS 'When it started';
COMMENT ON COLUMN api.portals.last_run_finished_at IS 'When it ended (NULL while running)';


-- == Search ============================================================================================

CREATE FUNCTION api.search_terms(query text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT ARRAY(SELECT DISTINCT m[1] FROM regexp_matches(api.search_fold(query),
                     '[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]+|[a-z0-9]+', 'g') AS m
                 ORDER BY 1)
$$;
COMMENT ON FUNCTION api.search_terms(text) IS
    'The terms of a query as typed: runs of Han characters and ASCII words, folded (api.search_fold)';

-- A window of the body around the first place a query term occurs, terms marked «…».  Where a
-- term first occurs in the folded body is found without folding the body (translate takes ~2 ms
-- on an article): a Han term as it is; an ASCII term as a pattern where each letter or digit is
-- any character that folds to it, and the first occurrence of what it matched first is where it
-- matched.
CREATE FUNCTION api.search_snippet(body text, query text, width integer DEFAULT 80) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
    text_ text := coalesce(body, '');
    terms text[] := api.search_terms(coalesce(query, ''));
    hit integer := 0;
    at integer;
    term text;
    start integer;
    piece text;
BEGIN
    FOREACH term IN ARRAY terms LOOP
        IF term ~ '[a-z0-9]' THEN
            at := coalesce(strpos(text_, (regexp_match(text_, (
                      SELECT string_agg(CASE WHEN c ~ '[a-z]' THEN '[' || c || upper(c) || chr(ascii(c) + 65248)
                                                                   || chr(ascii(upper(c)) + 65248) || ']'
                                             ELSE '[' || c || chr(ascii(c) + 65248) || ']' END, '' ORDER BY i)
                      FROM unnest(string_to_array(term, NULL)) WITH ORDINALITY AS x(c, i))))[1]), 0);
        ELSE
            at := strpos(text_, term);
        END IF;
        IF at > 0 AND (hit = 0 OR at < hit) THEN
            hit := at;
        END IF;
    END LOOP;
    start := greatest(1, hit - width / 3);
    piece := substr(coalesce(body, ''), start, width);
    IF cardinality(terms) > 0 THEN  -- longest first, so a term inside another is not marked alone
        piece := regexp_replace(piece, '(' || (SELECT string_agg(t, '|' ORDER BY length(t) DESC, t) FROM unnest(terms) AS t)
                                || ')', E'«\\1»', 'gi');
    END IF;
    piece := regexp_replace(piece, E'\\s*\\n\\s*', ' ', 'g');
    RETURN CASE WHEN start > 1 THEN '…' ELSE '' END || piece
        || CASE WHEN start + width <= length(coalesce(body, '')) THEN '…' ELSE '' END;
END
$$;
COMMENT ON FUNCTION api.search_snippet(text, text, integer) IS
    'About width characters of the body around the first occurrence of a query term, terms marked «…»';

-- Of candidate ids in their order: the canonical copies, not in skip, holding every one-character
-- term (lone) in the headline (or anywhere), at most lim.
CREATE FUNCTION archive_search_keep(ids bigint[], lone text[], headline boolean, skip bigint[], lim integer)
    RETURNS bigint[]
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(array_agg(x.id ORDER BY x.i), '{}') FROM (
        SELECT o.id, o.i FROM unnest(ids) WITH ORDINALITY AS o(id, i)
        JOIN articles a ON a.id = o.id
        JOIN stories s ON s.id = a.story_id AND s.canonical_article_id = a.id
        WHERE o.id <> ALL (skip)
          AND NOT EXISTS (SELECT 1 FROM unnest(lone) AS c(ch)
                          WHERE strpos(left(coalesce(a.title, '') || ' ' || coalesce(a.subtitle, ''), 1000), c.ch) = 0
                            AND (headline OR strpos(left(coalesce(a.body, ''), 60000), c.ch) = 0))
        ORDER BY o.i LIMIT lim) AS x
$$;

-- One tier of a search: ids of canonical copies whose document holds every key (and whose text
-- every one-character term), newest first (published_at, NULLs last, then id), none of skip, at
-- most lim.  Two ways to the same answer:
--   walk:  read the newest rows in order and test each document (~10 us a row: it is read);
--   index: every match from the GIN index, ordered by time (~1 us a match: a narrow row).
-- The newest PROBE rows are always tested: a common query is answered there.  Otherwise the share
-- d of matches among them says which way is cheaper for the rest: walking on needs about
-- want / d rows, the index about d x total matches (WALK_COST: a walked row costs that many index
-- matches).  A walk that ends short goes to the index.  Keys empty (one-character terms only):
-- there is nothing to look up, every row is tested, newest first, in growing windows.
CREATE FUNCTION archive_search_tier(keys integer[], lone text[], headline boolean, skip bigint[], lim integer)
    RETURNS bigint[]
    LANGUAGE plpgsql STABLE
    SET enable_seqscan = off
    AS $$
DECLARE
    probe constant integer := 256;
    walk_cost constant float8 := 12;
    hits bigint[];
    seen integer;
    found bigint[];
    total float8;
    density float8;
    want integer;
    w integer;
    walked integer := 0;
BEGIN
    IF cardinality(keys) = 0 THEN
        found := '{}';
        w := probe;
        LOOP
            SELECT coalesce(array_agg(x.article_id ORDER BY x.published_at DESC NULLS LAST, x.article_id DESC), '{}'), count(*)
            INTO hits, seen
            FROM (SELECT s.article_id, s.published_at FROM article_search s
                  ORDER BY s.published_at DESC NULLS LAST, s.article_id DESC OFFSET walked LIMIT w) AS x;
            found := found || archive_search_keep(hits, lone, headline, skip, lim - cardinality(found));
            EXIT WHEN cardinality(found) >= lim OR seen < w;
            walked := walked + w;
            w := w * 4;
        END LOOP;
        RETURN found;
    END IF;

    SELECT coalesce(array_agg(x.article_id ORDER BY x.published_at DESC NULLS LAST, x.article_id DESC)
                    FILTER (WHERE x.tokens @> keys), '{}'), count(*)
    INTO hits, seen
    FROM (SELECT s.article_id, s.published_at, s.tokens FROM article_search s
          ORDER BY s.published_at DESC NULLS LAST, s.article_id DESC LIMIT probe) AS x;
    found := archive_search_keep(hits, lone, headline, skip, lim);
    IF cardinality(found) >= lim OR seen < probe THEN
        RETURN found;
    END IF;

    want := lim - cardinality(found);
    density := (cardinality(hits) + 0.5) / probe;
    SELECT greatest(reltuples, probe) INTO total FROM pg_class WHERE oid = 'article_search'::regclass;
    IF want / density * walk_cost < density * total THEN
        w := ceil(3 * want / density)::integer;
        SELECT coalesce(array_agg(x.article_id ORDER BY x.published_at DESC NULLS LAST, x.article_id DESC)
                        FILTER (WHERE x.tokens @> keys), '{}'), count(*)
        INTO hits, seen
        FROM (SELECT s.article_id, s.published_at, s.tokens FROM article_search s
              ORDER BY s.published_at DESC NULLS LAST, s.article_id DESC OFFSET probe LIMIT w) AS x;
        found := found || archive_search_keep(hits, lone, headline, skip, want);
        IF cardinality(found) >= lim OR seen < w THEN
            RETURN found;
        END IF;
    END IF;

    w := 2 * lim + 16;
    LOOP
        WITH m AS MATERIALIZED (SELECT s.article_id, s.published_at FROM article_search s WHERE s.tokens @> keys)
        SELECT coalesce(array_agg(c.article_id ORDER BY c.published_at DESC NULLS LAST, c.article_id DESC), '{}')
        INTO hits
        FROM (SELECT article_id, published_at FROM m ORDER BY published_at DESC NULLS LAST, article_id DESC LIMIT w) AS c;
        found := archive_search_keep(hits, lone, headline, skip, lim);
        EXIT WHEN cardinality(found) >= lim OR cardinality(hits) < w;
        w := w * 8;
    END LOOP;
    RETURN found;
END
$$;

-- Headline matches (every term in the title or subtitle) first, newest first; then the other
-- matches, newest first.
CREATE FUNCTION api.search(query text, lim integer DEFAULT 20)
    RETURNS TABLE (article_id bigint, story_id bigint, url text, portal text, title text,
                   published_at timestamptz, rank real, snippet text, change_seq bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    keys integer[] := api.search_keys(coalesce(query, ''));
    lone text[] := ARRAY(SELECT t FROM unnest(api.search_terms(coalesce(query, ''))) AS t WHERE t !~ '[a-z0-9]' AND length(t) = 1);
    n integer := least(greatest(coalesce(lim, 20), 0), 1000);
    headline bigint[];
    rest bigint[] := '{}';
BEGIN
    IF n = 0 OR (cardinality(keys) = 0 AND cardinality(lone) = 0) THEN
        RETURN;
    END IF;
    headline := archive_search_tier(ARRAY(SELECT k + 1073741824 FROM unnest(keys) AS k), lone, true, '{}', n);
    IF cardinality(headline) < n THEN
        rest := archive_search_tier(keys, lone, false, headline, n - cardinality(headline));
    END IF;
    RETURN QUERY
        SELECT a.id, a.story_id, a.url, a.portal, a.title, a.published_at,
               CASE WHEN o.i <= cardinality(headline) THEN 1 ELSE 0 END::real,
               api.search_snippet(a.body, query), a.change_seq
        FROM unnest(headline || rest) WITH ORDINALITY AS o(id, i)
        JOIN articles a ON a.id = o.id
        ORDER BY o.i;
END
$$;
COMMENT ON FUNCTION api.search(text, integer) IS
    'Canonical copies holding every term of the query (a Chinese term: each pair of adjacent characters, so '
    '临清市 needs 临清 and 清市; one character: that character), best first: rank 1 (every term in the title or '
    'subtitle) before rank 0 (in the text), newest first within each; at most lim (≤ 1000) rows, each with a snippet';


-- == The read-only role ==================================================================================
-- liaocheng_news_reader (NOLOGIN) may use the api schema and nothing else; logins are made members of
-- it by `liaocheng-news db grant-reader NAME` (liaocheng_news/db/roles.py).  Roles are cluster-wide:
-- one group serves every archive database of a server.  Where the migrating role may not create
-- roles, the migration warns and goes on; an administrator creates the role and calls
-- archive_grant_reader_privileges() (grant-reader does both).

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION archive_feed_first(), archive_feed_begin(), archive_feed_lock(), archive_articles_renumber(),
    archive_stories_canonical(), archive_feed_notify(), archive_search_fill(), archive_search_drop(),
    archive_search_keep(bigint[], text[], boolean, bigint[], integer),
    archive_search_tier(integer[], text[], boolean, bigint[], integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION story_live_id(bigint) FROM PUBLIC;  -- 0002's; consumers use api.story_ids
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA api FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

CREATE FUNCTION archive_grant_reader_privileges() RETURNS boolean
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'liaocheng_news_reader') THEN
        RETURN false;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO liaocheng_news_reader', current_database());
    GRANT USAGE ON SCHEMA api TO liaocheng_news_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA api TO liaocheng_news_reader;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA api TO liaocheng_news_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT SELECT ON TABLES TO liaocheng_news_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT EXECUTE ON FUNCTIONS TO liaocheng_news_reader;
    RETURN true;
END
$$;
REVOKE EXECUTE ON FUNCTION archive_grant_reader_privileges() FROM PUBLIC;
COMMENT ON FUNCTION archive_grant_reader_privileges() IS
    'Grants liaocheng_news_reader USAGE on api, SELECT on its views, EXECUTE on its functions (false: no such role)';

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'liaocheng_news_reader') THEN
        BEGIN
            CREATE ROLE liaocheng_news_reader NOLOGIN;
            COMMENT ON ROLE liaocheng_news_reader IS 'liaocheng-news consumers: read-only, api schema only';
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;  -- another archive database on this server made it meanwhile
            WHEN insufficient_privilege THEN
                RAISE WARNING 'cannot create role liaocheng_news_reader (no CREATEROLE): consumers get no '
                              'read-only role until an administrator runs liaocheng-news db grant-reader';
        END;
    END IF;
    PERFORM archive_grant_reader_privileges();
END
$$;
