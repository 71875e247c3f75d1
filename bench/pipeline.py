"""Pipeline overhead and throughput: the real API, Redis, Celery workers, Postgres and sandbox.

For a batch of tasks against the project's scripted local LLM server, measures the
share of each task's wall time (submission to finish) spent outside generation and
execution (API, queue, database, ranking), and tasks per minute with 1 and 2 worker
processes, side by side in one run.

Needs the services: ``bash scripts/services.sh`` (the test command starts them too).
Usage: ``.venv/bin/python bench/pipeline.py --tasks 24 --n 4 [--gen-delays 0.2,2]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

# run as ``python bench/pipeline.py``: this folder's sandbox.py must not shadow the ``sandbox`` package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bestofn.migrate import migrate  # noqa: E402
from bestofn.settings import get_settings  # noqa: E402
from bestofn.testing.fake_llm import FakeLLM, Reply  # noqa: E402
from bestofn.testing.procs import child_env, start_api, start_worker  # noqa: E402

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
            # One warm-up task per worker (imports, connections, the first sandbox image lookup), not counted.
            warm = {submit(url, body) for _ in range(workers)}
            wait_done(url, set(warm), time.monotonic() + 300, 0.1)
            t0 = time.monotonic()
            pending: set[str] = set()
            for _ in range(tasks):
                tid = submit(url, body)
                pending.add(tid)
                if sequential:
                    wait_done(url, {tid}, t0 + 900, 0.25)  # a gentle client: polling must not load the box it measures
            wait_done(url, pending, t0 + 900, 0.5)
            elapsed = time.monotonic() - t0
        finally:
            for w in procs:
                w.stop()
            api.stop()
    rows = task_timings(db, exclude=warm)
    walls, gens, execs = [], [], []
    for wall_ms, _queue_ms, details in rows:
        tm = details.get("timings", {})
        walls.append(float(wall_ms))
        gens.append(float(tm.get("generate_ms", 0)))
        execs.append(float(tm.get("execute_ms", 0)))
    return {"workers": workers, "done": len(rows), "tasks": tasks, "elapsed_s": elapsed,
            "tasks_per_min": 60 * len(rows) / elapsed, "wall_ms": statistics.mean(walls),
            "gen_ms": statistics.mean(gens), "exec_ms": statistics.mean(execs), "db": db, "warm": warm}


def submit(url: str, body: dict) -> str:
    return httpx.post(f"{url}/v1/tasks", json=body, timeout=30).json()["id"]


def wait_done(url: str, ids: set[str], deadline: float, poll_s: float) -> None:
    """Poll until every task in ``ids`` ended (removing them from the set) or the deadline passes."""
    while ids and time.monotonic() < deadline:
        for tid in list(ids):
            if httpx.get(f"{url}/v1/tasks/{tid}", timeout=30).json()["status"] in {"done", "failed"}:
                ids.discard(tid)
        if ids:
            time.sleep(poll_s)


def task_timings(db: str, exclude: set[str] = frozenset()) -> list[tuple[float, float, dict]]:
    """(wall ms from submission to finish, queue ms from submission to a worker's claim, decision details)."""
    engine = create_engine(db)
    with engine.connect() as c:
        rows = c.execute(text(
            "select extract(epoch from (t.finished_at - t.created_at)) * 1000, "
            "extract(epoch from (t.started_at - t.created_at)) * 1000, d.details "
            "from task t join decision d on d.task_id = t.id where not (t.id = any(:skip))"),
            {"skip": sorted(exclude)}).all()
    engine.dispose()
    return [(float(r[0]), float(r[1]), r[2]) for r in rows]


def drop_database(url: str) -> None:
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
    admin.dispose()


def overhead(db: str, exclude: set[str] = frozenset()) -> dict[str, float]:
    """Share of each task's wall time (submission to finish) outside generation and execution, and where it goes.

    Measured on a sequential run, so a task never waits behind another: what is left is the API
    and queue hand-off (submission to a worker's claim), the ranking, and the worker's own
    database writes and bookkeeping (the rest).
    """
    shares, rest, queue, rank, walls, outs = [], [], [], [], [], []
    for wall_ms, queue_ms, details in task_timings(db, exclude):
        tm = details.get("timings", {})
        inside = float(tm.get("generate_ms", 0)) + float(tm.get("execute_ms", 0))
        outside = max(0.0, wall_ms - inside)
        shares.append(outside / wall_ms)
        walls.append(wall_ms)
        outs.append(outside)
        queue.append(queue_ms)
        rank.append(float(tm.get("rank_ms", 0)))
        rest.append(max(0.0, outside - queue_ms - rank[-1]))
    return {"mean_share": statistics.mean(shares), "p95_share": p(shares, 0.95), "wall_ms": statistics.mean(walls),
            "outside_ms": statistics.mean(outs), "outside_median_ms": statistics.median(outs),
            "queue_ms": statistics.median(queue),
            "rank_ms": statistics.median(rank), "worker_ms": statistics.median(rest)}


def round_trips(n: int, tasks: int = 3) -> dict[str, float]:
    """Database work per task, counted in this process: statements, commits and connection checkouts
    (each checkout pings the server first) of the submission and of the worker's run, per task."""
    from sqlalchemy import event

    from bestofn.db import make_engine, progress_engine
    from bestofn.llm import make_client
    from bestofn.pipeline import run_task
    from bestofn.schemas import Problem
    from bestofn.service import create_task
    from bestofn.store import TaskStore

    db = fresh_database()
    engine = make_engine(db)
    counts = {"statements": 0, "commits": 0, "checkouts": 0}

    def count(what: str) -> Callable[..., None]:
        return lambda *_: counts.__setitem__(what, counts[what] + 1)

    for e in {engine, progress_engine(engine)}:  # progress writes go through an autocommit twin
        event.listen(e, "before_cursor_execute", count("statements"))
        event.listen(e.pool, "checkout", count("checkouts"))
    event.listen(engine, "commit", count("commits"))  # the twin's own commits do not wait for the disk
    store, settings = TaskStore(engine), get_settings()
    problem = Problem.model_validate({"prompt": PROMPT, "entry_point": "running_max", "n": n, "strategy": "tests",
                                      "tests": {"format": "humaneval", "code": CHECK}})
    out: dict[str, float] = {}
    try:
        with FakeLLM() as fake:
            fake.add("running_max", Reply(content=OK), Reply(content=WRONG))
            client = make_client(base_url=fake.base_url)
            for i in range(tasks + 1):  # the first one warms up (imports, the pool), not counted
                before = dict(counts)
                task = create_task(problem, store=store, settings=settings)
                submitted = dict(counts)
                run_task(task.id, client=client, store=store, settings=settings)
                if i:
                    for k in counts:
                        out[f"submit_{k}"] = out.get(f"submit_{k}", 0) + (submitted[k] - before[k]) / tasks
                        out[f"worker_{k}"] = out.get(f"worker_{k}", 0) + (counts[k] - submitted[k]) / tasks
    finally:
        progress_engine(engine).dispose()
        engine.dispose()
        drop_database(db)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=24)
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--gen-delays", default="0.2,2",
                    help="scripted LLM latencies per candidate to measure overhead at, seconds, comma-separated; "
                         "the first one is also used for throughput")
    args = ap.parse_args()
    delays = [float(d) for d in args.gen_delays.split(",")]
    logs = Path(tempfile.mkdtemp(prefix="bestofn-bench-"))
    trips = round_trips(args.n)
    over = []
    for delay in delays:
        seq = run_batch(1, max(4, args.tasks // 2), args.n, delay, logs, sequential=True)
        over.append((delay, seq, overhead(seq["db"], seq["warm"])))
        drop_database(seq["db"])
    results = []
    for workers in (1, 2):
        r = run_batch(workers, args.tasks, args.n, delays[0], logs)
        drop_database(r["db"])
        results.append(r)
    print(f"\npipeline bench: n={args.n} candidates/task, per_task sandbox, strategy=tests; "
          f"overhead = share of wall time (submission to finish) outside generation and execution, "
          f"{over[0][1]['done']} tasks one at a time per LLM latency")
    print(f"{'LLM s/cand':>10} {'wall ms':>8} {'gen ms':>7} {'exec ms':>8} {'outside ms':>10} {'mean %':>7} "
          f"{'p95 %':>6} | {'outside ms':>10} {'queue ms':>8} {'rank ms':>7} {'worker ms':>9} (medians)")
    for delay, seq, o in over:
        print(f"{delay:>10.1f} {o['wall_ms']:>8.0f} {seq['gen_ms']:>7.0f} {seq['exec_ms']:>8.0f} {o['outside_ms']:>10.0f} "
              f"{100 * o['mean_share']:>7.1f} {100 * o['p95_share']:>6.1f} | {o['outside_median_ms']:>10.1f} "
              f"{o['queue_ms']:>8.1f} {o['rank_ms']:>7.1f} {o['worker_ms']:>9.1f}")
    print("\ndatabase work per task (in process, counted by SQLAlchemy events; a checkout pings the server first;"
          " commits: those that wait for the disk)")
    print(f"{'':>10} {'statements':>10} {'commits':>8} {'checkouts':>9}")
    for part in ("submit", "worker"):
        print(f"{part:>10} {trips[part + '_statements']:>10.1f} {trips[part + '_commits']:>8.1f} "
              f"{trips[part + '_checkouts']:>9.1f}")
    print(f"\nthroughput, {args.tasks} tasks submitted at once, LLM {delays[0]} s/candidate")
    print(f"{'workers':>7} {'tasks':>6} {'done':>5} {'tasks/min':>10}")
    for r in results:
        print(f"{r['workers']:>7} {r['tasks']:>6} {r['done']:>5} {r['tasks_per_min']:>10.1f}")
    print(f"throughput ratio 2 workers / 1 worker: {results[1]['tasks_per_min'] / results[0]['tasks_per_min']:.2f}x")
    print(f"(logs in {logs})")


if __name__ == "__main__":
    main()
