"""Helpers of the browser tests: a CLI crawl with rendering wired in, and a Chromium that tells.

The crawl runs ``python -m liaocheng_news.cli crawl --replay`` in a subprocess with the
project settings, which wire browser rendering in (lazily: only marked requests).  The browser is a
wrapper script that appends a line to a log each time it is launched, then runs the real
Chromium: "no browser was started" is then a fact the test reads, not an inference.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg

SYSTEM_CHROMIUM = os.environ.get("LIAOCHENG_NEWS_CHROMIUM") or "/usr/bin/chromium"


@dataclass
class TellingChromium:
    """A Chromium executable that logs every launch to ``launches``."""

    path: Path
    launches: Path

    @classmethod
    def make(cls, folder: Path, real: str = SYSTEM_CHROMIUM) -> "TellingChromium":
        path, launches = folder / "chromium", folder / "chromium-launches.log"
        path.write_text(f'#!/bin/sh\necho "$$ $*" >> "{launches}"\nexec "{real}" "$@"\n', encoding="utf-8")
        path.chmod(0o755)
        return cls(path, launches)

    @property
    def launch_count(self) -> int:
        return len(self.launches.read_text().splitlines()) if self.launches.exists() else 0


def crawl(*spiders: str, url: str, home: Path, replay_dir: Path, chromium: str | Path,
          settings: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LIAOCHENG_NEWS_DATABASE_URL": url, "LIAOCHENG_NEWS_HOME": str(home),
           "LIAOCHENG_NEWS_LOG_LEVEL": "INFO", "LIAOCHENG_NEWS_CHROMIUM": str(chromium)}
    extra = [arg for key, value in (settings or {}).items() for arg in ("-s", f"{key}={value}")]
    result = subprocess.run([sys.executable, "-m", "liaocheng_news.cli", "crawl", "--no-seed",
                             "--replay", str(replay_dir), *extra, *spiders],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def latest_stats(url: str) -> dict[str, dict]:
    """spider -> stats of its latest crawl run."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT DISTINCT ON (spider) spider, stats FROM crawl_runs "
                            "ORDER BY spider, id DESC").fetchall()
    return {spider: stats for spider, stats in rows}


def stored(url: str, portal: str) -> dict[str, dict]:
    """url -> the archived article's fields, for one portal."""
    with psycopg.connect(url) as conn:
        cursor = conn.execute("SELECT * FROM articles WHERE portal = %s", (portal,))
        names = [column.name for column in cursor.description]
        return {row[names.index("url")]: dict(zip(names, row)) for row in cursor.fetchall()}
