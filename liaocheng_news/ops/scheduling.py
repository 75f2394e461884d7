"""``liaocheng-news schedule``: a calendar for scrapyd, which runs jobs but has none.

Run once a tick (a systemd timer or cron every 10 minutes: ``--once``), or as a small
daemon (no ``--once``: one tick every ``tick`` of the configuration).  Each tick

1. reads the schedule (TOML, re-read every tick so edits need no restart);
2. asks every scrapyd node for its jobs (``listjobs.json``) and load (``daemonstatus.json``);
3. decides which entries are due: ``every = "2h"`` (since the entry was last scheduled) or
   ``at = "07:00"`` (the latest such time, in the schedule's time zone, Asia/Shanghai by
   default, has not been covered yet — a missed 07:00 is caught up once, not many times);
4. skips an entry whose spider still has a job pending or running on ANY node — two runs of
   one spider would only fetch the same pages twice and double the load on the portal;
5. sends each due entry to the least busy reachable node (``schedule.json``), and
6. records when each entry was scheduled in a small JSON state file.

Why a state file and not the archive's ``crawl_runs``: the scheduler must work on a host that
cannot (or should not) reach the database, a job counts as scheduled the moment scrapyd
accepts it (long before it writes a crawl run), and a failed job must not be retried every
tick.  The file lives at ``state`` in the configuration, default
``$LIAOCHENG_NEWS_HOME/schedule-state.json``; a lock file next to it keeps two ticks from
overlapping.  Run ONE scheduler per set of nodes.

The scrapyd API is spoken with scrapyd-client's ``ScrapydClient`` (the ``deploy`` extra), each
call bounded by ``timeout``.  Credentials come from the environment only: ``SCRAPYD_USERNAME``/``SCRAPYD_PASSWORD``, or per node the variables named
by ``username_env``/``password_env``.  See deploy/schedule.toml.example and deploy/README.md.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import re
import secrets
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from datetime import datetime, time as clock, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from liaocheng_news.text.fields import SHANGHAI

logger = logging.getLogger(__name__)

PROJECT = "liaocheng_news"
DEFAULT_TIMEZONE = SHANGHAI.key
DEFAULT_TICK = timedelta(minutes=10)
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 64
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_ENTRY_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class ConfigError(ValueError):
    """The schedule file is missing or wrong; the message says where."""


class NodeError(RuntimeError):
    """A scrapyd node could not be reached or answered with an error."""


# -- configuration ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Entry:
    """One line of the calendar: run ``spider`` (with args/settings) ``every`` so long or ``at`` times."""

    name: str
    spider: str
    every: timedelta | None = None
    at: tuple[clock, ...] = ()
    args: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    priority: float = 0.0
    enabled: bool = True


@dataclass(frozen=True)
class Schedule:
    nodes: tuple[Node, ...]
    entries: tuple[Entry, ...]
    project: str = PROJECT
    timezone: ZoneInfo = ZoneInfo(DEFAULT_TIMEZONE)
    state_path: Path | None = None
    tick: timedelta = DEFAULT_TICK
    timeout: float = 15.0


def parse_duration(text: str) -> timedelta:
    """``"2h"``, ``"90m"``, ``"1h30m"``, ``"1d"``, ``"2w"`` → a timedelta."""
    compact = str(text).strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise ConfigError(f"not a duration: {text!r} (use e.g. 30m, 2h, 1h30m, 1d)")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ConfigError(f"a duration must be positive: {text!r}")
    return timedelta(seconds=seconds)


def _parse_clock(text: str) -> clock:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", str(text).strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ConfigError(f"not a time of day: {text!r} (use HH:MM, 24-hour)")
    return clock(int(m.group(1)), int(m.group(2)))


def _setting_value(value: Any) -> str:
    """TOML values as Scrapy reads them on a command line (dicts/lists as JSON)."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _string_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table of NAME = value")
    return {str(k): _setting_value(v) for k, v in value.items()}


def _expand(text: str, environ: dict[str, str]) -> str:
    """``$VAR`` / ``${VAR}`` from ``environ``; unknown variables stay as written (and are caught)."""
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))",
                  lambda m: environ.get(m.group(1) or m.group(2), m.group(0)), text)


