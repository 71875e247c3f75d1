"""Daily figures per strategy: accuracy, latency percentiles, samples, cost, agreement.

On Postgres everything is one SQL query (``percentile_cont``). SQLite, the
embedded default, has no ordered-set aggregates, so there the same per-task
rows are fetched and aggregated in Python with the same linear interpolation;
``StatsReport.percentiles`` says which one ran.

Definitions (per UTC day of submission and strategy): ``finished`` = done or
failed; ``accuracy`` = finished tasks whose winner passed every test / finished;
latency = submission to end; ``avg_samples`` = candidates generated per finished
task; cost = generation plus ranking LLM calls; ``agreement_rate`` = mean of the
decisions' agreement rate (self-consistency), over tasks that have one; ``revision_rounds``,
``revision_candidates`` and ``revision_tokens`` = rounds run (each task's last round), the
candidates revision rounds made, and their tokens (already inside samples and cost).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection, Engine

from bestofn.budget.spend import RANKING_CALLS_SQL, day_sql, prices_cte, utc_day_start
from bestofn.settings import Settings


class StatsRow(BaseModel):
    day: date
    strategy: str
    tasks: int
    finished: int
    correct: int
    accuracy: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    avg_samples: float | None
    cost_usd: float
    cost_per_task_usd: float | None
    cost_per_correct_usd: float | None
    agreement_rate: float | None
    revision_rounds: int = 0  # revision rounds run (each task's last round, summed)
    revision_candidates: int = 0  # candidates made by a revision round
    revision_tokens: int = 0  # tokens (in + out) of those candidates, inside cost_usd


class StatsReport(BaseModel):
    days: int
    since: datetime
    percentiles: Literal["sql", "python"]
    rows: list[StatsRow]


def per_task_sql(dialect: str, prices: str, one_key: bool = False) -> str:
    """One row per task since :since with its day, outcome, latency, samples, total cost, agreement
    (only the tasks of API key :key when ``one_key``)."""
    return (
        f"WITH {prices}, ranking AS ("
        " SELECT r.task_id, SUM((r.tokens_in * COALESCE(p.p_in, 0) + r.tokens_out * COALESCE(p.p_out, 0))"
        " / 1000000.0) AS cost_usd"
        f" FROM ({RANKING_CALLS_SQL}) r LEFT JOIN prices p ON p.model = r.model"
        " WHERE r.created_at >= :since GROUP BY r.task_id),"
        " per_task AS ("
        f" SELECT {day_sql(dialect, 't.created_at')} AS day, t.strategy AS strategy,"
        " CASE WHEN t.status IN ('done', 'failed') THEN 1 ELSE 0 END AS finished,"
        " CASE WHEN e.all_passed THEN 1 ELSE 0 END AS correct, t.latency_ms AS latency_ms,"
        " (SELECT count(*) FROM candidate c WHERE c.task_id = t.id) AS samples,"
        " (SELECT COALESCE(MAX(c.round), 0) FROM candidate c WHERE c.task_id = t.id) AS rounds,"
        " (SELECT count(*) FROM candidate c WHERE c.task_id = t.id AND c.round >= 1) AS revisions,"
        " (SELECT COALESCE(SUM(c.tokens_in + c.tokens_out), 0) FROM candidate c"
        " WHERE c.task_id = t.id AND c.round >= 1) AS revision_tokens,"
        " t.cost_usd + COALESCE(rk.cost_usd, 0) AS cost_usd, d.agreement_rate AS agreement_rate"
        " FROM task t"
        " LEFT JOIN decision d ON d.task_id = t.id"
        " LEFT JOIN execution e ON e.task_id = t.id AND e.candidate_index = d.winner_index"
        " LEFT JOIN ranking rk ON rk.task_id = t.id"
        " WHERE t.created_at >= :since" + (" AND t.api_key_id = :key)" if one_key else ")")
    )


AGGREGATE_PG = (
    " SELECT day, strategy, count(*) AS tasks, SUM(finished) AS finished, SUM(correct) AS correct,"
    " percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,"
    " percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,"
    " AVG(CASE WHEN finished = 1 THEN samples END) AS avg_samples,"
    " SUM(cost_usd) AS cost_usd, AVG(agreement_rate) AS agreement_rate,"
    " SUM(rounds) AS rounds, SUM(revisions) AS revisions, SUM(revision_tokens) AS revision_tokens"
    " FROM per_task GROUP BY day, strategy ORDER BY day, strategy"
)


def daily_stats(engine: Engine, settings: Settings, days: int = 14, now: datetime | None = None,
                force_python: bool = False, api_key_id: str | None = None) -> StatsReport:
    """Stats for the last ``days`` UTC days (today included): every task, or only ``api_key_id``'s."""
    since = utc_day_start(now) - timedelta(days=days - 1)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql" and not force_python:
            rows, how = _sql_rows(conn, settings, since, api_key_id), "sql"
        else:
            rows, how = _python_rows(conn, settings, since, api_key_id), "python"
    return StatsReport(days=days, since=since, percentiles=how, rows=rows)  # type: ignore[arg-type]


