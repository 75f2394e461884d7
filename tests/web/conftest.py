"""Fixtures of the site's tests: the test archive (tests/web/archive.py) and a client of the app."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from liaocheng_news.web.app import create_app
from tests.web.archive import fill


@pytest.fixture
def facts(archive_url):
    return fill(archive_url, datetime.now(timezone.utc))


@pytest.fixture
def client(facts):
    with TestClient(create_app(facts.url), follow_redirects=False) as client:
        yield client
