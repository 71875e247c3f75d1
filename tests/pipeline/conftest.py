"""The pipeline tests' shared fixture: a TaskStore on the test's own migrated PostgreSQL."""

from __future__ import annotations

import pytest

from bestofn.db import make_engine
from bestofn.store import TaskStore


@pytest.fixture
def store(pg_url: str) -> TaskStore:
    return TaskStore(make_engine(pg_url))