def _node(raw: Any, environ: dict[str, str]) -> Node:
    if isinstance(raw, str):
        raw = {"url": raw}
    if not isinstance(raw, dict) or not raw.get("url"):
        raise ConfigError(f"a node is a URL or a table with url (and username_env/password_env): {raw!r}")
    unknown = set(raw) - {"url", "username_env", "password_env"}
    if unknown:
        raise ConfigError(f"node {raw['url']}: unknown keys {sorted(unknown)} "
                          "(credentials come from the environment, never from this file)")
    url = _expand(str(raw["url"]), environ)
    if "$" in url or not url.startswith(("http://", "https://")):
        raise ConfigError(f"node URL {raw['url']!r} is not an http(s) URL (an unset variable?)")
    user = environ.get(raw.get("username_env", "SCRAPYD_USERNAME")) or None
    password = environ.get(raw.get("password_env", "SCRAPYD_PASSWORD")) or None
    return Node(url.rstrip("/") + "/", user, password)


def _entry(name: str, raw: Any, defaults: dict[str, Any]) -> Entry:
    where = f"[spiders.{name}]"
    if not _ENTRY_NAME.match(name):
        raise ConfigError(f"{where}: names may hold only letters, digits, '_', '-' and '.'")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(raw) - {"spider", "every", "at", "args", "settings", "priority", "enabled"}
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    if ("every" in raw) == ("at" in raw):
        raise ConfigError(f"{where}: give exactly one of every = \"2h\" or at = \"07:00\"")
    at = raw.get("at", ())
    at_times = tuple(sorted(_parse_clock(t) for t in ([at] if isinstance(at, str) else at)))
    if "at" in raw and not at_times:
        raise ConfigError(f"{where}: at needs at least one time")
    return Entry(
        name=name,
        spider=str(raw.get("spider", name)),
        every=parse_duration(raw["every"]) if "every" in raw else None,
        at=at_times,
        args={**_string_map(defaults.get("args"), "[defaults.args]"),
              **_string_map(raw.get("args"), f"{where} args")},
        settings={**_string_map(defaults.get("settings"), "[defaults.settings]"),
                  **_string_map(raw.get("settings"), f"{where} settings")},
        priority=float(raw.get("priority", defaults.get("priority", 0))),
        enabled=bool(raw.get("enabled", True)),
    )


