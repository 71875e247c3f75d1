"""The prompt's own examples as a test suite: checks a task without tests can still be run against.

A docstring's ``>>> f(1, 2)`` / ``3`` lines and ``f(x) == y`` / ``f(x) ➞ y`` lines
(``bestofn.rerank.inputs.prompt_examples``, the parser the rankers already use) become one
``assert candidate(args) == expected`` each, in HumanEval's ``check(candidate)`` format, so the
sandbox's trusted grader runs them like any humaneval suite (each assert its own test, with
the value the candidate returned on a failure). Only examples whose expected value is a
plain literal count; a prompt with none has no example checks (None).

Used where no tests were given: revision rounds take their feedback from these checks
(bestofn/pipeline.py), and ``bestofn eval`` hands them to the pipeline as its visible tests
while the dataset's hidden tests only score the result (bestofn/evals/solving.py).
"""

from __future__ import annotations

from bestofn.rerank.inputs import prompt_examples, stdin_probes
from bestofn.schemas import Problem, TestSuite

MAX_EXAMPLES = 20  # a prompt listing more is a table, not examples; the first ones are enough to check


def example_suite(problem: Problem) -> TestSuite | None:
    """The prompt's examples with an expected value as a humaneval suite, or None when there are none."""
    if stdin_probes(problem):  # io programs and prompts without a function name: nothing to call
        return None
    found = [p for p in prompt_examples(problem.prompt, problem.entry_point) if p.expected is not None]
    if not found:
        return None
    asserts = [f"    assert candidate{_call(p.args)} == {p.expected}" for p in found[:MAX_EXAMPLES]]
    return TestSuite(format="humaneval", code="def check(candidate):\n" + "\n".join(asserts) + "\n")


def _call(args: str) -> str:
    """An argument tuple's text as a call's parentheses: ``('a',)`` -> ``('a')``."""
    return args[:-2] + ")" if args.endswith(",)") else args
