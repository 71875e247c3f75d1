"""Probe inputs for behavioural reranking: where candidates are run to compare behaviour.

Self-consistency and the judge need inputs on which to run every candidate. They
come from what the user gave (doctest ``>>>`` lines and ``f(x) == y`` / ``f(x) ➞ y``
example lines in the prompt, the calls in a tests suite) and, optionally, from the
model. An input is a Python literal argument tuple as text (``"(1, [2, 3])"``,
``"('a',)"``) for function problems, or stdin text for io problems. Inputs are
canonicalised (``repr`` of the parsed tuple) so duplicates collapse.

An example from the prompt may carry the output the user expects; it is kept
(as the canonical ``repr`` of the value) so the ranker can prefer candidates that
reproduce the prompt's own examples, as AlphaCode filters on example tests.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bestofn import pyast
from bestofn.llm import chat
from bestofn.rerank.replies import first_json
from bestofn.schemas import Problem, TestSuite
from bestofn.trace import LlmCall

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai

Source = Literal["prompt", "tests", "generated", "mutated"]


@dataclass(frozen=True)
class ProbeInput:
    """One input to run every candidate on, and the output the prompt promises, if any."""

    args: str
    expected: str | None = None
    source: Source = "prompt"


# --------------------------------------------------------------------------- literals


def canonical_args(values: tuple) -> str | None:
    """The canonical text of an argument tuple, or None when it does not round-trip."""
    text = repr(tuple(values))
    try:
        pyast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return text


def _literal(node: ast.AST) -> tuple[bool, object]:
    try:
        return True, pyast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def call_args(call: ast.Call) -> str | None:
    """A call's positional arguments as a canonical tuple text; None if any is not a literal."""
    if call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    values = []
    for arg in call.args:
        ok, value = _literal(arg)
        if not ok:
            return None
        values.append(value)
    return canonical_args(tuple(values))


def parse_args_text(text: str) -> str | None:
    """Canonicalise a model-written argument tuple (``"(1, 2)"``, ``"[1, 2]"`` as args list)."""
    try:
        value = pyast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return canonical_args(value if isinstance(value, tuple) else (value,))


_BOOL_WORDS = {"true": True, "false": False, "none": None}
_PROSE_AFTER = re.compile(r"^(?:\.?\s*$|\.?\s+[#(A-Za-z]|\s*#|[.,;]\s)")
_RHS_SEP = re.compile(r"^\s*(?:#\s*)?(?:==>|=>|==|➞|->|→|=|should\s+return|returns?|gives|is)\s*:?\s*", re.I)


def _literal_text(text: str) -> tuple[bool, object]:
    if text.lower() in _BOOL_WORDS:
        return True, _BOOL_WORDS[text.lower()]
    try:
        return True, pyast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def parse_expected(text: str) -> str | None:
    """The canonical repr of an example's expected value, or None if it is not a plain literal.

    Tolerates what docstrings do: trailing full stops, ``# comments``, lower-case
    ``true``/``false``, and prose after the value. Arithmetic (``19 - 5 - 6 = 8``)
    is refused rather than misread as its first number.
    """
    text = text.strip()
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]  # a sentence's full stop, not a float's point
    for end in range(len(text), 0, -1):
        rest = text[end:]
        if rest and not _PROSE_AFTER.match(rest):
            continue
        ok, value = _literal_text(text[:end].strip())
        if ok:
            return repr(value)
    return None


def _balanced_call(text: str, start: int) -> int | None:
    """End index (exclusive) of the parenthesised call starting at ``text[start] == '('``."""
    depth, quote, i = 0, "", start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch == "\n" and depth == 0:
            return None
        i += 1
    return None


# --------------------------------------------------------------------------- from the prompt


def _doctest_blocks(prompt: str) -> list[tuple[str, str]]:
    """(source, expected output) pairs of the prompt's ``>>>`` examples."""
    pairs: list[tuple[str, str]] = []
    lines = prompt.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped.startswith(">>>"):
            i += 1
            continue
        src = [stripped[3:].strip()]
        i += 1
        while i < len(lines) and lines[i].strip().startswith("..."):
            src.append(lines[i].strip()[3:].strip())
            i += 1
        out: list[str] = []
        while i < len(lines):
            s = lines[i].strip()
            if not s or s.startswith(">>>") or s.startswith('"""') or s.startswith("'''"):
                break
            out.append(s.rstrip('"').rstrip("'") if s.endswith('"""') or s.endswith("'''") else s)
            if s.endswith('"""') or s.endswith("'''"):
                i += 1
                break
            i += 1
        pairs.append((" ".join(src), " ".join(out)))
    return pairs


def prompt_examples(prompt: str, entry_point: str | None) -> list[ProbeInput]:
    """Examples written in the prompt: doctests and ``f(x) == y``-style lines, in order."""
    if not entry_point:
        return []
    found: list[ProbeInput] = []
    for src, out in _doctest_blocks(prompt):
        call = _parse_call(src, entry_point)
        if call is not None:
            args = call_args(call)
            if args is not None:
                found.append(ProbeInput(args, parse_expected(out) if out else None))
    for match in re.finditer(rf"(?<![\w.]){re.escape(entry_point)}\s*\(", prompt):
        line_start = prompt.rfind("\n", 0, match.start()) + 1
        before = prompt[line_start:match.start()]
        if re.search(r"\bdef\s*$", before) or ">>>" in before:
            continue  # the signature itself, or a doctest handled above
        paren = prompt.index("(", match.start())
        end = _balanced_call(prompt, paren)
        if end is None:
            continue
        call = _parse_call(prompt[match.start():end], entry_point)
        if call is None:
            continue
        args = call_args(call)
        if args is None:
            continue
        line_end = prompt.find("\n", end)
        rest = prompt[end:line_end if line_end >= 0 else len(prompt)].split('"""')[0].split("'''")[0]
        sep = _RHS_SEP.match(rest)
        found.append(ProbeInput(args, parse_expected(rest[sep.end():]) if sep else None))
    return dedupe(found)


