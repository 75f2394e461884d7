"""The operator's tools, apart from the crawl path: the command line and what only it uses.

``cli`` (the ``liaocheng-news`` command), ``drift`` (check-portals), ``fixtures``
(save-fixture), ``fetch`` (one polite fetch outside a crawl), ``render`` (a page rendered
outside a crawl), ``replay`` (the replay server of recorded pages) and ``scheduling`` (the
scrapyd calendar).  They use the crawl's modules; no module outside ``ops`` imports one of them.
"""
