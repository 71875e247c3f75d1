"""How the sandbox's public functions run a ``native`` suite: programs built host-side, reports graded host-side.

Each candidate's program (candidate + instrumented tests, its own nonce) is built once before any
container starts and goes in the payload as that candidate's code; the runner compiles and runs
it and returns the raw report; ``grade`` turns the report into the runner's test events and the
usual ``record_to_result`` does the rest. Python's native tests are HumanEval's and go to the
trusted grader instead (``as_runnable``).
"""

from __future__ import annotations

from typing import Any

from bestofn.schemas import TestSuite
from sandbox.native import NativeProgram, build, events, python_suite


def as_runnable(tests: TestSuite, entry_point: str | None, language: str) -> tuple[TestSuite, str | None]:
    """The suite the runner gets: python's native tests as ``humaneval`` (with the function they check)."""
    if tests.format != "native" or language != "python":
        return tests, entry_point
    code, entry = python_suite(tests.code)
    return TestSuite.model_construct(format="humaneval", code=code), entry_point or entry


def programs(codes: list[tuple[int, str]], tests: TestSuite, language: str) -> dict[int, NativeProgram]:
    """One program per candidate index (empty unless the suite is native and the language compiles it)."""
    if tests.format != "native" or language == "python":
        return {}
    return {index: build(language, code, tests.code) for index, code in codes}


def with_events(record: dict[str, Any], program: NativeProgram) -> dict[str, Any]:
    """The runner's native record with the test events its report stands for (a new dict)."""
    if record.get("compile_failed") is not None or "native_report" not in record:
        return record
    out = dict(record)
    out["events"] = events(program, str(record.get("native_report") or ""), timed_out=bool(record.get("timed_out")),
                           exit_code=record.get("exit_code"))
    if record.get("memory_error"):
        out["events"].insert(1, {"ev": "error", "kind": "memory", "message": "MemoryError: the run hit its memory cap"})
    out["native"] = True
    return out
