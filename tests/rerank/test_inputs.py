"""Probe inputs from prompts, suites and model replies (pure, on strings)."""

from __future__ import annotations

import json

from bestofn.rerank.inputs import (
    ProbeInput,
    dedupe,
    known_inputs,
    parse_args_text,
    parse_expected,
    parse_generated_inputs,
    prompt_examples,
    suite_inputs,
)
from bestofn.schemas import Problem, TestSuite

DOCTEST_PROMPT = '''from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    """ Check if two numbers are closer than threshold.
    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)
    False
    >>> has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)
    True
    """
'''

ARROW_PROMPT = '''def will_it_fly(q, w):
    """Example:
    will_it_fly([1, 2], 5) ➞ False
    will_it_fly([3], 5) ➞ True
    will_it_fly(q, w) is the general form
    fruit(1) -> 19 - 5 - 6 = 8
    """
'''


def test_doctest_lines_become_argument_tuples_with_expected_values() -> None:
    got = prompt_examples(DOCTEST_PROMPT, "has_close_elements")
    assert got == [
        ProbeInput("([1.0, 2.0, 3.0], 0.5)", "False"),
        ProbeInput("([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)", "True"),
    ]


def test_arrow_and_equals_example_lines_parse_and_non_literals_are_skipped() -> None:
    got = prompt_examples(ARROW_PROMPT, "will_it_fly")
    assert got == [ProbeInput("([1, 2], 5)", "False"), ProbeInput("([3], 5)", "True")]
    eq = prompt_examples("def f(x):\n    '''f(2) == 4\n    f('a') => 'aa'\n    f(3) should return 9.\n    '''\n", "f")
    assert eq == [ProbeInput("(2,)", "4"), ProbeInput("('a',)", "'aa'"), ProbeInput("(3,)", "9")]


def test_the_signature_and_other_functions_are_not_examples() -> None:
    prompt = "def f(x):\n    '''g(1) == 2 and f.x(3) == 4; also f(5) is 6'''\n"
    assert prompt_examples(prompt, "f") == [ProbeInput("(5,)", "6")]
    assert prompt_examples(prompt, None) == []


def test_expected_values_tolerate_docstring_habits_but_refuse_arithmetic() -> None:
    assert parse_expected("true") == "True"
    assert parse_expected("[1, 5] # the odd ones") == "[1, 5]"
    assert parse_expected("'No' (the name must start with a letter)") == "'No'"
    assert parse_expected("16.") == "16"
    assert parse_expected("19 - 5 - 6 = 8") is None
    assert parse_expected("hello world") is None


def test_humaneval_check_calls_become_inputs() -> None:
    check = "def check(candidate):\n    assert candidate(1, [2, 3]) == 4\n    assert candidate(*xs) == 1\n" \
            "    assert abs(candidate(0.5, []) - 1) < 1e-6\n    assert candidate(1, [2, 3]) != 5\n"
    got = suite_inputs(TestSuite(format="humaneval", code=check), "f")
    assert [p.args for p in got] == ["(1, [2, 3])", "(0.5, [])"]
    assert all(p.source == "tests" for p in got)


def test_pytest_calls_of_the_entry_point_and_io_inputs() -> None:
    pyt = "from solution import f\n\ndef test_a():\n    assert f('x') == 'y'\n"
    assert [p.args for p in suite_inputs(TestSuite(format="pytest", code=pyt), "f")] == ["('x',)"]
    io = json.dumps([{"input": "1 2\n", "output": "3\n"}, {"input": "1 2\n", "output": "3\n"}])
    assert [p.args for p in suite_inputs(TestSuite(format="io", code=io), None)] == ["1 2\n"]


def test_generated_inputs_accept_strings_and_arrays_and_drop_invalid_duplicates() -> None:
    reply = '```json\n{"inputs": ["(1, 2)", [1, 2], "(3,)", "not python (", 7, "(open(\'x\'),)"]}\n```'
    got = parse_generated_inputs(reply, io=False, limit=10)
    assert [p.args for p in got] == ["(1, 2)", "(3,)", "(7,)"]
    assert all(p.source == "generated" for p in got)
    assert len(parse_generated_inputs(reply, io=False, limit=2)) == 2
    assert parse_generated_inputs("no json here", io=False, limit=5) == []
    assert [p.args for p in parse_generated_inputs('["1 2", "3 4\\n"]', io=True, limit=5)] == ["1 2\n", "3 4\n"]


def test_args_text_and_dedupe_keep_a_later_expected_value() -> None:
    assert parse_args_text("[1, 2]") == "([1, 2],)"
    assert parse_args_text("(1, 2)") == "(1, 2)"
    assert parse_args_text("x + 1") is None
    merged = dedupe([ProbeInput("(1,)"), ProbeInput("(1,)", "2", "tests")])
    assert merged == [ProbeInput("(1,)", "2", "prompt")]


def test_known_inputs_combine_prompt_and_tests() -> None:
    check = "def check(candidate):\n    assert candidate([9.0], 1.0) is False\n"
    p = Problem(prompt=DOCTEST_PROMPT, entry_point="has_close_elements",
                tests=TestSuite(format="humaneval", code=check))
    assert [i.source for i in known_inputs(p)] == ["prompt", "prompt", "tests"]
