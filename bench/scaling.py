"""How a task's cost grows with its candidates: 10, 100 and 1000 candidates per task, one run.

    .venv/bin/python bench/scaling.py [--sizes 10,100,1000] [--database-url URL]

Each size runs one whole task through the plain functions (``create_task`` +
``run_task``: the same code a worker runs) against the project's scripted LLM
server (replies at once: this measures bestofn, not a model), with HumanEval-style
tests, ``strategy: tests`` and the default per_task sandbox on warm runners. Every
fourth reply is wrong, so the ranking has work to do. Printed per size: wall time,
time per candidate, and where it went (generation, execution, ranking, the rest:
database writes and bookkeeping), so a reader sees the slope, not one point.

The database is a fresh SQLite file unless ``--database-url`` names a migrated
database (e.g. PostgreSQL; the bench never drops it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench.pipeline import CHECK, OK, PROMPT, WRONG  # noqa: E402  (the pipeline bench's problem and replies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="candidates per task, comma-separated")
    parser.add_argument("--database-url", default="", help="a migrated database (default: a fresh SQLite file)")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]

    scratch = tempfile.mkdtemp(prefix="bestofn-scaling-")
    url = args.database_url or f"sqlite:///{scratch}/scaling.db"
    os.environ["BESTOFN_MAX_N"] = str(max(sizes))  # the service's cap on n, raised for this bench only
    os.environ["BESTOFN_DATABASE_URL"] = url

    from bestofn.db import make_engine
    from bestofn.llm import make_client
    from bestofn.migrate import migrate
    from bestofn.pipeline import run_task
    from bestofn.schemas import Problem, TestSuite
    from bestofn.service import create_task, task_view
    from bestofn.settings import get_settings
    from bestofn.store import TaskStore
    from bestofn.testing.fake_llm import FakeLLM

    get_settings.cache_clear()
    if not args.database_url:
        migrate(url)
    store = TaskStore(make_engine(url))
    rows = []
    with FakeLLM() as fake:
        fake.add("running_max", OK, OK, OK, WRONG)
        client = make_client(base_url=fake.base_url)
        for n in [min(sizes)] + sizes:  # the first, smallest task warms the image, the engine and imports
            problem = Problem(prompt=PROMPT, entry_point="running_max", n=n, temperature=0.8, strategy="tests", max_tokens=64,
                              tests=TestSuite(format="humaneval", code=CHECK))
            t0 = time.perf_counter()
            task = create_task(problem, store=store)
            outcome = run_task(task.id, client=client, store=store)
            wall = (time.perf_counter() - t0) * 1000
            view = task_view(store.get(task.id), store)
            assert outcome.status == "done", outcome
            assert len(view.candidates) == n, f"the budget cut the task to {len(view.candidates)} candidates"
            timings = view.decision["details"]["timings"]
            passed = sum(1 for c in view.candidates if c.execution and c.execution.all_passed)
            rows.append((n, wall, timings, passed))
        rows = rows[1:]
    print(f"database {url.split('://')[0]}; one task per size; the scripted LLM answers at once\n")
    print(f"{'candidates':>10} {'wall s':>8} {'ms/cand':>8} {'generate':>9} {'execute':>9} {'rank':>7} "
          f"{'other':>8} {'other/cand':>10} {'passed':>7}")
    for n, wall, t, passed in rows:
        other = wall - t["generate_ms"] - t["execute_ms"] - t["rank_ms"]
        print(f"{n:>10} {wall / 1000:>8.2f} {wall / n:>8.1f} {t['generate_ms'] / 1000:>8.2f}s {t['execute_ms'] / 1000:>8.2f}s "
              f"{t['rank_ms'] / 1000:>6.2f}s {other / 1000:>7.2f}s {other / n:>8.2f}ms {passed:>7}")
    first, last = rows[0], rows[-1]
    print(f"\n{last[0] // first[0]}x the candidates cost {last[1] / first[1]:.1f}x the wall time "
          f"({first[1] / first[0]:.1f} -> {last[1] / last[0]:.1f} ms per candidate)")


if __name__ == "__main__":
    main()
