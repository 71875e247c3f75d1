"""The benchmark formats' loaders (EvalPlus, MultiPL-E, LiveCodeBench) and EvalPlus's oracle,
without running anything: fields read, conventions kept, and a bad row named by file, line
and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bestofn.evals import evalplus_oracle as oracle
from bestofn.evals.datasets import EvalProblem, cut_at_stop, load_dataset
from bestofn.evals.jsonl import InputError
from bestofn.schemas import ExecutionResult
from bestofn.schemas import TestOutcome as Outcome
from tests.evals.conftest import REPO, write_samples

EXAMPLES = REPO / "examples" / "datasets"


# -- EvalPlus ----------------------------------------------------------------------------------
def test_humanevalplus_example_loads_with_its_split() -> None:
    ds = load_dataset(f"humanevalplus:{EXAMPLES / 'humanevalplus.jsonl'}")
    ep = ds["HumanEval/abs"]
    assert ep.base_tests == 2 and ep.problem.tests.format == "humaneval"
    assert ep.problem.entry_point == "absolute"
    assert ep.program("    return x\n") == ep.problem.prompt + "    return x\n"  # EvalPlus: prompt + completion
    code = ep.problem.tests.code
    assert code.count("assert base(candidate,") == 2 and code.count("assert plus(candidate,") == 2
    assert code.index("assert base(") < code.index("assert plus(")  # base first: base_passed reads the head


def test_evalplus_check_runs_the_reference_not_stored_outputs() -> None:
    """The test code computes expected outputs from the canonical solution (here, run in this
    process only to test the code itself; evaluations run it in the sandbox's grader)."""
    ep = load_dataset(f"humanevalplus:{EXAMPLES / 'humanevalplus.jsonl'}")["HumanEval/abs"]
    ns: dict = {}
    exec(ep.problem.tests.code, ns)
    ns["check"](abs)
    with pytest.raises(AssertionError, match=r"input \[-2\]: expected 2, got -2"):
        ns["check"](lambda x: x)


def test_base_passed_reads_the_first_outcomes() -> None:
    ep = EvalProblem("t", load_dataset(f"humanevalplus:{EXAMPLES / 'humanevalplus.jsonl'}")["HumanEval/abs"].problem,
                     base_tests=2)

    def result(*outcomes: str) -> ExecutionResult:
        tests = [Outcome(name=f"t{i}", outcome=o) for i, o in enumerate(outcomes)]  # type: ignore[arg-type]
        return ExecutionResult(status="failed", tests=tests, tests_total=len(tests),
                               tests_passed=sum(o == "passed" for o in outcomes))

    assert ep.base_passed(result("passed", "passed", "failed")) is True
    assert ep.base_passed(result("passed", "failed", "passed")) is False
    assert ep.base_passed(result("passed")) is False  # cut short before the second base test
    assert ep.base_passed(result()) is False  # did not load
    assert EvalProblem("t", ep.problem).base_passed(result("passed")) is None


def test_mbppplus_restores_tuples_and_compares_as_sets() -> None:
    ep = load_dataset(f"mbppplus:{EXAMPLES / 'mbppplus.jsonl'}")["Mbpp/2"]
    assert ep.base_tests == 2
    ns: dict = {}
    exec(ep.problem.tests.code, ns)
    assert ns["_INPUTS"][0] == [(3, 4, 5, 6), (5, 7, 4, 10)]  # JSON lists back to tuples (task 2)

    def reversed_order(a: tuple, b: tuple) -> tuple:
        assert isinstance(a, tuple)
        return tuple(sorted(set(a) & set(b), reverse=True))

    ns["check"](reversed_order)  # order differs: similar_elements is compared as a set


@pytest.mark.parametrize(("dataset", "entry", "inp", "out", "exp", "atol", "ok"), [
    ("humaneval", "f", [1], 0.30000000000000004, 0.3, 0, True),  # float output: atol 1e-6 enforced
    ("humaneval", "f", [1], 0.31, 0.3, 0, False),
    ("humaneval", "f", [1], [1.0, 2.0000001], [1.0, 2.0], 0, True),
    ("humaneval", "f", [1], (1.0, 2.0), [1.0, 2.0], 1e-3, False),  # evalplus requires the same type
    ("humaneval", "f", [1], 2, 2.0, 0, True),  # equality first: 2 == 2.0
    ("humaneval", "f", [1], float("nan"), float("nan"), 0, False),
    ("humaneval", "f", [1], 1.0005, 1.0, 1e-3, True),  # the dataset's atol
    ("humaneval", "find_zero", [[-6, 11, -6, 1]], 3.0, 1.0, 1e-4, True),  # any root of the polynomial
    ("humaneval", "find_zero", [[-6, 11, -6, 1]], 4.0, 1.0, 1e-4, False),
    ("mbpp", "sum_div", [7], 0, 1, 0, True),
    ("mbpp", "check_str", ["a"], "match", True, 0, True),  # only "not None" is checked
    ("mbpp", "check_str", ["a"], None, True, 0, False),
])
def test_oracle_follows_evalplus(dataset: str, entry: str, inp: list, out: object, exp: object, atol: float,
                                 ok: bool) -> None:
    assert oracle.agrees(dataset, entry, inp, out, exp, atol) is ok


def test_mbpp_input_restoration() -> None:
    assert oracle.mbpp_inputs(124, [[1, "(1+2j)"]]) == [(1.0, 1 + 2j)]
    assert oracle.mbpp_inputs(580, [[[1, [2, 3]], 4]]) == [((1, (2, 3)), 4)]
    assert oracle.mbpp_inputs(722, [[{"a": [1, 2]}, 3]]) == [[{"a": (1, 2)}, 3]]
    assert oracle.mbpp_inputs(999, [[[1]]]) == [[[1]]]


@pytest.mark.parametrize(("row", "expect"), [
    ({"task_id": "T/1", "entry_point": "f", "canonical_solution": "    return 1\n", "base_input": [[1]]},
     r"x.jsonl:1: field prompt: Field required"),
    ({"task_id": "T/1", "prompt": "def f(x):\n", "entry_point": "f", "canonical_solution": "    return 1\n",
      "base_input": [1]}, r"x.jsonl:1: field base_input.0: Input should be a valid list"),
    ({"task_id": "T/1", "prompt": "def f(x):\n", "entry_point": "not a name", "canonical_solution": "    return 1\n",
      "base_input": [[1]]}, r"x.jsonl:1: field entry_point: String should match pattern"),
    ({"task_id": "T/1", "prompt": "def f(x):\n", "entry_point": "f", "canonical_solution": "    return 1\n",
      "base_input": [[1]], "atol": -1}, r"x.jsonl:1: field atol: Input should be greater than or equal to 0"),
    ({"prompt": "def f(x):\n"}, r"x.jsonl:1: missing task_id"),
])
def test_evalplus_bad_rows_are_named(tmp_path: Path, row: dict, expect: str) -> None:
    path = write_samples(tmp_path / "x.jsonl", [row])
    with pytest.raises(InputError, match=expect):
        load_dataset(f"humanevalplus:{path}")


def test_evalplus_needs_a_file_and_python() -> None:
    with pytest.raises(InputError, match="needs EvalPlus's released file: humanevalplus:FILE"):
        load_dataset("humanevalplus")
    with pytest.raises(InputError, match="--language go is not available"):
        load_dataset(f"mbppplus:{EXAMPLES / 'mbppplus.jsonl'}", "go")


# -- LiveCodeBench -------------------------------------------------------------------------------
def test_lcb_stdin_tests_become_io_pairs() -> None:
    ep = load_dataset(f"lcb:{EXAMPLES / 'lcb.jsonl'}")["abc000_a"]
    assert ep.problem.tests.format == "io" and ep.problem.language == "python"
    pairs = json.loads(ep.problem.tests.code)
    assert pairs[0] == {"input": "1 2\n", "output": "3\n"} and len(pairs) == 3  # public, then private
    assert ep.problem.prompt.startswith("A + B\n\nRead two integers")
    assert ep.program("print(1)\n") == "print(1)\n"  # a whole program


def _lcb_row(**changes: object) -> dict:
    row = json.loads((EXAMPLES / "lcb.jsonl").read_text().splitlines()[0])
    row.update(changes)
    return row


@pytest.mark.parametrize(("changes", "expect"), [
    ({"public_test_cases": json.dumps([{"input": "[1]", "output": "1", "testtype": "functional"}])},
     r"field public_test_cases\[0\].testtype: 'functional' tests .* not supported"),
    ({"private_test_cases": "eJzLSM3JyVcozy/KSQEAGgQEXQ=="}, r"field private_test_cases: not a JSON list .* decompress"),
    ({"question_content": ""}, r"field question_content: missing or empty"),
    ({"public_test_cases": "[]", "private_test_cases": "[]"}, r"field private_test_cases: the problem has no test cases"),
    ({"public_test_cases": json.dumps([{"input": 1, "output": "1"}])}, r"field public_test_cases\[0\]: needs string"),
])
def test_lcb_bad_rows_are_named(tmp_path: Path, changes: dict, expect: str) -> None:
    path = write_samples(tmp_path / "lcb.jsonl", [_lcb_row(), _lcb_row(question_id="b", **changes)])
    with pytest.raises(InputError, match=r"lcb.jsonl:2: " + expect):
        load_dataset(f"lcb:{path}")


def test_lcb_language_goes_through_problems_rules() -> None:
    with pytest.raises(InputError, match=r"lcb.jsonl:1: field language"):
        load_dataset(f"lcb:{EXAMPLES / 'lcb.jsonl'}", "cobol")


# -- MultiPL-E ------------------------------------------------------------------------------------
def test_stop_tokens_cut_the_completion() -> None:
    stops = ("\nfunction ", "\n/*", "\n//", "\nconsole.log")
    assert cut_at_stop("  return x + y;\n}\n\nconsole.log(add(1, 2))\n", stops) == "  return x + y;\n}\n"
    assert cut_at_stop("  return x + y;\n}\n// done\nfunction g(){}", stops) == "  return x + y;\n}"
    assert cut_at_stop("  return 1;\n}\n", stops) == "  return 1;\n}\n"
    assert cut_at_stop("abc", ()) == "abc"


def test_multipl_e_rows_keep_their_language_and_tests() -> None:
    ds = load_dataset(f"multipl-e:{EXAMPLES / 'multipl-e.jsonl'}")
    js = ds["HumanEval_53_add"]
    assert js.problem.language == "javascript" and js.problem.tests.format == "native"
    assert js.problem.tests.code.startswith("const assert = require('node:assert');")
    assert js.program("  return x + y;\n}\n\nconsole.log(add(2, 3));\n") == js.problem.prompt + "  return x + y;\n}\n"
    assert ds["HumanEval_53_add_py"].problem.language == "python"


def test_multipl_e_json_array_is_read(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (EXAMPLES / "multipl-e.jsonl").read_text().splitlines()]
    path = tmp_path / "humaneval-js.json"
    path.write_text(json.dumps(rows, indent=2))
    assert set(load_dataset(f"multipl-e:{path}")) == {"HumanEval_53_add", "HumanEval_53_add_py"}


@pytest.mark.parametrize(("changes", "expect"), [
    ({"language": "lua"}, r"x.jsonl:1: field language: MultiPL-E language 'lua' is not supported"),
    ({"tests": None}, r"x.jsonl:1: field tests: Input should be a valid string"),
    ({"stop_tokens": "\n}"}, r"x.jsonl:1: field stop_tokens: Input should be a valid list"),
])
def test_multipl_e_bad_rows_are_named(tmp_path: Path, changes: dict, expect: str) -> None:
    row = json.loads((EXAMPLES / "multipl-e.jsonl").read_text().splitlines()[0])
    row.update(changes)
    path = write_samples(tmp_path / "x.jsonl", [row])
    with pytest.raises(InputError, match=expect):
        load_dataset(f"multipl-e:{path}")


def test_multipl_e_json_array_errors_name_the_item(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"name": "a", "language": "js"}]))
    with pytest.raises(InputError, match=r"x.json:item 1: field prompt: Field required"):
        load_dataset(f"multipl-e:{path}")
    path.write_text("[{\"name\": ")
    with pytest.raises(InputError, match=r"x.json:1: not valid JSON"):
        load_dataset(f"multipl-e:{path}")


def test_multipl_e_language_option_must_match(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"field language: the row's tests are in javascript, not --language go"):
        load_dataset(f"multipl-e:{EXAMPLES / 'multipl-e.jsonl'}", "go")


def test_generated_function_becomes_a_completion_after_the_signature() -> None:
    from bestofn.evals.generation import completion_for
    from bestofn.schemas import Candidate

    js = load_dataset(f"multipl-e:{EXAMPLES / 'multipl-e.jsonl'}")["HumanEval_53_add"]
    reply = "/** adds */\nfunction add(x, y) {\n  return x + y;\n}\n"  # spacing differs from the prompt's "y){"
    completion = completion_for(js, Candidate(index=0, code=reply))
    assert completion == "\n  return x + y;\n}\n"
    assert js.program(completion) == js.problem.prompt + "\n  return x + y;\n}\n"
