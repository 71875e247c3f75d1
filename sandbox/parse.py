"""Pure functions from the runner's raw output to ``ExecutionResult`` values.

Execution and grading are separate: the container returns raw records (exit
status, bounded streams, per-test events); everything here works on bytes and
dicts, so re-grading never re-runs code and it is unit-tested on strings.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any, Iterator

from pydantic import ValidationError

from bestofn.schemas import MAX_DURATION_MS, MAX_TESTS, ExecStatus, ExecutionResult, TestOutcome

MAX_LINE_BYTES = 64 * 1024 * 1024
STREAM_LIMIT = 1 << 20  # characters of stdout/stderr kept per candidate, whatever a record says
STDOUT, STDERR = 1, 2
SIGKILL = 9


class FrameDecoder:
    """Demultiplexes Docker's attach stream (8-byte header: stream, 0, 0, 0, size)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        """Yield ``(stream, payload)`` for every complete frame seen so far."""
        self._buf += data
        while len(self._buf) >= 8:
            stream, size = self._buf[0], struct.unpack(">I", self._buf[4:8])[0]
            if len(self._buf) < 8 + size:
                return
            payload = bytes(self._buf[8 : 8 + size])
            del self._buf[: 8 + size]
            yield stream, payload


class MarkerLines:
    """Collects ``<marker> <json>`` lines from a byte stream; other bytes are noise."""

    def __init__(self, marker: str, noise_limit: int = 64 * 1024) -> None:
        self._prefix = marker.encode() + b" "
        self._buf = bytearray()
        self._skipping = False
        self.noise = bytearray()
        self._noise_limit = noise_limit

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Records completed by ``data`` (an overlong line is dropped, not buffered)."""
        out: list[dict[str, Any]] = []
        self._buf += data
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > MAX_LINE_BYTES:
                    self._buf.clear()
                    self._skipping = True
                return out
            line = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            if self._skipping:
                self._skipping = False
                continue
            record = self._parse(line)
            if record is not None:
                out.append(record)

    def _parse(self, line: bytes) -> dict[str, Any] | None:
        if line.startswith(self._prefix):
            try:
                record = json.loads(line[len(self._prefix) :])
            except ValueError:
                record = None
            if isinstance(record, dict):
                return record
        room = self._noise_limit - len(self.noise)
        if room > 0:
            self.noise += line[:room] + b"\n"
        return None


@dataclass
class Tally:
    """Per-test outcomes folded from the harness's event stream."""

    tests: list[TestOutcome] = field(default_factory=list)
    collected: int | None = None
    running: str | None = None
    done: bool = False
    errors: list[tuple[str, str]] = field(default_factory=list)


def fold_events(events: list[dict[str, Any]]) -> Tally:
    """Turn ``collected/start/test/error/done`` events into a tally."""
    tally = Tally()
    for ev in events:
        kind = ev.get("ev")
        if kind == "collected" and isinstance(ev.get("n"), int):
            tally.collected = ev["n"]
        elif kind == "start":
            tally.running = str(ev.get("name", ""))
        elif kind == "test":
            # an invalid test event (a NaN or negative duration, a huge name) is not skipped but
            # raised: the whole record is then unusable, so the candidate cannot drop its failures
            tally.tests.append(TestOutcome.model_validate({k: v for k, v in ev.items() if k != "ev"}))
            if tally.running == tally.tests[-1].name:
                tally.running = None
        elif kind == "error":
            tally.errors.append((str(ev.get("kind", "harness")), str(ev.get("message", ""))))
        elif kind == "done":
            tally.done = True
    return tally


def _status(record: dict[str, Any], tally: Tally, oom: bool, passed: int, total: int) -> ExecStatus:
    if record.get("compile_error"):
        return "syntax_error"
    if oom:
        return "oom"
    if record.get("timed_out"):
        return "timeout"
    if tally.errors or record.get("runner_error") or total == 0:
        return "error"
    return "passed" if passed == total and tally.done else "failed"


def _is_oom(record: dict[str, Any], tally: Tally, container_oom: bool) -> tuple[bool, bool]:
    """(status is oom, process was OOM-killed): cgroup counter, engine flag, or MemoryError."""
    killed = bool(record.get("oom_kills")) or container_oom
    if not killed and record.get("signal") == SIGKILL and not record.get("timed_out") and record.get("oom_kills") is None:
        killed = True  # no cgroup counter readable: a SIGKILL we did not send is the OOM killer's
    memory_error = any(t.message.startswith("MemoryError") for t in tally.tests) or any(
        m.startswith("MemoryError") for _, m in tally.errors
    )
    return killed or memory_error, killed


RECORD_KEYS_NUMERIC = ("wall_ms", "cpu_ms", "max_rss_kb")


