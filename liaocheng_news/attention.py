"""When a source needs attention: its limits (``PORTAL_THRESHOLDS``) and the judgement of its figures.

One lookup of the limits (:func:`thresholds`: the source's own entry, else its kind's
``kind:<kind>``, else ``*``), a check of the table itself (:func:`threshold_problems`), and
:func:`assess`, which turns a source's figures (:func:`liaocheng_news.db.health.portal_health`)
into what ``liaocheng-news status`` shows and the reasons it needs attention.  Outside ``ops/``,
so any reader of the archive's health (the status command, a web page) judges by the same rules.
"""

from __future__ import annotations

from datetime import datetime

from liaocheng_news import outcomes

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
        kind = key[len(KIND_KEY):] if key.startswith(KIND_KEY) else None
        if key != "*" and key not in PORTALS and kind not in KIND_RANK:
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