def _query(conn: Connection, settings: Settings, since: datetime, tail: str, key: str | None) -> list[Any]:
    prices, params = prices_cte(settings)
    if key is not None:
        params["key"] = key
    stmt = text(per_task_sql(conn.dialect.name, prices, one_key=key is not None) + tail).bindparams(
        bindparam("since", since, type_=DateTime(timezone=True)))
    return list(conn.execute(stmt, params).all())


def _sql_rows(conn: Connection, settings: Settings, since: datetime, key: str | None) -> list[StatsRow]:
    out = []
    for r in _query(conn, settings, since, AGGREGATE_PG, key):
        out.append(_row(r.day, r.strategy, r.tasks, r.finished, r.correct, r.p50, r.p95, r.avg_samples,
                        r.cost_usd, r.agreement_rate, (r.rounds, r.revisions, r.revision_tokens)))
    return out


def _python_rows(conn: Connection, settings: Settings, since: datetime, key: str | None) -> list[StatsRow]:
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in _query(conn, settings, since, " SELECT * FROM per_task", key):
        groups[(str(r.day), r.strategy)].append(r)
    out = []
    for (day, strategy), rs in sorted(groups.items()):
        lat = [float(r.latency_ms) for r in rs if r.latency_ms is not None]
        fin = [r for r in rs if r.finished]
        agree = [float(r.agreement_rate) for r in rs if r.agreement_rate is not None]
        out.append(_row(day, strategy, len(rs), len(fin), sum(r.correct for r in rs),
                        percentile_cont(lat, 0.5), percentile_cont(lat, 0.95),
                        sum(r.samples for r in fin) / len(fin) if fin else None,
                        sum(float(r.cost_usd) for r in rs), sum(agree) / len(agree) if agree else None,
                        (sum(r.rounds for r in rs), sum(r.revisions for r in rs), sum(r.revision_tokens for r in rs))))
    return out


def _row(day: Any, strategy: str, tasks: int, finished: Any, correct: Any, p50: Any, p95: Any, avg_samples: Any,
         cost: Any, agreement: Any, revisions: tuple[Any, Any, Any] = (0, 0, 0)) -> StatsRow:
    """One row; ``revisions`` is (rounds run, revision candidates, their tokens)."""
    finished, correct, cost = int(finished or 0), int(correct or 0), float(cost or 0.0)
    rounds, revised, revision_tokens = (int(x or 0) for x in revisions)
    return StatsRow(
        day=date.fromisoformat(str(day)), strategy=strategy, tasks=int(tasks), finished=finished, correct=correct,
        accuracy=correct / finished if finished else None,
        latency_p50_ms=_f(p50), latency_p95_ms=_f(p95), avg_samples=_f(avg_samples),
        cost_usd=cost, cost_per_task_usd=cost / tasks if tasks else None,
        cost_per_correct_usd=cost / correct if correct else None, agreement_rate=_f(agreement),
        revision_rounds=rounds, revision_candidates=revised, revision_tokens=revision_tokens,
    )


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def percentile_cont(values: list[float], q: float) -> float | None:
    """Postgres' ``percentile_cont``: linear interpolation between the closest ranks; None when empty."""
    if not values:
        return None
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
