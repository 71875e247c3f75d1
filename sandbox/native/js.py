"""JavaScript and TypeScript: every statement starting with ``assert`` is wrapped in try/catch.

MultiPL-E's shape: ``const assert = require('node:assert');\\n\\nfunction test() {\\n  let candidate = f;\\n
assert.deepEqual(candidate(...),...);\\n}\\n\\ntest();`` (TypeScript adds ``declare var require: any;``).
node's ``AssertionError`` message carries expected and actual; any other exception is that
assertion's error. The end marker is a statement appended after the tests (``process.exit``
and an uncaught exception skip it).
"""

from __future__ import annotations

import re

from sandbox.native import scan
from sandbox.native.program import REPORT_FD, NativeTestsError, join, test_name

# an assertion statement: `assert`, `assert.x`, `assert.strict.x` at the start of a statement
ASSERT = r"(?:(?<=[;{}\n])|^)[ \t]*(assert)\b(?=\s*[.(])"
# TypeScript's `declare var require: any;` clashes with node's types when the toolchain has them, and
# `require` is unknown without them: the line goes and `require(` is reached through eval, either way
DECLARE_REQUIRE = re.compile(r"^[ \t]*declare\s+var\s+require\s*:\s*any\s*;?[ \t]*$", re.MULTILINE)

PRELUDE = r"""
const __bestofn@ANY@ = (() => {
  const fs@ANY@ = eval("require")("fs");
  const emit = (line@STR@) => { try { fs.writeSync(@FD@, line); } catch (e) { /* report fd gone */ } };
  const clean = (s@ANY@) => String(s).replace(/[\r\n]+/g, " ").slice(0, @CHARS@);
  return {
    pass: (k@NUM@) => emit("@NONCE@ " + k + " P\n"),
    fail: (k@NUM@, e@ANY@) => {
      const assertion = e !== null && typeof e === "object" && e.name === "AssertionError";
      let why;
      try { why = assertion ? e.message : (e instanceof Error ? e.name + ": " + e.message : "thrown: " + String(e)); }
      catch (x) { why = "thrown"; }
      emit("@NONCE@ " + k + (assertion ? " F " : " E ") + clean(why) + "\n");
    },
    end: () => emit("@NONCE@ END\n"),
  };
})();
"""


def instrument(candidate: str, tests: str, nonce: str, chars: int, typescript: bool) -> tuple[str, list[str]]:
    """(the program's source, one name per assertion)."""
    language = "typescript" if typescript else "javascript"
    if typescript:
        tests = _require_via_eval(DECLARE_REQUIRE.sub("", tests))
    candidate, closers, rest = join(candidate, tests, language)
    masked = scan.mask(rest, language)
    out, names, last = [], [], 0
    for m in re.finditer(ASSERT, masked, re.MULTILINE):
        start = m.start(1)
        if start < last:
            continue  # inside the previous assertion (a callback asserting)
        end = scan.statement_end(masked, start)
        statement = rest[start:end].rstrip().rstrip(";")
        if statement.strip() in ("assert",) or re.match(r"assert\s*=", masked[start:end]):
            continue  # `assert = ...` is not an assertion
        k = len(names)
        names.append(test_name(k, statement))
        out.append(rest[last:start] + f"try {{ {statement}; __bestofn.pass({k}); }} catch (__bestofn_e) {{ __bestofn.fail({k}, __bestofn_e); }}")
        last = end
    if not names:
        raise NativeTestsError(f"no assert statement found in the {language} tests")
    out.append(rest[last:])
    any_, num, str_ = (": any", ": number", ": string") if typescript else ("", "", "")
    prelude = (PRELUDE.replace("@ANY@", any_).replace("@NUM@", num).replace("@STR@", str_)
               .replace("@FD@", str(REPORT_FD)).replace("@CHARS@", str(chars)).replace("@NONCE@", nonce))
    return f"{candidate}\n{closers}{prelude}\n{''.join(out)}\n__bestofn.end();\n", names


def _require_via_eval(tests: str) -> str:
    """TypeScript tests' ``require(`` calls as ``(eval("require") as any)(`` (see DECLARE_REQUIRE)."""
    masked = scan.mask(tests, "typescript")
    for m in reversed(list(re.finditer(r"(?<![\w.$])require(?=\s*\()", masked))):
        tests = tests[: m.start()] + '(eval("require") as any)' + tests[m.end():]
    return tests