def _parse_call(src: str, entry_point: str) -> ast.Call | None:
    try:
        node = pyast.parse(src.strip(), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry_point:
        return node
    return None


# --------------------------------------------------------------------------- from a tests suite


def suite_inputs(tests: TestSuite, entry_point: str | None) -> list[ProbeInput]:
    """The inputs a tests suite exercises: calls of the function under test, or io inputs."""
    if tests.format == "io":
        try:
            pairs = json.loads(tests.code)
        except json.JSONDecodeError:
            return []
        return dedupe([ProbeInput(str(p["input"]), None, "tests")
                       for p in pairs if isinstance(p, dict) and isinstance(p.get("input"), str)])
    names = {"candidate"} if tests.format == "humaneval" else set()
    if entry_point:
        names.add(entry_point)
    try:
        tree = pyast.parse(tests.code)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            args = call_args(node)
            if args is not None:
                found.append(ProbeInput(args, None, "tests"))
    return dedupe(found)


# --------------------------------------------------------------------------- from the model

INPUTS_SYSTEM = (
    "You write test inputs for a function. Answer with JSON only: "
    '{"inputs": [...]} where each item is a string holding a Python tuple literal of the '
    "positional arguments, e.g. \"(1, [2, 3])\" or \"('abc',)\". Include edge cases."
)
IO_INPUTS_SYSTEM = (
    "You write test inputs for a program that reads standard input. Answer with JSON only: "
    '{"inputs": [...]} where each item is the complete stdin text as a string. Include edge cases.'
)


def inputs_messages(problem: Problem, count: int, io: bool) -> list[dict[str, str]]:
    """The request for ``count`` distinct, valid inputs."""
    what = "stdin inputs" if io else f"argument tuples for `{problem.entry_point}`"
    return [
        {"role": "system", "content": IO_INPUTS_SYSTEM if io else INPUTS_SYSTEM},
        {"role": "user", "content": f"Write {count} distinct {what} for this problem.\n\n{problem.prompt}"},
    ]


def parse_generated_inputs(text: str, *, io: bool, limit: int) -> list[ProbeInput]:
    """Valid, deduplicated inputs from a model's reply; strings and JSON arrays both accepted."""
    payload = first_json(text)
    if isinstance(payload, dict):
        payload = payload.get("inputs", next((v for v in payload.values() if isinstance(v, list)), None))
    if not isinstance(payload, list):
        return []
    found = []
    for item in payload:
        if io:
            if isinstance(item, str):
                found.append(ProbeInput(item if item.endswith("\n") else item + "\n", None, "generated"))
            continue
        if isinstance(item, str):
            args = parse_args_text(item)
        elif isinstance(item, list):
            args = canonical_args(tuple(item))
        else:
            args = canonical_args((item,))
        if args is not None:
            found.append(ProbeInput(args, None, "generated"))
    return dedupe(found)[:limit]


def generate_inputs(
    client: openai.OpenAI, model: str, problem: Problem, *, count: int, seed: int, io: bool, max_tokens: int = 512
) -> tuple[list[ProbeInput], LlmCall]:
    """Ask the model for inputs; returns them and a record of the call (never raises on API errors)."""
    import openai  # already loaded by whoever made ``client``

    call = LlmCall(purpose="generated_inputs", model=model, requested=count)
    try:
        reply = chat(client, model, inputs_messages(problem, count, io), temperature=0.0,
                     max_tokens=max_tokens, seed=seed, json_mode=True)
    except openai.OpenAIError as exc:
        return [], call.failed(exc)
    found = parse_generated_inputs(reply.text, io=io, limit=count)
    return found, call.answered(reply, len(found), "no valid input in the reply")


# --------------------------------------------------------------------------- combining


def dedupe(inputs: list[ProbeInput]) -> list[ProbeInput]:
    """First occurrence of each input wins, but an expected output found later is kept."""
    seen: dict[str, ProbeInput] = {}
    for p in inputs:
        old = seen.get(p.args)
        if old is None:
            seen[p.args] = p
        elif old.expected is None and p.expected is not None:
            seen[p.args] = ProbeInput(p.args, p.expected, old.source)
    return list(seen.values())


def known_inputs(problem: Problem) -> list[ProbeInput]:
    """Inputs from what the user supplied: the prompt's examples, then the tests suite's calls."""
    io = stdin_probes(problem)
    found = [] if io else prompt_examples(problem.prompt, problem.entry_point)
    if problem.tests is not None:
        found += suite_inputs(problem.tests, problem.entry_point)
    return dedupe(found)


def stdin_probes(problem: Problem) -> bool:
    """Probe with stdin text, not argument tuples: io programs, programs with no function to call, and
    every language but python (the sandbox calls functions by name only in python)."""
    return problem.is_io or not problem.entry_point or problem.language != "python"
