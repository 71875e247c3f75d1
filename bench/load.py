"""Load on loopback: N tasks submitted at R/s to the real API with 2 Celery workers, the scripted LLM and the sandbox.

Reports lost tasks, 5xx responses, throughput and latency percentiles (no pass/fail
on timing). Needs the services (``bash scripts/services.sh``); uses a fresh database.
Usage: ``.venv/bin/python bench/load.py --tasks 200 --rate 20 --workers 2``
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bestofn.migrate import migrate
from bestofn.security.keys import create_key
from bestofn.settings import get_settings
from bestofn.testing.fake_llm import FakeLLM, Reply
from bestofn.testing.load import run_load
from bestofn.testing.procs import child_env, start_api, start_worker

PROMPT = 'def running_max(xs: list[int]) -> list[int]:\n    """Return the running maximum of xs."""\n'
CHECK = "def check(candidate):\n    assert candidate([]) == []\n    assert candidate([1, 3, 2, 5]) == [1, 3, 3, 5]\n"
OK = "```python\ndef running_max(xs):\n    out, best = [], None\n    for x in xs:\n        best = x if best is None or x > best else best\n        out.append(best)\n    return out\n```"
WRONG = "```python\ndef running_max(xs):\n    return sorted(xs)\n```"


def _admin(name: str | None = None) -> tuple[str, str]:
    """Create (or, given ``name``, drop) a database on the configured server; returns (url, name)."""
    base = make_url(get_settings().database_url or "postgresql+psycopg://bestofn:bestofn@127.0.0.1:5432/bestofn")
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if name:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            name = f"bestofn_load_{uuid.uuid4().hex[:8]}"
            c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=200)
    ap.add_argument("--rate", type=float, default=20.0, help="submissions per second")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (2 task threads each)")
    ap.add_argument("--n", type=int, default=2, help="candidates per task")
    ap.add_argument("--timeout", type=float, default=600.0, help="cap on the whole run, seconds")
    args = ap.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="bestofn-load-"))
    db, name = _admin()
    migrate(db)
    redis_url = get_settings().redis_url or "redis://127.0.0.1:6379/14"
    body = {"prompt": PROMPT, "entry_point": "running_max", "n": args.n, "strategy": "tests",
            "tests": {"format": "humaneval", "code": CHECK}}
    with FakeLLM() as fake:
        fake.add("running_max", Reply(content=OK, delay_s=0.05), Reply(content=WRONG, delay_s=0.05))
        env = child_env(BESTOFN_DATABASE_URL=db, BESTOFN_REDIS_URL=redis_url, OPENAI_BASE_URL=fake.base_url,
                        BESTOFN_CELERY_QUEUE=f"bestofn-load-{uuid.uuid4().hex[:8]}", BESTOFN_REQUIRE_API_KEY="true",
                        BESTOFN_API_RATE_PER_S="0", BESTOFN_API_MAX_ACTIVE_TASKS="0",
                        BESTOFN_SANDBOX_ISOLATION="per_task")
        engine = create_engine(db)
        token = create_key(engine, "load").token
        engine.dispose()
        api, url = start_api(env, logs / "api.log")
        workers = [start_worker(env, logs / f"worker{i}.log", concurrency=2, name=f"load{i}") for i in range(args.workers)]
        try:
            time.sleep(3)  # workers connect to the broker
            with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
                report = run_load(http, body, args.tasks, args.rate, args.timeout)
        finally:
            for w in workers:
                w.stop()
            api.stop()
            _admin(name)
    print(f"{args.workers} workers x 2 threads, n={args.n}, scripted LLM 0.05 s/candidate, per_task sandbox")
    print(report.summary())
    print(f"submit status codes: {dict(report.submit_codes)}; logs in {logs}")


if __name__ == "__main__":
    main()
