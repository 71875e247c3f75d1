"""A test run's limit is CPU time, with a wall-clock backstop: a run that is slow without using
CPU (here it sleeps, as a starved process waits on a busy machine) keeps its verdict; a busy loop
times out after its limit; a run blocked for good ends at the backstop (4x the limit)."""

from __future__ import annotations

import json

import pytest

from bestofn.schemas import Limits
from bestofn.schemas import TestSuite as Suite
from sandbox import SandboxConfig, run_many

HUMANEVAL = Suite(format="humaneval", code="def check(candidate):\n    assert candidate(1, 2) == 3\n"
                                           "    assert candidate(2, 2) == 4\n")
PYTEST = Suite(format="pytest", code="from solution import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
                                     "def test_twice():\n    assert add(2, 2) == 4\n")
IO = Suite(format="io", code=json.dumps([{"input": f"{a} {b}\n", "output": f"{a + b}\n"}
                                         for a, b in ((1, 2), (2, 2), (5, 5))]))

# each is about 1.5 s of wall time in all against a 1 s limit, with almost no CPU
SLOW_FUNCTION = "import time\ndef add(a, b):\n    time.sleep(0.75)\n    return a + b\n"
SLOW_PROGRAM = "import time\ntime.sleep(0.5)\nprint(sum(map(int, input().split())))\n"
LOOP_FUNCTION = "def add(a, b):\n    while True:\n        pass\n"
LOOP_PROGRAM = "while True:\n    pass\n"
STUCK_FUNCTION = "import time\ndef add(a, b):\n    time.sleep(60)\n"
STUCK_PROGRAM = "import time\ntime.sleep(60)\n"

CASES = {
    "humaneval": (HUMANEVAL, SLOW_FUNCTION, LOOP_FUNCTION, STUCK_FUNCTION),
    "pytest": (PYTEST, SLOW_FUNCTION, LOOP_FUNCTION, STUCK_FUNCTION),
    "io": (IO, SLOW_PROGRAM, LOOP_PROGRAM, STUCK_PROGRAM),
}


@pytest.mark.parametrize("mode", ["per_task", "per_candidate"])
@pytest.mark.parametrize("fmt", list(CASES))
def test_slow_passes_loop_and_stuck_time_out(fmt: str, mode: str, labels: dict[str, str],
                                             sandbox_config: SandboxConfig) -> None:
    suite, slow, loop, stuck = CASES[fmt]
    results = run_many([slow, loop, stuck], suite, "add" if fmt == "humaneval" else None, Limits(timeout_s=1),
                       mode=mode, labels=labels, config=sandbox_config)
    got = [(r.status, r.tests_passed, r.tests_total) for r in results]
    n = results[0].tests_total
    assert n >= 2 and got[0] == ("passed", n, n), results[0]
    assert results[0].runtime_ms > 1000  # it did take longer than its limit, in wall time
    assert got[1][0] == "timeout" and got[1][1] == 0, results[1]
    assert got[2][0] == "timeout" and got[2][1] == 0, results[2]
    assert results[1].cpu_ms is None or results[1].cpu_ms >= 900  # the loop used its CPU limit