def load_schedule(path: Path | str, environ: dict[str, str] | None = None) -> Schedule:
    """Read and check a schedule file (see deploy/schedule.toml.example)."""
    environ = dict(os.environ if environ is None else environ)
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no schedule file at {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    unknown = set(raw) - {"project", "timezone", "state", "tick", "timeout", "nodes", "defaults", "spiders"}
    if unknown:
        raise ConfigError(f"{path}: unknown keys {sorted(unknown)}")
    nodes = tuple(_node(n, environ) for n in raw.get("nodes") or ())
    if not nodes:
        raise ConfigError(f"{path}: nodes = [\"http://127.0.0.1:6800\", …] is required")
    defaults = raw.get("defaults") or {}
    entries = tuple(_entry(name, spec, defaults) for name, spec in (raw.get("spiders") or {}).items())
    if not entries:
        raise ConfigError(f"{path}: no [spiders.NAME] tables")
    try:
        tz = ZoneInfo(raw.get("timezone", DEFAULT_TIMEZONE))
    except Exception:  # ZoneInfoNotFoundError, ValueError
        raise ConfigError(f"{path}: unknown time zone {raw.get('timezone')!r}") from None
    state = raw.get("state")
    return Schedule(
        nodes=nodes,
        entries=entries,
        project=str(raw.get("project", PROJECT)),
        timezone=tz,
        state_path=Path(_expand(str(state), environ)).expanduser() if state else None,
        tick=parse_duration(raw.get("tick", "10m")),
        timeout=float(raw.get("timeout", 15)),
    )


# -- when is an entry due -------------------------------------------------------------------------
def last_occurrence(times: Iterable[clock], now: datetime, tz: ZoneInfo) -> datetime:
    """The latest moment at or before ``now`` that is one of ``times`` of day in ``tz``."""
    local = now.astimezone(tz)
    candidates = [datetime.combine(local.date() - timedelta(days=d), t, tzinfo=tz)
                  for d in (0, 1) for t in times]
    return max(c for c in candidates if c <= local)


def next_occurrence(times: Iterable[clock], now: datetime, tz: ZoneInfo) -> datetime:
    """The first moment after ``now`` that is one of ``times`` of day in ``tz``."""
    local = now.astimezone(tz)
    return min(c for d in (0, 1) for t in times
               if (c := datetime.combine(local.date() + timedelta(days=d), t, tzinfo=tz)) > local)


def slack(every: timedelta) -> timedelta:
    """How early an ``every`` entry may run: a timer tick that lands a few seconds short of
    the interval must not push the run a whole tick later (5 % of the interval, at most 5 min)."""
    return min(every / 20, timedelta(minutes=5))


def due(entry: Entry, last: datetime | None, now: datetime, tz: ZoneInfo) -> tuple[bool, str]:
    """Whether ``entry`` is due at ``now``, and why (or when it will be)."""
    if entry.every is not None:
        if last is None:
            return True, f"every {_human(entry.every)}, never scheduled"
        next_at = last + entry.every - slack(entry.every)
        if now >= next_at:
            return True, f"every {_human(entry.every)}, last {_local(last, tz)}"
        return False, f"next after {_local(last + entry.every, tz)}"
    occurrence = last_occurrence(entry.at, now, tz)
    if last is None or last < occurrence:
        return True, f"at {occurrence:%H:%M} ({tz.key})"
    return False, f"next at {_local(next_occurrence(entry.at, now, tz), tz)}"


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


# -- talking to scrapyd ----------------------------------------------------------------------------
def scrapyd(node: Node):
    """scrapyd-client's ``ScrapydClient`` for a node, with the node's credentials (from the
    environment; never ``~/.netrc``, which the client would otherwise read)."""
    from scrapyd_client import ScrapydClient

    client = ScrapydClient(node.url.rstrip("/"), node.username, node.password)
    if not node.username:
        client.auth = None
    return client


def ask(node: Node, endpoint: str, call: Callable[[], Any], timeout: float) -> Any:
    """``call()`` (one scrapyd API call of ``node``), within ``timeout`` seconds; every failure
    is a :class:`NodeError` that names the node and the endpoint.

    scrapyd-client sets no timeout on its requests, so the call runs in a daemon thread that is
    left behind if the node does not answer in time (it ends with the process)."""
    import requests
    from scrapyd_client.exceptions import ErrorResponse, MalformedResponse

    where = f"{node.url}{endpoint}.json"
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=f"scrapyd {where}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise NodeError(f"{where}: no answer within {timeout:g} s")
    error = outcome.get("error")
    if error is None:
        return outcome["value"]
    if isinstance(error, ErrorResponse):
        raise NodeError(f"{where}: {error}") from None
    if isinstance(error, MalformedResponse):  # scrapyd answers 401 with a page, not JSON
        text = " ".join(str(error).split())[:120]
        raise NodeError(f"{where}: not a scrapyd answer ({text!r}; check SCRAPYD_USERNAME/SCRAPYD_PASSWORD)") from None
    if isinstance(error, (requests.RequestException, OSError, ValueError, KeyError)):
        raise NodeError(f"{where}: {error}") from None
    raise error


def schedule_args(jobid: str, settings: dict[str, str], args: dict[str, str],
                  priority: float = 0.0) -> list[tuple[str, str]]:
    """schedule.json's fields for a job: its id, priority, Scrapy settings and spider arguments."""
    fields = [("jobid", jobid)]
    if priority:
        fields.append(("priority", str(priority)))
    return [*fields, *(("setting", f"{k}={v}") for k, v in settings.items()), *args.items()]


@dataclass
class NodeStatus:
    """What one node is doing now: its load and the project's pending/running jobs."""

    node: Node
    load: int = 0  # pending + running jobs of every project on the node
    active: dict[str, str] = field(default_factory=dict)  # spider -> job id (pending or running)
    error: str | None = None

    @property
    def usable(self) -> bool:
        return self.error is None


def survey(nodes: Iterable[Node], project: str, client: Callable[[Node], Any], timeout: float) -> list[NodeStatus]:
    statuses = []
    for node in nodes:
        status = NodeStatus(node)
        try:
            api = client(node)
            daemon = ask(node, "daemonstatus", api.daemonstatus, timeout)
            status.load = int(daemon.get("pending", 0)) + int(daemon.get("running", 0))
            jobs = ask(node, "listjobs", partial(api.jobs, project), timeout)
            for job in [*jobs.get("pending", []), *jobs.get("running", [])]:
                status.active.setdefault(job["spider"], job["id"])
        except NodeError as exc:
            status.error = str(exc)
        statuses.append(status)
    return statuses


# -- the decision (pure, so it is tested without scrapyd) ------------------------------------------------
@dataclass
class Decision:
    entry: Entry
    action: str  # schedule | skip | wait | disabled
    reason: str
    node: Node | None = None


def plan(schedule: Schedule, last_scheduled: dict[str, datetime], statuses: list[NodeStatus],
         now: datetime, last_nodes: dict[str, str] | None = None) -> list[Decision]:
    """Which entries to schedule now, and on which node; the others with the reason why not.

    ``last_nodes`` (entry name -> URL of the node its last job went to): a node that does not
    answer may still be running that job, so the entry waits until the node answers again.
    """
    usable = [s for s in statuses if s.usable]
    silent = {s.node.url for s in statuses if not s.usable}
    load = {id(s): s.load for s in usable}
    busy: dict[str, str] = {}  # spider -> where its job is (pending/running, or given a job this tick)
    for s in statuses:
        for spider, job in s.active.items():
            busy.setdefault(spider, f"job {job} on {s.node.url}")
    decisions = []
    for entry in schedule.entries:
        if not entry.enabled:
            decisions.append(Decision(entry, "disabled", "enabled = false"))
            continue
        is_due, why = due(entry, last_scheduled.get(entry.name), now, schedule.timezone)
        if not is_due:
            decisions.append(Decision(entry, "wait", why))
        elif entry.spider in busy:
            decisions.append(Decision(entry, "skip", f"due ({why}) but still active: {busy[entry.spider]}"))
        elif (last_nodes or {}).get(entry.name) in silent:
            decisions.append(Decision(entry, "skip", f"due ({why}) but its last job went to "
                                      f"{last_nodes[entry.name]}, which does not answer (it may still run)"))
        elif not usable:
            decisions.append(Decision(entry, "skip", f"due ({why}) but no node is reachable"))
        else:
            # least busy first; ties go to the node listed first
            target = min(usable, key=lambda s: load[id(s)])
            load[id(target)] += 1
            busy[entry.spider] = f"scheduled this tick on {target.node.url}"
            decisions.append(Decision(entry, "schedule", why, target.node))
    return decisions


# -- state ---------------------------------------------------------------------------------------------
def default_state_path() -> Path:
    from liaocheng_news.db.server import home_dir  # only the LIAOCHENG_NEWS_HOME rule, no database

    return home_dir() / "schedule-state.json"


def read_state(path: Path) -> dict[str, dict[str, Any]]:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("entries", {})
    except FileNotFoundError:
        return {}
    except (ValueError, AttributeError) as exc:
        raise ConfigError(f"unreadable schedule state {path}: {exc}; move it away to start afresh") from None


def write_state(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Replace the state file atomically (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"entries": entries}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _last_times(state: dict[str, dict[str, Any]]) -> dict[str, datetime]:
    times = {}
    for name, record in state.items():
        try:
            times[name] = datetime.fromisoformat(record["last_scheduled"])
        except (KeyError, TypeError, ValueError):
            continue
    return times


# -- one tick ---------------------------------------------------------------------------------------------
def job_id(entry: Entry, now: datetime, tz: ZoneInfo) -> str:
    """Readable and unique: shows up in scrapyd's log file names and in crawl_runs.job_id."""
    return f"{entry.name}-{now.astimezone(tz):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def run_tick(schedule: Schedule, *, dry_run: bool = False, now: datetime | None = None,
             out: TextIO = sys.stdout,
             client: Callable[[Node], Any] = scrapyd) -> int:
    """One tick: survey the nodes, schedule what is due, record it.  Returns an exit status.

    ``client(node)`` gives the node's API (scrapyd-client's ``ScrapydClient`` by default)."""
    state_path = schedule.state_path or default_state_path()
    state_path.parent.mkdir(parents=True, exist_ok=True)
    with open(state_path.with_name(state_path.name + ".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("another scheduler tick is running; nothing done", file=out)
            return EXIT_OK
        now = now or datetime.now(timezone.utc)
        state = read_state(state_path)
        statuses = survey(schedule.nodes, schedule.project, client, schedule.timeout)
        status = EXIT_OK
        for s in statuses:
            if not s.usable:
                print(f"node {s.node.url} unusable: {s.error}", file=out)
                status = EXIT_PARTIAL
        last_nodes = {name: record.get("node") for name, record in state.items() if isinstance(record, dict)}
        for decision in plan(schedule, _last_times(state), statuses, now, last_nodes):
            entry = decision.entry
            if decision.action != "schedule":
                print(f"{entry.name}: {decision.action} — {decision.reason}", file=out)
                continue
            jid = job_id(entry, now, schedule.timezone)
            if dry_run:
                print(f"{entry.name}: would schedule {entry.spider} on {decision.node.url} ({decision.reason})",
                      file=out)
                continue
            api = client(decision.node)
            fields = schedule_args(jid, entry.settings, entry.args, entry.priority)
            try:
                jid = ask(decision.node, "schedule", partial(api.schedule, schedule.project, entry.spider, fields),
                          schedule.timeout)
            except NodeError as exc:
                print(f"{entry.name}: FAILED to schedule on {decision.node.url}: {exc}", file=out)
                status = EXIT_PARTIAL
                continue
            state[entry.name] = {"last_scheduled": now.isoformat(), "node": decision.node.url, "job": jid}
            write_state(state_path, state)  # after each job: a crash cannot lose a scheduled run
            print(f"{entry.name}: scheduled {entry.spider} on {decision.node.url} as job {jid} "
                  f"({decision.reason})", file=out)
        out.flush()
        return status


# -- command line ---------------------------------------------------------------------------------------------
def _config_path(value: str | None) -> Path:
    if value:
        return Path(value)
    if os.environ.get("LIAOCHENG_NEWS_SCHEDULE"):
        return Path(os.environ["LIAOCHENG_NEWS_SCHEDULE"])
    from liaocheng_news.db.server import home_dir

    return home_dir() / "schedule.toml"


def main(argv: list[str] | None = None, prog: str = "liaocheng-news schedule") -> int:
    parser = argparse.ArgumentParser(
        prog=prog, description="Schedule due spiders on scrapyd nodes (see deploy/README.md).")
    parser.add_argument("--config", metavar="FILE",
                        help="schedule file (default: $LIAOCHENG_NEWS_SCHEDULE, else "
                             "$LIAOCHENG_NEWS_HOME/schedule.toml)")
    parser.add_argument("--once", action="store_true",
                        help="one tick, then exit (for a systemd timer or cron); default: tick forever")
    parser.add_argument("--dry-run", action="store_true",
                        help="say what would be scheduled; schedule nothing, record nothing")
    args = parser.parse_args(argv)
    path = _config_path(args.config)
    while True:
        started = time.monotonic()
        try:
            schedule = load_schedule(path)
            status = run_tick(schedule, dry_run=args.dry_run)
        except ConfigError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            if args.once or args.dry_run:
                return EXIT_USAGE
            status, schedule = EXIT_USAGE, None
        except Exception:  # a daemon keeps ticking; a single tick reports the error and fails
            if args.once or args.dry_run:
                raise
            logger.exception("scheduler tick failed; trying again next tick")
            schedule = None
        if args.once or args.dry_run:
            return status
        pause = (schedule.tick if schedule else DEFAULT_TICK).total_seconds()
        try:
            time.sleep(max(1.0, pause - (time.monotonic() - started)))
        except KeyboardInterrupt:
            return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
