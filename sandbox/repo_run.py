"""Run a repository's own test command over a copy of it, in one hardened sandbox container.

The container's stdin holds the marker line, then a tar of the copy (``repo/`` and an
optional ``wheelhouse/`` of ``*.whl``), unpacked into the tmpfs /work by a
small shell script; there is no bind mount and no network. Pytest writes a
JUnit XML report (``PYTEST_ADDOPTS``), so any command that ends up running
pytest yields per-test outcomes. The script prints ``<marker> <json>`` records
(exit code, runtime, gzip+base64 of the output tail and of the report) that
``record_from_run`` reads: running and grading stay separate. The script and
the command run as two uids, so the command can neither learn the marker nor
write to the script's stdout.

The container's lock-down, labels, stdin exchange and removal are the
sandbox's own (``sandbox.config`` and ``sandbox.container.run_raw``); only the
command, the limits and the stdin body differ from a candidate run.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import secrets
import shlex
from dataclasses import dataclass

from docker.errors import APIError
from requests.exceptions import RequestException

from sandbox.config import RunLimits, SandboxConfig, parse_user
from sandbox.container import ContainerRun, run_raw

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


def container_script(command: str, timeout_s: float, user: str) -> str:
    """The ``sh`` script the container runs: unpack, install wheels, run ``command``, print the trailer.

    The script is the trusted side and runs as root holding only SETUID/SETGID/KILL; everything
    that touches the repository (unpacking, unzipping wheels, the command) runs as ``user``. The
    marker of its records is the first line of stdin, so it is in no command line, environment
    or file the command's uid can read, and the script's stdout is unreachable from that uid
    (``/proc/1/fd`` of another uid). After the command, every process of ``user`` is killed and
    gone before the report and the output are read, so nothing the command started can change
    them while the trailer reads (until then it can: see the README's in-process limit).

    The image's Debian python3-pytest provides ``pytest``; the repository root (and ``src/``)
    and the unzipped wheels are on ``PYTHONPATH``. The command runs under coreutils'
    ``timeout`` so the trailer is still printed when it hangs.
    """
    limit = max(1, int(timeout_s))
    uid, gid = parse_user(user)
    return f"""set -u
IFS= read -r M || exit 90
T=/work/.bestofn-trusted
mkdir -m 700 "$T" || exit 90
fatal() {{ echo "$M {{\\"fatal\\": \\"$1\\"}}"; exit 90; }}
AS="setpriv --reuid={uid} --regid={gid} --clear-groups"
B=/work/.bestofn
$AS mkdir -p "$B/site" </dev/null >&2 || fatal "could not make the report directory"
$AS tar -x -o -f - -C /work >&2 || fatal "could not unpack the repository (tmpfs too small?)"
for w in /work/{WHEEL_DIR}/*.whl; do
  [ -e "$w" ] || continue
  $AS python3 -I -m zipfile -e "$w" "$B/site" </dev/null >&2 || fatal "could not unpack a wheel"
done
cd /work/{REPO_DIR} || exit 90
export PYTHONPATH="/work/{REPO_DIR}/src:/work/{REPO_DIR}:$B/site"
export PYTEST_ADDOPTS="--junitxml=$B/junit.xml -o junit_family=xunit2 -p no:cacheprovider"
start=$(date +%s%N)
timeout -k {_KILL_GRACE_S} {limit} $AS sh -c 'eval "$1"' bestofn-test {shlex.quote(command)} >"$T/out.txt" 2>&1 </dev/null
rc=$?
end=$(date +%s%N)
left() {{  # a process of the command's uid that has not ended yet (zombies have)
  for s in /proc/[0-9]*/status; do
    st=; u=
    {{ while read -r k v _; do case $k in State:) st=$v;; Uid:) u=$v; break;; esac; done; }} 2>/dev/null <"$s" || continue
    [ "$u" = {uid} ] && [ "$st" != Z ] && [ "$st" != X ] && return 0
  done
  return 1
}}
n=0
while left; do
  [ $n -lt 100 ] || fatal "processes of the test command would not end"
  $AS sh -c 'kill -9 -1' 2>/dev/null
  n=$((n + 1))
  sleep 0.05
done
echo "$M {{\\"exit\\": $rc, \\"runtime_ns\\": $((end - start))}}"
echo "$M {{\\"output\\": \\"$(tail -c {OUTPUT_TAIL_BYTES} "$T/out.txt" | gzip -c | base64 | tr -d '\\n')\\"}}"
J="$B/junit.xml"
[ -f "$J" ] && [ ! -L "$J" ] && echo "$M {{\\"junit\\": \\"$(gzip -c <"$J" | base64 | tr -d '\\n')\\"}}"
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


def repo_limits(config: SandboxConfig, *, timeout_s: float, memory_mb: int, tmpfs_mb: int) -> RunLimits:
    """The sandbox's limits with a larger memory, /work and wall clock (repositories are bigger than snippets)."""
    return RunLimits(
        timeout_s=timeout_s, memory_mb=memory_mb, cpus=config.cpus, pids_limit=config.pids_limit, tmpfs_mb=tmpfs_mb,
        output_limit=config.output_limit_bytes, user=config.user, probe_timeout_s=config.probe_timeout_s,
        grader_user=config.grader_user,
    )


def run_repo_command(payload: bytes, command: str, *, labels: dict[str, str], limits: RunLimits,
                     config: SandboxConfig) -> RepoRunRecord:
    """Run ``command`` over the repository in ``payload`` (a tar) in a fresh hardened container, removed after."""
    marker = "@@bestofn-" + secrets.token_hex(8)
    script = container_script(command, limits.timeout_s, limits.user)
    try:  # as_runner: the script starts as root with SETUID/SETGID/KILL only, to run the rest as limits.user
        run = run_raw(marker.encode() + b"\n" + payload, marker, ["sh", "-c", script], limits, config=config,
                      deadline_s=limits.timeout_s + STARTUP_SLACK_S, labels=labels, as_runner=True)
    except (APIError, RequestException, OSError, RuntimeError) as exc:  # RuntimeError: no engine, no image
        return RepoRunRecord(error=f"sandbox: could not run the container: {type(exc).__name__}: {exc}")
    return record_from_run(run)
