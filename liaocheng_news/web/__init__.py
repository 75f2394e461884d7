"""``liaocheng-news web``: a read-only site over the archive's ``api`` schema.

Server-rendered pages (no JavaScript, no asset from another host) and the same data as JSON
under ``/api/`` with an OpenAPI description.  Modules: :mod:`.reader` (the read-only connection
pool), :mod:`.queries` (every SQL statement), :mod:`.models` (the JSON shapes),
:mod:`.diff`, :mod:`.chart`, :mod:`.highlight` (HTML pieces drawn on the server),
:mod:`.guard` (credentials and security headers), :mod:`.app` (the routes).
See docs/web.md.
"""
