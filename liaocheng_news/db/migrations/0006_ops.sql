-- liaocheng-news archive, migration 6: what operations need to tell the truth about runs and portals.
-- Never edit an applied migration; add a new numbered file instead.

-- The process that runs a crawl: with its host, the next crawl on that host tells a run whose
-- process is gone (killed, or stopped twice) from one still running, and closes it as interrupted.
ALTER TABLE crawl_runs ADD COLUMN pid integer;
COMMENT ON COLUMN crawl_runs.pid IS
    'the crawl process on crawl_runs.host; NULL for runs recorded before migration 6';
COMMENT ON COLUMN crawl_runs.status IS
    'running | finished | degraded | failed | interrupted (older runs: a Scrapy close reason)';
CREATE INDEX crawl_runs_running ON crawl_runs (host) WHERE status = 'running';

-- A portal's articles of recent days (status and the web page's portals: new articles per day,
-- fill rates) read by first_seen, not by a scan of the whole archive.  It carries the portal, so
-- the portals page's articles per portal and day (30 days) are read from the index alone, without
-- the rows (web/queries.py _PER_DAY); and the story id, because PostgreSQL 16 still counts the
-- column api.articles joins stories on as needed after dropping that join, and would read the
-- rows for it.
CREATE INDEX articles_first_seen ON articles (first_seen) INCLUDE (portal, story_id);

-- Results of `liaocheng-news check-portals` (ops.drift): the last drift check of each portal is
-- what `liaocheng-news status` shows beside its runs.
CREATE TABLE drift_checks (
    id           bigserial   PRIMARY KEY,
    portal       text        NOT NULL,
    checked_at   timestamptz NOT NULL DEFAULT now(),
    verdict      text        NOT NULL,            -- ok | broken | unreachable
    detail       text        NOT NULL DEFAULT '',
    list_url     text,
    links        integer     NOT NULL DEFAULT 0,  -- article links on the portal's first list page
    article_url  text,
    extraction   text,                            -- portal | fallback (the article's parser)
    filled       text[]      NOT NULL DEFAULT '{}',  -- fields the parser filled
    replay       boolean     NOT NULL DEFAULT false, -- checked against recorded pages, not the portal
    host         text
);
CREATE INDEX drift_checks_portal_checked ON drift_checks (portal, checked_at DESC);

-- The consumers' view of the drift checks (the api schema, migration 4: additive only): every
-- check-portals result, newest first per portal through drift_checks_portal_checked; the last
-- check of each portal is `SELECT DISTINCT ON (portal) * FROM api.drift_checks ORDER BY portal,
-- checked_at DESC, id DESC` (what ops.status and the web page show).
CREATE VIEW api.drift_checks AS
SELECT d.id, d.portal, d.checked_at, d.verdict, d.detail, d.list_url, d.links, d.article_url, d.extraction,
       d.filled, d.replay, d.host
FROM drift_checks d;

COMMENT ON VIEW api.drift_checks IS
    'Results of liaocheng-news check-portals: does each portal''s parser still read its list page and an article';
COMMENT ON COLUMN api.drift_checks.id IS 'Check id (rises with each check)';
COMMENT ON COLUMN api.drift_checks.portal IS 'The portal checked (api.articles.portal)';
COMMENT ON COLUMN api.drift_checks.checked_at IS 'When it was checked';
COMMENT ON COLUMN api.drift_checks.verdict IS 'ok | broken (no links, or an article its parser cannot read) | unreachable';
COMMENT ON COLUMN api.drift_checks.detail IS 'Why, when the verdict is not ok (empty otherwise)';
COMMENT ON COLUMN api.drift_checks.list_url IS 'The list page read';
COMMENT ON COLUMN api.drift_checks.links IS 'Article links found on it';
COMMENT ON COLUMN api.drift_checks.article_url IS 'The article read (the list''s first link)';
COMMENT ON COLUMN api.drift_checks.extraction IS 'How the article was read: portal (its parser) or fallback';
COMMENT ON COLUMN api.drift_checks.filled IS 'The article fields the parser filled';
COMMENT ON COLUMN api.drift_checks.replay IS 'Checked against recorded pages (a test or a rehearsal), not the live portal';
COMMENT ON COLUMN api.drift_checks.host IS 'Host name of the machine that checked';

COMMENT ON COLUMN api.crawl_runs.status IS
    'running, finished, degraded, failed or interrupted (runs recorded before migration 6: a Scrapy close reason)';

-- readers get the new view (default privileges give it too, when this role set them in migration 4)
SELECT archive_grant_reader_privileges();
