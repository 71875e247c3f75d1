"""The ``bestofn`` command: solve, submit, serve, and the sub-commands of each area."""

from __future__ import annotations

import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from pydantic import ValidationError
from rich.console import Console

from bestofn.cli_common import fail
from bestofn.errors import ProblemRejected
from bestofn.schemas import Problem
from bestofn.settings import get_settings

if TYPE_CHECKING:
    import httpx

    from bestofn.service import TaskView

app = typer.Typer(help="Sandboxed best-of-N code generation: generate N candidates, run each in a "
                       "locked-down container, pick the best.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)  # a bug's traceback must not print keys held in locals
err = Console(stderr=True)
out = Console()


def package_version() -> str:
    """The installed distribution's version, so a bug report can name the build."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bestofn")
    except PackageNotFoundError:
        return "unknown (not installed: pip install -e .)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"bestofn {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the installed version and exit."),
) -> None:
    """Sandboxed best-of-N code generation: generate N candidates, run each in a locked-down container, pick the best."""


def announce_ranking(problem: Problem, strategy: str | None = None) -> None:
    """Before a run without tests, say on stderr how the winner will be chosen instead."""
    from bestofn.cli_outcome import no_tests_notice

    if notice := no_tests_notice(problem, strategy):
        typer.echo(notice, err=True)


def load_problem(path: Path, n: int | None, strategy: str | None, model: str | None) -> Problem:
    """Read and validate PROBLEM.json, naming the bad field on error (the file and line for bad UTF-8 or JSON)."""
    from bestofn.evals.jsonl import InputError, read_json

    if not path.exists():
        fail(f"{path}: no such file")
    try:
        data = read_json(path)
    except InputError as exc:
        fail(str(exc))
    if not isinstance(data, dict):
        fail(f"{path}: expected a JSON object (the POST /v1/tasks body)")
    if n is not None:
        data["n"] = n
    if strategy is not None:
        data["strategy"] = strategy
    if model is not None:
        data["model"] = model
    try:
        return Problem.model_validate(data)
    except ValidationError as exc:
        bad = ProblemRejected.from_validation(exc)
        fail(f"{path}: field '{bad.field}': {bad.message}")
    raise AssertionError("unreachable")


@app.command()
def solve(
    problem_file: Path = typer.Argument(..., metavar="PROBLEM.json", help="The POST /v1/tasks body."),
    n: Optional[int] = typer.Option(None, "--n", help="Number of candidates."),
    strategy: Optional[str] = typer.Option(None, help="auto|tests|self_consistency|codet|majority_vote|judge|single|revise"),
    model: Optional[str] = typer.Option(None, help="Model name at the endpoint."),
    as_json: bool = typer.Option(False, "--json", help="Print the task as JSON."),
) -> None:
    """Run one task end to end in this process (embedded default or the configured services).

    Exit codes: 0 a candidate passed (or there were no tests), 3 none passed, 1 the task failed, 2 bad input.
    """
    from bestofn.cli_outcome import finish, render_outcome
    from bestofn.embedded import embedded_runtime
    from bestofn.progress import ReportingStore, live_progress
    from bestofn.service import create_task, task_view
    from bestofn.pipeline import run_task
    from bestofn.store import TaskStore

    problem = load_problem(problem_file, n, strategy, model)
    log = err if as_json else out
    with ExitStack() as stack:
        try:
            rt = stack.enter_context(embedded_runtime(log))
        except RuntimeError as exc:
            fail(str(exc))
        if rt.demo_model and problem.model is None:
            problem = problem.model_copy(update={"model": rt.model})
        store = TaskStore()
        try:
            task = create_task(problem, store=store)
        except ProblemRejected as exc:
            fail(f"{problem_file}: field '{exc.field}': {exc.message}")
        log.print(f"task {task.id}: {task.n} candidates from {task.model} ...")
        announce_ranking(problem, task.strategy)
        with live_progress(task.n, executes=problem.tests is not None, console=err,
                           rounds=task.problem.get("max_revisions") or 0) as tracker:
            run_task(task.id, client=rt.client, store=ReportingStore(tracker, store.engine))
        view = task_view(store.get(task.id), store)  # type: ignore[arg-type]
    if as_json:
        print(view.model_dump_json(indent=2))
    else:
        render_outcome(view, out, note="tiny demo model (SmolLM2-135M): expect mostly wrong samples" if rt.demo_model else None)
    finish(view)


@app.command()
def demo(
    name: Optional[str] = typer.Argument(None, help="A bundled demo problem (default: sum_of_evens)."),
    n: Optional[int] = typer.Option(None, "--n"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Solve a bundled demo problem (the README's main job)."""
    from bestofn.demo_problems import list_demo_problems

    paths = list_demo_problems()
    name = name or ("sum_of_evens" if any(p.stem == "sum_of_evens" for p in paths) else None)
    if name:
        match = [p for p in paths if p.stem == name]
        if not match:
            fail(f"no demo problem {name!r}; choose from: {', '.join(p.stem for p in paths)}")
        paths = match
    solve(paths[0], n=n, strategy=None, model=None, as_json=as_json)


@app.command()
def submit(
    problem_file: Path = typer.Argument(..., metavar="PROBLEM.json"),
    api_url: str = typer.Option("http://127.0.0.1:8000", "--api", help="bestofn API base URL."),
    wait: bool = typer.Option(False, "--wait", help="Poll until the task ends."),
    timeout: float = typer.Option(600.0, min=0, help="Seconds to wait with --wait."),
    n: Optional[int] = typer.Option(None, "--n"),
    api_key: Optional[str] = typer.Option(None, "--api-key", help="API key, if the server requires one."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Submit a task through the REST API (optionally wait and print the ranking).

    Exit codes with --wait: as ``solve``; a wait past --timeout exits 1.
    """
    import httpx

    from bestofn.cli_outcome import finish, render_outcome

    problem = load_problem(problem_file, n, None, None)
    if api_key is not None and not (api_key.isascii() and api_key.isprintable()):
        fail("--api-key: not a key (printable ASCII, as 'bestofn keys create' prints it)")
    try:
        httpx.URL(api_url)
    except httpx.InvalidURL as exc:  # not an HTTPError: the client raises it before any request
        fail(f"--api {api_url!r}: not a URL ({exc})")
    announce_ranking(problem)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        with httpx.Client(base_url=api_url, timeout=30, headers=headers) as http:
            r = http.post("/v1/tasks", json=problem.model_dump(mode="json", exclude_none=True))
            if r.status_code >= 400:
                fail(f"API refused the task (HTTP {r.status_code}): {r.text[:500]}")
            task_id = r.json()["id"]
            if not wait:
                print(json.dumps(r.json()) if as_json else f"queued task {task_id}")
                return
            view = wait_for_task(http, task_id, problem, timeout)
    except httpx.HTTPError as exc:
        fail(f"cannot reach the API at {api_url}: {exc.__class__.__name__}")
    if as_json:
        print(view.model_dump_json(indent=2))
    else:
        render_outcome(view, out)
    finish(view)


def wait_for_task(http: httpx.Client, task_id: str, problem: Problem, timeout: float) -> TaskView:
    """Poll the task until it ends, showing its progress counts on stderr; exit 1 past the timeout."""
    from bestofn.models import TERMINAL_STATUSES
    from bestofn.progress import STAGES, live_progress
    from bestofn.service import TaskView

    deadline = time.monotonic() + timeout
    view = TaskView.model_validate(http.get(f"/v1/tasks/{task_id}").json())
    with live_progress(view.progress.n, executes=problem.tests is not None, console=err,
                       stage=STAGES.get(view.status, view.status), rounds=view.progress.max_revisions) as tracker:
        while True:
            tracker.counts(generated=view.progress.generated, executed=view.progress.executed,
                           stage=STAGES.get(view.status, view.status), revisions=view.progress.revisions)
            if view.status in TERMINAL_STATUSES:
                return view
            if time.monotonic() > deadline:
                fail(f"task {task_id} still {view.status} after {timeout:.0f}s", code=1)
            time.sleep(0.5)
            view = TaskView.model_validate(http.get(f"/v1/tasks/{task_id}").json())


@app.command()
def api(host: Optional[str] = None, port: Optional[int] = typer.Option(None, min=1, max=65535)) -> None:
    """Serve the REST API (migrates the database first)."""
    import uvicorn

    from bestofn.migrate import migrate

    s = get_settings()
    migrate()
    uvicorn.run("api.main:app", host=host or s.api_host, port=port or s.api_port, log_level="info")


POOLS = ("threads", "prefork", "solo")


@app.command()
def worker(concurrency: int = typer.Option(2, min=1, help="Tasks run at once."),
           pool: str = typer.Option("threads", help="Celery pool: threads|prefork|solo.")) -> None:
    """Run a Celery worker on the configured Redis broker."""
    from bestofn.dispatch import celery_tasks

    if pool not in POOLS:
        fail(f"--pool must be one of {', '.join(POOLS)} (got {pool!r})")

    if not get_settings().redis_url:
        fail("no broker: set BESTOFN_REDIS_URL (the embedded default runs tasks in-process instead)")
    celery_tasks().celery_app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}", f"--pool={pool}",
                            "-Q", get_settings().celery_queue, "--without-gossip", "--without-mingle"])


@app.command("sweep")
def sweep_cmd(loop: bool = typer.Option(False, "--loop", help="Sweep every settings.sweep_interval_s until stopped."),
              as_json: bool = typer.Option(False, "--json")) -> None:
    """Requeue tasks whose worker or broker message was lost, fail those past their attempts, reap containers."""
    from dataclasses import asdict

    from bestofn.sweeper import sweep

    while True:
        report = sweep()
        print(json.dumps(asdict(report)) if as_json else
              f"requeued {len(report.requeued)}, failed {len(report.failed)}, re-enqueued {len(report.reenqueued)} "
              f"(+{len(report.reenqueued_evals)} eval runs), "
              f"containers removed {report.containers_removed}" + (f"; errors: {report.errors}" if report.errors else ""))
        if not loop:
            raise typer.Exit(1 if report.errors else 0)
        time.sleep(max(1.0, get_settings().sweep_interval_s))


@app.command("migrate")
def migrate_cmd(revision: str = typer.Argument("head")) -> None:
    """Upgrade the database schema (alembic upgrade)."""
    from alembic.util import CommandError

    from bestofn.migrate import migrate

    try:
        migrate(revision=revision)
    except CommandError as exc:  # an unknown revision, or one below the database's: nothing was changed
        fail(f"REVISION {revision!r}: {str(exc).splitlines()[0]}")
    out.print(f"database at {revision}")


def _register_subcommands() -> None:
    from bestofn import cli_bot, cli_eval, cli_keys, cli_sandbox

    app.add_typer(cli_sandbox.app, name="sandbox")
    app.add_typer(cli_bot.app, name="bot")
    app.command("eval")(cli_eval.eval_command)
    app.add_typer(cli_keys.app, name="keys")


_register_subcommands()


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
