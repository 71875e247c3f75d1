"""The real app in-process on a fresh database, for the tests that ask the API about a problem."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from bestofn.db import get_engine
from bestofn.settings import Settings, get_settings


@pytest.fixture
def client(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("BESTOFN_DATABASE_URL", pg_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    with TestClient(create_app(Settings()), raise_server_exceptions=False) as c:
        yield c
    get_settings.cache_clear()
    get_engine.cache_clear()
