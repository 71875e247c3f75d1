"""C++: each ``assert(...)`` of the tests becomes a reporting macro that goes on after a failure.

MultiPL-E's shape: ``}\\nint main() {\\n    auto candidate = f;\\n    assert(candidate(...) == (...));\\n}``.
An exception out of the candidate is that assertion's error; the end marker is written by a
guard object's destructor when ``main`` returns (``exit()`` and ``abort()`` skip it).
"""

from __future__ import annotations

import re

from sandbox.native import scan
from sandbox.native.program import REPORT_FD, NativeTestsError, drop_function, join, test_name

ASSERT = r"\bassert\s*\("
MAIN = r"\bint\s+main\s*\([^)]*\)\s*\{"

PRELUDE = r"""
#include <unistd.h>
#include <exception>
#include <string>
namespace bestofn_native {
static void emit(const std::string& line) {
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(@FD@, p, left);
        if (n <= 0) return;
        p += n;
        left -= (size_t)n;
    }
}
static void report(int k, char kind, std::string msg) {
    for (char& c : msg) if (c == '\n' || c == '\r') c = ' ';
    if (msg.size() > @CHARS@) msg.resize(@CHARS@);
    emit(std::string("@NONCE@ ") + std::to_string(k) + " " + kind + (msg.empty() ? "" : " " + msg) + "\n");
}
struct End { ~End() { emit("@NONCE@ END\n"); } };
}
#define BESTOFN_ASSERT(k, ...) do { \
    try { bestofn_native::report(k, static_cast<bool>(__VA_ARGS__) ? 'P' : 'F', ""); } \
    catch (const std::exception& bestofn_e) { bestofn_native::report(k, 'E', std::string("exception: ") + bestofn_e.what()); } \
    catch (...) { bestofn_native::report(k, 'E', "exception thrown"); } \
} while (0)
"""


def instrument(candidate: str, tests: str, nonce: str, chars: int) -> tuple[str, list[str]]:
    """(the program's source, one name per assertion)."""
    candidate = drop_function(candidate, "cpp", MAIN)
    candidate, closers, rest = join(candidate, tests, "cpp")
    masked = scan.mask(rest, "cpp")
    if not re.search(MAIN, masked):
        raise NativeTestsError("C++ native tests need an int main() that calls the candidate")
    out, names, last = [], [], 0
    for m in scan.words(masked, ASSERT):
        close = scan.matching(masked, m.end() - 1)
        if close < 0:
            raise NativeTestsError(f"an assert( is never closed (line {rest.count(chr(10), 0, m.start()) + 1})")
        names.append(test_name(len(names), rest[m.end():close]))
        out.append(rest[last:m.start()] + f"BESTOFN_ASSERT({len(names) - 1}, ")
        last = m.end()
    out.append(rest[last:])
    body = "".join(out)
    main = re.search(MAIN, scan.mask(body, "cpp"))
    assert main is not None  # the rewrite leaves main's header alone
    body = body[: main.end()] + " bestofn_native::End bestofn_end_guard;" + body[main.end():]
    prelude = PRELUDE.replace("@FD@", str(REPORT_FD)).replace("@CHARS@", str(chars)).replace("@NONCE@", nonce)
    return f"{candidate}\n{closers}{prelude}\n{body}", names
