-- liaocheng-news archive, migration 7: what the store's writes cost PostgreSQL (issue 20).
-- Never edit an applied migration; add a new numbered file instead.

-- The search index's pending list (migration 0004, fastupdate) is merged by the store itself,
-- after its commit, once what it wrote since its last merge reaches search.MERGE_PENDING_BYTES
-- (liaocheng_news/db/search.py), and by an archive that wrote when it closes.  At the default
-- limit (4 MB) an insert met the full list first and merged it inside the store's transaction,
-- holding its locks, in merges too small to be cheap (about 170 articles of 850 keys: each takes
-- three pages of the list).  The index's own limit is now a backstop above the store's
-- threshold: for a store whose merge is refused (a login that does not own the index) and for
-- other writers (the fallback trigger).  Searches read the whole pending list; the figures of
-- that trade-off are in docs/performance.md ("The store's PostgreSQL cost").
ALTER INDEX article_search_tokens SET (gin_pending_list_limit = 16384);  -- kB
