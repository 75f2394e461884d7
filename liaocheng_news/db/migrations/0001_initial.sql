-- liaocheng-news archive, schema version 1.
-- This schema is a contract with downstream consumers: see README.md, "The archive schema".
-- Never edit an applied migration; add a new numbered file instead.

CREATE TABLE crawl_runs (
    id           bigserial PRIMARY KEY,
    spider       text        NOT NULL,            -- spider name, or 'import'
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,                     -- NULL while running (or if the process died)
    status       text        NOT NULL DEFAULT 'running',  -- running | finished | <close reason>
    host         text,
    job_id       text,                            -- scrapyd job id when run under scrapyd
    stats        jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX crawl_runs_spider_started ON crawl_runs (spider, started_at DESC);

CREATE TABLE stories (
    id                    bigserial PRIMARY KEY,
    canonical_article_id  bigint,                 -- the copy chosen by the documented rule
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE articles (
    id             bigserial PRIMARY KEY,
    url            text        NOT NULL UNIQUE,   -- canonical URL; one row per URL
    portal         text        NOT NULL,          -- lcxw, yybnet, lcrb, achie, liaocheng_gov, dzwww_liaocheng, mirror, seed …
    channel        text,
    title          text        NOT NULL,
    subtitle       text,
    published_at   timestamptz,                   -- stored UTC, published in Asia/Shanghai
    source         text,                          -- 来源
    authors        text[]      NOT NULL DEFAULT '{}',
    editor         text,
    reviewer       text,
    body           text        NOT NULL,          -- normalised Simplified text, one paragraph a line
    images         jsonb       NOT NULL DEFAULT '[]'::jsonb,  -- [{"url": …, "caption": …}]
    edition        text,
    page_no        text,
    page_name      text,
    extraction     text        NOT NULL DEFAULT 'portal',     -- portal | fallback | import
    normalisation  jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- what the normaliser repaired
    content_hash   text        NOT NULL,          -- sha256 of the body without punctuation/whitespace
    story_id       bigint      REFERENCES stories (id),
    revision       integer     NOT NULL DEFAULT 1,
    first_seen     timestamptz NOT NULL DEFAULT now(),
    last_seen      timestamptz NOT NULL DEFAULT now(),
    last_changed   timestamptz NOT NULL DEFAULT now(),
    crawl_run_id   bigint      REFERENCES crawl_runs (id)
);
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE INDEX articles_story ON articles (story_id);
CREATE INDEX articles_portal_published ON articles (portal, published_at DESC);
CREATE INDEX articles_last_seen ON articles (last_seen);

ALTER TABLE stories
    ADD CONSTRAINT stories_canonical_fk FOREIGN KEY (canonical_article_id) REFERENCES articles (id);

-- Earlier versions of an article: written when a re-crawl finds changed content.
CREATE TABLE article_revisions (
    id             bigserial PRIMARY KEY,
    article_id     bigint      NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    revision       integer     NOT NULL,
    title          text        NOT NULL,
    subtitle       text,
    published_at   timestamptz,
    source         text,
    authors        text[]      NOT NULL DEFAULT '{}',
    editor         text,
    reviewer       text,
    body           text        NOT NULL,
    images         jsonb       NOT NULL DEFAULT '[]'::jsonb,
    content_hash   text        NOT NULL,
    valid_from     timestamptz NOT NULL,          -- when this version was first seen
    superseded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (article_id, revision)
);

-- Locality-sensitive hash bands of each article's MinHash sketch (near-duplicate candidates).
CREATE TABLE article_bands (
    band        bigint NOT NULL,
    article_id  bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (band, article_id)
);
CREATE INDEX article_bands_article ON article_bands (article_id);
