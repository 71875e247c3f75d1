"""Width or depth: how a task under ``"strategy": "auto"`` spends its samples and revision rounds.

Snell et al. (ICLR 2025) find the best split between parallel samples and sequential
revisions depends on how hard the problem is, and that choosing it per problem beats a
fixed split. The cheapest difficulty signal a task has is its own first attempt: the
greedy probe (wave 0). So after the probe, ``choose_split`` reads its stored result:

- it passed every test: stop (nothing more to buy);
- a near miss (it ran and failed at most ``near_miss_limit`` tests): depth first. Revision
  rounds fix what little is wrong; the fresh samples after them shrink by the tier's
  ``revision_share`` and run only if the rounds did not solve it;
- a partial result (some tests pass, more fail): a mix, the full width then every round;
- a hard failure (no test passes: wrong, no code, a crash, a timeout): width first, the full
  width and fewer rounds (``revision_share`` of them go), since revising a program that gets
  nothing right rarely beats a fresh sample.

Without a probe (``n`` given and early stop off) the same reading is made of the best of the
``n`` samples, after them; without tests nothing measures closeness, so the width runs, then
the rounds. The split only ever spends less than admission reserved (width <= n, rounds <=
the task's ``max_revisions``), so the pre-spend guard's worst case still holds. It is a pure
function of stored rows: a redelivered task makes the same choice. A task whose rounds are 0
(the task's and its tier's ``max_revisions``) never asks: it is plain best-of-N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from bestofn.schemas import ExecutionResult, Problem
from bestofn.trace import SplitTrace

Signal = Literal["solved", "near_miss", "partial", "hard", "no_tests"]
DEFAULT_SHARE = 0.5  # when neither the task nor its tier sets revision_share
NEAR_MISS_SHARE = 0.25  # at most this share of the tests failing (and at least one) is a near miss


@dataclass(frozen=True)
class Split:
    """The policy's choice: fresh samples in all (``width``), revision rounds, and which runs first."""

    signal: Signal
    width: int
    rounds: int
    depth_first: bool
    why: str

    def trace(self, seen: str, share: float) -> SplitTrace:
        return SplitTrace(signal=self.signal, width=self.width, rounds=self.rounds,
                          order="revisions first" if self.depth_first else "samples first",
                          revision_share=share, seen=seen, why=self.why)


def near_miss_limit(tests_total: int) -> int:
    """Most failing tests a near miss may have: a quarter of them, at least one."""
    return max(1, math.floor(NEAR_MISS_SHARE * tests_total))


def seen_text(result: ExecutionResult | None, what: str) -> str:
    """What the policy read, in words for the trace."""
    if result is None:
        return f"{what}: no code to run"
    return f"{what}: {result.status}, {result.tests_passed} of {result.tests_total} tests passed"


def classify(result: ExecutionResult | None) -> Signal:
    """Solved, near miss, partial or hard, from one run's result (None: no code ran)."""
    if result is None or result.tests_passed == 0:
        return "hard"
    if result.all_passed:
        return "solved"
    failed = result.tests_total - result.tests_passed
    return "near_miss" if failed <= near_miss_limit(result.tests_total) else "partial"


def choose_split(problem: Problem, n: int, rounds: int, seen: ExecutionResult | None, *, probe: bool) -> Split:
    """The split for a task admitted with ``n`` samples and ``rounds`` (>= 1) revision rounds.

    ``seen`` is the greedy probe's result when ``probe`` (decided before the other samples),
    else the best result of all ``n`` samples (decided after them).
    """
    share = problem.revision_share if problem.revision_share is not None else DEFAULT_SHARE
    if problem.tests is None:
        return Split("no_tests", n, rounds, False, "no tests measure how close a sample is: the samples first, "
                                                   f"then up to {rounds} rounds")
    what = "the greedy probe" if probe else f"the best of the {n} samples"
    signal = classify(seen)
    if signal == "solved":
        return Split("solved", n, 0, False, f"{what} passed every test: nothing more to buy")
    if signal == "near_miss":
        assert seen is not None
        width = max(1, n - round(share * (n - 1))) if probe else n
        failed = seen.tests_total - seen.tests_passed
        return Split("near_miss", width, rounds, probe,
                     f"near miss: {what} failed {failed} of {seen.tests_total} tests (at most "
                     f"{near_miss_limit(seen.tests_total)} is near): up to {rounds} revision rounds"
                     + (f" first, then {width} of the {n} samples only if they did not solve it "
                        f"(revision_share {share:g})" if probe else ""))
    if signal == "partial":
        assert seen is not None
        return Split("partial", n, rounds, False,
                     f"partial: {what} passed {seen.tests_passed} of {seen.tests_total} tests: a mix, "
                     f"{n} samples then up to {rounds} revision rounds")
    kept = rounds - round(share * rounds)
    return Split("hard", n, kept, False,
                 f"hard: {what} passed no test: width first, {n} samples, then {kept} of {rounds} revision "
                 f"rounds (revision_share {share:g} of them go to width)")
