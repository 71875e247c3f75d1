"""``bestofn eval --strategy parallel|revise|auto``: each problem solved as a task by the pipeline
(bestofn/evals/solving.py) against the scripted server, its winner scored on the hidden tests,
with every token the task spent; the model sees the prompt's examples, never the hidden tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bestofn.evals.datasets import load_dataset
from bestofn.prompts import REVISE_ASK
from bestofn.testing.fake_llm import FakeLLM, Reply, messages_text
from tests.evals.conftest import cli_env, run_cli

pytestmark = pytest.mark.usefixtures("no_eval_containers_left")

P0 = load_dataset("humaneval")["HumanEval/0"]
RIGHT = f"```python\n{P0.problem.prompt}{P0.canonical_solution}```"
WRONG = "```python\ndef has_close_elements(numbers, threshold):\n    return False\n```"  # 1 of the 2 examples
REVISION = REVISE_ASK.split("\n")[0][:40]
HIDDEN_ASSERT = "candidate([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) == True"  # in the hidden tests only


def _fix_if_told(body: dict[str, Any]) -> Reply:
    """The fix only when the failing example and the value returned reached the model."""
    told = "candidate([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3) == True (the candidate returned False)"
    return Reply(content=RIGHT if told in messages_text(body) else WRONG)


def _eval(tmp_path: Path, data_dir: Path, fake: FakeLLM, *args: str) -> dict[str, Any]:
    env = cli_env(data_dir) | {"OPENAI_BASE_URL": fake.base_url}
    out = tmp_path / f"r{len(list(tmp_path.iterdir()))}.json"
    proc = run_cli("--limit", "1", "--model", "fake-model", "--timeout", "5", "--out", str(out), *args, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


def _served_tokens(fake: FakeLLM) -> int:
    return fake.usage_served["prompt_tokens"] + fake.usage_served["completion_tokens"]


def test_revise_strategy_runs_the_pipeline_with_example_feedback(tmp_path: Path, data_dir: Path,
                                                                 fake_llm: FakeLLM) -> None:
    fake_llm.add(REVISION, respond=_fix_if_told)
    fake_llm.add("has_close_elements", WRONG)
    report = _eval(tmp_path, data_dir, fake_llm, "--n", "1", "--strategy", "revise", "--max-revisions", "2")
    assert report["strategy"] == {"name": "revise", "n": 1, "max_revisions": 2}
    assert report["samples"] == 1 and report["pass_at_k"] == {"1": 1.0}  # the round-1 fix passes the hidden tests
    assert fake_llm.usage_served["requests"] == 2
    tokens = report["cost"]["tokens_in"] + report["cost"]["tokens_out"]
    assert tokens == _served_tokens(fake_llm) == report["per_problem"][0]["tokens"]  # the revision counts
    assert not any(HIDDEN_ASSERT in messages_text(b) for b in fake_llm.requests)


def test_parallel_and_auto_on_the_same_script(tmp_path: Path, data_dir: Path, fake_llm: FakeLLM) -> None:
    fake_llm.add(REVISION, respond=_fix_if_told)
    fake_llm.add("has_close_elements", WRONG)
    parallel = _eval(tmp_path, data_dir, fake_llm, "--n", "3", "--strategy", "parallel")
    assert parallel["pass_at_k"] == {"1": 0.0} and fake_llm.usage_served["requests"] >= 3
    assert not any(REVISION in messages_text(b) for b in fake_llm.requests)  # no rounds
    assert parallel["cost"]["tokens_in"] + parallel["cost"]["tokens_out"] == _served_tokens(fake_llm)

    fake_llm.reset()
    fake_llm.add(REVISION, respond=_fix_if_told)
    fake_llm.add("has_close_elements", WRONG)
    auto = _eval(tmp_path, data_dir, fake_llm, "--n", "3", "--strategy", "auto", "--max-revisions", "2")
    # the probe misses 1 of 2 examples: a near miss, revised first; the fix passes, no other sample is bought
    assert auto["pass_at_k"] == {"1": 1.0} and fake_llm.usage_served["requests"] == 2


@pytest.mark.parametrize("args, message", [
    (["--strategy", "revise"], "give --n N"),
    (["--n", "2", "--strategy", "parallel", "--max-revisions", "1"], "--max-revisions applies only"),
    (["--n", "2", "--strategy", "deep"], "--strategy must be one of"),
])
def test_bad_strategy_options_are_one_clear_line(tmp_path: Path, data_dir: Path, args: list[str],
                                                 message: str) -> None:
    proc = run_cli("--limit", "1", *args, env=cli_env(data_dir))
    assert proc.returncode != 0 and message in proc.stderr and "Traceback" not in proc.stderr
