"""The feedback a revision round sends: pure function on stored results (bestofn/feedback.py)."""

from __future__ import annotations

from bestofn.feedback import MAX_CHARS, MAX_FAILING_TESTS, execution_feedback
from bestofn.schemas import ExecutionResult
from bestofn.schemas import TestOutcome as Outcome  # not collected as a test class


def _result(**kw: object) -> ExecutionResult:
    return ExecutionResult.model_validate({"status": "failed", **kw})


def test_names_failing_tests_with_their_messages_and_leaves_passing_ones_out() -> None:
    text = execution_feedback(_result(tests_passed=1, tests_total=2, tests=[
        Outcome(name="test_ok", outcome="passed"),
        Outcome(name="case 2", outcome="failed", message="expected '3\\n', got '4\\n'"),
    ]))
    assert "1 of 2 tests passed" in text
    assert "- case 2: failed: expected '3\\n', got '4\\n'" in text
    assert "test_ok" not in text


def test_timeouts_and_oom_are_said_as_such() -> None:
    assert "timed out" in execution_feedback(_result(status="timeout", timed_out=True))
    assert "too much memory" in execution_feedback(_result(status="oom", oom_killed=True))
    assert "does not compile" in execution_feedback(_result(status="syntax_error", stderr="SyntaxError: bad"))
    compiled = execution_feedback(_result(status="compile_error", stderr="main.cpp:1:5: error: expected ';'"))
    assert "does not compile" in compiled and "main.cpp:1:5: error: expected ';'" in compiled


def test_bounded_and_redacted() -> None:
    many = [Outcome(name=f"t{i}", outcome="failed", message="x" * 5000) for i in range(50)]
    text = execution_feedback(_result(tests_total=50, tests=many,
                                      stderr="\n".join(f"line {i}" for i in range(1000))
                                      + "\nhttp://user:hunter2secret@db.example/x"))
    assert len(text) <= MAX_CHARS
    assert "hunter2secret" not in text and "db.example" in text  # masked, not cut off
    assert f"and {50 - MAX_FAILING_TESTS} more failing tests" in text
    assert "line 999" in text and "line 10\n" not in text  # the last lines of stderr, not the first


def test_a_long_assertion_is_cut_before_the_values_the_candidate_returned() -> None:
    message = "AssertionError: candidate(" + "1, " * 200 + ") == 3 (the candidate returned 4)"
    text = execution_feedback(_result(tests_total=1, tests=[Outcome(name="assert[0]", outcome="failed",
                                                                    message=message)]))
    line = next(line for line in text.splitlines() if line.startswith("- assert[0]"))
    assert line.endswith("(the candidate returned 4)") and "..." in line
