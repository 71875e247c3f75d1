"""LiveCodeBench-style stdin/stdout problems: ``lcb:FILE``.

A row follows LiveCodeBench's ``code_generation`` release: ``question_id``,
``question_title``, ``question_content``, ``starter_code``, ``public_test_cases`` and
``private_test_cases`` (each a JSON string, or a list, of ``{"input", "output",
"testtype"}``), ``metadata``. ``stdin`` tests become the problem's ``io`` pairs (public
then private); the sample is a whole program in the language asked for with
``--language`` (python when not given). ``functional`` tests (LeetCode's
``class Solution`` methods) are refused with the row named, as are the lite release's
compressed private tests (zlib over pickle: loading a pickle runs code, so decompress
them to JSON first).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from bestofn.evals.datasets import EvalProblem, field_error, problems_from_file, register
from bestofn.evals.jsonl import InputError
from bestofn.schemas import Problem, TestSuite


def _cases(raw: dict[str, Any], key: str, where: str) -> list[dict[str, str]]:
    """A row's test cases of one kind as io pairs; InputError naming the row and field otherwise."""
    value = raw.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise InputError(f"{where}: field {key}: not a JSON list of test cases (LiveCodeBench's lite release "
                             "compresses private tests with zlib and pickle, which bestofn does not load: "
                             "decompress them to JSON first)") from None
    if not isinstance(value, list):
        raise InputError(f"{where}: field {key}: expected a list of test cases, got {type(value).__name__}")
    pairs = []
    for i, case in enumerate(value):
        if not isinstance(case, dict) or not isinstance(case.get("input"), str) \
                or not isinstance(case.get("output"), str):
            raise InputError(f"{where}: field {key}[{i}]: needs string input and output")
        kind = case.get("testtype", "stdin")
        if kind != "stdin":
            raise InputError(f"{where}: field {key}[{i}].testtype: {kind!r} tests (LeetCode-style class methods) are "
                             "not supported; only stdin tests are (leave functional problems out of the file)")
        pairs.append({"input": case["input"], "output": case["output"]})
    return pairs


def to_problem(raw: dict[str, Any], where: str, language: str | None) -> EvalProblem:
    """One LiveCodeBench row as an io problem in ``language``."""
    tid = raw.get("question_id", raw.get("task_id"))
    if not isinstance(tid, (str, int)) or tid == "":
        raise InputError(f"{where}: field question_id: missing")
    content = raw.get("question_content")
    if not isinstance(content, str) or not content.strip():
        raise InputError(f"{where}: field question_content: missing or empty")
    pairs = _cases(raw, "public_test_cases", where) + _cases(raw, "private_test_cases", where)
    if not pairs:
        raise InputError(f"{where}: field private_test_cases: the problem has no test cases")
    title = raw.get("question_title")
    prompt = f"{title}\n\n{content}" if isinstance(title, str) and title.strip() else content
    try:
        problem = Problem(prompt=prompt, language=language or "python",
                          tests=TestSuite(format="io", code=json.dumps(pairs)))
    except ValidationError as exc:
        raise field_error(where, exc) from None
    return EvalProblem(str(tid), problem)


@register("lcb")
def load_lcb(path: str | None, language: str | None = None) -> dict[str, EvalProblem]:
    """LiveCodeBench-style io problems (JSONL or a JSON array)."""
    return problems_from_file(path, "lcb:FILE (LiveCodeBench-style JSONL)", "question_id", language, to_problem)
