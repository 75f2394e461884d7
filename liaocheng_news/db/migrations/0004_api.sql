-- liaocheng-news archive, schema version 4: the consumer API.
--
--   * the change feed: change_seq on articles and article_revisions, in commit order, with a
--     NOTIFY on channel liaocheng_news_changes after each committed write;
--   * Chinese search with no extension: character bigrams in a GIN-indexed tsvector;
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
-- Values are handed out under a transaction-level advisory lock held until commit, so a
-- transaction that takes a value has waited for every earlier one to commit or roll back:
-- whenever a reader sees change_seq N committed, it already sees every committed row below N.
-- A consumer that remembers the highest change_seq it read and asks for `change_seq > last`
-- later never misses a row and never reads one twice.  Writers hold the lock from their first
-- write to commit (the store already serialises batches with the placement lock, taken first).
-- A row written twice in one transaction keeps the number it took first.

CREATE SEQUENCE archive_change_seq AS bigint CACHE 1;  -- CACHE 1: values in the order taken
COMMENT ON SEQUENCE archive_change_seq IS
    'change_seq of articles and article_revisions; taken only through archive_feed_next()';

ALTER TABLE articles ADD COLUMN change_seq bigint;
ALTER TABLE article_revisions ADD COLUMN change_seq bigint;

-- The search document: headline bigrams (weight A) and body bigrams (weight D, no positions).
ALTER TABLE articles ADD COLUMN search_vector tsvector;

-- The first value this transaction took (kept in a transaction-local setting): every value at or
-- above it was taken by this transaction, since the lock is held until commit.
CREATE FUNCTION archive_feed_first() RETURNS bigint
    LANGUAGE sql VOLATILE PARALLEL RESTRICTED
    AS $$ SELECT nullif(current_setting('liaocheng_news.feed_first', true), '')::bigint $$;

CREATE FUNCTION archive_feed_next() RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    AS $$
DECLARE
    seq bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7311992015);  -- the feed lock: held until commit
    seq := nextval('archive_change_seq');
    IF archive_feed_first() IS NULL THEN
        PERFORM set_config('liaocheng_news.feed_first', seq::text, true);
    END IF;
    PERFORM set_config('liaocheng_news.feed_last', seq::text, true);
    RETURN seq;
END
$$;
COMMENT ON FUNCTION archive_feed_next() IS
    'The next change_seq, under the feed lock (advisory key 7311992015, held until commit)';


-- == Chinese search, with no extension ==========================================================
-- Tokens: each pair of adjacent Han characters (CJK unified ideographs U+4E00–U+9FFF, extension A
-- U+3400–U+4DBF, compatibility U+F900–U+FAFF); a Han character with no Han neighbour on its own;
-- runs of ASCII letters and digits (lower-cased, at most 64 characters; full-width letters and
-- digits count as ASCII).  Everything else separates tokens.  The headline (title and subtitle,
-- first 1000 characters) gives weight-A lexemes at position 1 and the same lexemes marked '~' (an
-- index lookup of headline matches); the body (first 60000 characters) gives lexemes without
-- positions (weight D when ranked).
-- liaocheng_news/db/search.py computes the same document in the store's process (much cheaper
-- than this SQL); a test holds the two equal.  This SQL version fills rows the store did not.

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

