-- liaocheng-news archive, migration 8: api.portals names the same last run as `liaocheng-news
-- status` and the web's portals page (liaocheng_news/db/health.py, _LAST_RUNS): the run that
-- started last, of runs that started at the same moment the one with the higher id.  Migration 4
-- ordered by the start alone, so with two runs of a portal started at the same moment the view
-- could name either.  The same columns in the same order: consumers see no change of shape.
-- Never edit an applied migration; add a new numbered file instead.

CREATE OR REPLACE VIEW api.portals AS
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
                   WHERE c.spider = p.portal ORDER BY c.started_at DESC, c.id DESC LIMIT 1) AS r ON true
WHERE p.portal IS NOT NULL;
COMMENT ON COLUMN api.portals.last_run_id IS
    'The portal''s latest crawl run (api.crawl_runs.id): the one that started last, ties by the higher id; NULL when none';
