"""What every language's instrumentation shares: the result type, joining a candidate to its tests,
the report line the test program writes, and test names.

The report protocol (one line per assertion evaluated, on the report fd, never stdout):
``<nonce> <k> P`` passed, ``<nonce> <k> F [message]`` the assertion was false,
``<nonce> <k> E [message]`` it raised or panicked, and ``<nonce> END`` once the test
program's main finished normally. ``k`` is the host's index of the assertion in the test text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sandbox.native import scan

REPORT_FD = 3  # the test program's report channel: a pipe the runner reads (not the candidate's stdout)
MESSAGE_CHARS = 500  # per report line, cut by the program itself (the host cuts again)
NAME_LIMIT = 200


class NativeTestsError(ValueError):
    """The tests are not a test program this language's instrumentation understands (names ``tests.code``)."""

    def __init__(self, why: str) -> None:
        super().__init__(f"tests.code: {why}")


@dataclass(frozen=True)
class NativeProgram:
    """A candidate joined to its instrumented tests: the source to compile and run, and what the host
    needs to grade the run's report (assertion names in order, the run's nonce)."""

    language: str
    source: str
    names: tuple[str, ...]
    nonce: str
    notes: tuple[str, ...] = field(default=())


def test_name(k: int, source: str) -> str:
    """``assert[k] <source on one line>``, as the humaneval grader names one assertion."""
    return scan.collapse(f"assert[{k}] {source}", NAME_LIMIT)


def leading_closers(tests: str, masked: str) -> int:
    """How many lines at the top of ``tests`` are a lone ``}`` (MultiPL-E closes the prompt's function
    there when its completions stop before the closing brace)."""
    count = 0
    for line in masked.splitlines():
        if not line.strip():
            continue
        if line.strip() != "}":
            break
        count += 1
    return count


def split_closers(tests: str, language: str) -> tuple[str, str]:
    """(the lines closing the candidate's blocks, the rest of the tests)."""
    masked = scan.mask(tests, language)
    k = leading_closers(tests, masked)
    if not k:
        return "", tests
    offset, seen = 0, 0
    for line in tests.splitlines(keepends=True):
        offset += len(line)
        if line.strip() == "}":
            seen += 1
            if seen == k:
                break
    return tests[:offset], tests[offset:]


def join(candidate: str, tests: str, language: str) -> tuple[str, str, str]:
    """(candidate, closers, rest of the tests), with the candidate's blocks made to fit the tests.

    MultiPL-E's tests may start by closing blocks the prompt opened (C++ and old Rust close the
    function, Java the method, then the class at the end): they fit a candidate that is the prompt
    plus a completion cut before its closing brace. A chat model's candidate is whole; then its
    last closing braces (the ones the tests will supply) are taken off, which gives the same program.
    A candidate that cannot be reopened that way keeps its braces and the tests lose their closers.
    """
    closers, rest = split_closers(tests, language)
    need = -scan.least_depth(scan.mask(closers + rest, language))  # blocks the tests close beyond their own
    masked = scan.mask(candidate, language)
    have = scan.depth(masked)
    if have >= need:
        return candidate, closers, rest
    text = candidate
    for _ in range(need - have):
        m = scan.mask(text, language).rstrip()
        if not m.endswith("}"):
            return candidate, "", rest if have == 0 else closers + rest
        cut = len(m) - 1
        text = text[:cut] + text[cut + 1:]
    return text, closers, rest


def drop_function(text: str, language: str, header: str) -> str:
    """``text`` without the top-level function whose header matches ``header`` (a regex ending at its
    ``{``): a chat model's own ``main`` would clash with the tests' one."""
    masked = scan.mask(text, language)
    for m in re.finditer(header, masked):
        if not scan.top_level(masked, m.start()):
            continue
        brace = m.end() - 1
        end = scan.matching(masked, brace)
        if end < 0:
            return text
        return text[: m.start()] + text[end + 1:]
    return text


def clean_message(text: str) -> str:
    """A message from the program: one line, printable, bounded."""
    return scan.collapse(text, 1000) if text else ""


def c_string(text: str) -> str:
    """A double-quoted literal for C++, Java, Rust, Go and JS: ASCII, quotes and backslashes escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append("?")
    return '"' + "".join(out) + '"'
