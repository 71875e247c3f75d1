"""Reading brace-language source without a parser: where the code is, how deep the braces go.

The instrumentation rewrites test programs textually (an assertion statement becomes a
reporting one), so it must not mistake a ``}`` or an ``assert(`` inside a string or a
comment for code. ``mask`` blanks out string, character and comment contents (same length,
newlines kept), and every search runs on the mask while slices are cut from the original
text at the same offsets. Approximate on purpose (no full lexer per language): it knows
``//`` and ``/* */`` comments, ``"..."``/``'...'`` with escapes, JS template and Go raw
strings in backticks, Rust raw strings and lifetimes, and JS regex literals after an
operator; what it gets wrong makes a program that does not compile (``compile_error``),
never a test that passes.
"""

from __future__ import annotations

import re

OPEN, CLOSE = "([{", ")]}"
_RUST_CHAR = re.compile(r"'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\}|.)|[^\\'\n])'")
_RUST_RAW = re.compile(r'r(#*)"')
_REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^")


def mask(text: str, language: str) -> str:
    """``text`` with the insides of strings, chars and comments replaced by spaces (newlines kept)."""
    out = list(text)
    i, n = 0, len(text)

    def blank(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif c == "/" and nxt == "*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            i = end
        elif language == "rust" and c == "r" and (m := _RUST_RAW.match(text, i)) and not _ident_char(text, i - 1):
            close = '"' + m.group(1)
            end = text.find(close, m.end())
            end = n if end < 0 else end + len(close)
            blank(m.end(), end - len(close))
            i = end
        elif c == '"' or (c == "'" and language not in ("rust",)) or (c == "`" and language in ("javascript", "typescript", "go")):
            end = _string_end(text, i, c, escapes=not (c == "`" and language == "go"))
            blank(i + 1, end - 1)
            i = end
        elif c == "'" and language == "rust":
            m = _RUST_CHAR.match(text, i)
            if m:  # a char literal; otherwise a lifetime or a label: just the quote
                blank(i + 1, m.end() - 1)
                i = m.end()
            else:
                i += 1
        elif c == "/" and language in ("javascript", "typescript") and _regex_may_start(text, i):
            end = _regex_end(text, i)
            blank(i + 1, end - 1)
            i = end
        else:
            i += 1
    return "".join(out)


def _ident_char(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def _string_end(text: str, i: int, quote: str, escapes: bool = True) -> int:
    """The offset just past the string starting at ``i`` (the end of the line for an unclosed one,
    but a backtick string may span lines)."""
    k, n = i + 1, len(text)
    while k < n:
        c = text[k]
        if escapes and c == "\\":
            k += 2
            continue
        if c == quote:
            return k + 1
        if c == "\n" and quote != "`":
            return k
        k += 1
    return n


def _regex_may_start(text: str, i: int) -> bool:
    k = i - 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    return k < 0 or text[k] in _REGEX_BEFORE or text[k] == "\n"


def _regex_end(text: str, i: int) -> int:
    k, n, in_class = i + 1, len(text), False
    while k < n and text[k] != "\n":
        c = text[k]
        if c == "\\":
            k += 2
            continue
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            return k + 1
        k += 1
    return i + 1  # not a regex after all: a division at the end of a line


def depth(masked: str) -> int:
    """Open ``{`` minus ``}`` over masked text (negative: it closes more than it opens)."""
    return masked.count("{") - masked.count("}")


def least_depth(masked: str) -> int:
    """The lowest running brace depth (how many enclosing blocks the text closes)."""
    level = low = 0
    for c in masked:
        if c == "{":
            level += 1
        elif c == "}":
            level -= 1
            low = min(low, level)
    return low


def matching(masked: str, start: int) -> int:
    """The offset of the bracket closing the one at ``start``, or -1 when it is never closed."""
    level = 0
    for k in range(start, len(masked)):
        c = masked[k]
        if c in OPEN:
            level += 1
        elif c in CLOSE:
            level -= 1
            if level == 0:
                return k
    return -1


def statement_end(masked: str, start: int) -> int:
    """The offset just past the statement starting at ``start``: its ``;`` at bracket level 0, or the end
    of its line when the statement ends there with its brackets closed (JavaScript's automatic semicolons)."""
    level = 0
    for k in range(start, len(masked)):
        c = masked[k]
        if c in OPEN:
            level += 1
        elif c in CLOSE:
            level -= 1
            if level < 0:
                return k
        elif c == ";" and level == 0:
            return k + 1
        elif c == "\n" and level == 0 and masked[start:k].strip():
            rest = masked[k:].lstrip()
            if not rest or rest[0] not in ".?:+-*/&|=,)]}":
                return k
    return len(masked)


def words(masked: str, pattern: str) -> list[re.Match[str]]:
    """Matches of ``pattern`` in code only (the mask has no string or comment content to match)."""
    return list(re.finditer(pattern, masked))


def top_level(masked: str, at: int) -> bool:
    """True when offset ``at`` is outside every brace block."""
    return depth(masked[:at]) == 0


def collapse(text: str, limit: int = 160) -> str:
    """One line of ``text``, whitespace runs made single spaces, cut to ``limit`` characters."""
    line = " ".join(text.split())
    line = "".join(ch if ch.isprintable() else " " for ch in line)
    return line if len(line) <= limit else line[: limit - 3] + "..."
