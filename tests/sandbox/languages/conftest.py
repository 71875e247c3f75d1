"""The language family's fixtures: each test waits for its language's image (built once per recipe).

``ensure_image`` takes the per-tag build lock, so a test here waits for the build that
``scripts/test.sh`` started in the background at the start of the run, or builds the image
itself when run alone.
"""

from __future__ import annotations

import pytest

from sandbox import SandboxConfig, ensure_image


@pytest.fixture
def image(language: str, labels: dict[str, str], sandbox_config: SandboxConfig) -> str:
    """The test's ``language`` image (``language`` comes from the test's parametrize)."""
    return ensure_image(config=sandbox_config, language=language)
