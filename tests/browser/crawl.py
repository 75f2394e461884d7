"""Helpers of the browser tests: a CLI crawl with rendering wired in, and a Chromium that tells.

The crawl runs ``python -m liaocheng_news.ops.cli crawl --replay`` in a subprocess with the
project settings, which wire browser rendering in (lazily: only marked requests).  The browser is a
wrapper script that appends a line to a log each time it is launched, then runs the real
Chromium: "no browser was started" is then a fact the test reads, not an inference.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.helpers import latest_stats, replay_crawl  # noqa: F401 - re-exported for the browser tests

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
          settings: dict[str, str] | None = None, expect: int = 0) -> subprocess.CompletedProcess:
    extra = [arg for key, value in (settings or {}).items() for arg in ("-s", f"{key}={value}")]
    return replay_crawl(*extra, *spiders, url=url, home=home, replay_dir=replay_dir,
                        env={"LIAOCHENG_NEWS_CHROMIUM": str(chromium)}, expect=expect)


def stored(url: str, portal: str) -> dict[str, dict]:
    """url -> the archived article's fields, for one portal."""
    with psycopg.connect(url) as conn:
        cursor = conn.execute("SELECT * FROM articles WHERE portal = %s", (portal,))
        names = [column.name for column in cursor.description]
        return {row[names.index("url")]: dict(zip(names, row)) for row in cursor.fetchall()}
