"""From a native test program's report (bytes on its report fd) to the runner's test events.

Pure: the host grades the runner's raw record with the program's assertion names and nonce, so
re-grading never re-runs code. What the report can and cannot do:

- lines without the run's nonce (a candidate printing a forged report it made up) are ignored;
- ``tests_total`` is the host's count of assertions in the test text, never a number the program says;
- an assertion never reported fails (``not reached``): exiting early gains nothing;
- an assertion reported several times (one in a loop, or a forged line) passes only if every
  report says passed;
- without the end marker the run did not finish: when every assertion had reported a pass, the
  last one reported fails anyway, so such a run never scores 100%.
"""

from __future__ import annotations

from typing import Any

from sandbox.native.program import NativeProgram, clean_message

KINDS = {"P": "passed", "F": "failed", "E": "error"}
RANK = {"passed": 0, "failed": 1, "error": 2}


def read_report(report: str, program: NativeProgram) -> tuple[dict[int, tuple[str, str]], list[int], bool]:
    """({index: (outcome, message)} worst first, indices in report order, end marker seen)."""
    prefix = program.nonce + " "
    seen: dict[int, tuple[str, str]] = {}
    order: list[int] = []
    ended = False
    n = len(program.names)
    for line in report.splitlines():
        if not line.startswith(prefix):
            continue
        fields = line[len(prefix):].split(" ", 2)
        if fields == ["END"]:
            ended = True
            continue
        if len(fields) < 2 or not fields[0].isdigit() or fields[1] not in KINDS:
            continue
        k = int(fields[0])
        if k >= n:
            continue
        outcome = KINDS[fields[1]]
        message = clean_message(fields[2]) if len(fields) > 2 else ""
        if outcome == "failed" and not message:
            message = "assertion failed"
        if k not in seen or RANK[outcome] > RANK[seen[k][0]]:
            seen[k] = (outcome, message)
        order.append(k)
    return seen, order, ended


def events(program: NativeProgram, report: str, *, timed_out: bool, exit_code: int | None) -> list[dict[str, Any]]:
    """``collected/test/done`` events (the runner's event vocabulary), every verdict ``in_process``."""
    seen, order, ended = read_report(report, program)
    out: list[dict[str, Any]] = [{"ev": "collected", "n": len(program.names)}]
    if not ended and seen and len(seen) == len(program.names) and all(o == "passed" for o, _ in seen.values()):
        last = order[-1]
        seen[last] = ("failed", f"the program ended (exit code {exit_code}) before the tests finished")
    missing_first = True
    for k, name in enumerate(program.names):
        if k in seen:
            outcome, message = seen[k]
        elif timed_out and missing_first:
            outcome, message = "timeout", "timed out"
        else:
            outcome = "failed"
            message = ("not reached: the tests timed out earlier" if timed_out
                       else f"not reached: the program ended (exit code {exit_code}) before this assertion")
        if k not in seen:
            missing_first = False
        out.append({"ev": "test", "name": name, "outcome": outcome, "duration_ms": 0.0, "message": message,
                    "trust": "in_process"})
    if ended:
        out.append({"ev": "done"})
    return out
