"""``liaocheng-news status``: each portal's health, and whether it needs attention.

Per portal: the last run (status, when), articles archived in the last 24 hours and 7 days,
the share of failed requests and of fallback extractions over the last 7 days of runs, how
often published_at, source and authors are filled (articles of the last 7 days), and the last
drift check (``check-portals``).  A portal needs attention when its last run failed, it had no
run or no new article for longer than its thresholds (``PORTAL_THRESHOLDS`` in settings.py, per
portal, per kind of source, ``*`` for the rest), its rates pass theirs, or its last drift check
did not pass: :mod:`liaocheng_news.attention` judges.
Exit status 1 when one does (``--alert`` also sends an alert, :mod:`liaocheng_news.alerts`),
2 when the archive cannot be reached.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timezone

from liaocheng_news import alerts, outcomes
from liaocheng_news.attention import assess, threshold_problems, thresholds

EXIT_ATTENTION = 1


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
    from liaocheng_news.ops.cli import _open_archive, settings_of
    from liaocheng_news.spiders import portal_spiders

    settings = settings_of(args)
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
    from liaocheng_news.ops.cli import settings_of

    settings = settings_of(args)
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
