"""The consumer commands (ops/consumers.py) on a real archive: search, export --after, grant-reader."""

import argparse
import csv
import io
import json

import psycopg
import pytest
from psycopg import sql

from liaocheng_news.db import feed
from liaocheng_news.ops import consumers
from tests.db.test_feed import _with_archive, story_article
from tests.helpers import article, run


def _parser() -> argparse.ArgumentParser:
    """The commands as cli.py wires them."""
    parser = argparse.ArgumentParser(prog="liaocheng-news")
    sub = parser.add_subparsers(dest="command", required=True)
    consumers.add_search_parser(sub)
    export = sub.add_parser("export")
    export.add_argument("-s", "--set", action="append")  # cli.py's with_settings
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--portal")
    export.add_argument("--stories", action="store_true")
    consumers.add_export_arguments(export)
    export.set_defaults(func=consumers.run_export)
    db = sub.add_parser("db").add_subparsers(dest="db_command", required=True)
    consumers.add_grant_reader_parser(db)
    return parser


def _cli(url: str, *argv: str) -> tuple[int, str]:
    """A command on the archive at ``url``, named the way any command can be told (``-s``)."""
    args = _parser().parse_args([*argv, "-s", f"LIAOCHENG_NEWS_DATABASE_URL={url}"])
    if args.command == "db":
        return args.func(args), ""
    out = io.StringIO()
    return args.func(args, out), out.getvalue()


@pytest.fixture
def archive(archive_url, monkeypatch):
    monkeypatch.delenv("LIAOCHENG_NEWS_DATABASE_URL", raising=False)  # -s names it
    return archive_url


def _store(url, articles):
    async def go(a):
        return await a.store(articles)
    return run(_with_archive(url, go))


def test_search_prints_ranked_results_with_snippets(archive, capsys):
    hit = article(body=["今年临清市的轴承出口增长了两成。"] * 2, title="临清轴承走向世界")
    _store(archive, [hit, story_article(1)])
    code, out = _cli(archive, "search", "临清 轴承")
    assert code == 0
    assert hit.title in out and hit.url in out and "«临清»市的«轴承»" in out
    code, out = _cli(archive, "search", "临清 轴承", "--json", "--limit", "5")
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["url"] == hit.url and record["rank"] == 1.0 and record["published_at"].endswith("+08:00")
    code, out = _cli(archive, "search", "没有这篇")
    assert (code, out) == (0, "") and "nothing found" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (("search", "，。"), "no Chinese characters"),
    (("search", "临清", "--limit", "0"), "--limit"),
    (("export", "--after", "-1"), "--after"),
    (("export", "--published-since", "yesterday"), "--published-since"),
    (("export", "--after", "0", "--stories"), "--stories"),
    (("export", "--after", "0", "--jobs", "0"), "--jobs"),
    (("export", "--after", "0", "--jobs", "5"), "--jobs"),
])
def test_bad_options_exit_64_with_one_line(archive, capsys, argv, message):
    code, out = _cli(archive, *argv)
    err = capsys.readouterr().err
    assert code == 64 and out == "" and message in err and err.count("\n") == 1


