-- liaocheng-news archive, migration 7: what the store's writes cost PostgreSQL (issue 20): the
-- search index's pending list left to the store's own merges, and the passages' key to articles
-- checked once a statement.  docs/performance.md, "The store's PostgreSQL cost", has the figures.
-- Never edit an applied migration; add a new numbered file instead.

-- The search index's pending list (migration 0004, fastupdate) is merged by the store itself,
-- after its commit, once what it wrote since its last merge reaches search.MERGE_PENDING_BYTES
-- (liaocheng_news/db/search.py), and by an archive that wrote when it closes.  At the default
-- limit (4 MB) an insert met the full list first and merged it inside the store's transaction,
-- holding its locks (about 170 articles of 850 keys: each takes three pages of the list, where
-- the store counted 20 bytes a key and merged the few articles after them again).  The index's own limit is now a backstop above the store's
-- threshold: for a store whose merge is refused (a login that does not own the index) and for
-- other writers (the fallback trigger).  Searches read the whole pending list.
ALTER INDEX article_search_tokens SET (gin_pending_list_limit = 16384);  -- kB

-- article_passages' key to articles, checked once a statement instead of once a row.  The store
-- writes ~14 passage rows an article, and a foreign key ran one query per row (a look-up and a
-- KEY SHARE lock of the article row) for rows whose articles the same transaction had just
-- written or locked.  The same guarantee, per statement: the distinct articles of the rows
-- written must all exist, and are locked KEY SHARE until commit (a concurrent delete of one waits,
-- as it waited for the foreign key); deleting an article deletes its passages (as ON DELETE
-- CASCADE did).
ALTER TABLE article_passages DROP CONSTRAINT article_passages_article_id_fkey;

CREATE FUNCTION archive_passages_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT article_id) INTO ids FROM new_passages;
    IF cardinality(ids) > (SELECT count(*) FROM (SELECT 1 FROM articles WHERE id = ANY (ids) FOR KEY SHARE) AS a) THEN
        RAISE EXCEPTION 'insert or update on table "article_passages" violates its key to articles'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = 'an article_id of the rows written is not an article''s id';
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION archive_passages_drop() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM article_passages WHERE article_id = OLD.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER article_passages_article_insert AFTER INSERT ON article_passages
    REFERENCING NEW TABLE AS new_passages FOR EACH STATEMENT EXECUTE FUNCTION archive_passages_check();
CREATE TRIGGER article_passages_article_update AFTER UPDATE ON article_passages
    REFERENCING NEW TABLE AS new_passages FOR EACH STATEMENT EXECUTE FUNCTION archive_passages_check();
CREATE TRIGGER articles_passages_delete AFTER DELETE ON articles
    FOR EACH ROW EXECUTE FUNCTION archive_passages_drop();
REVOKE EXECUTE ON FUNCTION archive_passages_check(), archive_passages_drop() FROM PUBLIC;