CREATE FUNCTION api.search_tokens(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    WITH f AS (SELECT api.search_fold(t) AS t)
    SELECT ARRAY(
        SELECT DISTINCT tok FROM (
            SELECT CASE WHEN nx_han THEN cur || nx ELSE cur END
            FROM f, unnest(string_to_array(f.t, NULL), (string_to_array(f.t, NULL))[2:],
                           '{NULL}'::text[] || string_to_array(f.t, NULL)) AS x(cur, nx, prv),
                 LATERAL (SELECT coalesce((ascii(nx) BETWEEN 19968 AND 40959 OR ascii(nx) BETWEEN 13312 AND 19903 OR ascii(nx) BETWEEN 63744 AND 64255), false) AS nx_han,
                                 coalesce((ascii(prv) BETWEEN 19968 AND 40959 OR ascii(prv) BETWEEN 13312 AND 19903 OR ascii(prv) BETWEEN 63744 AND 64255), false) AS prv_han) AS k
            WHERE (ascii(cur) BETWEEN 19968 AND 40959 OR ascii(cur) BETWEEN 13312 AND 19903 OR ascii(cur) BETWEEN 63744 AND 64255) AND (nx_han OR NOT prv_han)
            UNION ALL
            SELECT m[1] FROM f, regexp_matches(f.t, '[a-z0-9]+', 'g') AS m WHERE length(m[1]) <= 64
        ) AS s(tok)
        ORDER BY tok)
$$;
COMMENT ON FUNCTION api.search_tokens(text) IS
    'The search tokens of a text: Han character bigrams, lone Han characters, lower-cased ASCII words';

CREATE FUNCTION api.search_document(title text, subtitle text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT (coalesce((SELECT string_agg(tok || ':1A ~' || tok, ' ')
                      FROM unnest(api.search_tokens(left(coalesce(title, '') || ' ' || coalesce(subtitle, ''), 1000))) AS tok), '')
            || ' ' || array_to_string(api.search_tokens(left(coalesce(body, ''), 60000)), ' '))::tsvector
$$;
COMMENT ON FUNCTION api.search_document(text, text, text) IS
    'The search document of an article (articles.search_vector): headline tokens with weight A and again '
    'marked ~ (so the index finds headline matches), body tokens';

CREATE FUNCTION api.search_query(query text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT nullif(string_agg(quote_literal(tok) || CASE WHEN length(tok) = 1 AND ascii(tok) > 127 THEN ':*' ELSE '' END,
                             ' & '), '')::tsquery
    FROM unnest(api.search_tokens(query)) AS tok
$$;
COMMENT ON FUNCTION api.search_query(text) IS
    'The tsquery of a search: every token of the query (a lone Han character as a prefix); NULL when it has none';

CREATE FUNCTION api.search_headline_query(query text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
    SELECT nullif(string_agg(quote_literal('~' || tok) || CASE WHEN length(tok) = 1 AND ascii(tok) > 127 THEN ':*' ELSE '' END,
                             ' & '), '')::tsquery
    FROM unnest(api.search_tokens(query)) AS tok
$$;
COMMENT ON FUNCTION api.search_headline_query(text) IS
    'The tsquery of a search in headlines only: every token of the query marked ~ (see api.search_document)';


-- == Triggers: the feed number, the search document, the notification ===========================

CREATE FUNCTION archive_articles_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.change_seq := archive_feed_next();
    IF NEW.search_vector IS NULL THEN  -- a store that computed it binds it (db/search.py)
        NEW.search_vector := api.search_document(NEW.title, NEW.subtitle, NEW.body);
    END IF;
    RETURN NEW;
END
$$;

-- Fires only for UPDATEs that set one of the listed columns (not for last_seen touches).
CREATE FUNCTION archive_articles_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.change_seq < coalesce(archive_feed_first(), 9223372036854775807) THEN
        NEW.change_seq := archive_feed_next();
    ELSE
        NEW.change_seq := OLD.change_seq;  -- numbered by this transaction already
    END IF;
    RETURN NEW;
END
$$;

-- Fires only for UPDATEs that set the title, subtitle or body (a content revision): the document
-- is made again unless the statement set a new one.
CREATE FUNCTION archive_articles_search() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.search_vector IS NOT DISTINCT FROM OLD.search_vector
       AND (NEW.title, NEW.subtitle, NEW.body) IS DISTINCT FROM (OLD.title, OLD.subtitle, OLD.body) THEN
        NEW.search_vector := api.search_document(NEW.title, NEW.subtitle, NEW.body);
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION archive_revisions_insert() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.change_seq := archive_feed_next();
    RETURN NEW;
END
$$;

-- A story's canonical copy changed: both copies' is_canonical changed, so both re-enter the feed.
CREATE FUNCTION archive_stories_canonical() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE articles SET change_seq = archive_feed_next()
    WHERE id IN (OLD.canonical_article_id, NEW.canonical_article_id)
      AND change_seq < coalesce(archive_feed_first(), 9223372036854775807);
    RETURN NULL;
END
$$;

-- One notification per committed transaction that took feed numbers: a deferred trigger queued
-- for the row that took the transaction's first number sends, at commit, the last number taken.
CREATE FUNCTION archive_feed_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('liaocheng_news_changes', current_setting('liaocheng_news.feed_last', true));
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
UPDATE articles a SET change_seq = b.seq, search_vector = api.search_document(a.title, a.subtitle, a.body)
FROM archive_feed_backfill b WHERE b.kind = 1 AND b.id = a.id;
SELECT setval('archive_change_seq', greatest((SELECT max(seq) FROM archive_feed_backfill), 1),
              (SELECT count(*) FROM archive_feed_backfill) > 0);

ALTER TABLE articles ALTER COLUMN change_seq SET NOT NULL;
ALTER TABLE article_revisions ALTER COLUMN change_seq SET NOT NULL;
CREATE UNIQUE INDEX articles_change_seq ON articles (change_seq);
CREATE UNIQUE INDEX article_revisions_change_seq ON article_revisions (change_seq);
CREATE INDEX articles_first_seen ON articles (first_seen);
CREATE INDEX articles_last_changed ON articles (last_changed);
CREATE INDEX articles_search ON articles USING gin (search_vector);
CREATE INDEX articles_published_order ON articles (published_at DESC NULLS LAST, id DESC);  -- search's walk

CREATE TRIGGER articles_feed_insert BEFORE INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION archive_articles_insert();
CREATE TRIGGER articles_feed_update
    BEFORE UPDATE OF url, portal, channel, title, subtitle, published_at, source, authors, editor, reviewer,
                     body, images, edition, page_no, page_name, extraction, normalisation, content_hash,
                     story_id, revision, first_seen, last_changed, crawl_run_id
    ON articles FOR EACH ROW EXECUTE FUNCTION archive_articles_update();
CREATE TRIGGER articles_search_update BEFORE UPDATE OF title, subtitle, body ON articles
    FOR EACH ROW EXECUTE FUNCTION archive_articles_search();
CREATE TRIGGER article_revisions_feed_insert BEFORE INSERT ON article_revisions
    FOR EACH ROW EXECUTE FUNCTION archive_revisions_insert();
CREATE TRIGGER stories_feed_canonical AFTER UPDATE OF canonical_article_id ON stories
    FOR EACH ROW WHEN (OLD.canonical_article_id IS DISTINCT FROM NEW.canonical_article_id)
    EXECUTE FUNCTION archive_stories_canonical();
CREATE CONSTRAINT TRIGGER articles_feed_notify AFTER INSERT OR UPDATE ON articles
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.change_seq = archive_feed_first())
    EXECUTE FUNCTION archive_feed_notify();
CREATE CONSTRAINT TRIGGER article_revisions_feed_notify AFTER INSERT ON article_revisions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.change_seq = archive_feed_first())
    EXECUTE FUNCTION archive_feed_notify();


-- == The api views ==================================================================================

CREATE VIEW api.articles AS
SELECT a.id, a.url, a.portal, a.channel, a.title, a.subtitle, a.published_at, a.source, a.authors,
       a.editor, a.reviewer, a.body, a.images, a.edition, a.page_no, a.page_name, a.extraction,
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

-- Every story id ever handed out, with the live story it resolves to.  Today a live story resolves
-- to itself; story redirects (merged or emptied stories) join here as further rows.
CREATE VIEW api.story_ids AS
SELECT s.id, s.id AS story_id
FROM stories s;

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
                     E'[\\u4e00-\\u9fff\\u3400-\\u4dbf\\uf900-\\ufaff]+|[a-z0-9]+', 'g') AS m
                 ORDER BY 1)
