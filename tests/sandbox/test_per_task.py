"""per_task isolation: one container for all candidates, with per_candidate re-runs when it dies."""

from __future__ import annotations

from bestofn.schemas import ExecutionResult, Limits
from bestofn.schemas import TestSuite as Suite
from sandbox import SandboxConfig, run_many

TESTS = Suite(format="humaneval", code="def check(candidate):\n    assert candidate(1, 2) == 3\n")
ADD = "def add(a, b):\n    return a + b\n"
MUL = "def add(a, b):\n    return a * b\n"

# Gives up its OOM preference, then fills the tmpfs mounts (memory the OOM killer
# cannot free by killing a process) past the memory limit from a tiny process:
# the largest process left, the runner itself, is killed and the container dies.
SINKER = '''
import os
with open("/proc/self/oom_score_adj", "w") as fh:
    fh.write("0")
os.execv("/bin/sh", ["sh", "-c", "head -c 60m /dev/zero > /work/a; head -c 16m /dev/zero > /dev/shm/b; "
                                 "head -c 16m /dev/zero > /tmp/c; sleep 30"])
'''


def test_results_arrive_in_order_as_they_are_known(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    seen: list[tuple[int, str]] = []
    results = run_many([ADD, MUL, ADD, MUL], TESTS, "add", mode="per_task", labels=labels,
                       on_result=lambda i, r: seen.append((i, r.status)), config=sandbox_config)
    assert [r.status for r in results] == ["passed", "failed", "passed", "failed"]
    assert seen == [(0, "passed"), (1, "failed"), (2, "passed"), (3, "failed")]
    assert {r.isolation for r in results} == {"per_task"}


def test_a_container_killing_candidate_does_not_sink_its_siblings(labels: dict[str, str],
                                                                  sandbox_config: SandboxConfig) -> None:
    seen: dict[int, ExecutionResult] = {}
    codes = [ADD, MUL, SINKER, ADD, MUL]
    results = run_many(codes, TESTS, "add", Limits(memory_mb=64, timeout_s=5), mode="per_task", labels=labels,
                       on_result=lambda i, r: seen.__setitem__(i, r), config=sandbox_config)
    assert [r.status for r in results[:2]] == ["passed", "failed"]
    assert [r.isolation for r in results[:2]] == ["per_task"] * 2  # delivered before the container died
    assert [r.status for r in results[3:]] == ["passed", "failed"]
    # the siblings after it ran either in the same container (the runner survived and its janitor
    # freed the tmpfs) or were re-run in their own containers (the container died): right either way
    assert len({r.isolation for r in results[3:]}) == 1
    assert results[2].status in ("oom", "timeout"), results[2]
    assert sorted(seen) == [0, 1, 2, 3, 4]


def test_empty_batch(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    assert run_many([], TESTS, "add", mode="per_task", labels=labels, config=sandbox_config) == []
    assert run_many([], TESTS, "add", mode="per_candidate", labels=labels, config=sandbox_config) == []
