"""The spool: items the archive could not take, on disk until a later run writes them.

``$LIAOCHENG_NEWS_HOME/spool/*.jsonl`` holds batches the database failed to take (one article a
line, :func:`liaocheng_news.items.article_to_json`), written by the next run;
``spool/rejected/`` items the archive refused as data (for an operator); ``spool/bad/`` lines of a
spool file that are not an article (a truncated last line, a hand-edited file), each with the file
and line it came from and why, so one bad line never holds back the good lines of its file.

A spool file is considered written only once it is on disk: it is written to a temporary name,
flushed and fsynced, renamed into place, and its directory fsynced.  A failure on the way (a
read-only or full disk) raises :class:`OSError` and leaves no partial file behind.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from liaocheng_news.items import Article, article_from_json, article_to_json

_TEXT_FIELDS = ("channel", "subtitle", "source", "editor", "reviewer", "edition", "page_no", "page_name",
                "extraction", "template", "content_hash")


def article_from_line(line: str) -> Article:
    """The article of one spool line; ValueError saying why the line is not one."""
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError(f"not a JSON object but {type(data).__name__}")
    for key in ("url", "portal", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ValueError(f"no {key}")
    body = data.get("body")
    if not isinstance(body, list) or not body or not all(isinstance(p, str) for p in body):
        raise ValueError("body is not a list of paragraphs")
    for key in _TEXT_FIELDS:
        if data.get(key) is not None and not isinstance(data[key], str):
            raise ValueError(f"{key} is not text")
    if not isinstance(data.get("authors") or [], list) or not all(isinstance(a, str) for a in data.get("authors") or []):
        raise ValueError("authors is not a list of names")
    if not isinstance(data.get("images") or [], list) or not isinstance(data.get("normalisation") or {}, dict):
        raise ValueError("images or normalisation of the wrong type")
    try:
        return article_from_json(data)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not an article: {exc}") from None


@dataclass
class SpoolFile:
    """A spool file as read: its articles, and the lines that are not one (number, reason, text)."""

    path: Path
    articles: list[Article] = field(default_factory=list)
    bad: list[tuple[int, str, str]] = field(default_factory=list)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_lines(path: Path, lines: list[str]) -> None:
    """``lines`` as the file ``path``, durably (temporary file, fsync, rename, fsync of the folder)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


class Spool:
    """Batches that could not be written, as JSON Lines files, oldest first."""

    def __init__(self, directory: Path):
        self.directory = directory

    def write(self, articles: list[Article], spider: str, rejected: bool = False) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        folder = self.directory / "rejected" if rejected else self.directory
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stamp}-{spider}-{uuid.uuid4().hex[:8]}.jsonl"
        self.replace(path, articles)
        return path

    @staticmethod
    def replace(path: Path, articles: list[Article]) -> None:
        _write_lines(path, [json.dumps(article_to_json(a), ensure_ascii=False) for a in articles])

    def files(self) -> list[Path]:
        return sorted(self.directory.glob("*.jsonl"))

    @staticmethod
    def read(path: Path) -> SpoolFile:
        """Every line of ``path`` checked: its articles, and the lines that are not one."""
        read = SpoolFile(path)
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    read.bad.append((number, f"not UTF-8: {exc}", raw.decode("utf-8", "replace")))
                    continue
                if not line.strip():
                    continue
                try:
                    read.articles.append(article_from_line(line))
                except ValueError as exc:  # json's errors included
                    reason = str(exc) if raw.endswith(b"\n") else f"{exc} (a truncated last line)"
                    read.bad.append((number, reason, line.rstrip("\n")))
        return read

    def set_aside(self, read: SpoolFile) -> Path:
        """The bad lines of a spool file, kept in ``spool/bad/`` with their file, line and reason."""
        folder = self.directory / "bad"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / read.path.name
        noted = [json.dumps({"file": str(read.path), "line": number, "error": reason, "text": text},
                            ensure_ascii=False) for number, reason, text in read.bad]
        if path.exists():  # set aside before (the file was kept, the archive failing): append
            noted = path.read_text(encoding="utf-8").splitlines() + noted
        _write_lines(path, noted)
        return path
