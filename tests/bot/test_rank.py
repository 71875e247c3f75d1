"""Ranking candidate patches (pure) and comparing runs test by test."""

from __future__ import annotations

from bestofn.bot.junit import parse_junit
from bestofn.bot.models import PatchOutcome, TestRun, compare_runs
from bestofn.bot.rank import rank_patches


def ran(index: int, fixed: int, broken: int, lines: int = 2, runtime: float = 100.0, failing: int = 2,
        agreement: int = 1) -> PatchOutcome:
    return PatchOutcome(index=index, status="ran", fixed=[f"f{i}" for i in range(fixed)],
                        broken=[f"b{i}" for i in range(broken)], still_failing=[f"f{i}" for i in range(fixed, failing)],
                        changed_lines=lines, runtime_ms=runtime, agreement=agreement)


def order(*outcomes: PatchOutcome) -> list[int]:
    return [r.index for r in rank_patches(list(outcomes), 2).ranking]


def test_complete_clean_fix_beats_everything() -> None:
    assert order(ran(0, 2, 1, lines=1), ran(1, 1, 0, lines=1), ran(2, 2, 0, lines=50, runtime=900)) == [2, 1, 0]


def test_then_net_gain_then_fewer_broken() -> None:
    # net: 0 -> 1, 1 -> 1 (breaks 1), 2 -> 1 (breaks 0), 3 fixes nothing
    assert order(ran(0, 1, 1), ran(1, 2, 1), ran(2, 1, 0), ran(3, 0, 0, lines=1)) == [2, 1, 0, 3]


def test_then_smaller_diff_then_agreement_then_runtime_then_index() -> None:
    assert order(ran(0, 1, 0, lines=9), ran(1, 1, 0, lines=3)) == [1, 0]
    assert order(ran(0, 1, 0, agreement=1), ran(1, 1, 0, agreement=3)) == [1, 0]
    assert order(ran(0, 1, 0, runtime=200), ran(1, 1, 0, runtime=100)) == [1, 0]
    assert order(ran(1, 1, 0), ran(0, 1, 0)) == [0, 1]


def test_patches_that_did_not_run_rank_last_and_cannot_win() -> None:
    bad = [PatchOutcome(index=i, status=s) for i, s in enumerate(["not_applied", "no_patch", "llm_error", "no_change"])]
    decision = rank_patches([*bad, ran(4, 0, 0)], 2)
    assert decision.winner is None and decision.method == "none"
    assert decision.ranking[0].index == 4
    assert "no candidate fixed" in decision.reason


def test_the_reason_names_the_deciding_criterion() -> None:
    d = rank_patches([ran(0, 2, 0, lines=5), ran(1, 2, 0, lines=9)], 2)
    assert d.winner == 0 and d.runner_up == 1
    assert "fixes 2/2 failing test(s), breaks 0, changes 5 line(s)" in d.reason
    assert "its diff is smaller (5 against 9 changed lines of candidate 1)" in d.reason
    d = rank_patches([ran(0, 1, 0), ran(1, 2, 1)], 2)
    assert "ahead because it breaks 0 test(s) against 1 for candidate 1 at equal net gain" in d.reason
    assert d.no_passing_candidate  # the winner leaves a failing test


def test_ranking_is_deterministic_whatever_the_input_order() -> None:
    outs = [ran(i, i % 3, i % 2, lines=10 - i, runtime=50.0 * (i % 4)) for i in range(8)]
    assert rank_patches(outs, 2).ranking == rank_patches(list(reversed(outs)), 2).ranking


JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="5">
<testcase classname="tests.test_calc" name="test_add" time="0.001"/>
<testcase classname="tests.test_calc" name="test_mul" time="0.002"><failure message="assert 5 == 6">E</failure></testcase>
<testcase classname="tests.test_calc" name="test_io" time="0.001"><error message="fixture">E</error></testcase>
<testcase classname="tests.test_calc" name="test_skip" time="0"><skipped message="later"/></testcase>
<testcase classname="tests.test_calc" name="test_add" time="0.001"><error message="teardown">E</error></testcase>
</testsuite></testsuites>"""


def test_junit_outcomes_and_worst_result_per_id() -> None:
    outcomes = parse_junit(JUNIT)
    assert outcomes is not None
    assert [(o.name, o.outcome) for o in outcomes][:4] == [
        ("tests.test_calc::test_add", "passed"), ("tests.test_calc::test_mul", "failed"),
        ("tests.test_calc::test_io", "error"), ("tests.test_calc::test_skip", "skipped")]
    run = TestRun.from_outcomes(outcomes, "pytest")
    assert run.failing == ["tests.test_calc::test_add", "tests.test_calc::test_io", "tests.test_calc::test_mul"]
    assert parse_junit("") is None and parse_junit("<not xml") is None


def test_without_a_report_the_command_is_the_one_test() -> None:
    assert TestRun.from_outcomes(None, "make test", exit_code=2).tests == {"make test": "failed"}
    assert TestRun.from_outcomes(None, "make test", exit_code=0).tests == {"make test": "passed"}


def test_compare_runs_counts_missing_tests_as_broken_not_fixed() -> None:
    base = TestRun(tests={"a": "passed", "b": "failed", "c": "failed", "d": "passed"})
    after = TestRun(tests={"a": "passed", "b": "passed", "d": "error", "new": "passed"})  # c was deleted
    fixed, broken, still = compare_runs(base, after)
    assert (fixed, broken, still) == (["b"], ["d"], ["c"])
    assert compare_runs(base, TestRun(tests={}))[1] == ["a", "d"]
