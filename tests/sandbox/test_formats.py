"""Each test format end to end in real containers: verdicts, per-test results, messages."""

from __future__ import annotations

import json

import pytest

from bestofn.schemas import ExecutionResult, Limits
from bestofn.schemas import TestSuite as Suite
from sandbox import SandboxConfig, run_candidate, run_many
from sandbox.api import _grade_tests
from sandbox.config import resolve
from sandbox import payload
from sandbox.per_candidate import run_one

ADD = "def add(a, b):\n    return a + b\n"
MUL = "def add(a, b):\n    return a * b\n"

HUMANEVAL_TESTS = Suite(format="humaneval", code='''
METADATA = {"author": "test"}


def check(candidate):
    assert candidate(1, 2) == 3
    assert candidate(2, 2) == 4, "two and two"
    assert candidate(0, 5) == 5
''')

PYTEST_TESTS = Suite(format="pytest", code='''
import pytest
from solution import add


def test_small():
    assert add(1, 2) == 3


def test_same():
    print("inside test_same")
    assert add(2, 2) == 4


@pytest.mark.parametrize("x", [1, 7])
def test_zero(x):
    assert add(x, 0) == x
''')

IO_TESTS = Suite(format="io", code=json.dumps([
    {"input": "1 2\n", "output": "3\n"},
    {"input": "2 2\n", "output": "4"},
    {"input": "5 0\n", "output": "5\n\n"},
]))
IO_ADD = "a, b = map(int, input().split())\nprint(a + b, end='   \\n')\n"
IO_MUL = "a, b = map(int, input().split())\nprint(a * b)\n"


