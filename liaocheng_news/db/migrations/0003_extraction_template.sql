-- liaocheng-news archive, migration 3: which template read each article.
-- <portal>/<version> (e.g. lcrb/founder-pc) when a portal template read the page, 'generic' when
-- the reader did (no template matched), NULL for imported text dumps and rows stored before
-- this migration.  A portal redesign shows as the day its articles stop naming the old version.
ALTER TABLE articles ADD COLUMN template text;
COMMENT ON COLUMN articles.template IS
    'the template that read the article: <portal>/<version>, generic (the reader), NULL (imports, older rows)';
