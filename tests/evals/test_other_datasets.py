"""The loader interface carries other problem sets end to end (real sandbox): the
service's own Problem format (pytest and io tests) and MBPP-style JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bestofn.evals.datasets import load_dataset
from tests.evals.conftest import evaluate_dataset, write_samples

pytestmark = pytest.mark.usefixtures("no_eval_containers_left")


def evaluate(pg_url: str, dataset: str, samples: Path) -> dict:
    return evaluate_dataset(pg_url, dataset, samples, [1, 2])


def test_own_problem_format(tmp_path: Path, pg_url: str) -> None:
    problems = write_samples(tmp_path / "problems.jsonl", [
        {"task_id": "add", "prompt": "Write add(a, b) returning the sum.\n>>> add(1, 2)\n3", "entry_point": "add",
         "tests": {"format": "pytest", "code": "from solution import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"}},
        {"task_id": "echo", "prompt": "Print the input line reversed.",
         "tests": {"format": "io", "code": json.dumps([{"input": "abc\n", "output": "cba\n"}])}},
    ])
    samples = write_samples(tmp_path / "s.jsonl", [
        {"task_id": "add", "completion": "def add(a, b):\n    return a + b\n"},
        {"task_id": "add", "completion": "def add(a, b):\n    return a - b\n"},
        {"task_id": "echo", "completion": "print(input()[::-1])\n"},
        {"task_id": "echo", "completion": "print(input())\n"},
    ])
    report = evaluate(pg_url, f"jsonl:{problems}", samples)
    assert report["pass_at_k"] == {"1": 0.5, "2": 1.0}
    per = {p["task_id"]: p for p in report["per_problem"]}
    assert per["add"]["examples"] >= 1 and per["add"]["picks"]["public_examples"] == 0


def test_mbpp_style(tmp_path: Path, pg_url: str) -> None:
    problems = write_samples(tmp_path / "mbpp.jsonl", [
        {"task_id": 2, "text": "Write a function to find the shared elements from the given two lists.",
         "code": "def similar_elements(a, b):\n    return tuple(set(a) & set(b))\n",
         "test_list": ["assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))",
                       "assert set(similar_elements((1, 2, 3, 4),(5, 4, 3, 7))) == set((3, 4))"]},
    ])
    samples = write_samples(tmp_path / "s.jsonl", [
        {"task_id": "2", "completion": "def similar_elements(a, b):\n    return tuple(set(a) & set(b))\n"},
        {"task_id": "2", "completion": "def similar_elements(a, b):\n    return ()\n"},
        {"task_id": "2", "completion": "def similar_elements(a, b):\n    while True:\n        pass\n"},
    ])
    assert load_dataset(f"mbpp:{problems}")["2"].problem.entry_point == "similar_elements"
    report = evaluate(pg_url, f"mbpp:{problems}", samples)
    assert report["pass_at_k"]["1"] == pytest.approx(1 / 3)
    assert report["exec_status"]["passed"] == 1