@pytest.mark.parametrize("mode", ["per_candidate", "per_task"])
def test_humaneval_correct_and_wrong(mode: str, labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    good, bad = run_many([ADD, MUL], HUMANEVAL_TESTS, "add", mode=mode, labels=labels, config=sandbox_config)
    assert (good.status, good.all_passed, good.tests_passed, good.tests_total) == ("passed", True, 3, 3)
    assert good.isolation == mode
    assert (bad.status, bad.tests_passed, bad.tests_total) == ("failed", 1, 3)
    outcomes = [(t.outcome, t.message) for t in bad.tests]
    assert outcomes[0] == ("failed", "AssertionError: candidate(1, 2) == 3 (the candidate returned 2)")
    assert outcomes[1] == ("passed", "")
    assert outcomes[2] == ("failed", "AssertionError: candidate(0, 5) == 5 (the candidate returned 0)")


def test_humaneval_splits_asserts_only_when_check_is_plain(labels: dict[str, str],
                                                           sandbox_config: SandboxConfig) -> None:
    looped = Suite(format="humaneval", code='''
def check(candidate):
    for a in range(3):
        assert candidate(a, 1) == a + 1
    assert candidate(0, 0) == 0
''')
    result = run_candidate(ADD, looped, "add", labels=labels, config=sandbox_config)
    assert (result.status, result.tests_total, result.tests[0].name) == ("passed", 1, "check")
    wrong = run_candidate(MUL, looped, "add", labels=labels, config=sandbox_config)
    assert (wrong.status, wrong.tests_passed, wrong.tests_total) == ("failed", 0, 1)
    split = run_candidate(ADD, HUMANEVAL_TESTS, "add", labels=labels, config=sandbox_config)
    assert [t.name for t in split.tests] == [
        "assert[0] candidate(1, 2) == 3", "assert[1] candidate(2, 2) == 4", "assert[2] candidate(0, 5) == 5",
    ]


def test_humaneval_message_and_missing_entry_point(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    wrong = run_candidate("def add(a, b):\n    return 0\n", HUMANEVAL_TESTS, "add", labels=labels,
                          config=sandbox_config)
    assert wrong.tests[1].message == "AssertionError: two and two (the candidate returned 0)"
    missing = run_candidate("def plus(a, b):\n    return a + b\n", HUMANEVAL_TESTS, "add", labels=labels,
                            config=sandbox_config)
    assert missing.status == "error" and "KeyError" in missing.stderr


@pytest.mark.parametrize("mode", ["per_candidate", "per_task"])
def test_pytest_correct_and_wrong(mode: str, labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    good, bad = run_many([ADD, MUL], PYTEST_TESTS, mode=mode, labels=labels, config=sandbox_config)
    assert (good.status, good.tests_passed, good.tests_total) == ("passed", 4, 4)
    assert "inside test_same" in good.stdout
    by_name = {t.name.split("::")[-1]: t for t in bad.tests}
    assert (bad.status, bad.tests_passed, bad.tests_total) == ("failed", 1, 4)
    assert by_name["test_small"].outcome == "failed"
    assert "assert 2 == 3" in by_name["test_small"].message
    assert by_name["test_same"].outcome == "passed"
    assert by_name["test_zero[7]"].outcome == "failed"


def _unchecked_run(code: str, suite: Suite, labels: dict[str, str], config: SandboxConfig) -> ExecutionResult:
    """One candidate through the container with the public functions' request check skipped."""
    rl = resolve(None, config)
    return run_one((0, code), lambda items: payload.tests_payload(items, suite, None, rl), _grade_tests, rl, labels,
                   config)


def test_pytest_zero_tests_and_broken_test_file_are_refused_and_graded_as_errors(labels: dict[str, str],
                                                                                 sandbox_config: SandboxConfig) -> None:
    empty = Suite.model_construct(format="pytest", code="from solution import add\n")
    broken = Suite.model_construct(format="pytest", code="from solution import nothing_here\n")
    for suite in (empty, broken):  # built without validation: the sandbox applies Problem's rules itself
        with pytest.raises(ValueError, match="^tests.code: format pytest collects no tests"):
            run_candidate(ADD, suite, labels=labels, config=sandbox_config)
    # should one reach a container anyway, the runner grades it as an error, never a pass
    ran_empty = _unchecked_run(ADD, empty, labels, sandbox_config)
    assert (ran_empty.status, ran_empty.tests_total) == ("error", 0)
    ran_broken = _unchecked_run(ADD, broken, labels, sandbox_config)
    assert ran_broken.status == "error" and "nothing_here" in ran_broken.stderr


@pytest.mark.parametrize("mode", ["per_candidate", "per_task"])
def test_io_correct_wrong_and_crashing(mode: str, labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    crash = "import sys\nprint('partial')\nsys.exit(3)\n"
    good, bad, crashed = run_many([IO_ADD, IO_MUL, crash], IO_TESTS, mode=mode, labels=labels, config=sandbox_config)
    assert (good.status, good.tests_passed, good.tests_total) == ("passed", 3, 3)
    assert (bad.status, bad.tests_passed) == ("failed", 1)  # 2*2 == 2+2
    assert bad.tests[0].message == "expected '3', got '2'"
    assert crashed.status == "failed" and crashed.tests[0].message == "exit code 3"
    assert crashed.exit_code == 1


@pytest.mark.parametrize("tests,entry", [(HUMANEVAL_TESTS, "add"), (PYTEST_TESTS, None), (IO_TESTS, None)])
def test_syntax_error_in_every_format(tests: Suite, entry: str | None, labels: dict[str, str],
                                      sandbox_config: SandboxConfig) -> None:
    result = run_candidate("def add(a, b)\n    return a + b\n", tests, entry, labels=labels, config=sandbox_config)
    assert result.status == "syntax_error"
    assert result.stderr.startswith("SyntaxError")


@pytest.mark.parametrize("tests,entry", [(HUMANEVAL_TESTS, "add"), (PYTEST_TESTS, None)])
def test_import_error_is_reported(tests: Suite, entry: str | None, labels: dict[str, str],
                                  sandbox_config: SandboxConfig) -> None:
    result = run_candidate("import no_such_module_xyz\n" + ADD, tests, entry, labels=labels, config=sandbox_config)
    assert result.status == "error"
    assert "ModuleNotFoundError: No module named 'no_such_module_xyz'" in result.stderr


def test_output_is_captured_and_truncated(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    chatty = ADD + "print('x' * 200_000)\nimport sys\nprint('err line', file=sys.stderr)\n"
    result = run_candidate(chatty, HUMANEVAL_TESTS, "add", labels=labels, config=sandbox_config)
    assert result.status == "passed"
    assert result.truncated is True
    assert 60_000 < len(result.stdout) <= 64 * 1024
    assert result.stderr == "err line\n"


def test_runtime_is_measured_and_limits_apply(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    slow = "import time\ndef add(a, b):\n    time.sleep(0.05)\n    return a + b\n"
    result = run_candidate(slow, HUMANEVAL_TESTS, "add", Limits(timeout_s=5), labels=labels, config=sandbox_config)
    assert result.status == "passed"
    assert result.runtime_ms >= 150  # three asserts, 50 ms each


def test_bad_requests_raise_before_any_container(sandbox_config: SandboxConfig) -> None:
    with pytest.raises(ValueError, match="entry_point"):
        run_candidate(ADD, HUMANEVAL_TESTS, None, config=sandbox_config)
    with pytest.raises(ValueError, match="io tests"):
        run_candidate(ADD, Suite(format="io", code='{"input": "x"}'), config=sandbox_config)
