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
import json
import os
import subprocess
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any
from datetime import datetime
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


def run_batch(workers: int, tasks: int, n: int, gen_delay: float, logs: Path, sequential: bool = False,
              src: Path | None = None) -> dict:
    """Submit ``tasks`` (all at once, or one after another when ``sequential``) and wait for them.

    ``src``: run the API and workers from that source tree instead (a copy of an older commit).
    """
    db = fresh_database()
    rurl = get_settings().redis_url or "redis://127.0.0.1:6379/14"
    tag = f"{'before' if src else 'this'}-{'seq' if sequential else 'all'}-{gen_delay}-{workers}"
    extra = {"PYTHONPATH": str(src)} if src else {}
    with FakeLLM() as fake:
        fake.add("running_max", Reply(content=OK, delay_s=gen_delay), Reply(content=WRONG, delay_s=gen_delay))
        env = child_env(BESTOFN_DATABASE_URL=db, BESTOFN_REDIS_URL=rurl, OPENAI_BASE_URL=fake.base_url,
                        BESTOFN_SANDBOX_ISOLATION="per_task", BESTOFN_REQUIRE_API_KEY="false",
                        BESTOFN_CELERY_QUEUE=f"bestofn-bench-{uuid.uuid4().hex[:8]}", **extra)
        api, url = start_api(env, logs / f"api-{tag}.log", cwd=src)
        worker_logs = [logs / f"worker-{tag}-{i}.log" for i in range(workers)]
        procs = [start_worker(env, log, concurrency=1, name=f"b{i}", cwd=src) for i, log in enumerate(worker_logs)]
        submits: list[float] = []
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
                s0 = time.perf_counter()
                tid = submit(url, body)
                submits.append((time.perf_counter() - s0) * 1000)
                pending.add(tid)
                if sequential:
                    wait_done(url, {tid}, t0 + 900, 0.25)  # a gentle client: polling must not load the box it measures
            wait_done(url, pending, t0 + 900, 0.5)
            elapsed = time.monotonic() - t0
        finally:
            for w in procs:
                w.stop()
            api.stop()
    rows = task_rows(db, exclude=warm)
    walls, gens, execs = [], [], []
    for _tid, created, _started, finished, details in rows:
        tm = details.get("timings", {})
        walls.append(finished - created)
        gens.append(float(tm.get("generate_ms", 0)))
        execs.append(float(tm.get("execute_ms", 0)))
    return {"workers": workers, "done": len(rows), "tasks": tasks, "elapsed_s": elapsed,
            "tasks_per_min": 60 * len(rows) / elapsed, "wall_ms": statistics.mean(walls),
            "gen_ms": statistics.mean(gens), "exec_ms": statistics.mean(execs), "db": db, "warm": warm,
            "submit_ms": statistics.median(submits), "worker_logs": worker_logs}


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


def task_rows(db: str, exclude: set[str] = frozenset()) -> list[tuple[str, float, float, float, dict]]:
    """Each finished task: (id, created, started (a worker's claim), finished as epoch ms, decision details)."""
    engine = create_engine(db)
    with engine.connect() as c:
        rows = c.execute(text(
            "select t.id, extract(epoch from t.created_at) * 1000, extract(epoch from t.started_at) * 1000, "
            "extract(epoch from t.finished_at) * 1000, d.details "
            "from task t join decision d on d.task_id = t.id where not (t.id = any(:skip))"),
            {"skip": sorted(exclude)}).all()
    engine.dispose()
    return [(r[0], float(r[1]), float(r[2]), float(r[3]), r[4]) for r in rows]


def drop_database(url: str) -> None:
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
    admin.dispose()


