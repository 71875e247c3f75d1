"""What a revision round tells the model about its candidate's run: bounded, redacted plain text.

Built from the stored ``ExecutionResult`` only (re-grading never re-runs code): the
score, the failing tests' names with their messages (the assertion, and the expected
and actual values where the runner reported them, as io tests and pytest do), a
timeout or an out-of-memory kill said in words, the exception of a run that never
reached its tests, and the last lines of stderr. Every part is cut to a fixed size
and the whole to ``MAX_CHARS``, so a candidate printing megabytes cannot flood the
next request; secrets and URL credentials are masked (``bestofn.security.redact``).
"""

from __future__ import annotations

from bestofn.schemas import ExecutionResult
from bestofn.security.redact import redact

MAX_CHARS = 2000  # the whole feedback; the budget guard counts it in a revision's prompt
MAX_FAILING_TESTS = 5
MESSAGE_CHARS = 200  # 5 failing tests and the stderr tail fit MAX_CHARS together
RETURNED = " (the candidate returned "  # the humaneval grader's note of actual values (sandbox/image/harnesses.py)
NAME_CHARS = 200
STDERR_LINES = 8
STDERR_CHARS = 600

_TIMEOUT = "The run timed out: it was stopped at the time limit (an endless loop or a too slow algorithm?)."
_OOM = "The run was killed for using too much memory."
_NO_TESTS_RAN = {"syntax_error": "The code does not compile.", "compile_error": "The code does not compile.",
                 "error": "The run stopped with an error before its tests could pass."}


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _message(text: str) -> str:
    """A test's message cut to ``MESSAGE_CHARS``, the actual values kept: a long assertion is cut first."""
    head, sep, values = text.strip().partition(RETURNED)
    if not sep or len(text.strip()) <= MESSAGE_CHARS:
        return _cut(text, MESSAGE_CHARS)
    note = _cut(sep + values, MESSAGE_CHARS // 2)
    return _cut(head, MESSAGE_CHARS - len(note)) + note


def _tail(text: str) -> str:
    """The last ``STDERR_LINES`` non-empty lines of ``text``, at most ``STDERR_CHARS`` (keeping the end)."""
    lines = [line for line in text.splitlines() if line.strip()][-STDERR_LINES:]
    tail = "\n".join(lines)
    return tail if len(tail) <= STDERR_CHARS else "..." + tail[-(STDERR_CHARS - 3):]


def execution_feedback(result: ExecutionResult) -> str:
    """The feedback for one failing run, at most ``MAX_CHARS`` characters."""
    parts = [f"Result: {result.tests_passed} of {result.tests_total} tests passed."]
    if result.timed_out or result.status == "timeout":
        parts.append(_TIMEOUT)
    elif result.oom_killed or result.status == "oom":
        parts.append(_OOM)
    elif result.status in _NO_TESTS_RAN and not result.tests_passed:
        parts.append(_NO_TESTS_RAN[result.status])
    failing = [t for t in result.tests if t.outcome in ("failed", "error", "timeout")]
    if failing:
        parts.append("Failing tests:")
        for t in failing[:MAX_FAILING_TESTS]:
            line = f"- {_cut(t.name, NAME_CHARS)}: {t.outcome}"
            if t.message:
                line += f": {_message(t.message)}"
            parts.append(line)
        if len(failing) > MAX_FAILING_TESTS:
            parts.append(f"- ... and {len(failing) - MAX_FAILING_TESTS} more failing tests")
    if result.stderr.strip():
        parts.append("Last lines of stderr:\n" + _tail(result.stderr))
    return _cut(redact("\n".join(parts)), MAX_CHARS)


EXAMPLES_NOTE = "There were no tests, so the examples in the problem statement were run as checks."


def examples_feedback(result: ExecutionResult) -> str:
    """The feedback of a run on the prompt's own examples (``bestofn/examples.py``), said as such."""
    return _cut(EXAMPLES_NOTE + "\n" + execution_feedback(result), MAX_CHARS)


def _answer(fp: str) -> str:
    """A behaviour fingerprint in words: ``ok:<repr>`` returns a value, ``exc:<type>`` raised, ``timeout``."""
    if fp.startswith("ok:"):
        return "returns " + _cut(fp[3:], MESSAGE_CHARS // 2)
    if fp == "timeout":
        return "times out"
    return "fails with " + _cut(fp.removeprefix("exc:"), MESSAGE_CHARS // 2)


def disagreement_feedback(mine: list[str], majority: list[str], inputs: list[str], agreeing: int,
                          others: int) -> str:
    """Where a program's behaviour differs from the largest behaviour cluster's (self-consistency), with
    both answers on at most ``MAX_FAILING_TESTS`` inputs; for tasks with neither tests nor checkable examples."""
    diffs = [(args, m, t) for args, m, t in zip(inputs, mine, majority) if m != t]
    parts = [f"There were no tests, so your program was run beside {others} other programs written for this "
             f"problem on the same inputs: {agreeing} of them agree with each other, and yours answers differently."]
    for args, m, t in diffs[:MAX_FAILING_TESTS]:
        parts.append(f"- input {_cut(args, NAME_CHARS)}: yours {_answer(m)}; the majority's {_answer(t)}")
    if len(diffs) > MAX_FAILING_TESTS:
        parts.append(f"- ... and {len(diffs) - MAX_FAILING_TESTS} more inputs")
    parts.append("The majority can be wrong too: check these inputs against the problem statement.")
    return _cut(redact("\n".join(parts)), MAX_CHARS)