$$;
COMMENT ON FUNCTION api.search_terms(text) IS
    'The terms of a query as typed: runs of Han characters and ASCII words, folded (api.search_fold)';

-- A window of the body around the first place a query term occurs, terms marked «…».
CREATE FUNCTION api.search_snippet(body text, query text, width integer DEFAULT 80) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
DECLARE
    lowered text := api.search_fold(coalesce(body, ''));
    terms text[] := api.search_terms(coalesce(query, ''));
    hit integer := 0;
    at integer;
    term text;
    start integer;
    piece text;
BEGIN
    FOREACH term IN ARRAY terms LOOP
        at := strpos(lowered, term);
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

-- One tier of a search: ids of canonical copies matching q, newest first, at most lim, none of skip.
-- Two ways, chosen by the planner's estimate m of the matches among t articles: the GIN index finds
-- every match, each is fetched (~3 us) and they are sorted; or the newest w = 3 x lim x t / m rows
-- (at most 3000) are tested one by one (~15 us: the document is read) and hold lim matches.  The
-- second is cheaper when m^2 > 15 x lim x t (a common word: m > 17000 of a million for lim 20).
-- When the newest rows hold fewer than lim (the estimate was high), the index finds them all.
CREATE FUNCTION archive_search_tier(q tsquery, skip bigint[], lim integer) RETURNS bigint[]
    LANGUAGE plpgsql VOLATILE  -- EXPLAIN runs only in a volatile function
    SET enable_seqscan = off
    AS $$
