"""The ``native`` test format: a test program in the problem's language, as MultiPL-E ships it.

MultiPL-E's ``tests`` field is a program that calls the candidate (``prompt + completion +
tests`` compiles and runs). Here that program is instrumented host-side, by pure functions,
so each assertion is one test with its own verdict and the run goes on after a failure:

| language | what an assertion becomes | module |
|---|---|---|
| C++ | ``assert(...)`` -> a reporting macro, exceptions caught | ``cpp.py`` |
| Rust | ``assert_eq!``/``assert_ne!``/``assert!`` -> crate-local macros under ``catch_unwind`` | ``rust.py`` |
| JavaScript, TypeScript | each ``assert...`` statement in try/catch | ``js.py`` |
| Java | each ``assert`` statement in try/catch (no ``-ea``) | ``java.py`` |
| Go | each entry of MultiPL-E's ``{actual, expected}`` table in a closure under ``recover`` | ``go.py`` |
| Python | HumanEval's ``check(candidate)``: graded by the trusted grader | ``python.py`` |

The program writes one line per assertion evaluated to a pipe at fd 3 (``program.REPORT_FD``),
each carrying a random per-run nonce, and an end marker when its main returns; the host grades
that report (``report.py``). Candidate and tests share one process, so every verdict is
``trust: "in_process"``: the nonce stops a candidate that prints or writes made-up report lines or
exits early, not one that reads the nonce from its own memory or source and forges the lines.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sandbox.native import cpp, go, java, js, python, rust
from sandbox.native.program import MESSAGE_CHARS, REPORT_FD, NativeProgram, NativeTestsError
from sandbox.native.report import events

__all__ = ["REPORT_FD", "NativeProgram", "NativeTestsError", "build", "count", "events", "python_suite"]

Instrument = Callable[[str, str, str, int], tuple[str, list[str]]]

INSTRUMENTS: dict[str, Instrument] = {
    "cpp": cpp.instrument,
    "rust": rust.instrument,
    "javascript": lambda c, t, n, m: js.instrument(c, t, n, m, typescript=False),
    "typescript": lambda c, t, n, m: js.instrument(c, t, n, m, typescript=True),
    "java": java.instrument,
    "go": go.instrument,
}


def build(language: str, candidate: str, tests: str, nonce: str | None = None) -> NativeProgram:
    """The candidate joined to its instrumented tests; ``NativeTestsError`` (a ValueError naming
    ``tests.code``) when the tests are not a program the language's instrumentation understands."""
    if language not in INSTRUMENTS:
        raise NativeTestsError(f"native tests in {language} run through another path (see python_suite)"
                               if language == "python" else f"no native test format for language {language!r}")
    if not tests.strip():
        raise NativeTestsError("the native tests are empty")
    nonce = nonce or "@@bestofn-report-" + secrets.token_hex(16)
    source, names = INSTRUMENTS[language](candidate, tests, nonce, MESSAGE_CHARS)
    if not names:
        raise NativeTestsError(f"no assertion found in the {language} tests")
    return NativeProgram(language=language, source=source, names=tuple(names), nonce=nonce)


def count(language: str, tests: str) -> int:
    """How many tests the suite holds in ``language`` (raises ``NativeTestsError`` when none)."""
    if language == "python":
        return 1 if python.as_humaneval(tests) else 0
    return len(build(language, "", tests, nonce="count").names)


def python_suite(tests: str) -> tuple[str, str]:
    """Python's native tests as (HumanEval ``check`` code, entry point): the trusted grader runs them."""
    return python.as_humaneval(tests)
