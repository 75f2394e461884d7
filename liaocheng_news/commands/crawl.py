"""``scrapy crawl SPIDER`` (what scrapyd runs for a job) with the project's outcomes and stopping.

Scrapy's own command exits 0 whatever the run did.  This one exits as ``liaocheng-news crawl``
does (:mod:`liaocheng_news.outcomes`): 0 finished, 3 degraded, 1 failed, 128 + the signal's
number when interrupted; so scrapyd logs a failed or degraded job as ``Process died:
exitstatus=N``, and the job's log ends with the run's ``run status: …`` line.  SIGINT/SIGTERM
(scrapyd's cancel) are handled by :mod:`liaocheng_news.shutdown`: the run closes as interrupted.
"""

from __future__ import annotations

import asyncio

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from liaocheng_news import outcomes
from liaocheng_news.shutdown import Shutdown


def crawl_outcome(crawlers, shutdown: Shutdown | None = None) -> tuple[str, int]:
    """The worst status of the crawlers' runs and the exit status it means."""
    from liaocheng_news.extensions.archive import ArchiveExtension

    statuses = []
    for crawler in crawlers:
        stats = crawler.stats.get_stats()
        if "run_status" not in stats:  # ended before its spider closed (a forced stop, a failed start)
            archive = crawler.get_extension(ArchiveExtension) if getattr(crawler, "extensions", None) else None
            if archive is not None:
                stats = archive.conclude("shutdown" if shutdown and shutdown.signame else None)
            else:
                stats = {**stats, "run_status": outcomes.run_status(
                    "shutdown" if shutdown and shutdown.signame else stats.get("finish_reason"), stats)[0]}
        statuses.append(stats["run_status"])
    status = outcomes.worst(statuses)
    return status, outcomes.exit_code(status, shutdown.signame if shutdown else None)


class Command(ScrapyCrawl):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider")
        process = self.crawler_process
        crawler = self._create_crawler(args[0])
        result = process.crawl(crawler, **opts.spargs)
        if asyncio.iscoroutine(result):
            asyncio.ensure_future(result)
        shutdown = Shutdown(process, [crawler], self.settings.getfloat("STOP_GRACE_SECONDS")).install()
        process.start(install_signal_handlers=False)
        shutdown.finish()
        if process.bootstrap_failed:
            self.exitcode = 1
            return
        self.exitcode = crawl_outcome([crawler], shutdown)[1]
