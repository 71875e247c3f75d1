"""The evaluation's rankers agree with the live ones: the ``policy`` strategy, which
replays stored probe runs, picks what ``bestofn.rerank.decide`` picks when it runs
the same candidates in the real sandbox with the hidden tests withheld."""

from __future__ import annotations

import pytest

from bestofn.evals.datasets import load_dataset
from bestofn.evals.strategies import STRATEGIES, TaskSamples
from bestofn.rerank import decide
from bestofn.schemas import Candidate, Problem
from tests.evals.conftest import evaluate_variants

pytestmark = pytest.mark.usefixtures("no_eval_containers_left")

HE = load_dataset("humaneval")

# HumanEval/0's docstring shows two examples; HumanEval/12 (longest) three; HumanEval/23 (strlen) two.
VARIANTS = {
    "HumanEval/0": ["    return True\n", "    return False\n", None, "    return len(numbers) > 3\n", None],
    "HumanEval/12": ["    return strings[0] if strings else None\n", None, None, "    return None\n",
                     "    return max(strings, key=len) if strings else None\n"],
    "HumanEval/23": ["    return len(string) + 1\n", None, "    return 0\n", None, None],
}


def test_policy_replay_matches_live_decide(pg_url: str) -> None:
    _, rows, report = evaluate_variants(pg_url, "rankers", VARIANTS)
    for task_id in VARIANTS:
        ep = HE[task_id]
        task = TaskSamples.from_rows(ep, [r for r in rows if r.task_id == task_id])
        assert task.inputs, task_id
        subset = sorted(task.passed)
        live = decide(Problem(prompt=ep.problem.prompt, entry_point=ep.problem.entry_point),
                      [Candidate(index=i, code=task.codes[i]) for i in subset], {}, client=None)
        assert STRATEGIES["policy"](task, subset) == live.winner, (task_id, live.reason)
        assert task.passed[STRATEGIES["self_consistency"](task, subset)], task_id
    assert report["rerank_pass_at_1"]["policy"] == 1.0
    assert report["rerank_pass_at_1"]["public_examples"] == 1.0
