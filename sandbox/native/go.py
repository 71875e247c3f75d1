"""Go: MultiPL-E's table of ``{ actual: ..., expected: ... }`` entries, each entry one test.

MultiPL-E ships a ``go test`` file: ``func TestF(t *testing.T) { candidate := f; ...; tests := []test{
{ actual: candidate(...), expected: ... }, ... }; for ... { if fmt.Sprintf("%v", tc.actual) !=
fmt.Sprintf("%v", tc.expected) { t.Errorf(...) } } }``. Building the table evaluates every entry
at once, so one panic would lose them all: the instrumentation keeps the test function out and
writes a ``main`` that evaluates each entry in its own closure under ``recover`` and compares them
as MultiPL-E does (``%v`` text). The package becomes ``main``; the end marker is main's last
statement (``os.Exit`` and an unrecovered panic skip it).
"""

from __future__ import annotations

import re

from sandbox.native import scan
from sandbox.native.program import REPORT_FD, NativeTestsError, drop_function, join, test_name

TEST_FUNC = r"\bfunc\s+Test\w*\s*\(\s*\w+\s+\*testing\.T\s*\)\s*\{"
TABLE = r"\b\w+\s*:?=\s*\[\]\w+\s*\{"
CANDIDATE = re.compile(r"\bcandidate\s*:=\s*([A-Za-z_][\w.]*)")
MAIN = r"\bfunc\s+main\s*\(\s*\)\s*\{"
PACKAGE = re.compile(r"(?m)^[ \t]*package[ \t]+\w+[ \t]*;?[ \t]*$")

SUPPORT = r"""
var bestofnReport = bestofnos.NewFile(@FD@, "report") // one File for the run: a dropped one's finalizer would close the fd

func bestofnEmit(line string) {
	bestofnReport.Write([]byte(line))
}

func bestofnCheck(k int, entry func() (interface{}, interface{})) {
	defer func() {
		if r := recover(); r != nil {
			bestofnEmit(bestofnfmt.Sprintf("@NONCE@ %d E %s\n", k, bestofnClean(bestofnfmt.Sprintf("panic: %v", r))))
		}
	}()
	actual, expected := entry()
	if bestofnfmt.Sprintf("%v", actual) == bestofnfmt.Sprintf("%v", expected) {
		bestofnEmit(bestofnfmt.Sprintf("@NONCE@ %d P\n", k))
	} else {
		bestofnEmit(bestofnfmt.Sprintf("@NONCE@ %d F %s\n", k, bestofnClean(bestofnfmt.Sprintf("expected '%v', got '%v'", expected, actual))))
	}
}

func bestofnClean(s string) string {
	b := []rune(s)
	if len(b) > @CHARS@ {
		b = b[:@CHARS@]
	}
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}
"""


def entries(tests: str) -> tuple[str, list[tuple[str, str]]]:
    """(the entry point the tests call, [(actual, expected) source per table entry])."""
    masked = scan.mask(tests, "go")
    func = re.search(TEST_FUNC, masked)
    if not func:
        raise NativeTestsError("Go native tests must be MultiPL-E's: a func TestX(t *testing.T) with a table of "
                               "{ actual: ..., expected: ... } entries")
    name = CANDIDATE.search(masked, func.end())
    if not name:
        raise NativeTestsError("the Go tests name no candidate (candidate := <function>)")
    table = None
    for m in re.finditer(TABLE, masked[func.end():]):
        table = func.end() + m.end() - 1
        if "actual" in masked[table:scan.matching(masked, table)]:
            break
    if table is None:
        raise NativeTestsError("the Go tests have no table of { actual: ..., expected: ... } entries")
    close = scan.matching(masked, table)
    pairs, k = [], table + 1
    while k < close:
        if masked[k] == "{":
            end = scan.matching(masked, k)
            pairs.append(_fields(tests[k + 1:end], masked[k + 1:end]))
            k = end + 1
        else:
            k += 1
    if not pairs:
        raise NativeTestsError("the Go tests' table has no entries")
    return tests[name.start(1):name.end(1)], pairs


def _fields(text: str, masked: str) -> tuple[str, str]:
    """(actual, expected) of one entry's ``actual: A, expected: E``."""
    parts, level, start = [], 0, 0
    for k, c in enumerate(masked):
        if c in "([{":
            level += 1
        elif c in ")]}":
            level -= 1
        elif c == "," and level == 0:
            parts.append((text[start:k], masked[start:k]))
            start = k + 1
    parts.append((text[start:], masked[start:]))
    found = {}
    for part, mpart in parts:
        m = re.match(r"\s*(\w+)\s*:", mpart)
        if m:
            found[m.group(1)] = part[m.end():].strip()
    if "actual" not in found or "expected" not in found:
        raise NativeTestsError(f"a Go table entry without actual: and expected: ({scan.collapse(text, 80)!r})")
    return found["actual"], found["expected"]


def instrument(candidate: str, tests: str, nonce: str, chars: int) -> tuple[str, list[str]]:
    """(the program's source, one name per assertion)."""
    entry, pairs = entries(tests)
    candidate = drop_function(candidate, "go", MAIN)
    candidate, closers, _rest = join(candidate, tests, "go")
    names = [test_name(k, f"{actual} == {expected}") for k, (actual, expected) in enumerate(pairs)]
    checks = "\n".join(
        f"\tbestofnCheck({k}, func() (interface{{}}, interface{{}}) {{ return {actual}, {expected} }})"
        for k, (actual, expected) in enumerate(pairs))
    main = (f"\nfunc main() {{\n\tcandidate := {entry}\n\t_ = candidate\n{checks}\n"
            f"\tbestofnEmit(\"{nonce} END\\n\")\n}}\n")
    support = SUPPORT.replace("@FD@", str(REPORT_FD)).replace("@CHARS@", str(chars)).replace("@NONCE@", nonce)
    source = candidate + "\n" + closers + _uses(candidate) + support + main
    imports = '\nimport (\n\tbestofnfmt "fmt"\n\tbestofnos "os"\n)\n'
    package = PACKAGE.search(scan.mask(source, "go"))
    if package:
        return source[: package.start()] + "package main\n" + imports + source[package.end():], names
    return "package main\n" + imports + source, names


def _uses(candidate: str) -> str:
    """Uses of the packages MultiPL-E's prompt imports for its test function (now left out), so Go does
    not refuse them as imported and not used."""
    masked = scan.mask(candidate, "go")
    out = ""
    for package, member in (("testing", "Short"), ("fmt", "Sprint")):
        imported = re.search(rf'(?m)^\s*(?:import\s+)?"{package}"', candidate)
        used = re.search(rf"\b{package}\.", masked)
        if imported and not used:
            out += f"\nvar _ = {package}.{member}\n"
    return out
