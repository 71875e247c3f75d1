"""The Docker clients of the sandbox, one per engine a config names.

Every module that talks to the engine takes its client from here, built from the
caller's ``SandboxConfig`` (``docker_host``; empty means Docker's own environment
defaults, e.g. the local socket), so the engine URL is an argument, never a global.
"""

from __future__ import annotations

import threading

import docker
from docker.errors import DockerException

from sandbox.config import SandboxConfig

_lock = threading.Lock()
_clients: dict[tuple[str, int], docker.DockerClient] = {}


class SandboxUnavailable(RuntimeError):
    """The Docker engine cannot be reached: the sandbox cannot run anything."""


def get_client(config: SandboxConfig) -> docker.DockerClient:
    """A process-wide client per engine (thread-safe: its pool is sized for the config's parallelism)."""
    pool = max(10, config.parallelism * 3)
    key = (config.docker_host, pool)
    with _lock:
        if key not in _clients:
            try:
                if config.docker_host:
                    client = docker.DockerClient(base_url=config.docker_host, max_pool_size=pool)
                else:
                    client = docker.from_env(max_pool_size=pool)
                client.api.ping()
            except DockerException as exc:
                raise SandboxUnavailable(f"Docker engine not reachable ({exc}); start dockerd or set BESTOFN_DOCKER_HOST") from exc
            _clients[key] = client
        return _clients[key]
