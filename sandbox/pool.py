"""Warm runners: per_task containers kept running between the calls of ONE owner's work.

A container start (create, start, the runner's interpreter, remove) costs about
150 ms of engine and CPU time, more than ten HumanEval candidates take to grade.
A ``RunnerPool`` belongs to one piece of work (a task with its waves and probes,
an eval run, a benchmark) and keeps its runners between calls: the runner serves
framed payloads one after another (``runner.main(serve_idle_s)``), and between two
batches it sweeps exactly what it sweeps between two candidates of one batch
(every process, SysV IPC object and file of both unprivileged uids; /work, /tmp
and /dev/shm empty), or stops.

What this adds to per_task's sharing: candidates of different calls of the same
owner share a container as siblings of one call already do. Pools are never
shared between owners (the caller makes one per task or eval run and closes it),
and a runner is never reused after anything unusual (a timeout, a fatal record, a
missing ``done``, a runner that could not sweep): it is removed and the next call
starts a fresh one. A runner lives at most ``max_uses`` batches or ``max_age_s``;
one whose owner died exits after ``idle_s`` without a batch, and the engine
removes it (``auto_remove``); ``reap()`` catches anything else by its label.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from docker.errors import APIError, NotFound
from requests.exceptions import RequestException

from sandbox.client import get_client
from sandbox.config import EXPIRY_GRACE_S, RunLimits, SandboxConfig, sandbox_labels, serve_command
from sandbox.container import (
    ContainerRun, Record, attach_and_start, create_container, kill, read_records, remove_container,
)
from sandbox.parse import FrameDecoder

log = logging.getLogger(__name__)


@dataclass
class WarmRunner:
    """One running runner container serving batches over its attached stdin/stdout."""

    cid: str
    sock: Any
    raw: socket.socket
    limits: RunLimits
    expires: float  # wall clock: the reaper may remove it after this (its label, minus the grace)
    frames: FrameDecoder = field(default_factory=FrameDecoder)
    uses: int = 0
    idle_since: float = field(default_factory=time.monotonic)
    started: float = field(default_factory=time.monotonic)


def same_container(a: RunLimits, b: RunLimits) -> bool:
    """Whether a runner made for ``a`` can serve ``b``: the same language's image and the limits the
    engine enforces (timeouts, output and file sizes travel in each payload)."""
    return (a.language, a.memory_mb, a.cpus, a.pids_limit, a.tmpfs_mb) == \
        (b.language, b.memory_mb, b.cpus, b.pids_limit, b.tmpfs_mb)


class RunnerPool:
    """Warm per_task runners of one owner; ``run`` is ``run_container`` on a reused runner.

    Thread-safe: concurrent calls each take their own runner. Use as a context
    manager (or call ``close``) so no runner outlives the work it belongs to.
    """

    def __init__(self, *, config: SandboxConfig = SandboxConfig(), labels: dict[str, str] | None = None,
                 max_idle: int = 4, max_uses: int | None = None, max_age_s: float = 600.0,
                 idle_s: float | None = None) -> None:
        """``max_uses`` and ``idle_s`` default to the config's ``warm_max_uses`` and ``warm_idle_s``."""
        self.config = config
        self.labels = {"candidate": "pool", **(labels or {})}
        self.max_idle, self.max_age_s = max_idle, max_age_s
        self.max_uses = config.warm_max_uses if max_uses is None else max_uses
        self.idle_s = config.warm_idle_s if idle_s is None else idle_s
        self._idle: list[WarmRunner] = []
        self._lock = threading.Lock()
        self._closed = False
        self.started = 0  # containers started, for benchmarks and tests
        self.batches = 0

    def __enter__(self) -> RunnerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, payload: dict[str, Any], limits: RunLimits, *, deadline_s: float,
            on_record: Callable[[Record], None] | None = None) -> ContainerRun:
        """Run ``payload`` on a warm runner (a fresh one when none fits); never raises for candidate behaviour."""
        marker = "@@bestofn-" + secrets.token_hex(8)
        body = json.dumps({**payload, "marker": marker}).encode()
        frame = str(len(body)).encode() + b"\n" + body
        for _attempt in range(2):
            runner = self._take(limits, deadline_s)
            reused = runner is not None
            if runner is None:
                runner = self._start(limits, deadline_s)
            run = ContainerRun()
            try:
                runner.raw.settimeout(max(0.1, deadline_s))
                runner.raw.sendall(frame)
                read_records(runner.raw, runner.frames, marker, time.monotonic() + deadline_s, run, on_record)
            except OSError as exc:  # the container went away mid-stream
                run.engine_error = f"{type(exc).__name__}: {exc}"
            runner.uses += 1
            if run.done and not run.timed_out and run.fatal is None:
                self._give_back(runner)
                self.batches += 1
                return run
            self._discard(runner, run)
            if reused and not run.records and not run.timed_out and run.fatal is None:
                continue  # a warm runner that had died while idle: nothing ran, start a fresh one
            self.batches += 1
            return run
        return run

    @property
    def idle(self) -> int:
        """Runners waiting for the next call."""
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        """Stop and remove every idle runner, all at once (each removal waits for the engine, about
        0.1 s); runners in use are removed when their call returns."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        if len(idle) > 1:
            with ThreadPoolExecutor(max_workers=len(idle), thread_name_prefix="pool-close") as threads:
                list(threads.map(self._remove, idle))
        elif idle:
            self._remove(idle[0])

    # ------------------------------------------------------------ internals
    def _take(self, limits: RunLimits, deadline_s: float) -> WarmRunner | None:
        now, wall = time.monotonic(), time.time()
        stale: list[WarmRunner] = []
        found = None
        with self._lock:
            for runner in list(self._idle):
                if now - runner.idle_since > self.idle_s * 0.75 or now - runner.started > self.max_age_s:
                    self._idle.remove(runner)
                    stale.append(runner)
                elif found is None and same_container(runner.limits, limits) and wall + deadline_s < runner.expires:
                    self._idle.remove(runner)
                    found = runner
        for runner in stale:
            self._remove(runner)
        return found

    def _start(self, limits: RunLimits, deadline_s: float) -> WarmRunner:
        life = max(self.max_age_s, deadline_s)
        labels = sandbox_labels(self.labels, life, self.config.run_id)
        cid = create_container(serve_command(self.idle_s), limits, labels, config=self.config, as_runner=True,
                               auto_remove=True)
        try:
            sock, raw = attach_and_start(cid, self.config)
        except BaseException:
            remove_container(cid, self.config)
            raise
        self.started += 1
        expires = float(labels["bestofn.expires"]) - EXPIRY_GRACE_S
        return WarmRunner(cid, sock, raw, limits, expires)

    def _give_back(self, runner: WarmRunner) -> None:
        runner.idle_since = time.monotonic()
        with self._lock:
            keep = (not self._closed and runner.uses < self.max_uses and len(self._idle) < self.max_idle
                    and time.monotonic() - runner.started < self.max_age_s)
            if keep:
                self._idle.append(runner)
        if not keep:
            self._remove(runner)

    def _discard(self, runner: WarmRunner, run: ContainerRun) -> None:
        """Never reused after anything unusual; record the engine's view (OOM, exit code) first."""
        api = get_client(config=self.config).api
        if run.timed_out:
            kill(api, runner.cid)
        try:
            state = api.inspect_container(runner.cid).get("State", {})
            run.oom_killed = bool(state.get("OOMKilled"))
            if not state.get("Running"):
                run.exit_code = state.get("ExitCode")
        except NotFound:
            run.engine_error = run.engine_error or "the warm runner's container is gone"
        except (APIError, RequestException) as exc:
            log.warning("could not inspect warm runner %s: %s", runner.cid[:12], exc)
        self._remove(runner)

    def _remove(self, runner: WarmRunner) -> None:
        try:
            runner.sock.close()
        except OSError:
            pass
        remove_container(runner.cid, self.config)
