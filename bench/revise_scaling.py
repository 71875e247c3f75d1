"""Test-time scaling on two axes: pass@1 against tokens spent for best-of-N, revisions and the split policy.

Every point is one ``bestofn eval`` run in generate mode with ``--strategy parallel|revise|auto``:
each problem is solved as a task by the product's pipeline (bestofn/evals/solving.py), the
pipeline seeing only the prompt's examples as tests, and the task's winner is scored on the
hidden tests; its tokens are everything the task spent (samples, revisions, ranking calls).

- parallel: best-of-N with early stop (waves 1, 3, the rest; a greedy probe first), no rounds;
- revise: one sample, then up to R revision rounds with the examples' feedback;
- auto: N samples and R rounds, split per problem by the width/depth policy (bestofn/split.py).

Runs are stored (SQLite under BESTOFN_DATA_DIR) and their reports kept in ``--out``: a rerun
skips the points already there, so it resumes. Then it writes ``curve.csv``, ``curve.png``
and ``ratios.json``: for each pass@1 best-of-N reaches, the tokens each strategy needs to
reach it (the cheapest of its points at or above it) over best-of-N's, for every pass@1 some
strategy reaches (a strategy that never reaches it at these budgets shows None).

Slow with the bundled SmolLM2 on 2 shared cores (about an hour for 40 problems); not part of CI:

    OMP_WAIT_POLICY=PASSIVE nohup nice -n 10 .venv/bin/python bench/revise_scaling.py --limit 40 \\
        > bench/results/revise_scaling/run.log 2>&1 &
    .venv/bin/python bench/revise_scaling.py --plot-only   # the figures from the stored reports
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "results" / "revise_scaling"
# (strategy, n, max_revisions): three or more budgets each, cheapest first across strategies, so a
# run cut short still has every strategy at its small budgets
POINTS: list[tuple[str, int, int | None]] = [
    ("parallel", 1, None), ("revise", 1, 1), ("parallel", 2, None), ("auto", 2, 1),
    ("revise", 1, 3), ("parallel", 4, None), ("auto", 4, 2),
    ("revise", 1, 7), ("parallel", 8, None), ("auto", 8, 4),
]


def label(strategy: str, n: int, rounds: int | None) -> str:
    return f"{strategy}_n{n}" + (f"_r{rounds}" if rounds is not None else "")


def run_point(strategy: str, n: int, rounds: int | None, args: argparse.Namespace) -> Path:
    """One ``bestofn eval`` run (skipped when its report exists); the report's path."""
    name = label(strategy, n, rounds)
    report = args.out / f"{name}.json"
    if report.exists():
        return report
    cmd = [sys.executable, "-m", "bestofn.cli", "eval", "--dataset", "humaneval", "--limit", str(args.limit),
           "--n", str(n), "--strategy", strategy, "--max-tokens", str(args.max_tokens),
           "--temperature", str(args.temperature), "--run-name", f"revise-scaling-{args.limit}-{name}",
           "--out", str(report), "--samples", str(args.out / f"{name}.samples.jsonl")]
    if rounds is not None:
        cmd += ["--max-revisions", str(rounds)]
    started = time.perf_counter()
    print(f"[{time.strftime('%H:%M:%S')}] {name}: {' '.join(cmd[3:])}", flush=True)
    subprocess.run(cmd, check=True)
    print(f"[{time.strftime('%H:%M:%S')}] {name}: done in {time.perf_counter() - started:.0f} s", flush=True)
    return report


def point_row(path: Path) -> dict[str, Any]:
    r = json.loads(path.read_text())
    tokens = r["cost"]["tokens_in"] + r["cost"]["tokens_out"]
    return {"strategy": r["strategy"]["name"], "n": r["strategy"]["n"], "max_revisions": r["strategy"]["max_revisions"],
            "problems": r["problems"], "pass_at_1": r["pass_at_k"]["1"], "tokens": tokens,
            "tokens_per_problem": round(tokens / r["problems"], 1), "label": path.stem}


def tokens_to_reach(rows: list[dict[str, Any]], target: float) -> float | None:
    """The fewest tokens per problem among ``rows`` whose pass@1 is at least ``target`` (None: never)."""
    hits = [r["tokens_per_problem"] for r in rows if r["pass_at_1"] >= target - 1e-12]
    return min(hits) if hits else None


def ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each pass@1 any strategy reaches: every strategy's tokens to reach it (None: not at these
    budgets), and the ratio to best-of-N's."""
    by = {s: [r for r in rows if r["strategy"] == s] for s in ("parallel", "revise", "auto")}
    out = []
    for target in sorted({r["pass_at_1"] for r in rows if r["pass_at_1"] > 0}):
        base = tokens_to_reach(by["parallel"], target)
        entry: dict[str, Any] = {"pass_at_1": target, "parallel_tokens_per_problem": base}
        for s in ("revise", "auto"):
            need = tokens_to_reach(by[s], target)
            entry[f"{s}_tokens_per_problem"] = need
            entry[f"{s}_ratio_to_parallel"] = round(need / base, 3) if need is not None and base else None
        out.append(entry)
    return out


def write_figures(rows: list[dict[str, Any]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with (out / "curve.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    names = {"parallel": "best-of-N, early stop", "revise": "revisions only (n=1, R rounds)",
             "auto": "split policy (N, R)"}
    for s, marker in (("parallel", "o"), ("revise", "s"), ("auto", "^")):
        pts = sorted((r for r in rows if r["strategy"] == s), key=lambda r: r["tokens_per_problem"])
        if not pts:
            continue
        ax.plot([p["tokens_per_problem"] for p in pts], [p["pass_at_1"] for p in pts], marker=marker, label=names[s])
        for k, p in enumerate(pts):
            text = (f"r{p['max_revisions']}" if s == "revise" else f"n{p['n']}"
                    + (f" r{p['max_revisions']}" if p["max_revisions"] is not None else ""))
            ax.annotate(text, (p["tokens_per_problem"], p["pass_at_1"]), fontsize=7,
                        xytext=(3, 3 if s != "revise" else -9 * (k + 1)), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("tokens spent per problem (prompt + completion, all calls of the task)")
    ax.set_ylabel("pass@1 of the returned program (hidden tests)")
    ax.set_title(f"SmolLM2-135M on HumanEval (first {rows[0]['problems']} problems)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "curve.png", dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=40, help="The first LIMIT HumanEval problems.")
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--plot-only", action="store_true", help="Only the figures, from the reports in --out.")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.plot_only:
        for point in POINTS:
            run_point(*point, args)
    reports = [args.out / f"{label(*p)}.json" for p in POINTS]
    rows = [point_row(p) for p in reports if p.exists()]
    if not rows:
        sys.exit(f"no reports in {args.out}")
    write_figures(rows, args.out)
    table = ratios(rows)
    (args.out / "ratios.json").write_text(json.dumps(table, indent=2) + "\n")
    for r in rows:
        print(f"{r['label']:>16}  pass@1 {r['pass_at_1']:.3f}  tokens/problem {r['tokens_per_problem']:>8.1f}")
    for t in table:
        print(f"pass@1 >= {t['pass_at_1']:.3f}: tokens/problem best-of-N {t['parallel_tokens_per_problem']}, "
              f"revise {t['revise_tokens_per_problem']} (x{t['revise_ratio_to_parallel']}), "
              f"auto {t['auto_tokens_per_problem']} (x{t['auto_ratio_to_parallel']})")


if __name__ == "__main__":
    main()
