"""MultiPL-E's prompts and tests in any supported language: ``multipl-e:FILE``.

A row (the JSONL of MultiPL-E's dataset, or the JSON array its repository writes) holds
``name``, ``language``, ``prompt``, ``doctests``, ``original``, ``prompt_terminology``,
``tests`` and ``stop_tokens``. MultiPL-E asks a model to continue the prompt (a comment
and a signature in the target language) and cuts the continuation at the first stop
token; the program run is ``prompt + completion`` followed by the tests, a program in
the same language that calls the function and fails on a wrong answer. Here the tests
are a ``native`` suite (``TestSuite(format="native", code=row["tests"])``, MultiPL-E's
field verbatim) and each row's language comes from the file.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bestofn.evals.datasets import EvalProblem, field_error, problems_from_file, register
from bestofn.evals.jsonl import InputError
from bestofn.schemas import Problem, TestSuite

LANGUAGES = {"py": "python", "python": "python", "js": "javascript", "javascript": "javascript",
             "ts": "typescript", "typescript": "typescript", "go": "go", "go_test.go": "go",
             "rs": "rust", "rust": "rust", "cpp": "cpp", "java": "java"}
"""MultiPL-E's language names (``go_test.go`` is its Go) -> the service's canonical ones."""


class MultiplERow(BaseModel):
    """The fields of a MultiPL-E row this loader uses (``doctests``, ``original``... are ignored)."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=200)
    language: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    tests: str = Field(min_length=1)
    stop_tokens: list[str] = Field(default_factory=list)


def canonical_language(name: str, where: str) -> str:
    """The service's name for a MultiPL-E language; InputError naming the row otherwise."""
    lang = LANGUAGES.get(name.strip().lower())
    if lang is None:
        known = ", ".join(sorted(set(LANGUAGES.values())))
        raise InputError(f"{where}: field language: MultiPL-E language {name!r} is not supported here "
                         f"(supported: {known})")
    return lang


def to_problem(raw: dict[str, Any], where: str, language: str | None) -> EvalProblem:
    """One MultiPL-E row as a problem; ``language`` (``--language``) must match the row's own."""
    try:
        row = MultiplERow.model_validate(raw)
    except ValidationError as exc:
        raise field_error(where, exc) from None
    lang = canonical_language(row.language, where)
    if language is not None and language != lang:
        raise InputError(f"{where}: field language: the row's tests are in {lang}, not --language {language} "
                         "(MultiPL-E files fix the language per row; leave --language out)")
    try:
        problem = Problem(prompt=row.prompt, language=lang, tests=TestSuite(format="native", code=row.tests))
    except ValidationError as exc:
        raise field_error(where, exc) from None
    return EvalProblem(row.name, problem, prefix=row.prompt, stop_tokens=tuple(row.stop_tokens))


@register("multipl-e")
def load_multipl_e(path: str | None, language: str | None = None) -> dict[str, EvalProblem]:
    """MultiPL-E's prompts (JSONL or a JSON array); task ids are the rows' ``name``."""
    return problems_from_file(path, "multipl-e:FILE (MultiPL-E's prompts, JSONL or JSON)", "name", language,
                              to_problem)
