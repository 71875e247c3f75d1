"""A test suite that would collect no tests in its declared format is refused statically, naming the right one."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from bestofn.schemas import Problem
from bestofn.schemas import TestSuite as Suite
from bestofn.validation import suite_error

CHECK = "METADATA = {}\n\n\ndef check(candidate):\n    assert candidate(1) == 2\n"
PYTEST = "from solution import f\n\n\ndef test_one():\n    assert f(1) == 2\n"
PYTEST_CLASS = "from solution import f\n\n\nclass TestF:\n    def test_one(self):\n        assert f(1) == 2\n"
UNITTEST = "import unittest\nfrom solution import f\n\n\nclass FTests(unittest.TestCase):\n    def test_one(self):\n        self.assertEqual(f(1), 2)\n"
IO = json.dumps([{"input": "1\n", "output": "2\n"}])


@pytest.mark.parametrize("fmt,code", [
    ("pytest", PYTEST), ("pytest", PYTEST_CLASS), ("pytest", UNITTEST),
    ("pytest", "import sys\nif sys.version_info >= (3,):\n    def test_guarded():\n        assert True\n"),
    ("pytest", "from helpers import test_shared\n"),  # imported tests are collected too
    ("humaneval", CHECK), ("io", IO),
])
def test_suites_that_collect_tests_pass(fmt: str, code: str) -> None:
    assert suite_error(fmt, code) is None
    assert Suite(format=fmt, code=code).code == code


@pytest.mark.parametrize("fmt,code,hint", [
    ("pytest", CHECK, "use format humaneval"),
    ("pytest", IO, "use format io"),
    ("pytest", "from solution import f\n", "add a module-level test_* function"),
    ("pytest", "class TestF:\n    def helper(self):\n        pass\n", "no test_* function or Test* class"),
    ("pytest", "def helper():\n    def test_inner():\n        pass\n", "no test_* function"),  # not module level
    ("pytest", "import testing_utils\n\n" + CHECK, "use format humaneval"),  # a module is not a test
    ("humaneval", PYTEST, "use format pytest"),
    ("humaneval", IO, "use format io"),
    ("humaneval", "assert 1 == 1\n", "def check(candidate)"),
    ("io", CHECK, "use format humaneval"),
    ("io", PYTEST, "use format pytest"),
    ("io", "[]", "non-empty JSON list"),
    ("io", json.dumps([{"input": 1, "output": []}]), 'JSON list of {"input": str, "output": str}'),
    ("io", "not json", "at line 1"),
])
def test_suites_that_collect_nothing_name_the_likely_format(fmt: str, code: str, hint: str) -> None:
    why = suite_error(fmt, code)
    assert why is not None and hint in why, why
    assert "\n" not in why


def test_syntax_error_names_the_line() -> None:
    why = suite_error("pytest", "from solution import f\n\ndef test_one(:\n    pass\n")
    assert why is not None and why.startswith("line 3: ") and "def test_one(:" in why
    assert suite_error("humaneval", "def check(candidate):\n    assert candidate(1) ==\n").startswith("line 2: ")
    assert "not valid Python" in suite_error("pytest", "def test_a():\n    pass\n\x00")


def test_the_problem_names_tests_code() -> None:
    with pytest.raises(ValidationError) as info:
        Problem.model_validate({"prompt": "p", "entry_point": "f", "tests": {"format": "pytest", "code": CHECK}})
    [error] = info.value.errors()
    assert error["loc"] == ("tests", "code") and error["type"] == "tests_format"
    assert error["msg"].endswith("looks like HumanEval's check(candidate): use format humaneval")


def test_an_invalid_format_is_the_only_error() -> None:
    with pytest.raises(ValidationError) as info:
        Problem.model_validate({"prompt": "p", "tests": {"format": "junit", "code": CHECK}})
    assert [e["loc"] for e in info.value.errors()] == [("tests", "format")]


@pytest.mark.parametrize("code", ["[" * 100_000, "(" * 5_000, "x = " + "-" * 200_000 + "1", '"\ud800"', "\x00"])
def test_hostile_code_is_an_error_not_a_crash(code: str) -> None:
    for fmt in ("pytest", "humaneval", "io"):
        why = suite_error(fmt, code)
        assert why and "\n" not in why and len(why) < 400, (fmt, why)
