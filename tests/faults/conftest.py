"""Fixtures of the fault suite: a generated site and a decoy on 127.0.0.1, a PostgreSQL to kill;
every case is marked ``faults``."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import psutil
import pytest

from liaocheng_news.db import layout, postmaster
from liaocheng_news.db.server import delete_data, embedded_server, stop_embedded
from tests.faults.site import DecoyServer, SiteServer, generate


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def site():
    return generate()


@pytest.fixture
def site_server(site):
    server = SiteServer(site).start()
    yield server
    server.stop()


@pytest.fixture
def decoy():
    server = DecoyServer().start()
    yield server
    server.stop()


class KillablePostgres:
    """An embedded PostgreSQL of one test, which the test kills (SIGKILL) and starts again."""

    def __init__(self, server):
        self.server = server
        self.pgdata = server.pgdata
        self.info = server.info

    @property
    def url(self) -> str:
        return self.server.get_uri()

    def kill(self) -> None:
        info = postmaster.running(self.pgdata)
        proc = psutil.Process(info.pid)
        family = [proc, *proc.children(recursive=True)]
        os.kill(info.pid, signal.SIGKILL)
        psutil.wait_procs(family, timeout=30)  # its backends end when they see it gone
        self.info = info

    def restart(self) -> None:
        user = layout.server_user()
        self.info = postmaster.start(layout.server_bin(user), self.pgdata, user, socket_dir=self.info.socket_dir,
                                     port=self.info.port, listen=self.info.listen)


@pytest.fixture
def own_postgres():
    """A PostgreSQL server for this test alone (killed and restarted by it), with an empty archive database."""
    home = Path(tempfile.mkdtemp(prefix="lcn-fault-pg-"))
    home.chmod(0o711)  # run by root, PostgreSQL's own user must pass through this folder (only)
    server = embedded_server(home, cleanup_mode="delete")
    pg = KillablePostgres(server)
    try:
        yield pg
    finally:
        try:
            server.cleanup()
        finally:
            stop_embedded(server.pgdata)
            delete_data(home, pg.info.socket_dir)
            shutil.rmtree(home, ignore_errors=True)
