"""The report from stored rows alone: pass@k with not-computable k, rankers that see
only the prompt's examples, the curve, and its CSV/PNG files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bestofn.evals import curve
from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import load_dataset
from bestofn.evals.models import EvalSample
from bestofn.evals.passk import pass_at_k
from bestofn.evals.report import build_report, curve_sizes
from bestofn.evals.strategies import TaskSamples, public_examples, self_consistency

HE = load_dataset("humaneval")


def row(task: str, i: int, passed: bool, fps: list[str] | None = None, inputs: list | None = None) -> EvalSample:
    probe = {"inputs": inputs or [], "fps": fps or []}
    return EvalSample(run_id="r", task_id=task, sample_index=i, status="done", passed=passed,
                      exec_status="passed" if passed else "failed", probe=probe, runtime_ms=10.0)


def test_k_larger_than_a_problems_samples_is_null_with_a_note() -> None:
    rows = [row("HumanEval/0", i, i < 3) for i in range(10)] + [row("HumanEval/1", i, i == 0) for i in range(4)]
    rep = build_report({t: HE[t] for t in ("HumanEval/0", "HumanEval/1")}, rows, EvalConfig(ks=[1, 5, 20]))
    assert rep["pass_at_k"]["1"] == pytest.approx((0.3 + 0.25) / 2)
    assert rep["pass_at_k"]["5"] == pytest.approx(pass_at_k(10, 3, 5))  # only HumanEval/0 has >= 5 samples
    assert rep["pass_at_k_problems"] == {"1": 2, "5": 1, "20": 0}
    assert rep["pass_at_k"]["20"] is None
    assert any("pass@5 not computable for 1 of 2" in n for n in rep["notes"])
    assert any("pass@20" in n and "null" in n for n in rep["notes"])
    per = {p["task_id"]: p for p in rep["per_problem"]}
    assert per["HumanEval/1"]["pass_at_k"]["5"] is None
    assert rep["oracle_pass_at_n"] == 1.0


def test_rankers_use_examples_not_hidden_results() -> None:
    # Prompt example: f(1) == 2. Samples 0,1 return 3 (wrong), sample 2 returns 2 and passes.
    inputs = [["(1,)", "2"]]
    rows = [row("HumanEval/0", 0, False, ["ok:3"], inputs), row("HumanEval/0", 1, False, ["ok:3"], inputs),
            row("HumanEval/0", 2, True, ["ok:2"], inputs)]
    task = TaskSamples.from_rows(HE["HumanEval/0"], rows)
    assert public_examples(task, [0, 1, 2]) == 2
    assert self_consistency(task, [0, 1, 2]) == 2  # the cluster that matches the example beats the larger one
    # Flip the hidden outcome: the rankers' picks must not move.
    flipped = [row("HumanEval/0", r.sample_index, not r.passed, r.probe["fps"], inputs) for r in rows]
    assert public_examples(TaskSamples.from_rows(HE["HumanEval/0"], flipped), [0, 1, 2]) == 2


def test_self_consistency_without_examples_votes_by_majority() -> None:
    inputs = [["(1,)", None], ["(2,)", None]]
    fps = [["ok:1", "ok:2"], ["ok:5", "ok:6"], ["ok:5", "ok:6"]]
    rows = [row("HumanEval/0", i, i > 0, f, inputs) for i, f in enumerate(fps)]
    task = TaskSamples.from_rows(HE["HumanEval/0"], rows)
    assert self_consistency(task, [0, 1, 2]) == 1
    assert self_consistency(task, [0]) == 0


def test_curve_points_and_files(tmp_path: Path) -> None:
    assert curve_sizes(10) == [1, 2, 4, 8, 10]
    assert curve_sizes(8) == [1, 2, 4, 8]
    assert curve_sizes(1) == [1]
    rows = [row("HumanEval/0", i, i % 2 == 0) for i in range(8)]
    rep = build_report({"HumanEval/0": HE["HumanEval/0"]}, rows, EvalConfig(ks=[1]))
    points = rep["curve"]
    assert [p["n"] for p in points] == [1, 2, 4, 8]
    assert points[0]["pass_at_n"] == pytest.approx(0.5)
    assert points[-1]["pass_at_n"] == 1.0
    assert points[-1]["first"] == 1.0  # all 8 samples: the first one passes
    for name in ("first", "public_examples", "self_consistency", "policy"):
        assert points[0][name] == pytest.approx(0.5)  # N=1: exact over all 8 singletons, any ranker = pass@1
    csv_path = curve.write_csv(points, tmp_path / "c.csv")
    got = list(csv.DictReader(csv_path.open()))
    assert [int(r["n"]) for r in got] == [1, 2, 4, 8]
    assert {"pass_at_n", "first", "public_examples", "self_consistency"} <= set(got[0])
    png = curve.write_png(points, tmp_path / "c.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_is_deterministic() -> None:
    rows = [row("HumanEval/0", i, i in (3, 5)) for i in range(10)]
    a = build_report({"HumanEval/0": HE["HumanEval/0"]}, rows, EvalConfig(ks=[1, 10]))
    b = build_report({"HumanEval/0": HE["HumanEval/0"]}, list(reversed(rows)), EvalConfig(ks=[1, 10]))
    assert a == b