def overhead(db: str, worker_logs: list[Path], exclude: set[str] = frozenset()) -> dict[str, float]:
    """Share of each task's wall time (submission to finish) outside generation and execution, and where it goes.

    Measured on a sequential run, so a task never waits behind another: what is left is the API
    and queue hand-off (submission to a worker's claim), the ranking, and the worker's own
    database writes and bookkeeping (the rest). The finer phases come from the worker's log
    lines (millisecond timestamps, the same clock as the rows'): the API's insert and publish
    plus Redis up to Celery's "received", Celery's hand-over to the claim, the claim to "task
    started", and the last "wave executed" to the done row, less the ranking.
    """
    marks = log_marks(worker_logs)
    rows = task_rows(db, exclude)
    cols: dict[str, list[float]] = {k: [] for k in ("share", "wall", "outside", "queue", "rank", "worker", "publish",
                                                    "pickup", "claim", "finish", "between")}
    for tid, created, started, finished, details in rows:
        tm = details.get("timings", {})
        wall = finished - created
        outside = max(0.0, wall - float(tm.get("generate_ms", 0)) - float(tm.get("execute_ms", 0)))
        rank = float(tm.get("rank_ms", 0))
        m = marks.get(tid, {})
        cols["share"].append(outside / wall)
        cols["wall"].append(wall)
        cols["outside"].append(outside)
        cols["queue"].append(started - created)
        cols["rank"].append(rank)
        cols["worker"].append(max(0.0, outside - (started - created) - rank))
        if {"received", "started", "executed"} <= m.keys():
            cols["publish"].append(m["received"] - created)
            cols["pickup"].append(started - m["received"])
            cols["claim"].append(m["started"] - started)
            cols["finish"].append(finished - m["executed"] - rank)
            cols["between"].append(cols["worker"][-1] - cols["claim"][-1] - cols["finish"][-1])
    med = {k: statistics.median(v) if v else float("nan") for k, v in cols.items()}
    return {"mean_share": statistics.mean(cols["share"]), "p95_share": p(cols["share"], 0.95),
            "wall_ms": statistics.mean(cols["wall"]), "outside_ms": statistics.mean(cols["outside"]),
            "outside_median_ms": med["outside"], **{f"{k}_ms": med[k] for k in cols if k not in ("share", "wall", "outside")}}


def log_marks(paths: list[Path]) -> dict[str, dict[str, float]]:
    """Per task id, epoch ms of the worker's log lines: Celery's "received", "task started", the last "wave executed"."""
    out: dict[str, dict[str, float]] = {}
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            msg = rec.get("msg", "")
            tid, what = rec.get("task_id"), None
            if msg == "task started":
                what = "started"
            elif msg == "wave executed":
                what = "executed"
            elif rec.get("logger") == "celery.worker.strategy" and msg.endswith(" received"):
                tid, what = (rec.get("data") or {}).get("id"), "received"
            if tid and what:
                out.setdefault(tid, {})[what] = datetime.fromisoformat(rec["ts"]).timestamp() * 1000
    return out


def round_trips(n: int, tasks: int = 3) -> dict[str, float]:
    """Database work per task, counted in this process: statements, commits, connection checkouts, the
    pings a checkout may send first, and round trips to the server (psycopg's exchanges, BEGINs included),
    of the submission and of the worker's run, per task."""
    from sqlalchemy import event

    from bestofn.db import make_engine, progress_engine
    from bestofn.llm import make_client
    from bestofn.pipeline import run_task
    from bestofn.schemas import Problem
    from bestofn.service import create_task
    from bestofn.store import TaskStore

    db = fresh_database()
    engine = make_engine(db)
    counts = {"statements": 0, "commits": 0, "checkouts": 0, "pings": 0, "round_trips": 0}

    def count(what: str) -> Callable[..., None]:
        return lambda *_: counts.__setitem__(what, counts[what] + 1)

    def pinging(ping: Callable[..., bool]) -> Callable[..., bool]:
        def counted(*a: object) -> bool:
            count("pings")()
            return ping(*a)
        return counted

    import psycopg

    wait, begin = psycopg.Connection.wait, psycopg.Connection._get_tx_start_command

    def exchanged(gen: Any) -> Any:  # counts a psycopg generator that waits on the socket at least once
        try:
            state = next(gen)
        except StopIteration as stop:  # nothing sent (e.g. a commit with no transaction open)
            return stop.value
        count("round_trips")()
        try:
            while True:
                state = gen.send((yield state))
        except StopIteration as stop:
            return stop.value

    def waited(conn: Any, gen: Any, *a: object, **k: object) -> object:  # a BEGIN in the same exchange adds one
        return wait(conn, exchanged(gen), *a, **k)

    def began(*a: object) -> bytes:
        count("round_trips")()
        return begin(*a)

    psycopg.Connection.wait, psycopg.Connection._get_tx_start_command = waited, began  # type: ignore[method-assign]
    for e in {engine, progress_engine(engine)}:  # progress writes go through an autocommit twin
        event.listen(e, "before_cursor_execute", count("statements"))
        event.listen(e.pool, "checkout", count("checkouts"))
        e.dialect.do_ping = pinging(e.dialect.do_ping)  # type: ignore[method-assign]  # a round trip of its own
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
        psycopg.Connection.wait, psycopg.Connection._get_tx_start_command = wait, begin  # type: ignore[method-assign]
        progress_engine(engine).dispose()
        engine.dispose()
        drop_database(db)
    return out


