"""The one Docker client of the sandbox, built from settings.

Every module that talks to the engine takes its client from here, so the engine
URL lives in one place (``settings.docker_host``; empty means Docker's own
environment defaults, e.g. the local socket).
"""

from __future__ import annotations

import threading

import docker
from docker.errors import DockerException

from bestofn.settings import get_settings

_lock = threading.Lock()
_client: docker.DockerClient | None = None


class SandboxUnavailable(RuntimeError):
    """The Docker engine cannot be reached: the sandbox cannot run anything."""


def get_client() -> docker.DockerClient:
    """A process-wide client (thread-safe: the pool is sized for our parallelism)."""
    global _client
    with _lock:
        if _client is None:
            settings = get_settings()
            pool = max(10, settings.sandbox_parallelism * 3)
            try:
                if settings.docker_host:
                    _client = docker.DockerClient(base_url=settings.docker_host, max_pool_size=pool)
                else:
                    _client = docker.from_env(max_pool_size=pool)
                _client.api.ping()
            except DockerException as exc:
                _client = None
                raise SandboxUnavailable(f"Docker engine not reachable ({exc}); start dockerd or set BESTOFN_DOCKER_HOST") from exc
        return _client
