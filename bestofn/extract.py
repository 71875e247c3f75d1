"""Pull runnable code out of a model's reply.

Models wrap code in Markdown fences, add prose, forget the opening fence, or
run out of tokens mid-line. Candidates are the fenced python blocks, then the
text before the first fence (small models often write the code bare and close
a fence they never opened; pairing fences naively then returns the prose after
it), then the whole reply when there are no fences. The first candidate that
parses and defines the entry point wins; then any that parses as code; then
the longest prefix of whole lines that parses (a reply cut off by max_tokens
often holds a complete function before the cut).
"""

from __future__ import annotations

import ast
import re

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_CODE_LANGS = {"", "python", "py", "python3"}


def fenced_blocks(reply: str) -> list[tuple[str, str]]:
    """All fenced blocks as (language tag lower-cased, body), in order."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(reply)]


def parses(code: str) -> bool:
    """True when the text is syntactically valid Python."""
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _defines(code: str, entry_point: str | None) -> bool:
    return bool(entry_point) and re.search(rf"\bdef\s+{re.escape(entry_point or '')}\s*\(", code) is not None


def _looks_like_code(text: str) -> bool:
    """A reply that parses but is a lone name or number is prose, not code."""
    tree = ast.parse(text)
    return any(not isinstance(node, ast.Expr) for node in tree.body)


def _is_code(text: str) -> bool:
    return parses(text) and _looks_like_code(text)


def _candidates(reply: str) -> list[str]:
    """Code-bearing parts of a reply, most trusted first (see module docstring)."""
    blocks = [body for lang, body in fenced_blocks(reply) if lang in _CODE_LANGS and body.strip()]
    first = reply.find("```")
    loose = reply if first < 0 else reply[:first]
    return blocks + ([loose] if loose.strip() else [])


def longest_parsing_prefix(code: str) -> str:
    """The longest run of whole leading lines that parses ("" if none)."""
    lines = code.splitlines()
    for end in range(len(lines), 0, -1):
        head = "\n".join(lines[:end])
        if parses(head):
            return head
    return ""


def extract_code(reply: str, entry_point: str | None = None) -> str:
    """The code in a reply, or "" when there is none.

    Choice order: a candidate that parses and defines ``entry_point`` (longest
    such fenced block first); one that parses as code; the longest parsing
    prefix of a candidate (defining ``entry_point`` if given); the longest
    python block even if it does not parse, so the failure shows as a syntax
    error rather than as no code.
    """
    if not reply or not reply.strip():
        return ""
    cands = _candidates(reply)
    tests = ([lambda c: _defines(c, entry_point) and _is_code(c)] if entry_point else []) + [_is_code]
    for test in tests:
        hits = [c for c in cands if test(c)]
        if hits:
            return _tidy(max(hits, key=len))
    for cand in sorted(cands, key=len, reverse=True):
        head = longest_parsing_prefix(cand)
        if head.strip() and _looks_like_code(head) and (not entry_point or _defines(head, entry_point)):
            return _tidy(head)
    blocks = [body for lang, body in fenced_blocks(reply) if lang in _CODE_LANGS and body.strip()]
    return _tidy(max(blocks, key=len)) if blocks else ""


def _tidy(code: str) -> str:
    return code.strip("\n") + "\n"


def complete_program(prompt: str, code: str, entry_point: str | None) -> str:
    """Make a runnable program: if the reply is only a function body, prepend the prompt.

    HumanEval-style prompts end inside a function signature and docstring; models
    sometimes answer with the body only. When the code does not define the entry
    point but ``prompt + code`` does and parses, use that.
    """
    if not entry_point or _defines(code, entry_point):
        return code
    joined = prompt.rstrip("\n") + "\n" + code
    if parses(joined) and _defines(joined, entry_point):
        return joined
    return code
