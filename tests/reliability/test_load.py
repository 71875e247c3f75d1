"""Bounded load on loopback: 60 tasks at 20/s through the real API, 2 workers, the sandbox.

No task may be lost and no response may be a 5xx; throughput and latency are
printed (no timed assertions). ``bench/load.py`` runs the 200-task version.
"""

from __future__ import annotations

from collections.abc import Callable

from bestofn.testing.fake_llm import Reply
from bestofn.testing.load import run_load
from tests.e2e.conftest import Stack
from tests.pipeline import problems as P
from tests.reliability.settle import assert_settled


def test_sixty_tasks_at_twenty_per_second_lose_nothing(make_stack: Callable[..., Stack]) -> None:
    st = make_stack(workers=2, BESTOFN_SANDBOX_ISOLATION="per_task")
    st.fake.add("running_max", Reply(content=P.FAST_OK, delay_s=0.05), Reply(content=P.WRONG, delay_s=0.05))
    body = P.problem(n=2).model_dump(mode="json", exclude_none=True)
    report = run_load(st.http, body, total=60, rate_per_s=20, timeout_s=240)
    print("\n" + report.summary())
    assert report.server_errors == 0, report.submit_codes
    assert len(report.accepted) == 60 and not report.timed_out and report.lost == 0
    assert report.final["done"] == 60, report.final
    assert_settled(st, report.accepted, timeout=30)
