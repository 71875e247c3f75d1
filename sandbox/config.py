"""The sandbox's configuration, the effective limits of one run, and the hardened container settings they imply.

``SandboxConfig`` is everything the sandbox needs to know about its deployment; the
core builds it from its settings in one place (``Settings.sandbox_config``) and
every public function takes it as an argument, so the sandbox reads no global state.
One place says how every sandbox container is locked down; the container
lifecycle (container.py) and the benchmark's bare ``docker run`` both use it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from docker.types import LogConfig

from bestofn.schemas import Limits
from sandbox.languages import toolchain

Isolation = Literal["per_candidate", "per_task"]

# imported (not run as a script) so the bytecode compiled into the image is used
COMMAND = ["python3", "-I", "-B", "-c", "import sys; sys.path.insert(0, '/opt/bestofn'); import runner; sys.exit(runner.main())"]


def serve_command(idle_s: float) -> list[str]:
    """The runner serving a warm pool: framed payloads until EOF or ``idle_s`` seconds without one."""
    return [*COMMAND[:-1], COMMAND[-1].replace("runner.main()", f"runner.main({float(idle_s)!r})")]


ENVIRONMENT = {  # explicit and minimal: nothing of the host's environment goes in
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/work",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
}
STARTUP_SLACK_S = 15.0  # container start + interpreter + pytest import, on a busy host
CPU_BACKSTOP = 4.0  # a run's timeout is CPU time; it ends anyway after this many times its timeout of wall time
EXPIRY_GRACE_S = 60.0  # how long past its deadline a leftover container may live before reap()


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the sandbox is told about its deployment; the defaults are the settings' defaults.

    A plain value (hashable, no environment read): a caller passes the one its settings
    describe, a test the one of its run (``run_id`` labels every container it creates).
    """

    image: str = ""  # empty: bestofn-sandbox:<hash of the runner and recipe>, built offline if missing
    isolation: Isolation = "per_task"  # run_many's default mode
    parallelism: int = 4  # per_candidate containers at once; the Docker client's pool is sized from it
    timeout_s: float = 10.0  # default limits, overridden per run by a problem's ``Limits``
    memory_mb: int = 256
    cpus: float = 1.0
    pids_limit: int = 64
    tmpfs_mb: int = 64
    output_limit_bytes: int = 64 * 1024
    probe_timeout_s: float = 2.0
    probe_max_timeouts: int = 2  # a program that timed out on this many probe inputs is not called on the rest; 0: no cap
    user: str = "65534:65534"  # the candidate's uid:gid
    grader_user: str = "65533:65533"  # the trusted grader's uid:gid
    run_id: str = ""  # labels every container ``bestofn.run=<id>``; empty: no such label
    docker_host: str = ""  # engine URL; empty: Docker's own environment defaults
    debian_mirror: str = ""  # for the offline image build; empty: this machine's apt sources
    warm_runners: bool = True  # per_task: an owner may keep runners warm between calls (RunnerPool)
    warm_idle_s: float = 20.0  # a warm runner with no work for this long exits
    warm_max_uses: int = 200  # batches one warm runner serves at most


