"""The worker's LLM client: the configured endpoint, or the bundled demo model.

A worker with no ``OPENAI_BASE_URL`` starts the tiny local model once per
process (and logs that it did), so ``docker compose up`` works with no key.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import TYPE_CHECKING

from bestofn.llm import make_client
from bestofn.settings import get_settings

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai

log = logging.getLogger("bestofn.worker")
_lock = threading.Lock()
_client: openai.OpenAI | None = None


def default_client() -> openai.OpenAI:
    """One client per process, built on first use."""
    global _client
    with _lock:
        if _client is None:
            s = get_settings()
            if s.openai_base_url:
                _client = make_client(s)
            else:
                from bestofn.localmodel import LocalModelServer

                log.warning("no OPENAI_BASE_URL: starting the bundled tiny demo model (SmolLM2-135M) for this worker")
                server = LocalModelServer().start()
                atexit.register(server.stop)
                _client = make_client(s, base_url=server.base_url)
        return _client