def other_round_trips(src: Path, n: int) -> dict[str, float]:
    """``round_trips`` of the source tree ``src``, counted by this script run in a child process on that tree."""
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--round-trips-only", "--n", str(n)],
                         cwd=src, env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=24)
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--gen-delays", default="0.2,2",
                    help="scripted LLM latencies per candidate to measure overhead at, seconds, comma-separated; "
                         "the first one is also used for throughput")
    ap.add_argument("--compare", type=Path, metavar="DIR",
                    help="another source tree (e.g. `git worktree add /tmp/before COMMIT`): its API and workers "
                         "are measured too, each batch right after this tree's, so both see the same load")
    ap.add_argument("--round-trips-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.round_trips_only:
        print(json.dumps(round_trips(args.n)))
        return
    delays = [float(d) for d in args.gen_delays.split(",")]
    logs = Path(tempfile.mkdtemp(prefix="bestofn-bench-"))
    trees: list[tuple[str, Path | None]] = [("this", None)] + ([("before", args.compare.resolve())] if args.compare else [])
    trips = {name: round_trips(args.n) if src is None else other_round_trips(src, args.n) for name, src in trees}
    over = []
    for delay in delays:
        for name, src in trees:
            seq = run_batch(1, max(4, args.tasks // 2), args.n, delay, logs, sequential=True, src=src)
            over.append((delay, name, seq, overhead(seq["db"], seq["worker_logs"], seq["warm"])))
            drop_database(seq["db"])
    results = []
    for workers in (1, 2):
        for name, src in trees:
            r = run_batch(workers, args.tasks, args.n, delays[0], logs, src=src)
            drop_database(r["db"])
            results.append((name, r))
    print(f"\npipeline bench: n={args.n} candidates/task, per_task sandbox, strategy=tests; "
          f"overhead = share of wall time (submission to finish) outside generation and execution, "
          f"{over[0][2]['done']} tasks one at a time per LLM latency and tree; load average {os.getloadavg()}")
    print(f"{'LLM s/cand':>10} {'tree':>6} {'wall ms':>8} {'gen ms':>7} {'exec ms':>8} {'mean %':>7} {'p95 %':>6} | "
          f"{'outside':>7} {'queue':>6} {'rank':>5} {'worker':>6} (medians, ms)")
    for delay, name, seq, o in over:
        print(f"{delay:>10.1f} {name:>6} {o['wall_ms']:>8.0f} {seq['gen_ms']:>7.0f} {seq['exec_ms']:>8.0f} "
              f"{100 * o['mean_share']:>7.1f} {100 * o['p95_share']:>6.1f} | {o['outside_median_ms']:>7.1f} "
              f"{o['queue_ms']:>6.1f} {o['rank_ms']:>5.1f} {o['worker_ms']:>6.1f}")
    print("\nfiner phases (medians, ms; from the worker's log lines, millisecond stamps): POST = the client's submit "
          "round trip; publish = row created to Celery's 'received'; pickup = 'received' to the claim; "
          "claim = the claim to 'task started'; between = the worker's phase writes between waves; "
          "finish = last 'wave executed' to the done row, less the ranking")
    print(f"{'LLM s/cand':>10} {'tree':>6} {'POST':>6} {'publish':>7} {'pickup':>6} {'claim':>6} {'between':>7} {'finish':>6}")
    for delay, name, seq, o in over:
        print(f"{delay:>10.1f} {name:>6} {seq['submit_ms']:>6.1f} {o['publish_ms']:>7.1f} {o['pickup_ms']:>6.1f} "
              f"{o['claim_ms']:>6.1f} {o['between_ms']:>7.1f} {o['finish_ms']:>6.1f}")
    print("\ndatabase work per task (in process, counted by SQLAlchemy events; checkouts: of a pooled connection;"
          " commits: those that wait for the disk)")
    print(f"{'':>10} {'tree':>6} {'statements':>10} {'commits':>8} {'checkouts':>9} {'pings':>6} {'round trips':>11}")
    for part in ("submit", "worker"):
        for name, t in trips.items():
            print(f"{part:>10} {name:>6} {t[part + '_statements']:>10.1f} {t[part + '_commits']:>8.1f} "
                  f"{t[part + '_checkouts']:>9.1f} {t[part + '_pings']:>6.1f} {t[part + '_round_trips']:>11.1f}")
    print(f"\nthroughput, {args.tasks} tasks submitted at once, LLM {delays[0]} s/candidate")
    print(f"{'workers':>7} {'tree':>6} {'tasks':>6} {'done':>5} {'tasks/min':>10}")
    for name, r in results:
        print(f"{r['workers']:>7} {name:>6} {r['tasks']:>6} {r['done']:>5} {r['tasks_per_min']:>10.1f}")
    for name, _src in trees:
        one, two = (r['tasks_per_min'] for n_, r in results if n_ == name)
        print(f"throughput ratio 2 workers / 1 worker, {name}: {two / one:.2f}x")
    print(f"(logs in {logs})")


if __name__ == "__main__":
    main()
