"""Serves recorded pages on 127.0.0.1 so the real spiders can crawl them offline.

A replay directory holds fixtures as ``<portal>/<slug>.html`` (raw bytes as served) with
``<slug>.meta.json`` (``url``, ``status``, ``headers``, provenance).  The server answers
``GET /<scheme>/<host>/<path>`` with the page recorded for ``<scheme>://<host>/<path>``, with
its recorded headers, so charset handling is reproduced byte for byte.  ``robots.txt`` is
served from a fixture when one exists, else as allow-all.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_replay_dir() -> Path:
    path = PROJECT_ROOT / "tests" / "fixtures"
    if not path.is_dir():
        raise FileNotFoundError(
            f"no recorded pages at {path} (the fixtures ship with a source checkout); pass --replay DIR")
    return path


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
        # /<scheme>/<host>/<path...>
        parts = handler.path.split("/", 3)
        if len(parts) < 3 or parts[1] not in ("http", "https"):
            handler.send_error(404, "not a replay path")
            return
        key = replay_key(f"{parts[1]}://{parts[2]}/{parts[3] if len(parts) > 3 else ''}")
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
            handler.send_error(404, "not recorded")
            return
        body = page.body_path.read_bytes()
        handler.send_response(page.status)
        for name, value in page.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


def main(argv: list[str] | None = None) -> int:
    """``python -m liaocheng_news.replay [DIR] [--port N]``: serve recorded pages until interrupted."""
    import argparse
    import signal
    import sys

    parser = argparse.ArgumentParser(prog="python -m liaocheng_news.replay", description=main.__doc__)
    parser.add_argument("directory", nargs="?", help="replay directory (default: the project's fixtures)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    args = parser.parse_args(argv)
    try:
        directory = Path(args.directory) if args.directory else default_replay_dir()
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 66
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
