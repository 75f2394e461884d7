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
