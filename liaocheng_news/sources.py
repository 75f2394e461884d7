"""The operator's sources file: sources added without code (TOML, ``[[source]]`` tables).

The file is SOURCES_FILE (settings: ``LIAOCHENG_NEWS_SOURCES_FILE``) or, unset,
``sources.toml`` in the archive's home (``LIAOCHENG_NEWS_HOME``; on a scrapyd node, the node's
home: the egg carries only the built-in sources).  It is read once per process, when
:mod:`liaocheng_news.portals` is first imported, so its sources are spiders (``scrapy list``),
are crawled, scheduled and checked like the built-in ones.

Every table is checked on load: unknown keys, wrong types, bad patterns, list pages or patterns
on hosts that are not the source's own, counties the archive does not know, duplicate names and
names that clash with a built-in source or module.  A table with an error is left out and the
error is logged (``liaocheng-news sources`` prints them and exits 1); the file's other sources
load.  The keys: docs/sources.md ("Declaring a source").
"""

from __future__ import annotations

import importlib.util
import logging
import pkgutil
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from liaocheng_news.declaration import CRAWLED_KINDS, Issues, Listing, Portal, SourceError

logger = logging.getLogger(__name__)

__all__ = ["FILE_NAME", "load", "operator_sources", "reserved_names", "sources_path"]

FILE_NAME = "sources.toml"
SOURCE_KEYS = {
    "name": str, "title": str, "hosts": list, "kind": str, "county": str, "lists": list, "issues": dict,
    "article": str, "template": str, "encoding": str, "drop_query": list, "needs_browser": bool,
    "replay_args": dict,
}
REQUIRED = ("name", "title", "hosts", "kind", "article")
LIST_KEYS = {"url": str, "channel": str, "county": str, "numbered": str}
ISSUE_KEYS = {"url": str, "channel": str, "editions": list, "pages": str, "page_label": str}
LOGGED: list[str] = []  # the errors logged when this process loaded the operator's sources


def sources_path() -> tuple[Path, bool]:
    """The sources file and whether it was named (SOURCES_FILE) rather than found in the home."""
    from liaocheng_news import settings
    from liaocheng_news.db.server import home_path

    if settings.SOURCES_FILE:
        return Path(settings.SOURCES_FILE).expanduser(), True
    return home_path(settings.LIAOCHENG_NEWS_HOME) / FILE_NAME, False


def reserved_names(built_in: Mapping[str, Portal]) -> set[str]:
    """Names a file source may not take: built-in sources, the spider and parser modules
    (a source's name is its spider's and its parser's), and the seed import."""
    paths = [path for package in ("liaocheng_news.spiders", "liaocheng_news.parsers")
             for path in importlib.util.find_spec(package).submodule_search_locations]  # (not imported)
    modules = {info.name for info in pkgutil.iter_modules(paths)}
    return {*built_in, *modules, "import"}


def _typed(table: Mapping[str, Any], keys: Mapping[str, type], where: str) -> None:
    unknown = sorted(set(table) - set(keys))
    if unknown:
        raise SourceError(f"{where}unknown key(s) {', '.join(unknown)} (known: {', '.join(keys)})")
    for key, value in table.items():
        if not isinstance(value, keys[key]):
            raise SourceError(f"{where}{key} must be a {keys[key].__name__}, not {type(value).__name__}")
        if keys[key] is list and key != "lists" and not all(isinstance(v, str) for v in value):
            raise SourceError(f"{where}{key} must be a list of strings")


def _listing(table: Any, n: int) -> Listing:
    where = f"lists #{n}: "
    if not isinstance(table, dict):
        raise SourceError(f"{where}must be a table ([[source.lists]])")
    _typed(table, LIST_KEYS, where)
    if "url" not in table or "channel" not in table:
        raise SourceError(f"{where}url and channel are required")
    return Listing(**table)


def _issues(table: dict) -> Issues:
    _typed(table, ISSUE_KEYS, "issues: ")
    if "url" not in table:
        raise SourceError("issues: url is required")
    return Issues(**{**table, "editions": tuple(table.get("editions", ()))})


def portal_of(table: Any, origin: str) -> Portal:
    """One ``[[source]]`` table as a declaration; SourceError says what is wrong with it."""
    if not isinstance(table, dict):
        raise SourceError("a source is a table ([[source]])")
    _typed(table, SOURCE_KEYS, "")
    missing = [key for key in REQUIRED if key not in table]
    if missing:
        raise SourceError(f"missing {', '.join(missing)}")
    if table["kind"] not in CRAWLED_KINDS:
        raise SourceError(f"kind {table['kind']!r} is not one of {', '.join(CRAWLED_KINDS)}")
    values = dict(table)
    values["hosts"] = tuple(values["hosts"])
    values["lists"] = tuple(_listing(t, n) for n, t in enumerate(values.get("lists", ()), 1))
    values["issues"] = _issues(values["issues"]) if "issues" in values else None
    values["drop_query"] = tuple(values.get("drop_query", ()))
    values["replay_args"] = tuple((str(k), str(v)) for k, v in values.get("replay_args", {}).items())
    portal = Portal(**values, origin=origin)
    if portal.template is not None:
        from liaocheng_news.parsers.declared import template_version

        template_version(portal.template)  # SourceError when the parser has no such template
    return portal


def load(path: Path, built_in: Mapping[str, Portal]) -> tuple[list[Portal], list[str]]:
    """The sources a file declares, and an error message for each table that was left out."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [], [f"{path}: {exc}"]
    errors: list[str] = []
    extra = sorted(set(raw) - {"source"})
    if extra:
        errors.append(f"{path}: unknown top-level key(s) {', '.join(extra)} (sources are [[source]] tables)")
    tables = raw.get("source", [])
    if not isinstance(tables, list):
        return [], [*errors, f"{path}: source must be an array of tables ([[source]])"]
    portals: list[Portal] = []
    first: dict[str, int] = {}
    reserved = reserved_names(built_in)
    owners = {host: source.name for source in built_in.values() for host in source.hosts}
    for n, table in enumerate(tables, 1):
        name = table.get("name") if isinstance(table, dict) else None
        where = f"{path}: [[source]] #{n}" + (f" ({name})" if isinstance(name, str) else "")
        try:
            portal = portal_of(table, str(path))
        except SourceError as exc:
            errors.append(f"{where}: {exc}")
            continue
        taken = [f"{host} ({owners[host]})" for host in portal.hosts if host in owners]
        if portal.name in reserved:
            errors.append(f"{where}: the name {portal.name!r} is taken by a built-in source or module")
        elif portal.name in first:
            errors.append(f"{where}: the name {portal.name!r} is declared already by [[source]] #{first[portal.name]}")
        elif taken:  # a URL must belong to one source (a subdomain of another's host may be a source)
            errors.append(f"{where}: host(s) {', '.join(taken)} belong to another source already")
        else:
            first[portal.name] = n
            owners.update({host: portal.name for host in portal.hosts})
            portals.append(portal)
    return portals, errors


def operator_sources(built_in: Mapping[str, Portal]) -> dict[str, Portal]:
    """The valid sources of the operator's file (none without a file); errors are logged."""
    path, named = sources_path()
    if not path.exists():
        if named:
            logger.error("SOURCES_FILE names %s, which does not exist: no operator sources loaded", path)
        return {}
    portals, errors = load(path, built_in)
    for error in errors:
        logger.error("sources file: %s (left out)", error)
    LOGGED.extend(errors)
    return {portal.name: portal for portal in portals}
