"""Fixtures for the rerank tests, re-exported so ``--confcutdir=tests/rerank`` runs them alone
(without the root conftest's session hook, which removes every sandbox container on the host)."""

from tests.conftest import fake_llm  # noqa: F401  (a fixture, registered by import)
