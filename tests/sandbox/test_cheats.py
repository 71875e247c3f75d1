"""No candidate can forge its own verdict, its runtime, or a sibling's.

Every cheat in tests/sandbox/cheats.py runs between honest correct candidates, in
every format where it applies and in both isolation modes: the cheat is never
graded passing, the honest candidates always are, and the honest runtime is what
the trusted side measured.
"""

from __future__ import annotations

import math

import pytest

from bestofn.schemas import ExecutionResult, Limits
from bestofn.schemas import TestSuite as Suite
from sandbox import SandboxConfig, run_many
from tests.sandbox import cheats as C

SUITES = {
    "humaneval": (Suite(format="humaneval", code=C.HUMANEVAL_CHECK), "add", C.HONEST, C.FUNCTION_CHEATS),
    "pytest": (Suite(format="pytest", code=C.PYTEST_FILE), None, C.HONEST, C.FUNCTION_CHEATS),
    "io": (Suite(format="io", code=C.IO_PAIRS), None, C.HONEST_IO, C.IO_CHEATS),
}


def _interleaved(honest: str, cheats: dict[str, str]) -> tuple[list[str], list[str]]:
    """honest, cheat, honest, cheat, ..., honest: each cheat has an honest sibling on both sides."""
    codes, names = [honest], ["honest"]
    for name, code in cheats.items():
        codes += [code, honest]
        names += [name, "honest"]
    return codes, names


def _check(names: list[str], results: list[ExecutionResult]) -> None:
    wrong = []
    for name, result in zip(names, results):
        if name == "honest":
            if result.status != "passed" or result.tests_passed != 3:
                wrong.append(f"an honest candidate was graded {result.status} {result.tests_passed}/"
                             f"{result.tests_total}: {result.stderr[-300:]}")
            elif not (math.isfinite(result.runtime_ms) and result.runtime_ms >= 0):
                wrong.append(f"an honest candidate's runtime is {result.runtime_ms}")
        elif result.all_passed or result.status == "passed" or result.tests_passed == 3:
            wrong.append(f"cheat {name} was graded {result.status} {result.tests_passed}/{result.tests_total}")
        elif result.runtime_ms < 0:
            wrong.append(f"cheat {name} has a negative runtime")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("mode", ["per_task", "per_candidate"])
@pytest.mark.parametrize("fmt", sorted(SUITES))
def test_no_cheat_is_graded_passing_and_every_honest_sibling_is(fmt: str, mode: str, labels: dict[str, str],
                                                                sandbox_config: SandboxConfig) -> None:
    suite, entry, honest, cheats = SUITES[fmt]
    codes, names = _interleaved(honest, cheats)
    results = run_many(codes, suite, entry, Limits(timeout_s=10), mode=mode, labels=labels, config=sandbox_config)
    _check(names, results)


def test_a_candidate_cannot_read_its_siblings_code(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    """per_task: the spy runs before and after an honest candidate that carries a secret token."""
    secret = "SIBLING-" + "5f3c1a9e77d04b21"
    honest = f"# {secret}\n" + C.HONEST
    spy = C.READABLE_MEMORY + '''
import os, re
PATTERN = re.compile(b"SIBL" b"ING-[0-9a-f]{16}")
def _search():
    found = set()
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        for name in ("cmdline", "environ"):
            try:
                found.update(PATTERN.findall(open(f"/proc/{pid}/{name}", "rb").read()))
            except OSError:
                pass
    for chunk in readable_memory():
        found.update(PATTERN.findall(chunk))
    for root in ("/work", "/tmp", "/dev/shm"):
        for dirpath, _, files in os.walk(root):
            for f in files:
                try:
                    found.update(PATTERN.findall(open(os.path.join(dirpath, f), "rb").read()))
                except OSError:
                    pass
    return sorted(x.decode() for x in found)
def add(a, b):
    print("FOUND", _search())
    return 0
'''
    results = run_many([spy, honest, spy, honest, spy], Suite(format="humaneval", code=C.HUMANEVAL_CHECK), "add",
                       mode="per_task", labels=labels, config=sandbox_config)
    for spied in results[0::2]:
        assert "FOUND" in spied.stdout, spied
        assert secret not in spied.stdout
    assert [r.status for r in results[1::2]] == ["passed", "passed"]


def test_sysv_shared_memory_left_behind_does_not_harm_siblings(labels: dict[str, str],
                                                               sandbox_config: SandboxConfig) -> None:
    """A candidate that keeps 80 MB of SysV shm (no IPC_RMID) in a 160 MB container: its siblings run fine."""
    hoarder = '''
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
SIZE = 80 << 20
def add(a, b):
    for _ in range(2):
        ident = libc.shmget(0, SIZE, 0o1000 | 0o600)  # IPC_PRIVATE, IPC_CREAT
        if ident >= 0:
            addr = libc.shmat(ident, None, 0)
            if addr not in (None, ctypes.c_void_p(-1).value):
                ctypes.memset(addr, 1, SIZE // 2)
                libc.shmdt(ctypes.c_void_p(addr))
    sem = libc.semget(0, 4, 0o1000 | 0o600)
    msg = libc.msgget(0, 0o1000 | 0o600)
    print("kept", sem >= 0, msg >= 0)
    return 0
'''
    suite = Suite(format="humaneval", code=C.HUMANEVAL_CHECK)
    for _ in range(2):
        results = run_many([hoarder, C.HONEST, hoarder, C.HONEST, C.HONEST], suite, "add",
                           Limits(memory_mb=160, timeout_s=10), mode="per_task", labels=labels, config=sandbox_config)
        assert [r.status for r in results[1::2]] + [results[4].status] == ["passed"] * 3, results
        assert {r.isolation for r in results} == {"per_task"}  # cleaned up between candidates, no re-runs
        assert "kept True True" in results[0].stdout


def test_runtime_is_measured_by_the_trusted_side(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    """A candidate cannot make itself look fast: its slowness is on the trusted clock."""
    slow = "import time\ndef add(a, b):\n    time.sleep(0.1)\n    return a + b\n"
    forger = C.FUNCTION_CHEATS["forged_events_on_every_fd_then_exit_in_call"]
    fast, slowed, forged = run_many([C.HONEST, slow, forger], Suite(format="humaneval", code=C.HUMANEVAL_CHECK), "add",
                                    mode="per_task", labels=labels, config=sandbox_config)
    assert fast.status == slowed.status == "passed"
    assert slowed.runtime_ms >= 300 > fast.runtime_ms
    assert forged.status != "passed" and forged.runtime_ms >= 0
    assert slowed.cpu_ms is not None and slowed.cpu_ms >= 0
