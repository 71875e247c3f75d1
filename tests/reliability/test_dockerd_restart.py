"""dockerd stopped and restarted while candidates execute.

The engine stopped is the test's own (``private_dockerd``: its own data root, exec
root and socket, holding a copy of the sandbox image); the stack's workers use it
through BESTOFN_DOCKER_HOST, and the shared engine, which another run of the suite
may be using, is never touched.

Tasks caught mid-execution are put back in the queue and retried once the
engine answers (the Docker outage is transient, not the task's fault); containers
the engine kept are reaped by the workers' sweeper; the engine is restarted even
when the test fails, and removed with everything it ran afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bestofn.testing.fake_llm import Reply
from tests.e2e.conftest import Stack
from tests.pipeline import problems as P
from tests.reliability.faults import PrivateDockerd
from tests.reliability.settle import assert_settled, submit, wait_until

SLOW = P.FAST_OK.replace("def running_max(xs):\n", "import time\n\ndef running_max(xs):\n    time.sleep(3)\n")


def test_dockerd_restarted_mid_execution(private_dockerd: PrivateDockerd, make_stack: Callable[..., Stack]) -> None:
    st = make_stack(workers=1, docker_host=private_dockerd.host, BESTOFN_SANDBOX_ISOLATION="per_candidate")
    st.fake.add("running_max", Reply(content=SLOW), Reply(content=P.FAST_OK))
    statuses: list[int] = []
    ids = [submit(st, P.problem(n=2).model_dump(mode="json", exclude_none=True), statuses) for _ in range(2)]
    wait_until(st, ids, {"executing"}, timeout=60, count=1)
    time.sleep(1)
    try:
        private_dockerd.stop()
        time.sleep(1)
    finally:
        private_dockerd.start()
    rows = assert_settled(st, ids, timeout=180)
    print({tid: (r["status"], r["reason"], r["attempts"]) for tid, r in rows.items()})
    assert [r["status"] for r in rows.values()] == ["done"] * len(ids), rows
