"""``liaocheng-news status``: each portal's health, and whether it needs attention.

Per portal: the last run (status, when), articles archived in the last 24 hours and 7 days,
the share of failed requests and of fallback extractions over the last 7 days of runs, how
often published_at, source and authors are filled (articles of the last 7 days), and the last
drift check (``check-portals``).  A portal needs attention when its last run failed, it had no
run or no new article for longer than its thresholds (``PORTAL_THRESHOLDS`` in settings.py, per
portal, per kind of source, ``*`` for the rest: :func:`thresholds`), its rates pass theirs, or its
last drift check did not pass.
Exit status 1 when one does (``--alert`` also sends an alert, :mod:`liaocheng_news.alerts`),
2 when the archive cannot be reached.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timezone

from liaocheng_news import alerts, outcomes

EXIT_ATTENTION = 1
MIN_ARTICLES_FOR_RATES = 5  # fill rates of fewer articles than this say little


KIND_KEY = "kind:"  # a PORTAL_THRESHOLDS key for every source of a kind: "kind:government"
# the limits an entry may set, each with the value that checks nothing
UNCHECKED = {"max_run_age_hours": float("inf"), "max_silence_hours": float("inf"), "max_error_rate": float("inf"),
             "max_fallback_rate": float("inf"), "min_published_at_fill": 0}


def thresholds(settings, portal: str) -> dict:
    """The portal's limits, each from the first entry of ``PORTAL_THRESHOLDS`` that gives it: the
    portal's own, its kind's (``kind:<kind>``, the kind its declaration names), ``*``.  A limit
    none of them gives is not checked (:data:`UNCHECKED`)."""
    from liaocheng_news.portals import PORTALS

    table = settings.getdict("PORTAL_THRESHOLDS")
    declared = PORTALS.get(portal)
    kind = table.get(KIND_KEY + declared.kind, {}) if declared else {}
    return {**UNCHECKED, **table.get("*", {}), **kind, **table.get(portal, {})}


def threshold_problems(table: dict) -> tuple[list[str], list[str]]:
    """What is wrong with a ``PORTAL_THRESHOLDS`` table: (errors: limits that are no number;
    warnings: keys that name no portal or kind and limits that do not exist, which check nothing)."""
    from liaocheng_news.portals import KIND_RANK, PORTALS

    errors, warnings = [], []
    for key, limits in table.items():
        if key != "*" and key not in PORTALS and key.removeprefix(KIND_KEY) not in KIND_RANK:
            warnings.append(f"PORTAL_THRESHOLDS: {key!r} is no portal, no {KIND_KEY}<kind> "
                            f"({', '.join(KIND_KEY + k for k in KIND_RANK)}) and not '*': it applies to nothing")
        if not isinstance(limits, dict):
            errors.append(f"PORTAL_THRESHOLDS[{key!r}] must be a table of limits, not {limits!r}")
            continue
        for name, value in limits.items():
            if name not in UNCHECKED:
                warnings.append(f"PORTAL_THRESHOLDS[{key!r}]: no limit is called {name!r} "
                                f"(limits: {', '.join(UNCHECKED)})")
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                errors.append(f"PORTAL_THRESHOLDS[{key!r}][{name!r}] must be a number, not {value!r}")
    return errors, warnings


def _hours(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else (now - since).total_seconds() / 3600


def _rate(part, whole) -> float | None:
    return None if not whole else part / whole


def assess(portal: str, health: dict, limits: dict, now: datetime) -> dict:
    """One portal's figures and the reasons it needs attention (none: it is fine)."""
    run, runs, articles, drift = health["last_run"], health["runs"], health["articles"], health["drift"]
    limits = {**UNCHECKED, **limits}
    reasons = []
    figures = {"portal": portal, "last_run": None, "new_24h": 0, "new_7d": 0, "hours_since_new": None,
               "error_rate": None, "fallback_rate": None, "published_at_fill": None, "source_fill": None,
               "authors_fill": None, "drift": None}
    if run is None:
        reasons.append("never crawled")
    else:
        age = _hours(run["started_at"], now)
        figures["last_run"] = {"id": run["id"], "status": run["status"], "started_at": run["started_at"].isoformat(),
                               "hours_ago": round(age, 1), "detail": run["detail"] or ""}
        if run["status"] == outcomes.FAILED:
            reasons.append(f"last run failed ({run['detail'] or 'no detail'})")
        if age > limits["max_run_age_hours"]:
            what = "still running, started" if run["status"] == outcomes.RUNNING else "last run"
            reasons.append(f"{what} {age:.0f} h ago (limit {limits['max_run_age_hours']} h)")
    if runs:
        figures["error_rate"] = _rate(runs["errors"], runs["pages"] + runs["errors"])
        figures["fallback_rate"] = _rate(runs["fallbacks"], runs["articles"])
        if (figures["error_rate"] or 0) > limits["max_error_rate"]:
            reasons.append(f"{figures['error_rate']:.0%} of requests failed (limit {limits['max_error_rate']:.0%})")
        if (figures["fallback_rate"] or 0) > limits["max_fallback_rate"]:
            reasons.append(f"{figures['fallback_rate']:.0%} fallback extractions "
                           f"(limit {limits['max_fallback_rate']:.0%}): has the template changed?")
    if articles:
        figures.update(new_24h=articles["new_24h"], new_7d=articles["new_7d"],
                       hours_since_new=round(_hours(articles["last_new"], now), 1))
        for key in ("published_at_fill", "source_fill", "authors_fill"):
            figures[key] = None if articles[key] is None else float(articles[key])
        if articles["new_7d"] >= MIN_ARTICLES_FOR_RATES and figures["published_at_fill"] is not None \
                and figures["published_at_fill"] < limits["min_published_at_fill"]:
            reasons.append(f"only {figures['published_at_fill']:.0%} of new articles have a date "
                           f"(limit {limits['min_published_at_fill']:.0%})")
    if run is not None:
        silence = figures["hours_since_new"]
        if silence is None:
            reasons.append("no article archived yet")
        elif silence > limits["max_silence_hours"]:
            reasons.append(f"no new article for {silence:.0f} h (limit {limits['max_silence_hours']} h)")
    if drift:
        figures["drift"] = {"verdict": drift["verdict"], "checked_at": drift["checked_at"].isoformat(),
                            "detail": drift["detail"], "replay": drift["replay"]}
        if drift["verdict"] != "ok":
            reasons.append(f"drift check {drift['verdict']}: {drift['detail']}")
    figures["attention"] = reasons
    return figures


