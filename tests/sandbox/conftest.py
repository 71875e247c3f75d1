"""Sandbox tests run against the real Docker engine: no mocks, and nothing is skipped.

If the engine is unreachable every Docker test here errors loudly (the pure
parsing tests need no engine). Each test's containers carry this session's task
label, and the session ends by asserting that none of them is left behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sandbox import SandboxConfig, SandboxUnavailable, ensure_image
from sandbox.client import get_client

SESSION = f"pytest-sandbox-{uuid.uuid4().hex[:10]}"


def leftovers(config: SandboxConfig) -> list[str]:
    """This session's sandbox containers that still exist."""
    filters = {"label": ["bestofn.sandbox=1", f"bestofn.task={SESSION}"]}
    found = get_client(config=config).containers.list(all=True, sparse=True, filters=filters)
    return [c.short_id for c in found]


@pytest.fixture(scope="session")
def sandbox_image(sandbox_config: SandboxConfig) -> Iterator[str]:
    """The engine must answer and the image must exist (built offline if missing)."""
    try:
        get_client(config=sandbox_config)
    except SandboxUnavailable as exc:
        pytest.fail(f"the sandbox tests need a running Docker engine: {exc}", pytrace=False)
    yield ensure_image(config=sandbox_config)
    left = leftovers(sandbox_config)
    assert not left, f"sandbox containers left behind: {left}"


@pytest.fixture
def labels(sandbox_image: str) -> dict[str, str]:
    """Labels that mark a container as this test session's (and the engine is up)."""
    return {"task": SESSION}
