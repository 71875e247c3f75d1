"""Lifecycle of one hardened sandbox container: create, stream the payload in, read records, remove.

Files go in as a JSON payload on the container's stdin (Docker refuses
``put_archive`` on a read-only rootfs, and host bind mounts are not wanted); the
runner's records come back on the same attached connection as they are produced,
so callers see results while later candidates still run. The container is
removed in a ``finally`` with escalation (remove -> kill -> remove), and is
labelled with a deadline so ``reap()`` catches anything that survives us.
"""

from __future__ import annotations

import json
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from docker.errors import APIError, ImageNotFound, NotFound
from docker.models.containers import RUN_HOST_CONFIG_KWARGS
from requests.exceptions import RequestException

from sandbox.build import ensure_image, forget_image
from sandbox.client import get_client
from sandbox.config import COMMAND, RunLimits, SandboxConfig, hardened_kwargs, sandbox_labels
from sandbox.parse import STDERR, STDOUT, FrameDecoder, MarkerLines

Record = dict[str, Any]


@dataclass
class ContainerRun:
    """What came out of one container: the runner's records plus the engine's view."""

    records: list[Record] = field(default_factory=list)
    done: bool = False
    fatal: str | None = None
    exit_code: int | None = None
    oom_killed: bool = False
    timed_out: bool = False
    engine_error: str | None = None
    diagnostics: str = ""

    @property
    def lost(self) -> bool:
        """Killed or removed from outside (not our deadline, not OOM): says nothing about the candidate.

        Nothing inside can SIGKILL the runner (PID 1 ignores it from its own
        namespace), so exit 137 without OOMKilled means someone else did.
        """
        if self.done or self.timed_out or self.oom_killed:
            return False
        return self.engine_error is not None or self.exit_code in (137, None)


def run_container(
    payload: dict[str, Any],
    limits: RunLimits,
    *,
    config: SandboxConfig,
    deadline_s: float,
    labels: dict[str, str] | None = None,
    on_record: Callable[[Record], None] | None = None,
) -> ContainerRun:
    """Run the runner once on ``payload``; wall-clock bounded by ``deadline_s``; never raises for candidate behaviour."""
    marker = "@@bestofn-" + secrets.token_hex(8)
    body = json.dumps({**payload, "marker": marker}).encode()
    return run_raw(body, marker, COMMAND, limits, config=config, deadline_s=deadline_s, labels=labels,
                   on_record=on_record, as_runner=True)


def run_raw(
    body: bytes,
    marker: str,
    command: list[str],
    limits: RunLimits,
    *,
    config: SandboxConfig,
    deadline_s: float,
    labels: dict[str, str] | None = None,
    on_record: Callable[[Record], None] | None = None,
    as_runner: bool = False,
    image: str | None = None,
) -> ContainerRun:
    """Any ``command`` in a hardened container: ``body`` on its stdin, ``<marker> <json>`` lines back as records.

    ``as_runner``: ``command`` is the trusted runner (see ``hardened_kwargs``); ``image``: another
    image than the sandbox's own (a benchmark's baseline).
    """
    api = get_client(config=config).api
    run = ContainerRun()
    cid = create_container(command, limits, sandbox_labels(labels, deadline_s, config.run_id), config=config,
                           as_runner=as_runner, image=image)
    try:  # engine failures (APIError) propagate: they say nothing about the candidate
        sock, raw = attach_and_start(cid, config)
        try:
            raw.settimeout(max(0.1, deadline_s))
            raw.sendall(body)
            raw.shutdown(socket.SHUT_WR)
            read_records(raw, FrameDecoder(), marker, time.monotonic() + deadline_s, run, on_record)
        except OSError as exc:  # the container went away mid-stream
            run.engine_error = f"{type(exc).__name__}: {exc}"
        finally:
            sock.close()
        if run.timed_out:
            kill(api, cid)
        settle(api, cid, run)
    finally:
        remove_container(cid, config)
    return run


