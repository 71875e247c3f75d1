"""Native test programs (MultiPL-E's tests verbatim) in real containers, every language.

One run per (language, isolation mode) holds every behaviour side by side: a correct candidate
(MultiPL-E's prompt + completion, and a whole chat-style answer), one wrong on the second
assertion only, a crash and an exception in that assertion, a loop, a syntax error, and the
cheats: exit(0) before the first assertion, and report lines forged on stdout (and on the report
fd itself where the language reaches it) followed by exit(0).
"""

from __future__ import annotations

import pytest

from bestofn.schemas import Limits
from bestofn.schemas import TestSuite as Suite
from sandbox import SandboxConfig, run_many
from tests.sandbox.native_cases import CASES, candidate

pytestmark = [pytest.mark.languages, pytest.mark.usefixtures("image")]
BEHAVIOURS = ("right", "whole", "wrong", "crash", "loop", "exit", "forge", "syntax")


def _codes(language: str) -> list[str]:
    case = CASES[language]
    out = []
    for kind in BEHAVIOURS:
        if kind == "whole":
            out.append(case.whole)
        elif kind in ("right", "wrong"):
            out.append(candidate(case, getattr(case, kind)))
        else:
            out.append(candidate(case, case.bodies[kind]))
    return out


@pytest.mark.parametrize("mode", ["per_candidate", "per_task"])
@pytest.mark.parametrize("language", sorted(CASES))
def test_native_statuses(language: str, mode: str, labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    tests = Suite(format="native", code=CASES[language].tests)
    results = dict(zip(BEHAVIOURS, run_many(_codes(language), tests, limits=Limits(timeout_s=4), mode=mode,
                                            labels=labels, config=sandbox_config, language=language)))
    right, whole, wrong = results["right"], results["whole"], results["wrong"]
    for result in (right, whole):
        assert (result.status, result.tests_passed, result.tests_total) == ("passed", 3, 3), result
        assert [t.outcome for t in result.tests] == ["passed"] * 3
        assert all(t.trust == "in_process" for t in result.tests)
        assert result.trusted_pass_rate == 0.0 and result.runtime_ms > 0
    assert (wrong.status, wrong.tests_passed, wrong.tests_total) == ("failed", 2, 3), wrong
    assert [t.outcome for t in wrong.tests] == ["passed", "failed", "passed"]
    assert wrong.tests[1].name.startswith("assert[1]")
    if language in ("rust", "go", "javascript", "typescript"):  # these say expected and actual
        assert "5" in wrong.tests[1].message and "0" in wrong.tests[1].message, wrong.tests[1]
    crash = results["crash"]
    assert crash.status == "failed" and crash.tests_passed < 3 and crash.tests[0].outcome == "passed", crash
    assert crash.tests[1].outcome in ("error", "failed")
    loop = results["loop"]
    assert (loop.status, loop.timed_out, loop.tests_passed) == ("timeout", True, 1), loop
    assert loop.tests[1].outcome == "timeout"
    for cheat in ("exit", "forge"):
        result = results[cheat]
        assert result.status == "failed" and result.tests_passed == 0 and result.tests_total == 3, (cheat, result)
    assert results["forge"].stdout.count("@@bestofn-report-0") == 3  # printed, and worth nothing
    syntax = results["syntax"]
    assert (syntax.status, syntax.tests_total) == ("compile_error", 0), syntax


@pytest.mark.parametrize("language", ["python"])
def test_python_native_tests_are_graded_by_the_trusted_grader(language: str, labels: dict[str, str],
                                                              sandbox_config: SandboxConfig) -> None:
    tests = Suite(format="native", code="def check(candidate):\n    assert candidate(1, 2) == 3\n"
                      "    assert candidate(-1, 1) == 0\n\ndef test_check():\n    check(add)\n\ntest_check()\n")
    right, wrong = run_many(["def add(x, y):\n    return x + y\n",
                             "def add(x, y):\n    return 5 if x == -1 else x + y\n"],
                            tests, labels=labels, config=sandbox_config, language="python")
    assert (right.status, right.tests_passed, right.tests_total) == ("passed", 2, 2), right
    assert all(t.trust == "trusted" for t in right.tests)
    assert (wrong.status, wrong.tests_passed) == ("failed", 1), wrong


@pytest.mark.parametrize("language", ["cpp"])
def test_forged_report_lines_without_the_nonce_and_a_hostile_message(language: str, labels: dict[str, str],
                                                                     sandbox_config: SandboxConfig) -> None:
    """Lines on the report fd itself, without the run's nonce, count for nothing; a huge exception
    message is cut to one bounded line."""
    case = CASES[language]
    tests = Suite(format="native", code=case.tests)
    flood = "    if (x == -1) throw std::runtime_error(std::string(100000, 'y') + \"\\n\\x1b[31m\");\n    return x + y;\n"
    forged, hostile = run_many([candidate(case, case.bodies["forge"]), candidate(case, flood)], tests,
                               labels=labels, config=sandbox_config, language=language)
    assert forged.tests_passed == 0 and forged.status == "failed"
    assert hostile.tests[1].outcome == "error" and len(hostile.tests[1].message) <= 1000
    assert hostile.tests[1].message.isprintable()
    assert (hostile.tests_passed, hostile.tests_total) == (2, 3)


@pytest.mark.parametrize("language", ["java"])
def test_java_problems_may_use_javatuples(language: str, labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    """MultiPL-E's Java problems import org.javatuples (Pair, Triplet): the image ships it on the class path."""
    prompt = ("import java.util.*;\nimport java.lang.reflect.*;\nimport org.javatuples.*;\nimport java.security.*;\n"
              "import java.math.*;\nimport java.io.*;\nimport java.util.stream.*;\nclass Problem {\n"
              "    // The smallest and the largest of two numbers.\n"
              "    public static Pair<Long, Long> minMax(long a, long b) {\n")
    tests = ("    }\n    public static void main(String[] args) {\n"
             "    assert(minMax((1l), (2l)).equals((Pair.with(1l, 2l))));\n"
             "    assert(minMax((7l), (3l)).equals((Pair.with(3l, 7l))));\n    }\n\n}\n")
    right = prompt + "        return Pair.with(Math.min(a, b), Math.max(a, b));\n"
    wrong = prompt + "        return Pair.with(a, b);\n"
    got = run_many([right, wrong], Suite(format="native", code=tests), labels=labels, config=sandbox_config,
                   language=language)
    assert [(r.status, r.tests_passed, r.tests_total) for r in got] == [("passed", 2, 2), ("failed", 1, 2)], got
