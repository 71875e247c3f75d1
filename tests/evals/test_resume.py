"""An interrupted evaluation resumes without re-running finished samples, and its
final report equals an uninterrupted run's (real Docker sandbox).

Three interruptions: the runner's ``max_samples`` hook (PostgreSQL, with the
rankers' probe phase), Ctrl-C (SIGINT) of the ``bestofn eval`` command, and SIGKILL
of it (embedded SQLite; ``--no-rerank`` to keep them quick).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from bench.humaneval_variants import variant_samples
from bestofn.db import make_engine
from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import load_dataset
from bestofn.evals.runner import run_eval, start_run
from bestofn.evals.samples import Sample
from bestofn.evals.store import EvalStore
from bestofn.settings import get_settings
from sandbox import reap
from tests.evals.conftest import CLI, REPO, cli_env, run_cli, write_samples

pytestmark = pytest.mark.usefixtures("no_eval_containers_left")

VOLATILE = {"throughput", "run", "latency"}  # measured wall-clock figures


def stable(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in VOLATILE}


def samples_for(problems: int, per_problem: int, loops: bool = False) -> list[Sample]:
    rows = variant_samples(problems=problems, per_problem=per_problem, loops=loops)
    seen: dict[str, int] = {}
    out = []
    for r in rows:
        out.append(Sample(r["task_id"], seen.get(r["task_id"], 0), r["completion"], r))
        seen[r["task_id"]] = seen.get(r["task_id"], 0) + 1
    return out


def test_max_samples_hook_then_resume(pg_url: str) -> None:
    store = EvalStore(make_engine(pg_url))
    cfg = EvalConfig(dataset="humaneval", ks=[1, 5], timeout_s=3)
    samples = samples_for(6, 5)
    assert set(load_dataset("humaneval")) >= {s.task_id for s in samples}

    run, resumed = start_run(store, cfg, name="interrupted", samples=samples)
    assert not resumed
    assert run_eval(run.id, store=store, max_samples=12) is None
    first = {r.id: r.finished_at for r in store.samples(run.id, status="done")}
    assert len(first) == 12 and store.progress(run.id)["pending"] == 18

    again, resumed = start_run(store, cfg, name="interrupted", samples=samples)
    assert resumed and again.id == run.id
    seen: list[tuple[str, int, int]] = []
    report = run_eval(run.id, store=store, on_progress=lambda *p: seen.append(p))
    assert report is not None
    executed = max(done for phase, done, _ in seen if phase == "execute")
    assert executed == 18 and report["throughput"]["executed_this_invocation"] == 18
    after = {r.id: r.finished_at for r in store.samples(run.id)}
    assert all(after[i] == t for i, t in first.items()), "a finished sample was re-executed"

    whole, _ = start_run(store, cfg, name="uninterrupted", samples=samples)
    assert stable(run_eval(whole.id, store=store)) == stable(report)
    assert store.get(run.id).status == "done"


def _done_count(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db, timeout=30) as conn:
        try:
            return conn.execute("SELECT count(*) FROM eval_sample WHERE status = 'done'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def _finished(db: Path) -> dict[tuple[str, int], str]:
    with sqlite3.connect(db, timeout=30) as conn:
        rows = conn.execute("SELECT task_id, sample_index, finished_at FROM eval_sample WHERE status = 'done'")
        return {(t, i): f for t, i, f in rows}


def _interrupt_cli(samples: Path, data_dir: Path, sig: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen([*CLI, "--samples", str(samples), "--k", "1,5", "--timeout", "2", "--workers", "2",
                             "--no-rerank"],
                            cwd=REPO, env=cli_env(data_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = data_dir / "bestofn.sqlite3"
    deadline = time.monotonic() + 300
    while _done_count(db) < 10:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.2)
    proc.send_signal(sig)
    proc.wait(timeout=120)
    return proc


def _remove_leftovers(db: Path) -> None:
    """What the reaper does for a killed process: remove the run's containers (the project's own reaper)."""
    with sqlite3.connect(db, timeout=30) as conn:
        (run_id,) = conn.execute("SELECT id FROM eval_run").fetchone()
    reap(0.0, labels={"eval": run_id}, config=get_settings().sandbox_config())


def _resume_and_compare(tmp_path: Path, data_dir: Path, samples: Path, sig: int) -> None:
    proc = _interrupt_cli(samples, data_dir, sig)
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        err = proc.stderr.read() if proc.stderr else ""
        assert "rerun the same command to resume" in err and "Traceback" not in err
    db = data_dir / "bestofn.sqlite3"
    if sig == signal.SIGKILL:
        _remove_leftovers(db)
    before = _finished(db)
    assert 10 <= len(before) < 40

    resumed = run_cli("--samples", str(samples), "--k", "1,5", "--timeout", "2", "--no-rerank",
                      "--out", str(tmp_path / "r.json"), env=cli_env(data_dir))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"{len(before)} of 40 samples already done" in resumed.stdout
    after = _finished(db)
    assert len(after) == 40
    assert all(after[key] == t for key, t in before.items()), "a finished sample was re-executed"
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["throughput"]["executed_this_invocation"] == 40 - len(before)

    fresh_dir = tmp_path / "fresh"
    fresh_dir.mkdir()
    whole = run_cli("--samples", str(samples), "--k", "1,5", "--timeout", "2", "--no-rerank",
                    "--out", str(tmp_path / "w.json"), env=cli_env(fresh_dir))
    assert whole.returncode == 0, whole.stderr[-3000:]
    assert stable(report) == stable(json.loads((tmp_path / "w.json").read_text()))


def test_ctrl_c_then_resume(tmp_path: Path, data_dir: Path) -> None:
    samples = write_samples(tmp_path / "s.jsonl", variant_samples(problems=8, per_problem=5))
    _resume_and_compare(tmp_path, data_dir, samples, signal.SIGINT)


def test_kill_then_resume(tmp_path: Path, data_dir: Path) -> None:
    samples = write_samples(tmp_path / "s.jsonl", variant_samples(problems=8, per_problem=5))
    _resume_and_compare(tmp_path, data_dir, samples, signal.SIGKILL)
