"""Prometheus metrics, derived from the database at scrape time.

Why not in-process counters: tasks run in Celery workers, other processes on
other hosts that serve no HTTP, so counters kept in a worker are invisible to
the API's ``/metrics`` and lost when the worker restarts. Prometheus'
multiprocess mode only shares files between processes of one host. The rows
in Postgres already record every candidate, execution, token and decision, so a
collector that aggregates them at scrape time is exact across any number of
workers and survives restarts (a counter only goes down if rows are deleted,
which Prometheus reads as a reset). The two facts that leave no row, admissions
refused and alerts raised by the budget, happen in the API process itself and
are ordinary in-process counters there (each API process is its own target), kept in
``bestofn.budget.counters`` so the budget need not import this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection, Engine

from bestofn.budget.counters import BUDGET_ALERTS, BUDGET_REFUSALS
from bestofn.budget.models import TaskBudget
from bestofn.budget.policy import PolicyError, load_policy
from bestofn.budget.spend import daily_position, spend_by_model_day
from bestofn.models import CandidateRow, ExecutionRow, Task
from bestofn.settings import Settings

log = logging.getLogger("bestofn.metrics")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
GENERATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
EXECUTION_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
TASK_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


class DatabaseCollector(Collector):
    """Every task, candidate, execution and spend metric, aggregated in SQL per scrape."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings

    def describe(self) -> Iterable[Metric]:
        return []  # no query at registration

    def collect(self) -> Iterator[Metric]:
        with self.engine.connect() as conn:
            yield _tasks(conn)
            yield from _candidates(conn)
            yield _histogram(conn, "bestofn_generation_latency_seconds", "LLM latency per candidate.",
                             CandidateRow.latency_ms, GENERATION_BUCKETS)
            yield _histogram(conn, "bestofn_execution_runtime_seconds", "Test run time per executed candidate.",
                             ExecutionRow.runtime_ms, EXECUTION_BUCKETS)
            yield _histogram(conn, "bestofn_task_latency_seconds", "Submission to end, per finished task.",
                             Task.latency_ms, TASK_BUCKETS)
            yield from _spend(conn, self.settings)
            yield from _early_stop(conn)
            yield from _budget(conn, self.settings)


def _tasks(conn: Connection) -> Metric:
    fam = GaugeMetricFamily("bestofn_tasks", "Tasks by status and strategy.", labels=["status", "strategy"])
    for status, strategy, n in conn.execute(select(Task.status, Task.strategy, func.count()).group_by(Task.status, Task.strategy)):
        fam.add_metric([status, strategy], n)
    return fam


def _candidates(conn: Connection) -> Iterator[Metric]:
    gen = CounterMetricFamily("bestofn_candidates_generated", "Candidates generated, by model and whether they hold code.",
                              labels=["model", "outcome"])
    outcome = case((CandidateRow.error.is_(None), "code"), else_="error")
    rows = conn.execute(select(Task.model, outcome, func.count()).join(Task, Task.id == CandidateRow.task_id)
                        .group_by(Task.model, outcome))
    for model, kind, n in rows:
        gen.add_metric([model, kind], n)
    yield gen
    ran = CounterMetricFamily("bestofn_candidates_executed", "Sandbox outcomes: passed, failed, error, timeout, oom, "
                              "syntax_error, compile_error.", labels=["status"])
    for status, n in conn.execute(select(ExecutionRow.status, func.count()).group_by(ExecutionRow.status)):
        ran.add_metric([status], n)
    yield ran


def _histogram(conn: Connection, name: str, doc: str, column_ms: Any, buckets: tuple[float, ...]) -> Metric:
    """A histogram from stored milliseconds: one aggregate query, cumulative buckets in seconds."""
    cols = [func.count(column_ms), func.coalesce(func.sum(column_ms), 0.0)]
    cols += [func.coalesce(func.sum(case((column_ms <= b * 1000, 1), else_=0)), 0) for b in buckets]
    row = conn.execute(select(*cols).where(column_ms.is_not(None))).one()
    count, total, counts = int(row[0]), float(row[1]) / 1000, [int(c) for c in row[2:]]
    pairs = [(_le(b), c) for b, c in zip(buckets, counts)] + [("+Inf", count)]
    return HistogramMetricFamily(name, doc, buckets=pairs, sum_value=total)


