"""Probing each distinct program once, and no problem whose samples all pass or all fail,
changes no reranked figure: the report equals the one built from probing every sample
on its own (real Docker sandbox)."""

from __future__ import annotations

from itertools import combinations
from statistics import fmean

import pytest

import sandbox
from bestofn.evals.datasets import load_dataset
from bestofn.evals.execute import UNIFORM, distinct_programs, program_key
from bestofn.evals.models import EvalSample
from bestofn.evals.strategies import STRATEGIES, TaskSamples, ranker_inputs
from bestofn.rerank.self_consistency import canonical
from tests.evals.conftest import evaluate_variants

pytestmark = pytest.mark.usefixtures("no_eval_containers_left")

HE = load_dataset("humaneval")
WRONG = "    return len(numbers) > 3\n"
SAMPLES = {
    # mixed verdicts: probed; the canonical solution three times in three layouts, a wrong one twice
    "HumanEval/0": [None, "# same program, other layout\n" + HE["HumanEval/0"].canonical_solution + "\n\n", WRONG,
                    None, "    return len(numbers)  >  3  # spaced out\n"],
    "HumanEval/23": [None, None, "    return len(string)\n"],  # all pass: uniform
    "HumanEval/12": ["    return None\n", "    raise RuntimeError('boom')\n", "    return None\n"],  # all fail
}


def test_programs_differing_in_layout_and_comments_share_a_key() -> None:
    ep = HE["HumanEval/0"]
    codes = [ep.program(c if c is not None else ep.canonical_solution) for c in SAMPLES["HumanEval/0"]]
    keys = [program_key(c) for c in codes]
    assert keys[0] == keys[1] == keys[3] and keys[2] == keys[4] and keys[0] != keys[2]
    assert program_key("def f(:\n") == "text:def f(:\n" != program_key("def f( :\n")
    rows = [EvalSample(id=i, run_id="r", task_id="HumanEval/0", sample_index=i,
                       completion=c if c is not None else ep.canonical_solution)
            for i, c in enumerate(SAMPLES["HumanEval/0"])]
    assert [[r.sample_index for r in group] for _, group in distinct_programs(ep, rows)] == [[0, 1, 3], [2, 4]]


def test_report_equals_probing_every_sample(pg_url: str, sandbox_config: sandbox.SandboxConfig) -> None:
    run, rows, report = evaluate_variants(pg_url, "probe-plan", SAMPLES)
    per = {p["task_id"]: p for p in report["per_problem"]}
    assert report["problems_uniform"] == 2
    for task_id in ("HumanEval/23", "HumanEval/12"):
        assert all(r.probe and r.probe.get("skipped") == UNIFORM and "fps" not in r.probe
                   for r in rows if r.task_id == task_id), task_id
        assert per[task_id]["pick_basis"].startswith("uniform"), per[task_id]
    mixed = [r for r in rows if r.task_id == "HumanEval/0"]
    assert {bool(r.passed) for r in mixed} == {True, False}
    assert all(r.probe and len(r.probe["fps"]) == len(r.probe["inputs"]) > 0 for r in mixed)
    assert per["HumanEval/0"]["pick_basis"] == "ranked on the prompt's examples"

    # The reference: every sample of every problem probed on its own, nothing skipped.
    naive = []
    for r in rows:
        ep = HE[r.task_id]
        inputs = ranker_inputs(ep)
        fps = sandbox.run_inputs([ep.program(r.completion)], [p.args for p in inputs], ep.problem.entry_point,
                                 labels={"bestofn.eval": run.id}, config=sandbox_config)[0]
        probe = {"inputs": [[p.args, p.expected] for p in inputs], "fps": [canonical(fp) for fp in fps]}
        naive.append(EvalSample(run_id=r.run_id, task_id=r.task_id, sample_index=r.sample_index, status="done",
                                passed=r.passed, completion=r.completion, probe=probe))
    assert [r.probe["fps"] for r in naive if r.task_id == "HumanEval/0"] == [r.probe["fps"] for r in mixed]
    # Every ranker picks on the naive probes, for the whole set and for every pair (the curve's N=2,
    # exact over all pairs here): no shortcut on the reference side.
    tasks = {t: TaskSamples.from_rows(HE[t], [r for r in naive if r.task_id == t]) for t in SAMPLES}
    for name, pick in STRATEGIES.items():
        whole = fmean(float(ts.passed[pick(ts, sorted(ts.passed))]) for ts in tasks.values())
        pairs = fmean(fmean(float(ts.passed[pick(ts, list(pair))]) for pair in combinations(sorted(ts.passed), 2))
                      for ts in tasks.values())
        assert report["rerank_pass_at_1"][name] == pytest.approx(whole, abs=1e-12), name
        assert next(p for p in report["curve"] if p["n"] == 2)[name] == pytest.approx(pairs, abs=1e-12), name
    assert per["HumanEval/0"]["picks"] == {name: pick(tasks["HumanEval/0"], [0, 1, 2, 3, 4])
                                          for name, pick in STRATEGIES.items()}
