"""CodeT: parsing model-written asserts and scoring consensus groups (pure)."""

from __future__ import annotations

from bestofn.rerank.codet import answers, choose, consensus, parse_generated_tests, passed_tests, suite_for
from bestofn.schemas import ExecutionResult, TestOutcome


def test_only_valid_distinct_asserts_on_the_entry_point_are_kept() -> None:
    reply = ("Here are tests:\n```python\nassert add(1, 2) == 3\nassert add(1,2)==3\nassert add(0, 0) == 0\n"
             "assert other(1) == 2\nassert add(1, == 2\nprint(add(1, 1))\n```\n")
    assert parse_generated_tests(reply, "add", 10) == ["assert add(1, 2) == 3", "assert add(0, 0) == 0"]
    assert parse_generated_tests(reply, "add", 1) == ["assert add(1, 2) == 3"]
    assert parse_generated_tests("assert add(2, 2) == 4", "add", 5) == ["assert add(2, 2) == 4"]


def test_suite_has_one_top_level_assert_per_test() -> None:
    suite = suite_for(["assert f(1) == 1", "assert f(2) == 4"])
    assert suite.format == "humaneval"
    assert suite.code == "def check(candidate):\n    assert f(1) == 1\n    assert f(2) == 4\n"


def test_passed_tests_are_read_from_per_assert_outcomes() -> None:
    r = ExecutionResult(status="failed", tests=[
        TestOutcome(name="assert[0] f(1) == 1", outcome="passed"),
        TestOutcome(name="assert[1] f(2) == 4", outcome="failed"),
        TestOutcome(name="assert[2] f(3) == 9", outcome="passed")])
    assert passed_tests(r) == frozenset({0, 2})
    assert passed_tests(None) == frozenset()


def test_group_score_is_members_times_tests_passed() -> None:
    # 3 candidates agree on passing tests {0, 1}; 1 candidate passes {0, 1, 2}; 2 pass nothing.
    passed = {0: frozenset({0, 1}), 1: frozenset({0, 1, 2}), 2: frozenset({0, 1}), 3: frozenset({0, 1}),
              4: frozenset(), 5: frozenset()}
    groups = consensus(passed, order=[5, 4, 3, 2, 1, 0])
    assert [(g.members, g.score) for g in groups] == [([3, 2, 0], 6), ([1], 3), ([5, 4], 0)]
    result = choose(groups, ["t0", "t1", "t2"])
    assert result.winner == 3 and result.runner_up == 1
    assert result.agreement_rate == 0.5 and result.confidence == round(6 / 9, 4)


def test_nothing_passing_any_generated_test_is_no_decision() -> None:
    result = choose(consensus({0: frozenset(), 1: frozenset()}, [0, 1]), ["t0"])
    assert result.winner is None and "no candidate passed" in result.reason
    assert choose([], []).winner is None


def _run(passed: list[int], total: int = 3, timed_out: bool = False) -> ExecutionResult:
    tests = [TestOutcome(name=f"assert[{k}] t", outcome="passed" if k in passed else "failed") for k in range(total)]
    if timed_out:
        tests[-1] = TestOutcome(name=f"assert[{total - 1}] t", outcome="timeout")
    return ExecutionResult(status="timeout" if timed_out else "failed", timed_out=timed_out,
                           tests_passed=len(passed), tests_total=total, tests=tests)


def test_a_run_that_timed_out_joins_no_consensus_group_when_it_may_have_hidden_a_pass() -> None:
    # 0, 1, 2 pass all three tests; 3 passed two, then timed out on the third (a loaded machine).
    runs = {0: _run([0, 1, 2]), 1: _run([0, 1, 2]), 2: _run([0, 1, 2]), 3: _run([0, 1], timed_out=True)}
    passed = answers(runs)
    assert set(passed) == {0, 1, 2}
    groups = consensus(passed, [3, 0, 1, 2])
    assert [g.members for g in groups] == [[0, 1, 2]]
    assert choose(groups, ["t0", "t1", "t2"]).winner == 0
    # Correct but slow runs time out on a test no finished run passed: they keep their group and win.
    slow = {0: _run([0, 1], timed_out=True), 1: _run([0, 1], timed_out=True), 2: _run([0]), 3: _run([0])}
    assert answers(slow) == {0: frozenset({0, 1}), 1: frozenset({0, 1}), 2: frozenset({0}), 3: frozenset({0})}
    assert choose(consensus(answers(slow), [2, 3, 0, 1]), ["t0", "t1", "t2"]).winner == 0
