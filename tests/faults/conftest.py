"""Fixtures of the fault suite: a generated site and a decoy on 127.0.0.1; every case is marked ``faults``."""

from __future__ import annotations

import pytest

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
