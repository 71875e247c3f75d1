"""Private services for the fault tests, and the faults to inflict on them.

A fault test breaks only what it started itself: a Redis on a free loopback port, a
PostgreSQL cluster initdb'ed into a temp dir, a dockerd with its own data/exec roots
and socket. The shared services another run of the suite may be using are never
touched. Each service is started by a fixture (tests/reliability/conftest.py), broken
and restored by the test (callers restore in ``finally``), and removed in teardown.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bestofn.testing.procs import free_port


def _until(check: list[str], timeout: float) -> None:
    """Until ``check`` succeeds (a service answers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(check, capture_output=True).returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{' '.join(check)} still failing after {timeout}s")


def _wait_gone(popen: subprocess.Popen | None, timeout: float) -> None:
    """Wait for a process to exit; SIGKILL it (its group) after ``timeout``."""
    if popen is None or popen.poll() is not None:
        return
    try:
        popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        popen.wait(timeout=10)


def private_dir(prefix: str) -> Path:
    """A short temp dir (unix socket paths are limited to ~100 characters)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


# --- Redis ---------------------------------------------------------------------------


@dataclass
class PrivateRedis:
    """``redis-server`` on 127.0.0.1:<free port>, no persistence."""

    dir: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _cli(self, *args: str) -> list[str]:
        return ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args]

    def start(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            return
        with open(self.dir / "redis.log", "ab") as log:
            self.popen = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                 "--appendonly", "no", "--dir", str(self.dir)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        _until(self._cli("ping"), 30)

    def stop(self) -> None:
        """The fault: ``shutdown nosave``, as an operator (or a crash) would lose its data."""
        subprocess.run(self._cli("shutdown", "nosave"), capture_output=True)
        _wait_gone(self.popen, 10)

    def close(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
        _wait_gone(self.popen, 10)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- PostgreSQL -------------------------------------------------------------------------


def pg_bin(name: str) -> str:
    """A PostgreSQL server binary of the newest installed version."""
    versions = [v for v in os.listdir("/usr/lib/postgresql") if v.replace(".", "").isdigit()]
    return f"/usr/lib/postgresql/{max(versions, key=float)}/bin/{name}"


@dataclass
class PrivatePostgres:
    """A cluster initdb'ed into ``dir`` (as the ``postgres`` user when root), on 127.0.0.1:<free port>."""

    dir: Path
    port: int = field(default_factory=free_port)
    user: str = "bestofn"
    password: str = "bestofn"
    database: str = "bestofn"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        as_postgres = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}
        return subprocess.run(list(args), cwd=self.dir, capture_output=True, text=True, check=check, **as_postgres)

    def _ctl(self, action: str, *extra: str) -> None:
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        self._run(pg_bin("pg_ctl"), action, "-D", str(self.dir / "data"), "-l", str(self.dir / "pg.log"),
                  "-w", "-t", "60", "-o", opts, *extra)

    def start(self) -> None:
        """initdb, start, and create the role and database the stack needs (empty: migrate it yourself)."""
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(pg_bin("initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8")
        self._ctl("start")
        sql = (f"CREATE ROLE {self.user} LOGIN SUPERUSER PASSWORD '{self.password}'",
               f"CREATE DATABASE {self.database} OWNER {self.user}")
        for stmt in sql:
            self._run(pg_bin("psql"), "-h", str(self.dir), "-p", str(self.port), "-U", "postgres",
                      "-v", "ON_ERROR_STOP=1", "-qc", stmt, "postgres")

    def restart(self) -> None:
        """The fault: ``pg_ctl restart`` (fast mode: sessions are terminated)."""
        self._ctl("restart", "-m", "fast")

    def close(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._run(pg_bin("pg_ctl"), "stop", "-D", str(self.dir / "data"), "-m", "immediate", "-w", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


# --- dockerd ---------------------------------------------------------------------------------


@dataclass
class PrivateDockerd:
    """``dockerd --bridge=none`` with its own data root, exec root, pidfile and unix socket under ``dir``.

    Its containerd and shims live under ``dir`` too, so teardown can find and kill
    every process it left, unmount what it mounted and remove the dir.
    """

    dir: Path
    popen: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.dir}/docker.sock"

    def docker(self, *args: str) -> list[str]:
        return ["docker", "-H", self.host, *args]

    def start(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            return
        with open(self.dir / "dockerd.log", "ab") as log:
            self.popen = subprocess.Popen(
                ["dockerd", "--bridge=none", "--iptables=false", "--ip6tables=false",
                 "--data-root", str(self.dir / "data"), "--exec-root", str(self.dir / "exec"),
                 "--pidfile", str(self.dir / "docker.pid"), "-H", self.host],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        _until(self.docker("info"), 60)

    def stop(self) -> None:
        """The fault: SIGTERM to this dockerd, until it is gone."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
        _wait_gone(self.popen, 30)

    def load_image(self, tag: str) -> None:
        """Copy an image from the shared engine (``docker save | docker load``)."""
        save = subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE)
        load = subprocess.run(self.docker("load", "-q"), stdin=save.stdout, capture_output=True, text=True)
        save.stdout.close()  # type: ignore[union-attr]
        if save.wait() != 0 or load.returncode != 0:
            raise RuntimeError(f"could not load {tag} into {self.host}: {load.stderr}")

    def close(self) -> None:
        """Remove its containers, stop it, kill whatever it left (containerd, shims), unmount, remove the dir."""
        if self.popen is not None:
            try:
                self.start()  # a test that failed with it stopped: back up, so its containers go the clean way
                ids = subprocess.run(self.docker("ps", "-aq"), capture_output=True, text=True, timeout=30).stdout.split()
                if ids:
                    subprocess.run(self.docker("rm", "-f", *ids), capture_output=True, timeout=60)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass  # its processes are killed below
        self.stop()
        root = str(self.dir)
        for pid in _pids_mentioning(root):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for mount in _mounts_under(root):
            subprocess.run(["umount", "-l", mount], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def _pids_mentioning(path: str) -> list[int]:
    """Processes whose command line names ``path`` (a private dockerd's containerd and shims)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if path.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                continue
    return found


def _mounts_under(path: str) -> list[str]:
    """Mount points under ``path``, deepest first."""
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return sorted({p for p in points if p == path or p.startswith(path + "/")}, key=len, reverse=True)


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]
