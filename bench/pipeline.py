"""Pipeline overhead and throughput: the real API, Redis, Celery workers, Postgres and sandbox.

For a batch of tasks against the project's scripted local LLM server, measures the
share of each task's wall time (submission to finish) spent outside generation and
execution (API, queue, database, ranking), and tasks per minute with 1 and 2 worker
processes, side by side in one run.

Needs the services: ``bash scripts/services.sh`` (the test command starts them too).
Usage: ``.venv/bin/python bench/pipeline.py --tasks 24 --n 4``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bestofn.db import migrate
from bestofn.settings import get_settings
from bestofn.testing.fake_llm import FakeLLM, Reply
from bestofn.testing.procs import child_env, start_api, start_worker

PROMPT = '''def running_max(xs: list[int]) -> list[int]:
    """Return the running maximum of xs."""
'''
CHECK = '''
def check(candidate):
    assert candidate([]) == []
    assert candidate([1, 3, 2, 5]) == [1, 3, 3, 5]
    assert candidate([5, 4, 3]) == [5, 5, 5]
'''
OK = "```python\ndef running_max(xs):\n    out, best = [], None\n    for x in xs:\n        best = x if best is None or x > best else best\n        out.append(best)\n    return out\n```"
WRONG = "```python\ndef running_max(xs):\n    return sorted(xs)\n```"


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def fresh_database() -> str:
    base = make_url(get_settings().database_url or "postgresql+psycopg://bestofn:bestofn@127.0.0.1:5432/bestofn")
    name = f"bestofn_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    return url


def run_batch(workers: int, tasks: int, n: int, gen_delay: float, logs: Path, sequential: bool = False) -> dict[str, float]:
    """Submit ``tasks`` (all at once, or one after another when ``sequential``) and wait for them."""
    db = fresh_database()
    rurl = get_settings().redis_url or "redis://127.0.0.1:6379/14"
    with FakeLLM() as fake:
        fake.add("running_max", Reply(content=OK, delay_s=gen_delay), Reply(content=WRONG, delay_s=gen_delay))
        env = child_env(BESTOFN_DATABASE_URL=db, BESTOFN_REDIS_URL=rurl, OPENAI_BASE_URL=fake.base_url,
                        BESTOFN_SANDBOX_ISOLATION="per_task", BESTOFN_REQUIRE_API_KEY="false",
                        BESTOFN_CELERY_QUEUE=f"bestofn-bench-{uuid.uuid4().hex[:8]}")
        api, url = start_api(env, logs / f"api-{workers}.log")
        procs = [start_worker(env, logs / f"worker-{workers}-{i}.log", concurrency=1, name=f"b{i}")
                 for i in range(workers)]
        try:
            body = {"prompt": PROMPT, "entry_point": "running_max", "n": n, "strategy": "tests",
                    "tests": {"format": "humaneval", "code": CHECK}}
            time.sleep(3)  # workers connect
            t0 = time.monotonic()
            pending: set[str] = set()
            for _ in range(tasks):
                tid = httpx.post(f"{url}/v1/tasks", json=body, timeout=30).json()["id"]
                pending.add(tid)
                while sequential and pending and time.monotonic() - t0 < 900:
                    if httpx.get(f"{url}/v1/tasks/{tid}", timeout=30).json()["status"] in {"done", "failed"}:
                        pending.discard(tid)
                    time.sleep(0.02)
            while pending and time.monotonic() - t0 < 900:
                for tid in list(pending):
                    if httpx.get(f"{url}/v1/tasks/{tid}", timeout=30).json()["status"] in {"done", "failed"}:
                        pending.discard(tid)
                time.sleep(0.5)
            elapsed = time.monotonic() - t0
        finally:
            for w in procs:
                w.stop()
            api.stop()
    rows = task_timings(db)
    walls, gens, execs = [], [], []
    for wall_ms, details in rows:
        tm = details.get("timings", {})
        walls.append(float(wall_ms))
        gens.append(float(tm.get("generate_ms", 0)))
        execs.append(float(tm.get("execute_ms", 0)))
    return {"workers": workers, "done": len(rows), "tasks": tasks, "elapsed_s": elapsed,
            "tasks_per_min": 60 * len(rows) / elapsed, "wall_ms": statistics.mean(walls),
            "gen_ms": statistics.mean(gens), "exec_ms": statistics.mean(execs), "db": db}


def task_timings(db: str) -> list[tuple[float, dict]]:
    """(wall ms from submission to finish, decision details) for every decided task."""
    engine = create_engine(db)
    with engine.connect() as c:
        rows = c.execute(text(
            "select extract(epoch from (t.finished_at - t.created_at)) * 1000, d.details "
            "from task t join decision d on d.task_id = t.id")).all()
    engine.dispose()
    return [(float(r[0]), r[1]) for r in rows]


def drop_database(url: str) -> None:
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
    admin.dispose()


def overhead_share(db: str) -> tuple[float, float]:
    """Mean and p95 share of each task's wall time (submission to finish) outside generation and execution.

    Measured on the sequential run, so a task never waits behind another: what is left is
    the API, the queue hand-off, the database writes and the ranking.
    """
    shares = []
    for run_ms, details in task_timings(db):
        tm = details.get("timings", {})
        inside = float(tm.get("generate_ms", 0)) + float(tm.get("execute_ms", 0))
        shares.append(max(0.0, float(run_ms) - inside) / float(run_ms))
    return statistics.mean(shares), p(shares, 0.95)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=24)
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--gen-delay", type=float, default=0.2, help="scripted LLM latency per candidate, seconds")
    args = ap.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="bestofn-bench-"))
    seq = run_batch(1, max(4, args.tasks // 2), args.n, args.gen_delay, logs, sequential=True)
    mean_share, p95_share = overhead_share(seq["db"])
    drop_database(seq["db"])
    results = []
    for workers in (1, 2):
        r = run_batch(workers, args.tasks, args.n, args.gen_delay, logs)
        drop_database(r["db"])
        results.append(r)
    print(f"\npipeline bench: n={args.n} candidates/task, scripted LLM {args.gen_delay}s per candidate, "
          "per_task sandbox, strategy=tests")
    print(f"overhead outside generation+execution, {seq['done']} tasks one at a time: "
          f"mean {100 * mean_share:.1f}% / p95 {100 * p95_share:.1f}% of wall time "
          f"(wall {seq['wall_ms']:.0f} ms = gen {seq['gen_ms']:.0f} + exec {seq['exec_ms']:.0f} + rest)")
    print(f"{'workers':>7} {'tasks':>6} {'done':>5} {'tasks/min':>10}")
    for r in results:
        print(f"{r['workers']:>7} {r['tasks']:>6} {r['done']:>5} {r['tasks_per_min']:>10.1f}")
    print(f"throughput ratio 2 workers / 1 worker: {results[1]['tasks_per_min'] / results[0]['tasks_per_min']:.2f}x")
    print(f"(logs in {logs})")


if __name__ == "__main__":
    main()
