-- liaocheng-news archive, migration 5: the crawl frontier (db/frontier.py, extensions/frontier.py).
--
-- crawl_sections: every section (channel) of a portal a run has read, with its first list page.
-- crawl_cursors: where a pass over a section's list pages stands: the next list page to read.  A
--   cursor exists while its pass is unfinished; a section without cursors is finished.  A cursor
--   whose pass may stop after the look-back of pages with nothing new says so (stop_at_known).
-- crawl_pending: article URLs a list page gave that are not stored yet; a later run fetches them.
--
-- owner: the lease of the run that is reading a cursor or fetching a pending URL: a random token
--   for which that run holds a session-level advisory lock (db/frontier.py: LEASE_CLASS, token).  A
--   lease whose lock is gone (the run ended, was killed, lost its connection) is free to claim.
CREATE TABLE crawl_sections (
    portal        text NOT NULL,
    section       text NOT NULL,
    first_url     text NOT NULL,
    first_seen    timestamptz NOT NULL DEFAULT now(),
    last_finished timestamptz,  -- when a run last left it without a cursor
    PRIMARY KEY (portal, section)
);

CREATE TABLE crawl_cursors (
    id            bigserial PRIMARY KEY,
    portal        text NOT NULL,
    section       text NOT NULL,
    url           text NOT NULL,     -- the next list page to read
    page_no       integer NOT NULL,  -- its number in the pass (1 = the section's first page)
    stop_at_known boolean NOT NULL,  -- the pass may end after the look-back of pages with nothing new
    head          boolean NOT NULL,  -- the pass began at the section's first page in the run that owns it
    owner         bigint,            -- lease token (NULL: free)
    run_id        bigint,            -- the crawl run that moved it last
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (portal, section) REFERENCES crawl_sections (portal, section) ON DELETE CASCADE
);
CREATE INDEX crawl_cursors_section ON crawl_cursors (portal, section);

CREATE TABLE crawl_pending (
    portal        text NOT NULL,
    url           text NOT NULL,     -- canonical URL (dedupe/urls.py): the key articles.url will have
    fetch_url     text NOT NULL,     -- the URL as the list page gave it
    section       text,
    attempts      integer NOT NULL DEFAULT 0,  -- runs that claimed it
    owner         bigint,            -- lease token (NULL: free)
    discovered_at timestamptz NOT NULL DEFAULT now(),
    claimed_at    timestamptz,
    PRIMARY KEY (portal, url)
);
CREATE INDEX crawl_pending_url ON crawl_pending (url);

COMMENT ON TABLE crawl_cursors IS 'unfinished passes over a section''s list pages: where the next run resumes';
COMMENT ON TABLE crawl_pending IS 'article URLs listed but not yet stored: fetched by the next run';
