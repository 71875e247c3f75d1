"""The JSON payloads the in-container runner reads, and how long a container may take for one.

Callers' mistakes are refused before a payload is built, by ``bestofn.schemas.check_runnable``
(``sandbox.api`` calls it): they are bugs of the request, not behaviour of a candidate.
"""

from __future__ import annotations

from typing import Any

from bestofn.schemas import TestSuite
from sandbox.config import CPU_BACKSTOP, STARTUP_SLACK_S, RunLimits
from sandbox.languages import toolchain

Item = tuple[int, str]  # (candidate index, code)
PER_CANDIDATE_OVERHEAD_S = 2.0  # fork, sweep and wipe between candidates, generously


def tests_payload(
    items: list[Item], tests: TestSuite, entry_point: str | None, rl: RunLimits, prelude: str | None = None,
) -> dict[str, Any]:
    """Run ``tests`` against each candidate.

    ``prelude`` (humaneval): the problem's own prompt, run on the trusted side
    before the test code, so helpers the tests call (HumanEval's ``poly``) are the
    problem's, not a candidate's redefinition.
    """
    return {
        "kind": "tests",
        "format": tests.format,
        "tests": tests.code,
        "entry_point": entry_point,
        "prelude": prelude,
        "uids": rl.uids(),
        "candidates": [{"index": i, "code": code} for i, code in items],
        "timeout_s": rl.timeout_s,  # CPU seconds per candidate, ended after cpu_backstop x that of wall time
        "cpu_backstop": CPU_BACKSTOP,
        "output_limit": rl.output_limit,
        "fsize_limit": rl.tmpfs_mb * 1024 * 1024,
        **language_fields(rl),
    }


def language_fields(rl: RunLimits) -> dict[str, Any]:
    """The toolchain the runner builds and runs candidates with (None: python in-process), and the run's own memory."""
    return {"language": toolchain(rl.language).wire(), "run_memory_mb": rl.run_memory_mb}


def probe_payload(items: list[Item], inputs: list[str], entry_point: str | None, io: bool, rl: RunLimits) -> dict[str, Any]:
    """Call each candidate on each input (self-consistency probe)."""
    if not io and not entry_point:
        raise ValueError("entry_point: required to probe function candidates (or pass io=True)")
    return {
        "kind": "probe",
        "io": io,
        "uids": rl.uids(),
        "entry_point": entry_point,
        "inputs": list(inputs),
        "candidates": [{"index": i, "code": code} for i, code in items],
        "call_timeout_s": rl.probe_timeout_s,
        "max_timeouts": rl.probe_max_timeouts,
        "timeout_s": len(inputs) * (rl.probe_timeout_s + 0.5) + 2.0,
        "cpu_backstop": CPU_BACKSTOP,
        "output_limit": rl.output_limit,
        "fsize_limit": rl.tmpfs_mb * 1024 * 1024,
        **language_fields(rl),
    }


def deadline_s(payload: dict[str, Any]) -> float:
    """Host-side wall-clock budget of a container running ``payload``."""
    compile_s = float((payload.get("language") or {}).get("compile_timeout_s") or 0.0)
    per = float(payload["timeout_s"]) * CPU_BACKSTOP + compile_s + PER_CANDIDATE_OVERHEAD_S
    return STARTUP_SLACK_S + per * len(payload["candidates"])
