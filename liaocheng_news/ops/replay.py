"""Serves recorded pages on 127.0.0.1 so the real spiders can crawl them offline.

A replay directory holds fixtures as ``<portal>/<slug>.html`` (raw bytes as served) with
``<slug>.meta.json`` (``url``, ``status``, ``headers``, provenance).  The server answers
``GET /<scheme>/<host>/<path>`` (:func:`liaocheng_news.middlewares.replay.recorded_url`) with
the page recorded for ``<scheme>://<host>/<path>``, with its recorded headers, so charset
handling is reproduced byte for byte.  ``robots.txt`` is served from a fixture when one exists,
else as allow-all.  The directory is always given: ``liaocheng-news crawl --replay`` and
``liaocheng-news replay`` pass the source checkout's ``tests/fixtures`` when none is named.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from liaocheng_news.middlewares.replay import NOT_RECORDED_HEADER, recorded_url

logger = logging.getLogger(__name__)


def replay_key(url: str) -> str:
    """Scheme-insensitive key of a URL: host (lower-case, no default port) + path + query."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


@dataclass
class Recorded:
    url: str
    body_path: Path
    status: int
    headers: dict[str, str]


def load_pages(directory: Path) -> dict[str, Recorded]:
    pages: dict[str, Recorded] = {}
    for meta_path in sorted(Path(directory).rglob("*.meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("replay") is False:
            continue
        stem = meta_path.name[: -len(".meta.json")]
        body = meta_path.with_name(meta.get("body_file") or f"{stem}.html")
        if not body.exists():
            continue
        pages[replay_key(meta["url"])] = Recorded(meta["url"], body, int(meta.get("status", 200)),
                                                  dict(meta.get("headers") or {}))
    return pages


class _Server(ThreadingHTTPServer):
    # a crawl opens 16 connections at once (more with CONCURRENT_REQUESTS); socketserver's
    # backlog of 5 drops the rest's SYNs, and each dropped one costs the crawler a 1 s retransmit
    request_queue_size = 128


class ReplayServer:
    """A threaded HTTP server on 127.0.0.1 (an ephemeral port unless one is given)."""

    def __init__(self, directory: Path | str, port: int = 0):
        self.directory = Path(directory)
        self.pages = load_pages(self.directory)
        self.requests: list[str] = []  # every path asked for, in order (tests read it)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server._serve(self)

            def log_message(self, *args):  # quiet: the crawl logs its own requests
                pass

        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="replay-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ReplayServer":
        self.thread.start()
        logger.info("replay server with %d pages at %s", len(self.pages), self.url)
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reload(self) -> None:
        self.pages = load_pages(self.directory)

    def fetched(self, url: str) -> int:
        """How many times the recorded page for ``url`` was served."""
        key = replay_key(url)
        with self._lock:
            return sum(1 for k in self.requests if k == key)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        url = recorded_url(handler.path)
        if url is None:
            handler.send_error(404, "not a replay path")
            return
        key = replay_key(url)
        with self._lock:
            self.requests.append(key)
        page = self.pages.get(key)
        if page is None:
            if key.endswith("/robots.txt"):
                body = b"User-agent: *\nAllow: /\n"
                handler.send_response(200)
                handler.send_header("Content-Type", "text/plain")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)
                return
            handler.send_response(404, "not recorded")
            handler.send_header(NOT_RECORDED_HEADER, "1")  # the harness lacks it, not the portal
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        body = page.body_path.read_bytes()
        handler.send_response(page.status)
        for name, value in page.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def main(argv: list[str] | None = None, prog: str = "python -m liaocheng_news.ops.replay",
         default_dir: Path | None = None) -> int:
    """Serve recorded pages on 127.0.0.1 until interrupted; the first line printed is the URL."""
    import argparse
    import signal
    import sys

    parser = argparse.ArgumentParser(prog=prog, description=main.__doc__)
    parser.add_argument("directory", nargs="?" if default_dir else None, type=Path, default=default_dir,
                        help=f"replay directory (default: {default_dir})" if default_dir else "replay directory")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    args = parser.parse_args(argv)
    directory = args.directory
    if not directory.is_dir():
        print(f"no replay directory {directory}", file=sys.stderr)
        return 66
    server = ReplayServer(directory, port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with server:
        print(server.url, flush=True)  # the first line of output is the URL to pass to --replay-url
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