def test_export_after_streams_changes_in_order_and_resumes_exactly(archive, capsys, tmp_path):
    _store(archive, [story_article(1), story_article(2)])
    code, out = _cli(archive, "export", "--after", "0")
    records = [json.loads(line) for line in out.splitlines()]
    last = records[-1]["change_seq"]
    assert code == 0 and [r["kind"] for r in records] == ["article", "article"]
    assert {"id", "change_seq", "last_changed", "crawl_run_id", "is_canonical", "story_id"} <= set(records[0])
    assert f"last SEQ {last}" in capsys.readouterr().err

    revised = story_article(1, subtitle="更正")
    _store(archive, [revised, story_article(3)])
    code, out = _cli(archive, "export", "--after", str(last), "--revisions")
    again = [json.loads(line) for line in out.splitlines()]
    # the batch keeps the old version and revises the known URL, then inserts the new one
    assert [(r["kind"], r["url"]) for r in again] == [
        ("revision", revised.url), ("article", revised.url), ("article", story_article(3).url)]
    assert [r["change_seq"] for r in again] == sorted(r["change_seq"] for r in again)
    assert all(r["change_seq"] > last for r in again)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_on_one_to_four_connections_writes_the_same(archive, capsys, monkeypatch, fmt):
    _store(archive, [story_article(i) for i in range(7)])
    _store(archive, [story_article(i, subtitle="更正") for i in (1, 4)])
    monkeypatch.setattr(feed, "SPAN", 1)  # a span a change number: every connection makes some
    outputs = {jobs: _cli(archive, "export", "--after", "0", "--revisions", "--format", fmt, "--jobs", str(jobs))
               for jobs in (1, 2, 4)}
    code, out = outputs[1]
    records = list(csv.DictReader(io.StringIO(out))) if fmt == "csv" else [json.loads(r) for r in out.splitlines()]
    assert code == 0 and [r["kind"] for r in records].count("revision") == 2 and len(records) == 9
    assert outputs[2] == outputs[4] == outputs[1]
    assert capsys.readouterr().err.count("exported 9 records") == 3


def test_seq_file_keeps_a_consumers_place(archive, capsys, tmp_path):
    seq_file = tmp_path / "last_seq"
    _store(archive, [story_article(1)])
    code, first = _cli(archive, "export", "--seq-file", str(seq_file))
    assert code == 0 and len(first.splitlines()) == 1
    mark = int(seq_file.read_text())
    assert mark == json.loads(first)["change_seq"]
    code, nothing = _cli(archive, "export", "--seq-file", str(seq_file))
    assert (code, nothing) == (0, "") and int(seq_file.read_text()) == mark
    _store(archive, [story_article(2)])
    code, second = _cli(archive, "export", "--seq-file", str(seq_file), "--format", "csv")
    header, *rows = csv.reader(io.StringIO(second))
    assert code == 0 and header[:3] == ["kind", "id", "url"] and len(rows) == 1
    assert dict(zip(header, rows[0]))["body"] == story_article(2).body_text
    assert int(seq_file.read_text()) > mark
    seq_file.write_text("garbage\n")
    assert _cli(archive, "export", "--seq-file", str(seq_file))[0] == 64


def test_grant_reader_from_the_environment(archive, monkeypatch, capsys):
    name = "consumer_cli_test"
    monkeypatch.setenv(consumers.PASSWORD_VARIABLE, "from-the-environment")
    try:
        assert _cli(archive, "db", "grant-reader", name)[0] == 0
        assert "created the read-only login" in capsys.readouterr().err
        assert _cli(archive, "db", "grant-reader", name)[0] == 0
        assert "updated" in capsys.readouterr().err
        with psycopg.connect(archive) as conn:
            assert conn.execute("SELECT pg_has_role(%s, 'liaocheng_news_reader', 'MEMBER')", (name,)).fetchone()[0]
        monkeypatch.delenv(consumers.PASSWORD_VARIABLE)
        monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal to ask on
        assert _cli(archive, "db", "grant-reader", name)[0] == 64
        assert consumers.PASSWORD_VARIABLE in capsys.readouterr().err
    finally:
        with psycopg.connect(archive, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def test_grant_reader_refuses_a_bad_name(archive, monkeypatch, capsys):
    monkeypatch.setenv(consumers.PASSWORD_VARIABLE, "long-enough")
    assert _cli(archive, "db", "grant-reader", "postgres")[0] == 64
    assert "reserved" in capsys.readouterr().err


def test_an_unreachable_archive_exits_2(tmp_path, capsys):
    assert _cli(f"postgresql://nobody@/nothing?host={tmp_path}&connect_timeout=2", "search", "临清")[0] == 2
    assert "cannot reach the archive database" in capsys.readouterr().err


def test_reading_commands_never_migrate_and_refuse_an_archive_without_the_api(empty_database_url, capsys):
    assert _cli(empty_database_url, "export", "--after", "0")[0] == 2
    assert "no consumer api" in capsys.readouterr().err
    with psycopg.connect(empty_database_url) as conn:  # left as it was
        assert conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None
