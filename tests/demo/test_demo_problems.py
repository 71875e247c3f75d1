"""The bundled demo problems are valid task bodies covering the test formats."""

from __future__ import annotations

import pytest

from bestofn.demo_problems import list_demo_problems, load_demo_problem
from bestofn.schemas import Problem


def test_the_measured_problems_are_bundled() -> None:
    names = {p.stem for p in list_demo_problems()}
    assert {"sum_of_evens", "count_vowels", "max_or_none", "factorial", "is_palindrome"} <= names


@pytest.mark.parametrize("path", list_demo_problems(), ids=lambda p: p.stem)
def test_each_is_a_valid_task_body(path) -> None:  # type: ignore[no-untyped-def]
    body = load_demo_problem(path.stem)
    problem = Problem.model_validate(body)
    assert problem.tests is not None and problem.n == 8
    if problem.tests.format != "io":
        assert problem.entry_point and f"def {problem.entry_point}(" in problem.prompt


def test_formats_include_pytest_and_humaneval() -> None:
    formats = {load_demo_problem(p.stem)["tests"]["format"] for p in list_demo_problems()}
    assert {"pytest", "humaneval"} <= formats


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(LookupError, match="known: "):
        load_demo_problem("no-such-problem")
