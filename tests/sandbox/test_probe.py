"""run_inputs: behaviour fingerprints for self-consistency."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bestofn.schemas import Limits
from sandbox import SandboxConfig, run_inputs

ADD = "def add(a, b):\n    return a + b\n"
MUL = "def add(a, b):\n    return a * b\n"


def test_function_fingerprints(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    looping = "def add(a, b):\n    while True:\n        pass\n"
    broken = "def add(a, b)\n    return a\n"
    fps = run_inputs([ADD, MUL, looping, broken], ["(1, 2)", "(2, 2)", "('a', 'b')", "(1,"], "add",
                     limits=Limits(timeout_s=1), labels=labels, config=sandbox_config)
    assert fps[0] == ["ok:3", "ok:4", "ok:'ab'", "exc:InvalidInput"]
    assert fps[1] == ["ok:2", "ok:4", "exc:TypeError", "exc:InvalidInput"]
    assert fps[2][:3] == ["timeout"] * 3
    assert fps[3] == ["exc:SyntaxError"] * 4


def test_calls_do_not_share_state_and_big_results_are_cut(labels: dict[str, str],
                                                          sandbox_config: SandboxConfig) -> None:
    stateful = "seen = []\ndef f(x):\n    seen.append(x)\n    return len(seen)\n"
    big = "def f(x):\n    return list(range(x))\n"
    fps = run_inputs([stateful, big], ["(5,)", "7", "(100000,)"], "f", labels=labels, config=sandbox_config)
    assert fps[0] == ["ok:1", "ok:1", "ok:1"]
    assert fps[1][0] == "ok:[0, 1, 2, 3, 4]"
    assert len(fps[1][2]) < 4096 and "...#" in fps[1][2]


def test_io_fingerprints(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    echo_sum = "print(sum(map(int, input().split())))   \n"
    crash = "import sys\nsys.exit(4)\n"
    fps = run_inputs([echo_sum, crash], ["1 2\n", "3 4\n"], None, io=True, labels=labels, config=sandbox_config)
    assert fps == [["ok:3", "ok:7"], ["exc:4", "exc:4"]]


def test_function_probe_needs_an_entry_point(sandbox_config: SandboxConfig) -> None:
    with pytest.raises(ValueError, match="entry_point"):
        run_inputs([ADD], ["(1, 2)"], None, config=sandbox_config)


def test_a_slow_machine_is_not_a_timeout_but_a_loop_is(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    """Probes are limited by the candidate's CPU time: a call that is slow without using CPU (here
    it sleeps, as a starved process on a busy machine waits) still answers; a busy loop times out,
    and a call blocked for good ends at the wall-clock backstop (4 x the probe limit)."""
    late = "import time\ndef add(a, b):\n    time.sleep(1.6)\n    return a + b\n"
    looping = "def add(a, b):\n    while True:\n        pass\n"
    stuck = "import time\ndef add(a, b):\n    time.sleep(60)\n"
    late_io = "import time\ntime.sleep(1.6)\nprint(sum(map(int, input().split())))\n"
    spin_io = "while True:\n    pass\n"
    fps = run_inputs([late, looping, stuck], ["(1, 2)"], "add", limits=Limits(timeout_s=1), labels=labels,
                     config=sandbox_config)
    assert fps == [["ok:3"], ["timeout"], ["timeout"]]
    fps = run_inputs([late_io, spin_io], ["1 2\n"], None, io=True, limits=Limits(timeout_s=1), labels=labels,
                     config=sandbox_config)
    assert fps == [["ok:3"], ["timeout"]]


# Counts its own calls in /tmp (kept for one candidate's probes, swept after it) and loops on 5 < n < 100.
COUNTING = ("def f(n):\n    with open('/tmp/calls', 'a') as fh:\n        fh.write('x')\n"
            "    if 5 < n < 100:\n        while True:\n            pass\n"
            "    return len(open('/tmp/calls').read())\n")
COUNTING_IO = "n = int(input())\n" + COUNTING + "print(f(n))\n"


@pytest.mark.parametrize("io", [False, True], ids=["function", "io"])
def test_a_program_that_timed_out_twice_is_not_called_again(io: bool, labels: dict[str, str],
                                                              sandbox_config: SandboxConfig) -> None:
    """Smallest inputs first, whatever their order in the list; after two timeouts the program is
    not called on the rest, which read "timeout" (no answer) without spending the limit again;
    ``probe_max_timeouts=0`` calls it on every input."""
    inputs = ["(10,)", "(1,)", "(100,)", "(11,)", "(2,)"] if not io else ["10\n", "1\n", "100\n", "11\n", "2\n"]
    kw = dict(entry_point=None if io else "f", io=io, limits=Limits(timeout_s=1), labels=labels)
    code = COUNTING_IO if io else COUNTING
    fps = run_inputs([code], inputs, config=sandbox_config, **kw)
    assert fps == [["timeout", "ok:1", "timeout", "timeout", "ok:2"]]
    uncapped = replace(sandbox_config, probe_max_timeouts=0)
    fps = run_inputs([code], inputs, config=uncapped, **kw)
    assert fps == [["timeout", "ok:1", "ok:5", "timeout", "ok:2"]]
