"""Start the real API and Celery worker as child processes, for end-to-end tests and benches.

Each runs with an explicit environment (the database, Redis, LLM endpoint and
any overrides), on 127.0.0.1, and is stopped (or SIGKILLed on request) by the
caller. Output goes to a log file so a failure can be read afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Proc:
    """A child process in its own process group, with its log file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> None:
        """``cwd``: where ``python -m`` finds its modules first (a bench runs another source tree from there)."""
        self.log_path = log
        self._log = open(log, "ab")
        self.popen = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True, cwd=cwd)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group (a prefork worker's children too)."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float = 15.0) -> None:
        self.kill(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.popen.wait(timeout=10)
        self._log.close()

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def child_env(**overrides: str) -> dict[str, str]:
    """The current environment with overrides (upper-cased keys as given)."""
    env = dict(os.environ)
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def start_api(env: dict[str, str], log: Path, port: int | None = None, cwd: Path | None = None) -> tuple[Proc, str]:
    """uvicorn serving api.main:app on 127.0.0.1; returns the process and base URL once healthy."""
    port = port or free_port()
    proc = Proc([sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port),
                 "--log-level", "warning"], env, log, cwd)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"API exited early:\n{proc.tail()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.stop()
    raise RuntimeError(f"API did not become healthy:\n{proc.tail()}")


def start_worker(env: dict[str, str], log: Path, concurrency: int = 2, pool: str = "threads",
                 name: str = "w1", cwd: Path | None = None) -> Proc:
    """A real Celery worker on the configured Redis broker."""
    return Proc([sys.executable, "-m", "celery", "-A", "worker.celery_app:celery_app", "worker",
                 "--loglevel=INFO", f"--concurrency={concurrency}", f"--pool={pool}",
                 "-Q", env.get("BESTOFN_CELERY_QUEUE", "bestofn"),
                 "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"], env, log, cwd)
