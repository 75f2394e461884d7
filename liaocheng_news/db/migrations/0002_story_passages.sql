-- liaocheng-news archive, schema version 2: stories that hold on the forms copies take.
-- Never edit an applied migration; add a new numbered file instead.
--
-- An existing archive keeps its stories through this migration, but its articles get their
-- passage keys and content sizes only from the re-placement command, run once after upgrading:
--     liaocheng-news stories --replace
-- (the keys come from Python: dedupe.sketch).  Until then a new copy finds an older article only
-- by an identical body (content_hash).

-- Passage and title keys of each article (dedupe.sketch.article_sketch): what finds a copy of a
-- story whatever its length.  They replace the MinHash bands, which only find copies of about
-- the same size.
CREATE TABLE article_passages (
    key         bigint NOT NULL,
    article_id  bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (key, article_id)
);
CREATE INDEX article_passages_article ON article_passages (article_id);
COMMENT ON TABLE article_passages IS
    'Internal to story placement: one row per passage key (a sentence of the body without page chrome, '
    'hashed) and per title key of an article. A key many stories share is boilerplate and is ignored.';
COMMENT ON COLUMN article_passages.key IS 'signed 64-bit hash of a sentence''s or the title''s key text (dedupe.sketch)';
COMMENT ON COLUMN article_passages.article_id IS 'the article holding the passage or title';

DROP TABLE article_bands;

ALTER TABLE articles ADD COLUMN content_chars integer;
COMMENT ON COLUMN articles.content_chars IS
    'letters and digits of the body without byline, source and footer lines: how full a copy is '
    '(the canonical copy of a story is a fullest one); NULL until the article is placed by schema 2 rules';

-- A story id a consumer holds always resolves: a story that is merged into another, or whose
-- last copy moved to another story, leaves a redirect; nothing is deleted silently.
CREATE TABLE story_redirects (
    from_id  bigint      PRIMARY KEY,
    to_id    bigint      NOT NULL REFERENCES stories (id),
    reason   text        NOT NULL CHECK (reason IN ('merged', 'emptied')),
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX story_redirects_to ON story_redirects (to_id);
COMMENT ON TABLE story_redirects IS
    'Story ids that no longer exist and the live story each now is. Always one step: when a story '
    'is merged away, the redirects that pointed at it are pointed at its successor.';
COMMENT ON COLUMN story_redirects.from_id IS 'a story id that existed and is gone (never reused)';
COMMENT ON COLUMN story_redirects.to_id IS 'the live story it now is';
COMMENT ON COLUMN story_redirects.reason IS
    'merged: a copy bridged it with another story, or re-placement joined it to one; '
    'emptied: its last copy changed and moved to another story';
COMMENT ON COLUMN story_redirects.at IS 'when the story went';

CREATE FUNCTION story_live_id(story bigint) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT id FROM stories WHERE id = story
        UNION ALL
        SELECT to_id FROM story_redirects WHERE from_id = story
        LIMIT 1
    $$;
COMMENT ON FUNCTION story_live_id(bigint) IS
    'The live story a story id stands for: itself while it exists, else where its redirect points; '
    'NULL for an id that never was a story.';

COMMENT ON TABLE stories IS
    'One row per live story (copies of one news story share articles.story_id); a story that goes '
    'leaves a row in story_redirects.';
COMMENT ON COLUMN stories.canonical_article_id IS
    'the copy to show: a fullest copy (an excerpt, lead-only or truncated copy never while a fuller one '
    'exists), then a page over an imported dump, then the portal''s rank, then the earliest publication';
COMMENT ON COLUMN articles.story_id IS 'the story this copy belongs to (resolve a held id with story_live_id)';