DECLARE
    plan json;
    expected float8;
    total float8;
    w integer;
    found bigint[];
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM articles WHERE search_vector @@ $1' INTO plan USING q;
    expected := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
    SELECT greatest(reltuples, 1) INTO total FROM pg_class WHERE oid = 'articles'::regclass;
    IF expected * expected > 15 * lim * total THEN
        w := least(3000, ceil(3 * lim * total / expected))::integer;
        SELECT array_agg(a.id ORDER BY a.published_at DESC NULLS LAST, a.id DESC) INTO found
        FROM (SELECT n.id, n.published_at, n.story_id, n.search_vector FROM articles n
              ORDER BY n.published_at DESC NULLS LAST, n.id DESC LIMIT w) AS a
        JOIN stories s ON s.id = a.story_id AND s.canonical_article_id = a.id
        WHERE a.search_vector @@ q AND a.id <> ALL(skip);
        IF cardinality(found) >= lim THEN
            RETURN found[1:lim];
        END IF;
    END IF;
    SELECT coalesce(array_agg(x.id ORDER BY x.published_at DESC NULLS LAST, x.id DESC), '{}') INTO found
    FROM (SELECT a.id, a.published_at FROM articles a
          JOIN stories s ON s.id = a.story_id AND s.canonical_article_id = a.id
          WHERE a.search_vector @@ q AND a.id <> ALL(skip)
          ORDER BY a.published_at DESC NULLS LAST, a.id DESC LIMIT lim) AS x;
    RETURN found;
END
$$;

-- Headline matches (every term in the title or subtitle) first, newest first; then the other
-- matches, newest first.
CREATE FUNCTION api.search(query text, lim integer DEFAULT 20)
    RETURNS TABLE (article_id bigint, story_id bigint, url text, portal text, title text,
                   published_at timestamptz, rank real, snippet text, change_seq bigint)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    q tsquery := api.search_query(query);
    n integer := least(greatest(coalesce(lim, 20), 0), 1000);
    headline bigint[];
    rest bigint[];
BEGIN
    IF q IS NULL OR n = 0 THEN
        RETURN;
    END IF;
    headline := archive_search_tier(api.search_headline_query(query), '{}', n);
    IF cardinality(headline) < n THEN
        rest := archive_search_tier(q, headline, n - cardinality(headline));
    END IF;
    RETURN QUERY
        SELECT a.id, a.story_id, a.url, a.portal, a.title, a.published_at,
               CASE WHEN o.i <= cardinality(headline) THEN 1 ELSE 0 END::real,
               api.search_snippet(a.body, query), a.change_seq
        FROM unnest(headline || coalesce(rest, '{}')) WITH ORDINALITY AS o(id, i)
        JOIN articles a ON a.id = o.id
        ORDER BY o.i;
END
$$;
COMMENT ON FUNCTION api.search(text, integer) IS
    'Canonical copies matching every token of the query (Chinese: character bigrams, so 临清市 needs 临清 and 清市), '
    'best first: rank 1 (every term in the title or subtitle) before rank 0 (in the text), newest first within '
    'each; at most lim (≤ 1000) rows, each with a snippet';


-- == The read-only role ==================================================================================
-- liaocheng_news_reader (NOLOGIN) may use the api schema and nothing else; logins are made members of
-- it by `liaocheng-news db grant-reader NAME` (liaocheng_news/db/roles.py).  Roles are cluster-wide:
-- one group serves every archive database of a server.  Where the migrating role may not create
-- roles, the migration warns and goes on; an administrator creates the role and calls
-- archive_grant_reader_privileges() (grant-reader does both).

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION archive_feed_first(), archive_feed_next(), archive_articles_insert(), archive_search_tier(tsquery, bigint[], integer),
    archive_articles_update(), archive_articles_search(), archive_revisions_insert(), archive_stories_canonical(),
    archive_feed_notify() FROM PUBLIC;
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
