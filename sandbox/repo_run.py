"""Run a repository's own test command over a copy of it, in one hardened sandbox container.

The copy comes in as a tar through the container's stdin (``repo/`` and an
optional ``wheelhouse/`` of ``*.whl``), unpacked into the tmpfs /work by a
small shell script; there is no bind mount and no network. Pytest writes a
JUnit XML report (``PYTEST_ADDOPTS``), so any command that ends up running
pytest yields per-test outcomes. The script prints ``<marker> <json>`` records
(exit code, runtime, gzip+base64 of the output tail and of the report) that
``record_from_run`` reads: running and grading stay separate.

The container's lock-down, labels, stdin exchange and removal are the
sandbox's own (``sandbox.config`` and ``sandbox.container``); only the command
and the stdin body differ from a candidate run.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import secrets
import shlex
import time
from dataclasses import dataclass

from docker.errors import APIError
from docker.models.containers import RUN_HOST_CONFIG_KWARGS
from requests.exceptions import RequestException

from bestofn.settings import Settings
from sandbox.build import ensure_image
from sandbox.client import get_client
from sandbox.config import RunLimits, hardened_kwargs, sandbox_labels
from sandbox.container import ContainerRun, _exchange, _kill, _settle, remove_container

REPO_DIR = "repo"
WHEEL_DIR = "wheelhouse"
OUTPUT_TAIL_BYTES = 64 * 1024
STARTUP_SLACK_S = 60.0  # unpacking and unzipping wheels before the command's own clock starts
_KILL_GRACE_S = 5


@dataclass
class RepoRunRecord:
    """The raw record of one run: what the command did, or why it could not run."""

    exit_code: int | None = None
    output: str = ""
    junit_xml: str = ""
    runtime_ms: float = 0.0
    timed_out: bool = False
    oom_killed: bool = False
    error: str | None = None  # the run itself failed (unpack, engine, no result), not the tests


def container_script(command: str, marker: str, timeout_s: float) -> str:
    """The ``sh`` script the container runs: unpack, install wheels, run ``command``, print the trailer.

    The image's Debian python3-pytest provides ``pytest``; the repository root (and ``src/``)
    and the unzipped wheels are on ``PYTHONPATH``. The command runs under coreutils'
    ``timeout`` so the trailer is still printed when it hangs.
    """
    limit = max(1, int(timeout_s))
    return f"""set -u
M={marker}
B=/work/.bestofn
mkdir -p "$B/site" || exit 90
tar -x -o -f - -C /work || {{ echo "$M {{\\"fatal\\": \\"could not unpack the repository (tmpfs too small?)\\"}}"; exit 90; }}
for w in /work/{WHEEL_DIR}/*.whl; do
  [ -e "$w" ] || continue
  python3 -m zipfile -e "$w" "$B/site" || {{ echo "$M {{\\"fatal\\": \\"could not unpack a wheel\\"}}"; exit 90; }}
done
cd /work/{REPO_DIR} || exit 90
export PYTHONPATH="/work/{REPO_DIR}/src:/work/{REPO_DIR}:$B/site"
export PYTEST_ADDOPTS="--junitxml=$B/junit.xml -o junit_family=xunit2 -p no:cacheprovider"
start=$(date +%s%N)
timeout -k {_KILL_GRACE_S} {limit} sh -c 'eval "$1"' bestofn-test {shlex.quote(command)} >"$B/out.txt" 2>&1 </dev/null
rc=$?
end=$(date +%s%N)
echo "$M {{\\"exit\\": $rc, \\"runtime_ns\\": $((end - start))}}"
echo "$M {{\\"output\\": \\"$(tail -c {OUTPUT_TAIL_BYTES} "$B/out.txt" | gzip -c | base64 | tr -d '\\n')\\"}}"
[ -f "$B/junit.xml" ] && echo "$M {{\\"junit\\": \\"$(gzip -c "$B/junit.xml" | base64 | tr -d '\\n')\\"}}"
echo "$M {{\\"done\\": true}}"
"""


def _unpack(b64: object) -> str:
    try:
        return gzip.decompress(base64.b64decode(str(b64))).decode("utf-8", "replace")
    except (binascii.Error, OSError, EOFError, ValueError):
        return ""


def record_from_run(run: ContainerRun) -> RepoRunRecord:
    """Grade the container's records into one raw record (pure)."""
    fields: dict[str, object] = {}
    for rec in run.records:
        fields.update(rec)
    if run.engine_error:
        return RepoRunRecord(error=f"sandbox: Docker engine error: {run.engine_error}")
    if run.fatal:
        return RepoRunRecord(error=f"sandbox: {run.fatal}: {run.diagnostics.strip()[-300:]}")
    exit_code = fields.get("exit")
    if not run.done or not isinstance(exit_code, int):
        why = "out of memory" if run.oom_killed else "timed out" if run.timed_out else f"exit code {run.exit_code}"
        return RepoRunRecord(error=f"sandbox: the container ended without a result ({why}): {run.diagnostics.strip()[-300:]}",
                             timed_out=run.timed_out, oom_killed=run.oom_killed)
    runtime_ns = fields.get("runtime_ns")
    return RepoRunRecord(
        exit_code=exit_code,
        output=_unpack(fields.get("output", "")),
        junit_xml=_unpack(fields["junit"]) if "junit" in fields else "",
        runtime_ms=runtime_ns / 1e6 if isinstance(runtime_ns, int) else 0.0,
        timed_out=exit_code in (124, 137),
    )


def repo_limits(settings: Settings) -> RunLimits:
    """The sandbox's limits with the bot's larger memory, /work and wall clock (repositories are bigger than snippets)."""
    return RunLimits(
        timeout_s=settings.bot_test_timeout_s, memory_mb=settings.bot_memory_mb, cpus=settings.sandbox_cpus,
        pids_limit=settings.sandbox_pids_limit, tmpfs_mb=settings.bot_tmpfs_mb,
        output_limit=settings.sandbox_output_limit_bytes, user=settings.sandbox_user,
        probe_timeout_s=settings.sandbox_probe_timeout_s,
    )


def run_repo_command(payload: bytes, command: str, *, labels: dict[str, str], settings: Settings) -> RepoRunRecord:
    """Run ``command`` over the repository in ``payload`` (a tar) in a fresh hardened container, removed after."""
    limits = repo_limits(settings)
    marker = "@@bestofn-" + secrets.token_hex(8)
    deadline_s = limits.timeout_s + STARTUP_SLACK_S
    script = container_script(command, marker, limits.timeout_s)
    run = ContainerRun()
    try:
        api = get_client().api
        image = ensure_image()
        kwargs = hardened_kwargs(limits, sandbox_labels(labels, deadline_s))
        host = {k: kwargs.pop(k) for k in list(kwargs) if k in RUN_HOST_CONFIG_KWARGS}
        cid = api.create_container(image, command=["sh", "-c", script], stdin_open=True,
                                   network_disabled=True, host_config=api.create_host_config(**host), **kwargs)["Id"]
    except (APIError, RequestException, OSError, RuntimeError) as exc:
        return RepoRunRecord(error=f"sandbox: could not create the container: {type(exc).__name__}: {exc}")
    try:
        sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        raw = getattr(sock, "_sock", sock)
        try:
            api.start(cid)
            _exchange(raw, payload, marker, time.monotonic() + deadline_s, run, None)
        finally:
            sock.close()
        if run.timed_out:
            _kill(api, cid)
        _settle(api, cid, run)
    except (APIError, RequestException, OSError) as exc:
        run.engine_error = f"{type(exc).__name__}: {exc}"
    finally:
        remove_container(cid)
    return record_from_run(run)
