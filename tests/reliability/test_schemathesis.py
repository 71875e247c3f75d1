"""Property-based fuzzing of every operation in the OpenAPI spec: no input may cause a 5xx.

Schemathesis generates valid and invalid requests from the spec (bounded
examples per operation) against the real app in-process, with keys required and
a valid key sent, on a fresh PostgreSQL database per operation.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.main import create_app
from bestofn.db import get_engine
from bestofn.security.keys import create_key
from bestofn.settings import Settings

MAX_EXAMPLES = 60
APP = create_app(Settings(require_api_key=True, api_rate_per_s=0, api_max_active_tasks=0, max_body_bytes=200_000))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture
def token(api_client: Callable[..., TestClient]) -> str:
    """A key on this test's fresh database (api_client points the app's engine at it)."""
    api_client()
    return create_key(get_engine(), "fuzz").token


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_causes_a_server_error(case: schemathesis.Case, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])
