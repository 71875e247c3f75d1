"""Warm runners (sandbox.RunnerPool): reused across calls, and nothing crosses from one batch to the next.

Every cheat runs on a runner that then serves an honest batch: no cheat is ever
graded passing and the honest batch is, on the SAME container. Leftovers of
every kind (files, processes, SysV IPC) planted in one batch are gone in the next; a runner that died while idle is replaced without
the caller noticing; closing the pool, or the owner going away, removes its
containers.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace

import pytest

from bestofn.schemas import Limits
from bestofn.schemas import TestSuite as Suite
from sandbox import RunnerPool, SandboxConfig, run_inputs, run_many
from sandbox.client import get_client
from tests.sandbox import cheats as C
from tests.sandbox.test_cheats import SUITES, _check, _interleaved

LEFTOVERS = '''
import os, subprocess, ctypes
libc = ctypes.CDLL(None, use_errno=True)
def add(a, b):
    for root in ("/work", "/tmp", "/dev/shm"):
        try:
            with open(os.path.join(root, "planted"), "w") as fh:
                fh.write("x")
        except OSError:
            pass
    if os.fork() == 0:  # a double-forked sleeper that outlives the call
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "300"])
        os._exit(0)
    libc.shmget(0, 1 << 20, 0o1000 | 0o600)
    libc.semget(0, 1, 0o1000 | 0o600)
    libc.msgget(0, 0o1000 | 0o600)
    return a + b
'''

LOOK = '''
import os
import threading
def add(a, b):
    seen = []
    for root in ("/work", "/tmp", "/dev/shm"):
        for dirpath, _dirs, files in os.walk(root):
            seen += [os.path.join(dirpath, f) for f in files]
    me = os.getpid()
    for pid in os.listdir("/proc"):  # processes of this uid but this one: what an earlier candidate left
        if pid.isdigit() and int(pid) != me:
            try:
                if os.stat(f"/proc/{pid}").st_uid == os.getuid():
                    seen.append(open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\\0", b" ").decode()[:60])
            except OSError:
                pass
    for table in ("shm", "sem", "msg"):
        try:
            seen += [f"{table}:{line.split()[1]}" for line in open(f"/proc/sysvipc/{table}").read().splitlines()[1:]]
        except OSError:
            pass
    print("SEEN", seen)
    return a + b
'''


def _containers(labels: dict[str, str], config: SandboxConfig) -> list[str]:
    filters = {"label": [f"bestofn.{k}={v}" for k, v in labels.items()]}
    return [c.id for c in get_client(config=config).containers.list(all=True, sparse=True, filters=filters)]


@pytest.mark.parametrize("fmt", sorted(SUITES))
def test_every_cheat_then_an_honest_batch_on_the_same_runner(fmt: str, labels: dict[str, str],
                                                             sandbox_config: SandboxConfig) -> None:
    suite, entry, honest, cheats = SUITES[fmt]
    codes, names = _interleaved(honest, cheats)
    # idle_s: the batch spreads over two runners, and the one given back first waits for the other,
    # whose blocked cheats end only at the CPU budget's wall-clock backstop (4 x 10 s)
    with RunnerPool(labels=labels, max_idle=1, config=sandbox_config, idle_s=180) as pool:
        for _attempt in range(3):  # a runner that could not sweep is thrown away (and its rest re-run
            # elsewhere): rare, and then this proves nothing about reuse, so the cheats go again
            _check(names, run_many(codes, suite, entry, Limits(timeout_s=10), mode="per_task", labels=labels,
                                   pool=pool, config=sandbox_config))
            if pool.idle:
                break
        assert pool.idle == 1
        started = pool.started
        # on the runner every cheat has just been through
        _check(["honest"] * 2, run_many([honest, honest], suite, entry, Limits(timeout_s=10), mode="per_task",
                                        labels=labels, pool=pool, config=sandbox_config))
        assert pool.started == started  # the runner really was reused


def test_nothing_planted_in_one_batch_is_seen_in_the_next(labels: dict[str, str],
                                                          sandbox_config: SandboxConfig) -> None:
    suite = Suite(format="humaneval", code=C.HUMANEVAL_CHECK)
    with RunnerPool(labels=labels, max_idle=1, config=sandbox_config) as pool:
        first = run_many([LOOK], suite, "add", mode="per_task", labels=labels, pool=pool, config=sandbox_config)[0]
        planted = run_many([LEFTOVERS, LEFTOVERS], suite, "add", mode="per_task", labels=labels, pool=pool,
                           config=sandbox_config)
        looked = run_many([LOOK], suite, "add", mode="per_task", labels=labels, pool=pool, config=sandbox_config)[0]
        assert pool.started == 1, "the runner was not reused: this test would prove nothing"
    assert [r.status for r in planted] == ["passed", "passed"]
    assert {r.isolation for r in planted} == {"per_task"}  # swept, not re-run elsewhere
    assert first.status == looked.status == "passed"
    assert "SEEN []" in first.stdout, first.stdout
    assert "SEEN []" in looked.stdout, looked.stdout


def test_a_sibling_batch_cannot_read_the_previous_batchs_code(labels: dict[str, str],
                                                              sandbox_config: SandboxConfig) -> None:
    secret = "PREVIOUS-" + "0a1b2c3d4e5f6789"
    honest = f"# {secret}\n" + C.HONEST
    spy = C.READABLE_MEMORY + '''
import os, re
PATTERN = re.compile(b"PREV" b"IOUS-[0-9a-f]{16}")  # matches the secret, never itself
def add(a, b):
    hits = 0
    for chunk in readable_memory():
        hits += len(PATTERN.findall(chunk))
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        for name in ("cmdline", "environ"):
            try:
                hits += len(PATTERN.findall(open(f"/proc/{pid}/{name}", "rb").read()))
            except OSError:
                pass
    print("HITS", hits)
    return a + b
'''
    suite = Suite(format="humaneval", code=C.HUMANEVAL_CHECK)
    with RunnerPool(labels=labels, max_idle=1, config=sandbox_config) as pool:
        run_many([honest] * 3, suite, "add", mode="per_task", labels=labels, pool=pool, config=sandbox_config)
        spied = run_many([spy], suite, "add", mode="per_task", labels=labels, pool=pool, config=sandbox_config)[0]
        assert pool.started == 1
    assert spied.status == "passed" and "HITS 0" in spied.stdout, spied.stdout


def test_probes_and_tests_share_warm_runners(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    with RunnerPool(labels=labels, config=sandbox_config) as pool:
        rows = run_inputs([C.HONEST, "def add(a, b):\n    return a - b\n"], ["(1, 2)", "(5, 5)"], "add", labels=labels,
                          pool=pool, config=sandbox_config)
        results = run_many([C.HONEST], Suite(format="humaneval", code=C.HUMANEVAL_CHECK), "add", mode="per_task",
                           labels=labels, pool=pool, config=sandbox_config)
        assert pool.started == 1
    assert rows == [["ok:3", "ok:10"], ["ok:-1", "ok:0"]]
    assert results[0].status == "passed"


def test_a_runner_killed_while_idle_is_replaced_without_a_wrong_result(labels: dict[str, str],
                                                                       sandbox_config: SandboxConfig) -> None:
    suite = Suite(format="humaneval", code=C.HUMANEVAL_CHECK)
    mine = {**labels, "pool": "killed-idle"}
    with RunnerPool(labels=mine, config=sandbox_config) as pool:
        assert run_many([C.HONEST], suite, "add", mode="per_task", labels=labels, pool=pool,
                        config=sandbox_config)[0].status == "passed"
        for cid in _containers(mine, sandbox_config):
            get_client(config=sandbox_config).api.kill(cid)
        again = run_many([C.HONEST, C.FUNCTION_CHEATS["always_equal"]], suite, "add", mode="per_task", labels=labels,
                         pool=pool, config=sandbox_config)
        assert pool.started == 2
    assert [r.status for r in again][0] == "passed" and not again[1].all_passed
    assert {r.isolation for r in again} == {"per_task"}


def test_closing_the_pool_or_leaving_it_idle_removes_its_containers(labels: dict[str, str],
                                                                    sandbox_config: SandboxConfig) -> None:
    suite = Suite(format="humaneval", code=C.HUMANEVAL_CHECK)
    closed = {**labels, "pool": "closed"}
    with RunnerPool(labels=closed, max_idle=2, config=sandbox_config) as pool:
        run_many([C.HONEST], suite, "add", mode="per_task", labels=labels, pool=pool, config=sandbox_config)
        assert len(_containers(closed, sandbox_config)) == 1
    assert _containers(closed, sandbox_config) == []
    abandoned = {**labels, "pool": "abandoned"}
    pool = RunnerPool(labels=abandoned, idle_s=1.0, config=sandbox_config)  # never closed: its owner "died"
    run_many([C.HONEST], suite, "add", mode="per_task", labels=labels, pool=pool, config=sandbox_config)
    for _ in range(100):  # the runner exits after 1 s without a batch and the engine removes it
        if not _containers(abandoned, sandbox_config):
            break
        time.sleep(0.2)
    assert _containers(abandoned, sandbox_config) == []


def test_a_warm_runner_does_not_pile_up_descriptors_or_processes(labels: dict[str, str],
                                                                 sandbox_config: SandboxConfig) -> None:
    """Batch after batch of every kind (tests in each format, function and io probes, candidates
    that crash, time out or fail to compile): the runner's open descriptors and processes stay flat."""
    mine = {**labels, "pool": "flat"}
    crash = "import os\ndef add(a, b):\n    os._exit(3)\n"
    broken = "def add(a, b)\n    return a\n"

    def one_of_each(pool: RunnerPool) -> None:
        for fmt, (suite, entry, honest, _cheats) in sorted(SUITES.items()):
            run_many([honest, crash if fmt != "io" else "raise SystemExit(3)\n", broken], suite, entry,
                     Limits(timeout_s=5), mode="per_task", labels=labels, pool=pool, config=sandbox_config)
        run_inputs([C.HONEST, crash, broken], ["(1, 2)", "(3, 4)"], "add", labels=labels, pool=pool,
                   config=sandbox_config)
        run_inputs([C.HONEST_IO, broken], ["1 2\n"], None, io=True, labels=labels, pool=pool, config=sandbox_config)

    def footprint() -> tuple[int, int]:
        (cid,) = _containers(mine, sandbox_config)
        pid = get_client(config=sandbox_config).api.inspect_container(cid)["State"]["Pid"]
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        children = sum(1 for p in os.listdir("/proc") if p.isdigit() and _ppid(p) == pid)
        return fds, children

    with RunnerPool(labels=mine, max_idle=1, config=sandbox_config) as pool:
        one_of_each(pool)
        before = footprint()
        for _ in range(3):
            one_of_each(pool)
        after = footprint()
        assert pool.started == 1
    assert after == before


def _ppid(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return int(fh.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def test_a_large_call_is_spread_over_runners_and_reported_in_the_callers_thread(
        labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    """70 candidates: three runners at once (32 a container at most), every verdict right, and
    ``on_result`` called once per candidate, in the caller's thread (the store writes there)."""
    codes = [C.HONEST if i % 3 else "def add(a, b):\n    return a - b\n" for i in range(70)]
    seen: list[tuple[int, int]] = []
    config = replace(sandbox_config, parallelism=4)
    with RunnerPool(labels=labels, config=config) as pool:
        results = run_many(codes, Suite(format="humaneval", code=C.HUMANEVAL_CHECK), "add", mode="per_task",
                           labels=labels, pool=pool, on_result=lambda i, r: seen.append((i, threading.get_ident())),
                           config=config)
        assert pool.started == 3
    assert [r.all_passed for r in results] == [bool(i % 3) for i in range(70)]
    assert sorted(i for i, _ in seen) == list(range(70))
    assert {thread for _, thread in seen} == {threading.get_ident()}
