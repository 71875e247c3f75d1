"""Java: every ``assert`` statement becomes a try/catch that reports and goes on (no ``-ea`` needed).

MultiPL-E's shape: ``    }\\n    public static void main(String[] args) {\\n    assert(f(...) == (...));\\n
...    }\\n}`` inside ``class Problem``, run as ``java Problem``. The sandbox runs ``java Main``, so the
tests' ``main`` starts the tests and then writes the end marker, and a ``Main`` class calls it when the
tests live in another class. ``System.exit`` and an uncaught throwable skip the end marker.
"""

from __future__ import annotations

import re

from sandbox.native import scan
from sandbox.native.program import REPORT_FD, NativeTestsError, join, test_name

ASSERT = r"(?:(?<=[;{}\n])|^)[ \t]*(assert)\b"
MAIN = r"\b(?:public\s+)?static\s+(?:final\s+)?void\s+main\s*\(\s*(?:final\s+)?String\s*(?:\[\]\s*\w+|\w+\s*\[\]|\.\.\.\s*\w+)\s*\)\s*(?:throws\s+[\w.,\s]+)?\{"
PUBLIC_CLASS = re.compile(r"(?m)^([ \t]*)public\s+((?:final\s+|abstract\s+)*(?:class|interface|enum|record)\s+(\w+))")

REPORTER = r"""
final class BestofnReport {
    private static java.io.FileOutputStream out;
    private static synchronized void emit(String line) {
        try {
            if (out == null) out = new java.io.FileOutputStream("/proc/self/fd/@FD@");
            out.write(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.flush();
        } catch (java.io.IOException e) {
            // the report channel is gone: the host counts what is missing as failed
        }
    }
    private static String clean(String s) {
        s = String.valueOf(s).replace('\n', ' ').replace('\r', ' ');
        return s.length() > @CHARS@ ? s.substring(0, @CHARS@) : s;
    }
    static void check(int k, boolean ok) { emit("@NONCE@ " + k + (ok ? " P" : " F") + "\n"); }
    static void error(int k, Throwable t) { emit("@NONCE@ " + k + " E " + clean(t.toString()) + "\n"); }
    static void end() { emit("@NONCE@ END\n"); }
}
"""


def instrument(candidate: str, tests: str, nonce: str, chars: int) -> tuple[str, list[str]]:
    """(the program's source, one name per assertion)."""
    candidate, closers, rest = join(_drop_main(candidate), tests, "java")
    masked = scan.mask(rest, "java")
    main = re.search(MAIN, masked)
    if not main:
        raise NativeTestsError("Java native tests need a static void main(String[] args) that calls the candidate")
    out, names, last = [], [], 0
    for m in re.finditer(ASSERT, masked, re.MULTILINE):
        start = m.start(1)
        if start < last:
            continue
        end = scan.statement_end(masked, start)
        expr = _condition(rest[start + len("assert"):end], masked[start + len("assert"):end])
        k = len(names)
        names.append(test_name(k, expr))
        out.append(rest[last:start] + f"try {{ BestofnReport.check({k}, ({expr})); }} "
                   f"catch (Throwable bestofnThrown) {{ BestofnReport.error({k}, bestofnThrown); }}")
        last = end
    if not names:
        raise NativeTestsError("no assert statement found in the Java tests")
    out.append(rest[last:])
    body = "".join(out)
    body = re.sub(MAIN, "public static void main(String[] bestofnArgs) throws Throwable "
                        "{ bestofnTests(bestofnArgs); BestofnReport.end(); }\n"
                        "    static void bestofnTests(String[] args) throws Throwable {", body, count=1)
    source = candidate + "\n" + closers + body
    source = PUBLIC_CLASS.sub(lambda c: c.group(0) if c.group(3) == "Main" else c.group(1) + c.group(2), source)
    holder = _class_holding_main(source)
    if holder is None and candidate.strip():
        raise NativeTestsError("the Java tests' main is not inside a class")
    if holder not in (None, "Main"):
        if re.search(r"\bclass\s+Main\b", scan.mask(source, "java")):
            raise NativeTestsError(f"the tests' main is in class {holder}, and another class is named Main")
        source += ("\nclass Main {\n    public static void main(String[] args) throws Throwable "
                   f"{{ {holder}.main(args); }}\n}}\n")
    reporter = REPORTER.replace("@FD@", str(REPORT_FD)).replace("@CHARS@", str(chars)).replace("@NONCE@", nonce)
    return source + reporter, names


def _condition(text: str, masked: str) -> str:
    """The condition of ``assert <cond> [: <message>];`` (text after the keyword)."""
    level = pending = 0
    stop = len(masked)
    k = 0
    while k < len(masked):
        c = masked[k]
        if c in "([{":
            level += 1
        elif c in ")]}":
            level -= 1
        elif level == 0 and c == "?":
            pending += 1
        elif level == 0 and c == ":":
            if masked[k + 1:k + 2] == ":" or masked[k - 1:k] == ":":
                k += 1
                continue  # a method reference
            if pending:
                pending -= 1
            else:
                stop = k
                break
        elif level == 0 and c == ";":
            stop = k
            break
        k += 1
    return text[:stop].strip()


def _drop_main(candidate: str) -> str:
    """The candidate without a main method of its own (it would clash with the tests' one)."""
    masked = scan.mask(candidate, "java")
    m = re.search(MAIN, masked)
    if not m:
        return candidate
    end = scan.matching(masked, m.end() - 1)
    return candidate if end < 0 else candidate[: m.start()] + candidate[end + 1:]


def _class_holding_main(source: str) -> str | None:
    """The name of the top-level class whose body holds the tests' main."""
    masked = scan.mask(source, "java")
    main = None
    for main in re.finditer(r"\bvoid\s+main\s*\(\s*String\[\]\s*bestofnArgs", masked):
        break
    if main is None:
        return None
    holder = None
    for m in re.finditer(r"\b(?:class|enum|record)\s+(\w+)[^{;]*\{", masked[: main.start()]):
        if scan.top_level(masked, m.start()):
            holder = m.group(1)
    return holder
