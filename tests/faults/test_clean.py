"""The baseline: a clean crawl of the generated site stores every article once (with Scrapy's
remote-control and telnet endpoints not loaded: finding 7 of issue 18); a second run reads the tops only."""

from tests.faults.crawl import assert_complete, expect_status, frontier, run_crawl, runs


def test_a_clean_crawl_stores_every_article_then_a_second_reads_only_the_tops(archive_url, tmp_path, site,
                                                                             site_server):
    code, log = run_crawl(archive_url, tmp_path, site_server.url)
    assert code == 0, log[-3000:]
    assert_complete(archive_url, site, site_server)
    # Scrapy's remote control (it runs code sent to it) and telnet console are not even loaded
    extensions = log[log.index("Enabled extensions:"):log.index("]", log.index("Enabled extensions:"))]
    assert "RemoteControl" not in extensions and "TelnetConsole" not in extensions and "CoreStats" in extensions
    first = runs(archive_url)[-1]
    assert first["status"] == "finished"
    assert first["stats"]["frontier/sections_finished"] == 4 and first["stats"]["frontier/sections_unfinished"] == 0
    assert first["stats"]["items_stored"] == len(site.articles)
    expect_status(code, first, "finished")
    assert frontier(archive_url) == {"cursors": [], "pending": []}

    requests_before = len(site_server.requests())
    code, log = run_crawl(archive_url, tmp_path, site_server.url)
    second = runs(archive_url)[-1]
    assert code == 0 and second["stats"]["articles_fetched"] == 0, log[-3000:]
    # the look-back: two list pages a section (nothing new on either), robots.txt of both hosts
    assert len(site_server.requests()) - requests_before == 4 * 2 + 2
    expect_status(code, second, "finished")