def _le(bound: float) -> str:
    return str(float(bound))


def _spend(conn: Connection, settings: Settings) -> Iterator[Metric]:
    tokens = CounterMetricFamily("bestofn_llm_tokens", "Tokens the LLM served, by model, purpose and direction.",
                                 labels=["model", "purpose", "direction"])
    cost = CounterMetricFamily("bestofn_llm_cost_usd", "Spend in USD from the price table, by model and purpose.",
                               labels=["model", "purpose"])
    totals: dict[tuple[str, str], list[float]] = {}
    for r in spend_by_model_day(conn, settings, EPOCH):
        acc = totals.setdefault((r.model, r.purpose), [0, 0, 0.0])
        acc[0] += r.tokens_in
        acc[1] += r.tokens_out
        acc[2] += r.cost_usd
    for (model, purpose), (t_in, t_out, usd) in sorted(totals.items()):
        tokens.add_metric([model, purpose, "in"], t_in)
        tokens.add_metric([model, purpose, "out"], t_out)
        cost.add_metric([model, purpose], usd)
    yield tokens
    yield cost


def _early_stop(conn: Connection) -> Iterator[Metric]:
    stopped, skipped = conn.execute(
        select(func.count(), func.coalesce(func.sum(Task.candidates_skipped), 0)).where(Task.early_stopped.is_(True))
    ).one()
    saved = conn.execute(select(func.coalesce(func.sum(TaskBudget.saved_usd), 0.0))).scalar_one()
    yield CounterMetricFamily("bestofn_early_stop_tasks", "Tasks that stopped before their last wave.", value=stopped)
    yield CounterMetricFamily("bestofn_early_stop_candidates_skipped", "Candidates early stop did not generate.",
                              value=skipped)
    yield CounterMetricFamily("bestofn_early_stop_saved_usd", "Estimated USD early stop saved.", value=float(saved))


def _budget(conn: Connection, settings: Settings) -> Iterator[Metric]:
    downgrades = conn.execute(select(func.count()).where(TaskBudget.downgrade.is_not(None))).scalar_one()
    yield CounterMetricFamily("bestofn_budget_downgrades", "Tasks admitted with fewer samples or a cheaper tier.",
                              value=downgrades)
    try:
        g = load_policy(settings).guardrails
    except PolicyError as exc:
        log.error("budget metrics skipped: %s", exc)
        return
    spent, reserved = daily_position(conn, settings)
    yield GaugeMetricFamily("bestofn_budget_daily_usd", "guardrails.daily_budget_usd.", value=g.daily_budget_usd)
    yield GaugeMetricFamily("bestofn_budget_spent_today_usd", "Spent since 00:00 UTC.", value=spent)
    yield GaugeMetricFamily("bestofn_budget_reserved_usd", "Worst case still held by unfinished tasks.", value=reserved)
    past = spent + reserved >= g.alert_threshold * g.daily_budget_usd
    yield GaugeMetricFamily("bestofn_budget_alert", "1 when spent plus reserved is past the alert threshold.",
                            value=1.0 if past else 0.0)


class QueueCollector(Collector):
    """Messages waiting in the Celery queue: kombu's Redis list for it, plus one per priority step."""

    def __init__(self, redis_url: str, queue: str) -> None:
        self.redis_url, self.queue = redis_url, queue

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        import redis
        from kombu.transport.redis import PRIORITY_STEPS, Channel

        keys = [self.queue] + [f"{self.queue}{Channel.sep}{step}" for step in PRIORITY_STEPS if step]
        try:
            with redis.Redis.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2) as client:
                depth = sum(client.llen(k) for k in keys)
        except redis.RedisError as exc:
            log.warning("queue depth unavailable: %s", exc.__class__.__name__)
            return
        fam = GaugeMetricFamily("bestofn_queue_depth", "Tasks waiting in the broker queue.", labels=["queue"])
        fam.add_metric([self.queue], depth)
        yield fam


def render_metrics(engine: Engine, settings: Settings) -> bytes:
    """The exposition text for one scrape."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(engine, settings))
    if settings.redis_url:
        registry.register(QueueCollector(settings.redis_url, settings.celery_queue))
    registry.register(BUDGET_REFUSALS)
    registry.register(BUDGET_ALERTS)
    return generate_latest(registry)