def record_to_result(record: dict[str, Any], *, isolation: str, container_oom: bool = False) -> ExecutionResult:
    """Grade one runner record; a record that is not sane (hostile numbers, counts past what ran,
    non-finite durations) makes THIS candidate an ``error`` with a short reason, never the task fail."""
    try:
        return _grade_record(record, isolation=str(isolation), container_oom=container_oom)
    except (ValidationError, ValueError, TypeError, OverflowError, AttributeError) as exc:
        return ExecutionResult(status="error", stderr=f"the sandbox record was not usable: {_short(exc)}",
                               isolation=str(isolation)[:16])


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg', 'invalid')}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


def _finite(value: Any, name: str) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} is {value!r}: not a finite, non-negative number")
    return number


def _grade_record(record: dict[str, Any], *, isolation: str, container_oom: bool) -> ExecutionResult:
    if not isinstance(record, dict):
        raise TypeError("the record is not an object")
    for key in RECORD_KEYS_NUMERIC:
        _finite(record.get(key), key)
    events = record.get("events") or []
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise TypeError("events is not a list of objects")
    compile_ms = _finite(record.get("compile_ms"), "compile_ms")
    compile_ms = None if compile_ms is None else round(min(compile_ms, MAX_DURATION_MS), 3)
    if record.get("compile_failed") is not None:  # a toolchain's compiler refused it (python's own: syntax_error)
        return ExecutionResult(status="compile_error", stderr=str(record["compile_failed"]), compile_ms=compile_ms,
                               isolation=isolation)
    if record.get("compile_error"):
        return ExecutionResult(status="syntax_error", stderr=str(record["compile_error"]), isolation=isolation)
    tally = fold_events(events)
    tests = list(tally.tests)
    if tally.running is not None:
        why = "timeout" if record.get("timed_out") else "error"
        detail = "timed out" if why == "timeout" else f"process ended during the test (exit code {record.get('exit_code')})"
        tests.append(TestOutcome(name=tally.running, outcome=why, message=detail))
    overflow = {str(k): int(v) for k, v in (record.get("overflow") or {}).items()}  # counted, not detailed
    if any(v < 0 for v in overflow.values()):
        raise ValueError("negative overflow count")
    ran = len(tests) + sum(overflow.values())
    if tally.collected is not None and not 0 <= tally.collected <= MAX_TESTS:
        raise ValueError(f"collected {tally.collected} tests: more than {MAX_TESTS}")
    if tally.collected is not None and ran > tally.collected:
        raise ValueError(f"{ran} test results for {tally.collected} tests collected")
    total = max(tally.collected or 0, ran)
    passed = sum(t.outcome == "passed" for t in tests) + overflow.get("passed", 0)
    oom, oom_killed = _is_oom(record, tally, container_oom)
    status = _status(record, tally, oom, passed, total)
    stderr = str(record.get("stderr", ""))
    problems = [m for _, m in tally.errors] + ([str(record["runner_error"])] if record.get("runner_error") else [])
    if problems:
        stderr = "\n".join(problems) + ("\n" + stderr if stderr else "")
    # measured by the trusted side: the grader's per-test clock, the supervisor's wall clock on timeout
    runtime = float(record.get("wall_ms") or 0.0) if record.get("timed_out") else sum(t.duration_ms for t in tests)
    return ExecutionResult(
        status=status,
        all_passed=status == "passed",
        tests_passed=passed,
        tests_total=total,
        runtime_ms=round(runtime, 3),
        cpu_ms=None if record.get("cpu_ms") is None else round(float(record["cpu_ms"]), 3),
        exit_code=record.get("exit_code"),
        timed_out=bool(record.get("timed_out")),
        oom_killed=oom_killed,
        tests=tests,
        stdout=str(record.get("stdout", ""))[:STREAM_LIMIT],
        stderr=stderr[:STREAM_LIMIT],
        truncated=bool(record.get("truncated")),
        isolation=isolation,
        compile_ms=compile_ms,
    )


def failure_result(*, isolation: str, timed_out: bool, oom_killed: bool, exit_code: int | None, message: str) -> ExecutionResult:
    """A result for a candidate whose container itself failed (no record came back)."""
    status: ExecStatus = "oom" if oom_killed else "timeout" if timed_out else "error"
    return ExecutionResult(
        status=status, exit_code=exit_code, timed_out=timed_out, oom_killed=oom_killed,
        stderr=message, isolation=isolation,
    )


def record_fingerprints(record: dict[str, Any], n_inputs: int) -> list[str]:
    """A probe record's fingerprints, one per input; missing ones say why they are missing."""
    if isinstance(record.get("fingerprints"), list):
        fps = [str(f) for f in record["fingerprints"]]
        return (fps + ["exc:Missing"] * n_inputs)[:n_inputs]
    found: dict[int, str] = {}
    for ev in record.get("events") or []:
        if ev.get("ev") == "fp" and isinstance(ev.get("k"), int) and isinstance(ev.get("fp"), str):
            found[ev["k"]] = ev["fp"]
    fallback = "timeout" if record.get("timed_out") else "exc:MemoryError" if record.get("oom_kills") else "exc:Crash"
    return [found.get(k, fallback) for k in range(n_inputs)]
