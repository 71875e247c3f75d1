"""Effective limits of one sandbox run and the hardened container settings they imply.

One place says how every sandbox container is locked down; the container
lifecycle (container.py) and the benchmark's bare ``docker run`` both use it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from docker.types import LogConfig

from bestofn.schemas import Limits
from bestofn.settings import get_settings

RUNNER = "/opt/bestofn/runner.py"
# imported (not run as a script) so the bytecode compiled into the image is used
COMMAND = ["python3", "-I", "-B", "-c", "import sys; sys.path.insert(0, '/opt/bestofn'); import runner; sys.exit(runner.main())"]
ENVIRONMENT = {  # explicit and minimal: nothing of the host's environment goes in
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/work",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
}
STARTUP_SLACK_S = 15.0  # container start + interpreter + pytest import, on a busy host
EXPIRY_GRACE_S = 60.0  # how long past its deadline a leftover container may live before reap()


@dataclass(frozen=True)
class RunLimits:
    """Settings' defaults overlaid with a run's ``Limits``."""

    timeout_s: float
    memory_mb: int
    cpus: float
    pids_limit: int
    tmpfs_mb: int
    output_limit: int
    user: str
    probe_timeout_s: float

    @property
    def scratch_mb(self) -> int:
        """Size of /tmp and /dev/shm: small, so all tmpfs together stay well under memory."""
        return max(1, min(16, self.tmpfs_mb // 4))


def resolve(limits: Limits | None = None) -> RunLimits:
    """The limits a run actually gets."""
    s = get_settings()
    limits = limits or Limits()
    return RunLimits(
        timeout_s=limits.timeout_s or s.sandbox_timeout_s,
        memory_mb=limits.memory_mb or s.sandbox_memory_mb,
        cpus=s.sandbox_cpus,
        pids_limit=s.sandbox_pids_limit,
        tmpfs_mb=s.sandbox_tmpfs_mb,
        output_limit=s.sandbox_output_limit_bytes,
        user=s.sandbox_user,
        probe_timeout_s=min(s.sandbox_probe_timeout_s, limits.timeout_s or s.sandbox_probe_timeout_s),
    )


def sandbox_labels(labels: dict[str, str] | None, deadline_s: float) -> dict[str, str]:
    """``bestofn.sandbox=1``, task/candidate from the caller, and the reaper's deadline.

    Caller keys may be given bare (``task``) or prefixed (``bestofn.task``).
    """
    out = {"bestofn.sandbox": "1", "bestofn.expires": str(int(time.time() + deadline_s + EXPIRY_GRACE_S))}
    for key, value in (labels or {}).items():
        out[key if key.startswith("bestofn.") else f"bestofn.{key}"] = str(value)
    return out


def hardened_kwargs(rl: RunLimits, labels: dict[str, str]) -> dict[str, Any]:
    """``containers.run``/``create`` keyword arguments of a locked-down sandbox container."""
    memory = f"{rl.memory_mb}m"
    return {
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {
            "/work": f"size={rl.tmpfs_mb}m,mode=1777",
            "/tmp": f"size={rl.scratch_mb}m,mode=1777",
            "/dev/shm": f"size={rl.scratch_mb}m,mode=1777",
        },
        "ipc_mode": "none",  # a private IPC namespace; /dev/shm is the tmpfs above, not a host-side mount
        "user": rl.user,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "pids_limit": rl.pids_limit,
        "mem_limit": memory,
        "memswap_limit": memory,  # equal: no swap
        "nano_cpus": int(rl.cpus * 1e9),
        "environment": dict(ENVIRONMENT),
        "working_dir": "/work",
        "log_config": LogConfig(type="json-file", config={"max-size": "1m", "max-file": "1"}),
        "labels": labels,
    }
