"""EvalPlus's HumanEval+ and MBPP+ files: ``humanevalplus:FILE`` and ``mbppplus:FILE``.

A row (``HumanEvalPlus.jsonl``, ``MbppPlus.jsonl`` as EvalPlus releases them) holds
``task_id``, ``prompt``, ``entry_point``, ``canonical_solution``, ``base_input`` (the
original set's inputs), ``plus_input`` (EvalPlus's extra ones) and ``atol``; ``contract``
and ``test`` are not needed. The expected outputs are not in the file: EvalPlus computes
them by running the canonical solution on the inputs. Here that happens in the sandbox:
each problem's tests are a HumanEval-style ``check(candidate)`` whose asserts call the
canonical solution (``prompt + canonical_solution``) on the grader's side, then the
candidate, on copies of one input each, and compare them with EvalPlus's rules
(``bestofn.evals.evalplus_oracle``, embedded in the test code). Nothing runs on the host.

The base inputs come first, so a sample's base verdict is its first ``base_tests``
outcomes (``EvalProblem.base_passed``); its plain verdict, all tests, is EvalPlus's
"plus" (base + extra). A completion continues the prompt, as in EvalPlus's samples.
No PyPI package ships these files (``evalplus`` downloads them at run time, which this
service never does): pass the released file.
"""

from __future__ import annotations

import inspect
import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bestofn.evals import evalplus_oracle
from bestofn.evals.datasets import EvalProblem, field_error, python_only, register, task_id_of
from bestofn.evals.jsonl import InputError, iter_jsonl
from bestofn.schemas import Problem, TestSuite

Oracle = Literal["humaneval", "mbpp"]


class EvalPlusRow(BaseModel):
    """The fields of an EvalPlus row this loader uses (others are ignored)."""

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(min_length=1)
    entry_point: str = Field(min_length=1)
    canonical_solution: str = Field(min_length=1)
    base_input: list[list[Any]] = Field(min_length=1)
    plus_input: list[list[Any]] = Field(default_factory=list)
    atol: float = Field(default=0.0, ge=0)


def _task_number(task_id: str) -> int:
    tail = task_id.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def check_code(row: EvalPlusRow, oracle: Oracle, task_id: str) -> str:
    """The test code of one problem: the oracle, the inputs and reference, and one assert per input."""
    inputs = json.dumps(row.base_input + row.plus_input)  # NaN/Infinity survive json.loads
    parse = (f"mbpp_inputs({_task_number(task_id)}, _json.loads({inputs!r}))" if oracle == "mbpp"
             else f"_json.loads({inputs!r})")
    reference = row.prompt + row.canonical_solution
    n_base = len(row.base_input)
    asserts = [f"    assert base(candidate, {i})" for i in range(n_base)]
    asserts += [f"    assert plus(candidate, {i})" for i in range(len(row.plus_input))]
    return "\n".join([
        inspect.getsource(evalplus_oracle),
        "import json as _json",
        f"_INPUTS = {parse}",
        f"_REFERENCE = load_reference({reference!r}, {row.entry_point!r})",
        "",
        "",
        "def base(candidate, i):",
        f"    return check_one(candidate, _REFERENCE, {oracle!r}, {row.entry_point!r}, _INPUTS[i], {row.atol!r})",
        "",
        "",
        "def plus(candidate, i):",
        f"    return check_one(candidate, _REFERENCE, {oracle!r}, {row.entry_point!r}, _INPUTS[{n_base} + i], "
        f"{row.atol!r})",
        "",
        "",
        "def check(candidate):",
        *asserts,
        "",
    ])


def load_evalplus(path: str | None, oracle: Oracle, name: str) -> dict[str, EvalProblem]:
    """The problems of an EvalPlus file; InputError names the file, line and field of a bad row."""
    if not path:
        raise InputError(f"dataset {name!r} needs EvalPlus's released file: {name}:FILE "
                         f"({'HumanEvalPlus' if oracle == 'humaneval' else 'MbppPlus'}.jsonl; nothing is downloaded)")
    out: dict[str, EvalProblem] = {}
    for lineno, raw in iter_jsonl(path):
        tid = task_id_of(raw, path, lineno)
        try:
            row = EvalPlusRow.model_validate(raw)
            if not math.isfinite(row.atol):
                raise InputError(f"{path}:{lineno}: field atol: must be a finite number")
            problem = Problem(prompt=row.prompt, entry_point=row.entry_point,
                              tests=TestSuite(format="humaneval", code=check_code(row, oracle, tid)))
        except ValidationError as exc:
            raise field_error(f"{path}:{lineno}", exc) from None
        out[tid] = EvalProblem(tid, problem, prefix=row.prompt, canonical_solution=row.canonical_solution,
                               base_tests=len(row.base_input))
    return out


@register("humanevalplus")
def load_humanevalplus(path: str | None, language: str | None = None) -> dict[str, EvalProblem]:
    """HumanEval+ (``HumanEvalPlus.jsonl``)."""
    python_only("humanevalplus", language)
    return load_evalplus(path, "humaneval", "humanevalplus")


@register("mbppplus")
def load_mbppplus(path: str | None, language: str | None = None) -> dict[str, EvalProblem]:
    """MBPP+ (``MbppPlus.jsonl``): its tuples, sets and complex inputs restored as EvalPlus does."""
    python_only("mbppplus", language)
    return load_evalplus(path, "mbpp", "mbppplus")