@dataclass(frozen=True)
class RunLimits:
    """The config's default limits overlaid with a run's ``Limits``."""

    timeout_s: float
    memory_mb: int
    cpus: float
    pids_limit: int
    tmpfs_mb: int
    output_limit: int
    user: str
    probe_timeout_s: float
    grader_user: str = "65533:65533"
    probe_max_timeouts: int = 2  # see ``SandboxConfig.probe_max_timeouts``
    language: str = "python"  # which image (sandbox/languages.py), and so which warm runners fit
    run_memory_mb: int = 0  # the run's own cap per process (``memory_mb`` is the container's, fitting the compiler)

    def uids(self) -> dict[str, list[int]]:
        """The runner's two unprivileged identities: the candidate's and the grader's (``uid:gid`` each)."""
        return {"candidate": parse_user(self.user), "grader": parse_user(self.grader_user)}

    @property
    def scratch_mb(self) -> int:
        """Size of /tmp and /dev/shm: small, so all tmpfs together stay well under memory."""
        return max(1, min(16, self.tmpfs_mb // 4))


def resolve(limits: Limits | None, config: SandboxConfig, language: str = "python") -> RunLimits:
    """The limits a run actually gets: a compiled language's container also fits its compiler
    (memory, threads), while the run keeps its own memory as a per-process cap."""
    limits = limits or Limits()
    tc = toolchain(language)
    memory = limits.memory_mb or config.memory_mb
    return RunLimits(
        timeout_s=limits.timeout_s or config.timeout_s,
        memory_mb=max(memory, tc.compile_memory_mb),
        cpus=config.cpus,
        pids_limit=max(config.pids_limit, tc.pids_limit),
        tmpfs_mb=config.tmpfs_mb,
        output_limit=config.output_limit_bytes,
        user=config.user,
        probe_timeout_s=min(config.probe_timeout_s, limits.timeout_s or config.probe_timeout_s),
        grader_user=config.grader_user,
        probe_max_timeouts=config.probe_max_timeouts,
        language=language,
        run_memory_mb=memory,
    )


def parse_user(user: str) -> list[int]:
    """``"uid:gid"`` (or ``"uid"``) as two non-root integers; a ValueError names the setting otherwise."""
    uid, _, gid = user.partition(":")
    try:
        ids = [int(uid), int(gid or uid)]
    except ValueError:
        raise ValueError(f"sandbox user {user!r} is not numeric uid:gid") from None
    if min(ids) <= 0:
        raise ValueError(f"sandbox user {user!r} must not be root")
    return ids


def sandbox_labels(labels: dict[str, str] | None, deadline_s: float, run_id: str) -> dict[str, str]:
    """``bestofn.sandbox=1``, task/candidate from the caller, the reaper's deadline, and
    ``bestofn.run`` when the config names a run (runs sharing an engine then count only their own).

    Caller keys may be given bare (``task``) or prefixed (``bestofn.task``).
    """
    out = {"bestofn.sandbox": "1", "bestofn.expires": str(int(time.time() + deadline_s + EXPIRY_GRACE_S))}
    if run_id:
        out["bestofn.run"] = run_id
    for key, value in (labels or {}).items():
        out[key if key.startswith("bestofn.") else f"bestofn.{key}"] = str(value)
    return out


RUNNER_CAPS = ["SETUID", "SETGID", "KILL"]


def hardened_kwargs(rl: RunLimits, labels: dict[str, str], *, as_runner: bool = False) -> dict[str, Any]:
    """``containers.run``/``create`` keyword arguments of a locked-down sandbox container.

    ``as_runner``: the container's PID 1 is the trusted runner, which starts as root
    holding only CAP_SETUID/SETGID/KILL so it can put the grader and the candidate
    under two different unprivileged uids (``rl.grader_user``, ``rl.user``); with
    no-new-privileges neither can ever get a capability back. Otherwise the whole
    container runs as ``rl.user`` with no capability at all.
    """
    memory = f"{rl.memory_mb}m"
    # Docker mounts a tmpfs noexec by default; a compiled language's binary must run from its work dir
    work_exec = ",exec" if toolchain(rl.language).native else ""
    return {
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {
            "/work": f"size={rl.tmpfs_mb}m,mode=1777{work_exec}",
            "/tmp": f"size={rl.scratch_mb}m,mode=1777",
            "/dev/shm": f"size={rl.scratch_mb}m,mode=1777",
        },
        "ipc_mode": "none",  # a private IPC namespace; /dev/shm is the tmpfs above, not a host-side mount
        "user": "0:0" if as_runner else rl.user,
        "cap_drop": ["ALL"],
        **({"cap_add": list(RUNNER_CAPS)} if as_runner else {}),
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
