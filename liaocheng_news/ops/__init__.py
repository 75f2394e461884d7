"""The operator's tools, apart from the crawl path: the command line and what only it uses.

``cli`` (the ``liaocheng-news`` command), one module per command group: ``db`` (the embedded
archive: serve, url, psql, backup, restore), ``extract`` (pages to records, no crawl), ``drift``
(check-portals), ``fixtures`` (save-fixture), ``replay`` (the replay server of recorded pages),
``scheduling`` (the scrapyd calendar); and what they share: ``fetch`` (one polite fetch outside a
crawl), ``render`` (a page rendered outside a crawl).  They use the crawl's modules; no module
outside ``ops`` imports one of them.
"""
