"""Bad input gets one clear line and a non-zero exit, never a traceback; loaders
read each dataset format and name the file and line of a bad sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bestofn.evals.config import parse_ks
from bestofn.evals.datasets import load_dataset
from bestofn.evals.jsonl import InputError
from bestofn.evals.samples import read_samples, result_text
from bestofn.schemas import ExecutionResult
from bestofn.schemas import TestOutcome as Outcome
from tests.evals.conftest import cli_env, run_cli, write_samples


def test_humaneval_is_bundled() -> None:
    he = load_dataset("humaneval")
    assert len(he) == 164
    p = he["HumanEval/0"]
    assert p.problem.tests.format == "humaneval" and p.problem.entry_point == "has_close_elements"
    assert p.program("    return 1\n").startswith(p.problem.prompt)


def test_problem_jsonl_and_mbpp_loaders(tmp_path: Path) -> None:
    own = write_samples(tmp_path / "own.jsonl", [{"task_id": "t1", "prompt": "Add.", "entry_point": "add",
                                                   "tests": {"format": "pytest", "code": "from solution import add\n"
                                                             "def test_a():\n    assert add(1, 2) == 3\n"}}])
    ds = load_dataset(f"jsonl:{own}")
    assert ds["t1"].program("def add(a, b):\n    return a + b\n").startswith("def add")
    assert load_dataset(str(own)).keys() == ds.keys()
    mbpp = write_samples(tmp_path / "mbpp.jsonl", [{"task_id": 11, "text": "Remove first and last occurrence.",
                                                     "code": "def f(s):\n    return s\n",
                                                     "test_list": ["assert remove_Occ('hello','l') == 'heo'"]}])
    m = load_dataset(f"mbpp:{mbpp}")["11"]
    assert m.problem.entry_point == "remove_Occ" and m.problem.tests.format == "pytest"
    assert "def test_0" in m.problem.tests.code


def test_dataset_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown dataset"):
        load_dataset("nosuchset")
    with pytest.raises(InputError, match="not found"):
        load_dataset(f"jsonl:{tmp_path / 'missing.jsonl'}")
    bad = write_samples(tmp_path / "bad.jsonl", [{"task_id": "t", "prompt": "x", "tests": {"format": "xml", "code": "c"}}])
    with pytest.raises(InputError, match=r"bad.jsonl:1: field tests.format"):
        load_dataset(f"jsonl:{bad}")


def test_samples_errors_name_the_line(tmp_path: Path) -> None:
    p = tmp_path / "s.jsonl"
    p.write_text('{"task_id": "HumanEval/0", "completion": "x"}\n\n{"task_id": "HumanEval/0", "completion": \n')
    with pytest.raises(InputError, match=r"s.jsonl:3: not valid JSON"):
        read_samples(p)
    p.write_text('{"task_id": "HumanEval/0"}\n')
    with pytest.raises(InputError, match=r"s.jsonl:1: missing or non-string completion"):
        read_samples(p)
    p.write_text('{"task_id": "Nope/1", "completion": ""}\n')
    with pytest.raises(InputError, match=r"s.jsonl:1: task_id 'Nope/1' is not in the dataset"):
        read_samples(p, load_dataset("humaneval"))
    p.write_text('{"task_id": "HumanEval/3", "completion": "a"}\n{"task_id": "HumanEval/3", "completion": "b"}\n')
    assert [(s.task_id, s.index) for s in read_samples(p)] == [("HumanEval/3", 0), ("HumanEval/3", 1)]


@pytest.mark.parametrize("text", ["", "0", "1,x", "-1", "1;10"])
def test_bad_k(text: str) -> None:
    with pytest.raises(InputError, match="--k"):
        parse_ks(text)
    assert parse_ks("10, 1,1") == [1, 10]


def test_result_text_in_human_evals_words() -> None:
    assert result_text(ExecutionResult(status="passed", all_passed=True)) == "passed"
    assert result_text(ExecutionResult(status="timeout", timed_out=True)) == "timed out"
    failed = ExecutionResult(status="failed", tests=[Outcome(name="check", outcome="failed", message="AssertionError")])
    assert result_text(failed) == "failed: AssertionError"


@pytest.mark.parametrize(("args", "expect"), [
    (["--samples", "{tmp}/missing.jsonl"], "file not found"),
    (["--samples", "{tmp}/bad.jsonl"], "bad.jsonl:2: not valid JSON"),
    (["--samples", "{tmp}/good.jsonl", "--dataset", "nosuchset"], "unknown dataset"),
    (["--samples", "{tmp}/good.jsonl", "--k", "1,ten"], "--k must be positive integers"),
    ([], "give --samples FILE"),
])
def test_cli_bad_input_is_one_line(tmp_path: Path, data_dir: Path, args: list[str], expect: str) -> None:
    write_samples(tmp_path / "good.jsonl", [{"task_id": "HumanEval/0", "completion": "    return True\n"}])
    (tmp_path / "bad.jsonl").write_text(json.dumps({"task_id": "HumanEval/0", "completion": ""}) + "\n{oops\n")
    proc = run_cli(*[a.replace("{tmp}", str(tmp_path)) for a in args], env=cli_env(data_dir), timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and expect in lines[0], proc.stderr


def test_optional_usage_fields_are_read(tmp_path: Path) -> None:
    p = write_samples(tmp_path / "s.jsonl", [
        {"task_id": "HumanEval/0", "completion": "x", "tokens_in": 12, "tokens_out": 30, "latency_ms": 812.5,
         "error": None},
        {"task_id": "HumanEval/0", "completion": "", "tokens_out": "many", "error": "no_code: none"}])
    a, b = read_samples(p)
    assert a.usage() == {"tokens_in": 12, "tokens_out": 30, "cost_usd": 0.0, "gen_latency_ms": 812.5, "error": None}
    assert b.usage()["tokens_out"] == 0 and b.usage()["error"] == "no_code: none"
