"""A bounded load run against a real API: paced submissions, then wait until every task ends.

Shared by the CI load test (tests/reliability/test_load.py) and ``bench/load.py``.
Latency is the server's own view (``finished_at - created_at`` of each task);
throughput is finished tasks over the span from the first submission to the
last finish. Any 5xx seen while submitting or polling is counted.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from bestofn.models import TERMINAL_STATUSES
from bestofn.stats import percentile_cont

OPEN_STATUSES = ("queued", "generating", "executing", "ranking")


@dataclass
class LoadReport:
    total: int
    rate_per_s: float
    accepted: list[str] = field(default_factory=list)
    submit_codes: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    final: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    span_s: float = 0.0
    timed_out: bool = False

    @property
    def lost(self) -> int:
        """Accepted tasks that did not reach a terminal status in time."""
        return len(self.accepted) - sum(self.final[s] for s in TERMINAL_STATUSES)

    @property
    def throughput_per_s(self) -> float:
        return self.final["done"] / self.span_s if self.span_s else 0.0

    def summary(self) -> str:
        p50, p95 = (percentile_cont(self.latencies_ms, q) or 0.0 for q in (0.5, 0.95))
        return (f"load: {self.total} tasks at {self.rate_per_s:g}/s -> accepted {len(self.accepted)}, "
                f"final {dict(self.final)}, lost {self.lost}, 5xx {self.server_errors}; "
                f"throughput {self.throughput_per_s:.2f} tasks/s ({60 * self.throughput_per_s:.0f}/min), "
                f"latency p50 {p50 / 1000:.2f}s p95 {p95 / 1000:.2f}s")


def _submit_paced(http: httpx.Client, body: dict[str, Any], report: LoadReport) -> None:
    start = time.monotonic()

    def one(i: int) -> tuple[int, str | None]:
        time.sleep(max(0.0, start + i / report.rate_per_s - time.monotonic()))
        try:
            r = http.post("/v1/tasks", json=body)
        except httpx.HTTPError:
            return 0, None
        return r.status_code, r.json()["id"] if r.status_code == 202 else None

    with ThreadPoolExecutor(max_workers=16) as pool:
        for code, task_id in pool.map(one, range(report.total)):
            report.submit_codes[code] += 1
            report.server_errors += code >= 500
            if task_id:
                report.accepted.append(task_id)


def _open_count(http: httpx.Client, report: LoadReport) -> int:
    """Tasks of this caller not yet ended (cheap: one count per status)."""
    left = 0
    for status in OPEN_STATUSES:
        r = http.get("/v1/tasks", params={"status": status, "limit": 1})
        report.server_errors += r.status_code >= 500
        left += r.json()["total"] if r.status_code == 200 else 1
    return left


def _collect(http: httpx.Client, report: LoadReport) -> None:
    ours = set(report.accepted)
    first, last = None, None
    offset = 0
    while True:
        page = http.get("/v1/tasks", params={"limit": 200, "offset": offset}).json()
        for item in page["items"]:
            if item["id"] not in ours:
                continue
            report.final[item["status"]] += 1
            created = datetime.fromisoformat(item["created_at"])
            first = created if first is None or created < first else first
            if item["status"] == "done" and item["finished_at"]:
                finished = datetime.fromisoformat(item["finished_at"])
                last = finished if last is None or finished > last else last
                report.latencies_ms.append((finished - created).total_seconds() * 1000)
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            break
    if first is not None and last is not None:
        report.span_s = (last - first).total_seconds()


def run_load(http: httpx.Client, body: dict[str, Any], total: int, rate_per_s: float,
             timeout_s: float) -> LoadReport:
    """Submit ``total`` tasks at ``rate_per_s`` with ``http`` (base URL and key set), wait, report.

    Expects the caller's key (or database) to hold only this run's tasks, so
    per-status counts of the list endpoint tell when the run has drained.
    """
    report = LoadReport(total=total, rate_per_s=rate_per_s)
    deadline = time.monotonic() + timeout_s
    _submit_paced(http, body, report)
    while _open_count(http, report) > 0:
        if time.monotonic() > deadline:
            report.timed_out = True
            break
        time.sleep(1.0)
    _collect(http, report)
    return report