def create_container(command: list[str], limits: RunLimits, labels: dict[str, str], *, config: SandboxConfig,
                     as_runner: bool, image: str | None = None, auto_remove: bool = False) -> str:
    """A created (not started) hardened container with stdin open; its id.

    ``auto_remove``: the engine removes it when it exits (a warm runner whose owner died).
    """
    api = get_client(config=config).api
    kwargs = hardened_kwargs(limits, labels, as_runner=as_runner)
    host_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in RUN_HOST_CONFIG_KWARGS}
    host = api.create_host_config(auto_remove=auto_remove, **host_kwargs)
    try:
        return api.create_container(image or ensure_image(config=config, language=limits.language), command=command,
                                    stdin_open=True, network_disabled=True, host_config=host, **kwargs)["Id"]
    except ImageNotFound:  # removed since we last looked: build it again, once
        forget_image()
        return api.create_container(ensure_image(config=config, language=limits.language), command=command, stdin_open=True,
                                    network_disabled=True, host_config=host, **kwargs)["Id"]


def attach_and_start(cid: str, config: SandboxConfig) -> tuple[Any, socket.socket]:
    """Attach to stdin/stdout/stderr, then start: (the socket object to close, its raw socket)."""
    api = get_client(config=config).api
    sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
    raw = getattr(sock, "_sock", sock)
    try:
        api.start(cid)
    except BaseException:
        sock.close()
        raise
    return sock, raw


def read_records(raw: socket.socket, frames: FrameDecoder, marker: str, deadline: float, run: ContainerRun,
                 on_record: Callable[[Record], None] | None) -> None:
    """Read frames until the runner's ``done``, EOF or the deadline (``run.timed_out``)."""
    lines = MarkerLines(marker)
    errors = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            run.timed_out = True
            break
        raw.settimeout(remaining)
        try:
            data = raw.recv(1 << 16)
        except socket.timeout:
            run.timed_out = True
            break
        if not data:
            break
        for stream, chunk in frames.feed(data):
            if stream == STDOUT:
                for record in lines.feed(chunk):
                    _accept(record, run, on_record)
            elif stream == STDERR and len(errors) < 64 * 1024:
                errors += chunk[: 64 * 1024 - len(errors)]
        if run.done:
            break  # all records are in; the runner is exiting or waiting for its next batch
    run.diagnostics = (bytes(lines.noise) + bytes(errors)).decode("utf-8", "replace")[-8000:]


def _accept(record: Record, run: ContainerRun, on_record: Callable[[Record], None] | None) -> None:
    if record.get("done") is True:
        run.done = True
    elif "fatal" in record:
        run.fatal = str(record["fatal"])
    else:
        run.records.append(record)
        if on_record is not None:
            on_record(record)


def settle(api: Any, cid: str, run: ContainerRun) -> None:
    """Exit code, and the OOM flag when the runner did not finish normally."""
    if run.done and not run.timed_out:
        run.exit_code = 0  # the runner returns 0 right after its last line: no need to wait for it
        return
    try:
        run.exit_code = int(api.wait(cid, timeout=10).get("StatusCode", -1))
    except NotFound:
        run.engine_error = run.engine_error or "the container was removed by someone else"
        return
    except (RequestException, APIError):
        kill(api, cid)
        run.exit_code = None
    if not run.done or run.exit_code not in (0, None):
        try:
            state = api.inspect_container(cid).get("State", {})
        except NotFound:
            run.engine_error = run.engine_error or "the container was removed by someone else"
            return
        run.oom_killed = bool(state.get("OOMKilled"))
        if run.exit_code is None:
            run.exit_code = state.get("ExitCode")


def kill(api: Any, cid: str) -> None:
    try:
        api.kill(cid)
    except (NotFound, APIError):
        pass  # already stopped or gone: nothing left to kill
    except RequestException:
        pass  # engine unreachable: the caller's removal retries, then the reaper


def remove_container(cid: str, config: SandboxConfig) -> bool:
    """Remove with force; on failure kill then retry; True when the container is gone."""
    api = get_client(config=config).api
    for attempt in range(3):
        try:
            api.remove_container(cid, force=True)
            return True
        except NotFound:
            return True
        except (APIError, RequestException):
            if attempt == 0:
                kill(api, cid)
            time.sleep(0.2 * (attempt + 1))
    return False  # labelled with a deadline: reap() removes it later
