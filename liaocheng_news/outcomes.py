"""What a run's outcome is, and what the crawl's exit status says: decided once, from its stats.

A crawl run ends in one of four statuses (``crawl_runs.status``), decided by :func:`run_status`
from the run's close reason and stats (the rules are the contract between the operations and
the reliability work, CONTRACT-17-18.md):

* ``interrupted`` — stopped by a signal (SIGINT/SIGTERM: the stat ``interrupted`` names it) or
  the engine was shut down early (close reason ``shutdown``);
* ``failed`` — the archive could not take the run (close reason ``archive_unavailable`` or
  ``spool_unwritable``); or nothing was fetched (no response under 400 from the portal, its
  robots.txt not counted, and no item: an import whose every file was dropped); or every list
  page the portal served held no article link;
* ``degraded`` — it finished, but something was lost on the way: requests that failed after
  their retries or answered 400 and more (``errors``), sections left unfinished, list-page
  archive checks that failed, items spooled instead of stored, or another close reason
  (a CloseSpider, a limit);
* ``finished`` — none of the above.

A crawl of several spiders exits with the worst of their statuses (:func:`worst`), as
:data:`EXIT_CODES` says.
"""

from __future__ import annotations

import signal

FINISHED, DEGRADED, FAILED, INTERRUPTED, RUNNING = "finished", "degraded", "failed", "interrupted", "running"
# best to worst: a crawl is as bad as its worst run
SEVERITY = (FINISHED, DEGRADED, FAILED, INTERRUPTED)

# exit status of `liaocheng-news crawl` / `import` / `scrapy crawl` for each status
EXIT_CODES = {FINISHED: 0, DEGRADED: 3, FAILED: 1}
EXIT_SIGNAL_BASE = 128  # interrupted: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM)
EXIT_ARCHIVE_UNAVAILABLE = 2  # the archive cannot be reached before the crawl starts
EXIT_USAGE = 64  # a command line that makes no sense (BSD sysexits' EX_USAGE)
EXIT_NO_INPUT = 66  # a named file or folder is not there (EX_NOINPUT)

# close reasons that mean the archive could not take the run's items
ARCHIVE_FAILURES = ("archive_unavailable", "spool_unwritable")
# the stats that, when above zero, make a finished run degraded (reliability sets the first three)
DEGRADING = ("frontier/sections_unfinished", "archive/list_check_failures", "items_spooled", "errors")

# stats the archive extension counts for this decision (responses from the portal, robots.txt not counted)
RESPONSES_OK = "responses/ok"
RESPONSES_ERROR = "responses/error"


# what a run counts as its errors (the summary's `errors`): spider exceptions, requests given up
# after their retries, responses of 400 and more that no callback handled, batches the archive rejected
ERROR_STATS = ("spider_exceptions", "retry/max_reached", "httperror/response_ignored_count",
               "archive/rejected_batches")


def error_count(stats: dict) -> int:
    return sum(stats.get(key, 0) for key in ERROR_STATS)


def run_status(reason: str | None, stats: dict) -> tuple[str, str]:
    """The status of a run that closed with ``reason`` and ``stats``, and why (one short phrase)."""
    # the store may meet the unwritable spool only with the last batch, as the engine closes for
    # another reason: it records its own (finish_reason); items neither stored nor spooled fail a run
    for why in (reason, stats.get("finish_reason")):
        if why in ARCHIVE_FAILURES:
            return FAILED, f"close reason {why}"
    if stats.get("items_unsaved"):
        return FAILED, f"{stats['items_unsaved']} items neither stored nor spooled"
    if stats.get("interrupted"):
        return INTERRUPTED, f"stopped by {stats['interrupted']}"
    if reason == "shutdown":
        return INTERRUPTED, "the engine was shut down early"
    if not stats.get(RESPONSES_OK) and not stats.get("item_scraped_count"):
        if stats.get("import/files"):
            return FAILED, f"no article imported from {stats['import/files']} files ({stats.get('items_dropped', 0)} dropped)"
        return FAILED, "nothing fetched" + (f" ({stats['errors']} requests failed)" if stats.get("errors") else "")
    lists = stats.get("list_pages_fetched", 0)
    if lists and stats.get("list_pages_without_links", 0) >= lists:
        return FAILED, f"no article link on any of {lists} list pages"
    why = [f"{key} {stats[key]}" for key in DEGRADING if stats.get(key)]
    if reason not in (None, FINISHED):
        why.insert(0, f"close reason {reason}")
    if why:
        return DEGRADED, ", ".join(why)
    return FINISHED, ""


def worst(statuses) -> str:
    """The worst of some statuses (``finished`` for none)."""
    return max(statuses, key=SEVERITY.index, default=FINISHED)


def exit_code(status: str, signame: str | None = None) -> int:
    """The exit status for a crawl whose worst run ended ``status`` (``signame``: the signal that
    interrupted it, SIGINT when unknown)."""
    if status == INTERRUPTED:
        return EXIT_SIGNAL_BASE + int(getattr(signal, signame or "SIGINT", signal.SIGINT))
    return EXIT_CODES[status]
