"""PORTAL_THRESHOLDS: each limit from the portal's entry, else its kind's, else "*"; bad tables said."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from liaocheng_news.attention import UNCHECKED, assess, threshold_problems, thresholds
from liaocheng_news.portals import PORTALS

TABLE = {
    "*": {"max_silence_hours": 48, "max_run_age_hours": 36},
    "kind:government": {"max_silence_hours": 336, "max_error_rate": 0.5},
    "liaocheng_gov": {"max_silence_hours": 168},
}


def test_portal_entry_over_kind_entry_over_star():
    settings = Settings({"PORTAL_THRESHOLDS": TABLE})
    assert PORTALS["yanggu_gov"].kind == PORTALS["liaocheng_gov"].kind == "government"
    county = thresholds(settings, "yanggu_gov")
    assert county["max_silence_hours"] == 336 and county["max_error_rate"] == 0.5  # the kind's
    assert county["max_run_age_hours"] == 36  # "*" where the kind says nothing
    city = thresholds(settings, "liaocheng_gov")
    assert city["max_silence_hours"] == 168 and city["max_error_rate"] == 0.5  # its own, then the kind's
    daily = thresholds(settings, "lcxw")  # an origin portal: no kind entry
    assert daily["max_silence_hours"] == 48 and daily["max_error_rate"] == UNCHECKED["max_error_rate"]
    assert thresholds(settings, "no_such_source")["max_silence_hours"] == 48  # undeclared: "*" only


def test_the_shipped_table_gives_every_government_source_more_silence_than_a_daily_portal():
    settings = get_project_settings()
    government = [name for name, p in PORTALS.items() if p.kind == "government"]
    assert len(government) >= 10
    for name in government:
        assert thresholds(settings, name)["max_silence_hours"] >= 24 * 7, name
    for name in ("lcxw", "lcrb", "yybnet", "dzwww_liaocheng"):
        assert thresholds(settings, name)["max_silence_hours"] == 48, name
    assert threshold_problems(settings.getdict("PORTAL_THRESHOLDS")) == ([], [])


def _silent_for(hours: float, now: datetime) -> dict:
    """A portal's health whose last run was an hour ago and whose last new article ``hours`` ago."""
    run = {"id": 1, "status": "finished", "started_at": now - timedelta(hours=1), "detail": ""}
    articles = {"new_24h": 0, "new_7d": 0, "last_new": now - timedelta(hours=hours),
                "published_at_fill": None, "source_fill": None, "authors_fill": None}
    return {"last_run": run, "runs": None, "articles": articles, "drift": None}


def test_five_quiet_days_need_attention_on_a_daily_portal_not_on_a_county_government():
    settings = get_project_settings()
    now = datetime.now(timezone.utc)
    quiet = _silent_for(24 * 5, now)
    assert assess("yanggu_gov", quiet, thresholds(settings, "yanggu_gov"), now)["attention"] == []
    assert assess("lcxw", quiet, thresholds(settings, "lcxw"), now)["attention"] == [
        "no new article for 120 h (limit 48 h)"]
    assert assess("yanggu_gov", _silent_for(24 * 15, now), thresholds(settings, "yanggu_gov"), now)["attention"] == [
        "no new article for 360 h (limit 336 h)"]


def test_threshold_problems_name_typos_and_refuse_values_that_are_no_number():
    errors, warnings = threshold_problems({
        "*": {"max_silence_hour": 48},                 # a limit that does not exist
        "kind:goverment": {"max_silence_hours": 1},    # a kind that does not exist
        "lcxw": {"max_error_rate": "0.5"},             # a string
        "achie": 7,                                    # not a table
        "government": {"max_silence_hours": 1},        # a kind without its "kind:"
    })
    assert errors == ["PORTAL_THRESHOLDS['lcxw']['max_error_rate'] must be a number, not '0.5'",
                      "PORTAL_THRESHOLDS['achie'] must be a table of limits, not 7"]
    assert len(warnings) == 3
    assert "no limit is called 'max_silence_hour'" in warnings[0]
    assert "'kind:goverment' is no portal, no kind:<kind>" in warnings[1] and "kind:government" in warnings[1]
    assert "'government' is no portal, no kind:<kind>" in warnings[2]


def test_status_refuses_a_bad_table_in_one_line_before_opening_the_archive(tmp_path):
    environ = {**os.environ, "LIAOCHENG_NEWS_HOME": str(tmp_path / "home"),
               "LIAOCHENG_NEWS_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"}
    for table, message in ((json.dumps({"*": {"max_silence_hours": "two days"}}), "must be a number"),
                           ("{not json", "is no JSON object")):
        done = subprocess.run([sys.executable, "-m", "liaocheng_news.ops.cli", "status", "-s",
                               f"PORTAL_THRESHOLDS={table}"], env=environ, capture_output=True, text=True, timeout=120)
        assert done.returncode == 64, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
