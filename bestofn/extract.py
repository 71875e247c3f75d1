"""Pull runnable code out of a model's reply.

Models wrap code in Markdown fences, add prose, forget the opening fence, or
run out of tokens mid-line. Candidates are the fenced python blocks, then the
runs of text outside fences (small models often write the code bare and close
a fence they never opened). The first candidate that parses and defines the
entry point wins; then any that parses as code; then the longest prefix of
whole lines that parses (a reply cut off by max_tokens often holds a complete
function before the cut).

Other languages (``extract_code(..., language=...)``) cannot be parsed here, so the
choice goes by fence names (``FENCES``): the blocks tagged with the problem's
language, then untagged blocks, then a reply with no fence at all taken whole; a
reply whose only blocks are in other languages holds no code for the problem.
Among several blocks, one naming the entry point wins, then the longest.
"""

from __future__ import annotations

import ast
import re

from bestofn import pyast

_FENCE_LINE = re.compile(r"^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)")
FENCES: dict[str, frozenset[str]] = {
    "python": frozenset({"python", "py", "python3"}),
    "javascript": frozenset({"javascript", "js", "node", "nodejs", "jsx", "mjs", "cjs"}),
    "typescript": frozenset({"typescript", "ts", "tsx"}),
    "go": frozenset({"go", "golang"}),
    "rust": frozenset({"rust", "rs"}),
    "cpp": frozenset({"cpp", "c++", "cc", "cxx", "hpp", "c"}),
    "java": frozenset({"java"}),
}
"""The Markdown fence names (lower-cased) a model may tag each language's code with."""
_CODE_LANGS = {"", *FENCES["python"]}


def split_fences(reply: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The reply's fenced blocks as (language tag lower-cased, body) and the runs of text outside them.

    Line-based, tolerant of what small models write: a tagged fence (```python)
    inside an empty block re-opens it, and inside a non-empty one closes it and
    opens the next (a stray ``` before the real block would otherwise pair
    with it and turn the prose after the code into the "block"); a block left
    open at the end (cut off by max_tokens) runs to the end; a closing ``` glued
    to the end of a code line closes the block.
    """
    blocks: list[tuple[str, str]] = []
    loose: list[str] = []
    lang: str | None = None  # None: outside a block
    buf: list[str] = []

    def flush() -> None:
        text = "\n".join(buf) + "\n"
        if lang is None:
            if text.strip():
                loose.append(text)
        else:
            blocks.append((lang, text))
        buf.clear()

    for line in reply.splitlines():
        m = _FENCE_LINE.match(line)
        if m is None:
            if lang is not None and line.rstrip().endswith("```"):
                buf.append(line.rstrip()[:-3])
                flush()
                lang = None
            else:
                buf.append(line)
            continue
        tag = m.group(1).lower()
        if lang is None:
            flush()
            lang = tag
        elif not tag:
            flush()
            lang = None
        elif any(b.strip() for b in buf):
            flush()
            lang = tag
        else:
            buf.clear()
            lang = tag
    if lang is None or any(b.strip() for b in buf):
        flush()
    return blocks, loose


def fenced_blocks(reply: str) -> list[tuple[str, str]]:
    """All fenced blocks as (language tag lower-cased, body), in order."""
    return split_fences(reply)[0]


def parses(code: str) -> bool:
    """True when the text is syntactically valid Python."""
    try:
        pyast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _defines(code: str, entry_point: str | None) -> bool:
    return bool(entry_point) and re.search(rf"\bdef\s+{re.escape(entry_point or '')}\s*\(", code) is not None


def _looks_like_code(text: str) -> bool:
    """A reply that parses but is a lone name or number is prose, not code."""
    tree = pyast.parse(text)
    return any(not isinstance(node, ast.Expr) for node in tree.body)


def _is_code(text: str) -> bool:
    return parses(text) and _looks_like_code(text)


def _candidates(reply: str) -> list[list[str]]:
    """Code-bearing parts of a reply in trust order: python blocks, then runs of text outside fences."""
    blocks, loose = split_fences(reply)
    return [[body for lang, body in blocks if lang in _CODE_LANGS and body.strip()], loose]


def longest_parsing_prefix(code: str) -> str:
    """The longest run of whole leading lines that parses ("" if none)."""
    lines = code.splitlines()
    for end in range(len(lines), 0, -1):
        head = "\n".join(lines[:end])
        if parses(head):
            return head
    return ""


def extract_code(reply: str, entry_point: str | None = None, language: str = "python") -> str:
    """The code in a reply, or "" when there is none (other languages: ``extract_program``).

    Choice order, fenced blocks before loose text at each step, longest first:
    a candidate that parses and defines ``entry_point``; one that parses as
    code; the longest parsing prefix of a candidate (defining ``entry_point``
    if given); the longest python block even if it does not parse, so the
    failure shows as a syntax error rather than as no code.
    """
    if not reply or not reply.strip():
        return ""
    if language != "python":
        return extract_program(reply, language, entry_point)
    pools = _candidates(reply)
    tests = ([lambda c: _defines(c, entry_point) and _is_code(c)] if entry_point else []) + [_is_code]
    for test in tests:
        for pool in pools:
            hits = [c for c in pool if test(c)]
            if hits:
                return _tidy(max(hits, key=len))
    for pool in pools:
        for cand in sorted(pool, key=len, reverse=True):
            head = longest_parsing_prefix(cand)
            if head.strip() and _looks_like_code(head) and (not entry_point or _defines(head, entry_point)):
                return _tidy(head)
    blocks = pools[0]
    defining = [b for b in blocks if _defines(b, entry_point)]
    # A body-only block (completed from the prompt later) or a broken attempt, which then
    # fails as a syntax error rather than as "no code".
    return _tidy(max(defining or blocks, key=len)) if blocks else ""


def _names(code: str, entry_point: str | None) -> bool:
    return bool(entry_point) and re.search(rf"\b{re.escape(entry_point or '')}\s*[(<]", code) is not None


def extract_program(reply: str, language: str, entry_point: str | None = None) -> str:
    """The code of a reply for a problem in ``language`` (not python), or "" when there is none.

    Blocks tagged with one of the language's fence names, else untagged blocks; among
    them one that names ``entry_point`` (followed by ``(`` or ``<``), else the longest. A
    reply without any fence is taken whole (a model that forgot the fences); one whose
    blocks are all in other languages gives "" (the model answered in the wrong language).
    """
    if language not in FENCES:
        raise ValueError(f"language: no fence names for {language!r}; known: {', '.join(FENCES)}")
    blocks, loose = split_fences(reply)
    for pool in ([b for tag, b in blocks if tag in FENCES[language] and b.strip()],
                 [b for tag, b in blocks if not tag and b.strip()]):
        if pool:
            naming = [b for b in pool if _names(b, entry_point)]
            return _tidy(max(naming or pool, key=len))
    if blocks:
        return ""
    text = "".join(loose)
    return _tidy(text) if text.strip() else ""


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
