"""Break and restore the shared services the way an operator (or a crash) would.

Each restore uses the same command as scripts/services.sh, so the service comes
back exactly as the rest of the suite expects it. Callers restore in ``finally``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

LOG_DIR = Path("/var/log/bestofn")  # as scripts/services.sh logs


def _pg_version() -> str:
    """The newest installed PostgreSQL, as scripts/services.sh picks it."""
    return max(os.listdir("/usr/lib/postgresql"), key=lambda v: float(v) if v.replace(".", "").isdigit() else 0)


def _until(check: list[str], timeout: float, want_ok: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ok = subprocess.run(check, capture_output=True).returncode == 0
        if ok == want_ok:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{' '.join(check)} still {'failing' if want_ok else 'succeeding'} after {timeout}s")


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], capture_output=True)
    _until(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"], 10, want_ok=False)


def redis_start() -> None:
    """As scripts/services.sh starts it (no-op when it answers)."""
    if subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"], capture_output=True).returncode == 0:
        return
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(["redis-server", "--bind", "127.0.0.1", "--port", "6379", "--save", "", "--appendonly", "no",
                    "--daemonize", "yes", "--logfile", str(LOG_DIR / "redis.log")], check=True)
    _until(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"], 30)


def postgres_restart() -> None:
    subprocess.run(["pg_ctlcluster", _pg_version(), "main", "restart"], check=True, capture_output=True)
    _until(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], 30)


def dockerd_pid() -> int | None:
    out = subprocess.run(["pidof", "dockerd"], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def dockerd_stop() -> None:
    pid = dockerd_pid()
    if pid is not None:
        os.kill(pid, signal.SIGTERM)
    _until(["docker", "info"], 30, want_ok=False)
    deadline = time.monotonic() + 30
    while dockerd_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.2)


def dockerd_start() -> None:
    """``dockerd --bridge=none`` detached from the test process, as scripts/services.sh starts it."""
    if subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
        return
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_DIR / "dockerd.log", "ab") as log:
        subprocess.Popen(["dockerd", "--bridge=none", "--iptables=false", "--ip6tables=false"], stdout=log,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    _until(["docker", "info"], 60)


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]