def _pct(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def render_table(rows: list[dict]) -> str:
    head = ("portal", "last run", "24h", "7d", "errors", "fallback", "dated", "source", "authors", "drift")
    table = [head]
    for r in rows:
        run = r["last_run"]
        last = "-" if run is None else f"{run['status']} {run['hours_ago']:.0f}h ago"
        drift = r["drift"]["verdict"] if r["drift"] else "-"
        table.append((r["portal"], last, str(r["new_24h"]), str(r["new_7d"]), _pct(r["error_rate"]),
                      _pct(r["fallback_rate"]), _pct(r["published_at_fill"]), _pct(r["source_fill"]),
                      _pct(r["authors_fill"]), drift))
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(row))
             for row in table]
    for r in rows:
        for reason in r["attention"]:
            lines.append(f"{r['portal']}: needs attention: {reason}")
    return "\n".join(lines)


def cmd_status(args) -> int:
    from liaocheng_news.db.health import portal_health
    from liaocheng_news.ops.cli import _open_archive, _pairs, project_settings
    from liaocheng_news.spiders import portal_spiders

    settings = project_settings(_pairs(args.set, "-s/--set"))
    known = list(portal_spiders())
    unknown = sorted(set(args.portals) - set(known))
    if unknown:
        print(f"liaocheng-news: unknown portal(s): {', '.join(unknown)}; known: {', '.join(known)}", file=sys.stderr)
        return outcomes.EXIT_USAGE
    portals = args.portals or known
    try:
        errors, warnings = threshold_problems(settings.getdict("PORTAL_THRESHOLDS"))
    except ValueError as exc:  # -s PORTAL_THRESHOLDS='…' that is no JSON object
        errors, warnings = [f"PORTAL_THRESHOLDS is no JSON object of tables: {exc}"], []
    for line in warnings:
        print(f"liaocheng-news: warning: {line}", file=sys.stderr)
    if errors:
        print("\n".join(f"liaocheng-news: {line}" for line in errors), file=sys.stderr)
        return outcomes.EXIT_USAGE

    async def read():
        archive = await _open_archive(settings)
        try:
            return await portal_health(archive.pool, portals)
        finally:
            await archive.close()

    health = asyncio.run(read())
    now = datetime.now(timezone.utc)
    rows = [assess(p, health[p], thresholds(settings, p), now) for p in portals]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=str))
    else:
        print(render_table(rows))
    attention = [r for r in rows if r["attention"]]
    if attention and args.alert and alerts.configured(settings):
        body = alerts.payload("attention", "liaocheng-news: " + "; ".join(
            f"{r['portal']}: {', '.join(r['attention'])}" for r in attention),
            portals={r["portal"]: r["attention"] for r in attention})
        if not alerts.send(settings, body):
            print("liaocheng-news: the alert could not be delivered (see above)", file=sys.stderr)
    return EXIT_ATTENTION if attention else 0


def cmd_alert(args) -> int:
    """Send one alert (what an OnFailure= unit runs): MESSAGE, and stdin's text as its details."""
    from liaocheng_news.ops.cli import _pairs, project_settings

    settings = project_settings(_pairs(args.set, "-s/--set"))
    details = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()[-8000:]
    if not alerts.configured(settings):
        print(f"liaocheng-news: no alert sent (set LIAOCHENG_NEWS_ALERT_COMMAND or _WEBHOOK): {args.message}",
              file=sys.stderr)
        return 1
    body = alerts.payload(args.event, args.message, **({"details": details} if details else {}))
    return 0 if alerts.send(settings, body) else 1


def add_parser(subparsers, parents=()) -> None:
    p = subparsers.add_parser(
        "status", parents=list(parents), help="each portal's health; exit 1 when one needs attention",
        description=__doc__.split("\n\n")[1].replace("\n", " "))
    p.add_argument("portals", nargs="*", metavar="PORTAL", help="portals to show (default: all)")
    p.add_argument("--json", action="store_true", help="one JSON object per portal")
    p.add_argument("--alert", action="store_true",
                   help="also send an alert (LIAOCHENG_NEWS_ALERT_COMMAND / _WEBHOOK) when a portal needs attention")
    p.set_defaults(func=cmd_status)

    p = subparsers.add_parser(
        "alert", parents=list(parents), help="send an alert (stdin: its details); for OnFailure= units",
        description="Send MESSAGE (and the text on stdin as its details) to LIAOCHENG_NEWS_ALERT_COMMAND / "
                    "LIAOCHENG_NEWS_ALERT_WEBHOOK. Exit 1 when it could not be delivered or none is configured.")
    p.add_argument("message")
    p.add_argument("--event", default="manual", help="the payload's event (default: manual)")
    p.set_defaults(func=cmd_alert)
