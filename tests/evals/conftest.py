"""Helpers for the evaluation tests: the real ``bestofn eval`` command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bestofn.settings import get_settings
from tests.conftest import run_labels

REPO = Path(__file__).resolve().parents[2]


def cli_env(data_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """The environment of a ``bestofn eval`` subprocess: embedded SQLite under data_dir by default."""
    env = {k: v for k, v in os.environ.items() if k not in {"BESTOFN_DATABASE_URL", "BESTOFN_REDIS_URL"}}
    env["BESTOFN_DATA_DIR"] = str(data_dir)
    if database_url:
        env["BESTOFN_DATABASE_URL"] = database_url
    env["COLUMNS"] = "200"
    return env


CLI = [sys.executable, "-m", "bestofn.cli", "eval"]


def run_cli(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``bestofn eval ARGS`` to completion."""
    return subprocess.run([*CLI, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def write_samples(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def pg_url(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The fresh database, also made the process' configured one: the API's routes take the
    process' engine (``api.deps.get_db_engine``), so an app built here reaches it on every route."""
    from bestofn.db import get_engine

    monkeypatch.setenv("BESTOFN_DATABASE_URL", pg_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield pg_url
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def no_eval_containers_left() -> Iterator[None]:
    """No evaluation container (label ``bestofn.eval``) of this run created during the test outlives it.

    Looks only at this run's containers created after the test started, and removes nothing:
    other evaluations may be running on the same engine.
    """
    import time

    import docker

    client = docker.from_env()
    filters = {"label": run_labels("bestofn.eval")}
    before = {c.id for c in client.containers.list(all=True, sparse=True, filters=filters)}
    yield
    deadline = time.monotonic() + 10  # removal happens in a finally; give it a moment
    while True:
        # sparse: no per-container inspect, which races with containers being removed
        left = [c for c in client.containers.list(all=True, sparse=True, filters=filters)
                if c.id not in before]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not left, f"{len(left)} evaluation container(s) left behind"


def evaluate_variants(pg_url: str, name: str, variants: dict[str, list[str | None]],
                      **config: Any) -> tuple[Any, list[Any], dict]:
    """Run ``run_eval`` (real sandbox, reranking on unless ``config`` says otherwise) on HumanEval
    samples given per task id (None: the canonical solution); returns the run, its sample rows
    and the report."""
    from bestofn.db import make_engine
    from bestofn.evals.config import EvalConfig
    from bestofn.evals.datasets import load_dataset
    from bestofn.evals.runner import run_eval, start_run
    from bestofn.evals.samples import Sample
    from bestofn.evals.store import EvalStore

    he = load_dataset("humaneval")
    store = EvalStore(make_engine(pg_url))
    samples = [Sample(t, i, he[t].canonical_solution if c is None else c)
               for t, comps in variants.items() for i, c in enumerate(comps)]
    run, _ = start_run(store, EvalConfig(ks=[1], **config), name=name, samples=samples)
    report = run_eval(run.id, store=store)
    assert report is not None
    return run, store.samples(run.id), report


def evaluate_dataset(pg_url: str, dataset: str, samples: Path, ks: list[int], language: str | None = None) -> dict:
    """``run_eval`` (real sandbox, reranking on) of a samples file on ``dataset``; returns the report."""
    from bestofn.db import make_engine
    from bestofn.evals.config import EvalConfig
    from bestofn.evals.runner import run_eval, start_run
    from bestofn.evals.samples import read_samples
    from bestofn.evals.store import EvalStore

    store = EvalStore(make_engine(pg_url))
    run, _ = start_run(store, EvalConfig(dataset=dataset, ks=ks, language=language), name=dataset,
                       samples=read_samples(samples))
    report = run_eval(run.id, store=store)
    assert report is not None
    return report
