"""Pull runnable code out of a model's reply.

Models wrap code in Markdown fences, add prose, or answer with a bare function.
Prefer the fenced block that defines the entry point (or the longest python
block); otherwise take the whole reply when it parses as Python.
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


def extract_code(reply: str, entry_point: str | None = None) -> str:
    """The code in a reply, or "" when there is none.

    Choice order: a python block defining ``entry_point``; the longest python
    block; the whole reply if it parses and is not plain prose.
    """
    if not reply or not reply.strip():
        return ""
    blocks = [body for lang, body in fenced_blocks(reply) if lang in _CODE_LANGS and body.strip()]
    if blocks:
        if entry_point:
            defining = [b for b in blocks if re.search(rf"\bdef\s+{re.escape(entry_point)}\s*\(", b)]
            if defining:
                return max(defining, key=len).strip("\n") + "\n"
        return max(blocks, key=len).strip("\n") + "\n"
    text = reply.strip("\n")
    if parses(text) and _looks_like_code(text):
        return text + "\n"
    return ""


def _looks_like_code(text: str) -> bool:
    """A reply that parses but is a lone name or number is prose, not code."""
    tree = ast.parse(text)
    return any(not isinstance(node, ast.Expr) for node in tree.body)


def complete_program(prompt: str, code: str, entry_point: str | None) -> str:
    """Make a runnable program: if the reply is only a function body, prepend the prompt.

    HumanEval-style prompts end inside a function signature and docstring; models
    sometimes answer with the body only. When the code does not define the entry
    point but ``prompt + code`` does and parses, use that.
    """
    if not entry_point or re.search(rf"\bdef\s+{re.escape(entry_point)}\s*\(", code):
        return code
    joined = prompt.rstrip("\n") + "\n" + code
    if parses(joined) and re.search(rf"\bdef\s+{re.escape(entry_point)}\s*\(", joined):
        return joined
    return code
