"""Spend per model per day, as a query over the rows that record every LLM call.

No separate ledger: candidate rows hold the generation calls (tokens and the
cost priced when they were made), and ``decision.details["llm_calls"]`` holds the
ranking calls (generated inputs, CodeT tests, the judge), priced here from the
price table. Both are written once per task (unique keys), so redelivery never
counts twice, and the figures always agree with what the API shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection

from bestofn.settings import Settings

TERMINAL = "('done', 'failed', 'cancelled')"


def utc_day_start(now: datetime | None = None) -> datetime:
    """Midnight UTC of ``now``'s day: daily budgets and stats use UTC days."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def day_sql(dialect: str, column: str) -> str:
    """SQL for the UTC day of a timestamp column, as 'YYYY-MM-DD' text on both databases."""
    if dialect == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    return f"date({column})"


def ranking_calls_sql(dialect: str) -> str:
    """One row per ranking LLM call: task_id, created_at, model, tokens_in, tokens_out."""
    if dialect == "postgresql":
        return ("SELECT d.task_id, d.created_at, c->>'model' AS model,"
                " COALESCE((c->>'tokens_in')::bigint, 0) AS tokens_in,"
                " COALESCE((c->>'tokens_out')::bigint, 0) AS tokens_out"
                " FROM decision d CROSS JOIN LATERAL json_array_elements(d.details -> 'llm_calls') AS c")
    return ("SELECT d.task_id, d.created_at, json_extract(c.value, '$.model') AS model,"
            " COALESCE(json_extract(c.value, '$.tokens_in'), 0) AS tokens_in,"
            " COALESCE(json_extract(c.value, '$.tokens_out'), 0) AS tokens_out"
            " FROM decision d, json_each(d.details, '$.llm_calls') AS c")


def prices_cte(settings: Settings) -> tuple[str, dict[str, Any]]:
    """``prices(model, p_in, p_out)`` (USD per 1M tokens) from the price table, with its parameters."""
    rows = ["(CAST(:pm_ AS VARCHAR), CAST(0 AS FLOAT), CAST(0 AS FLOAT))"]
    params: dict[str, Any] = {"pm_": ""}
    for i, (model, (p_in, p_out)) in enumerate(sorted(settings.price_table.items())):
        rows.append(f"(:pm{i}, :pi{i}, :po{i})")
        params.update({f"pm{i}": model, f"pi{i}": float(p_in), f"po{i}": float(p_out)})
    return f"prices(model, p_in, p_out) AS (VALUES {', '.join(rows)})", params


def usage_sql(dialect: str, prices: str) -> str:
    """Every priced LLM call: generation (candidate rows) and ranking (decision details)."""
    return (
        f"WITH {prices}, llm_usage AS ("
        " SELECT t.model AS model, 'generation' AS purpose, c.created_at AS at_ts,"
        " c.tokens_in AS tokens_in, c.tokens_out AS tokens_out, c.cost_usd AS cost_usd"
        " FROM candidate c JOIN task t ON t.id = c.task_id"
        " UNION ALL"
        " SELECT r.model, 'ranking', r.created_at, r.tokens_in, r.tokens_out,"
        " (r.tokens_in * COALESCE(p.p_in, 0) + r.tokens_out * COALESCE(p.p_out, 0)) / 1000000.0"
        f" FROM ({ranking_calls_sql(dialect)}) r LEFT JOIN prices p ON p.model = r.model)"
    )


@dataclass(frozen=True)
class SpendRow:
    """What one model cost on one UTC day for one purpose (generation or ranking)."""

    day: str
    model: str
    purpose: str
    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: float


def _since(value: datetime) -> Any:
    return bindparam("since", value, type_=DateTime(timezone=True))


def spend_by_model_day(conn: Connection, settings: Settings, since: datetime) -> list[SpendRow]:
    """Spend since ``since``, grouped by UTC day, model and purpose."""
    dialect = conn.dialect.name
    prices, params = prices_cte(settings)
    sql = (f"{usage_sql(dialect, prices)} SELECT {day_sql(dialect, 'at_ts')} AS day, model, purpose, count(*),"
           " COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0), COALESCE(SUM(cost_usd), 0)"
           " FROM llm_usage WHERE at_ts >= :since GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    rows = conn.execute(text(sql).bindparams(_since(since)), params).all()
    return [SpendRow(str(r[0]), r[1] or "", r[2], int(r[3]), int(r[4]), int(r[5]), float(r[6])) for r in rows]


def spent_since(conn: Connection, settings: Settings, since: datetime) -> float:
    """Total USD of every LLM call since ``since``."""
    return sum(r.cost_usd for r in spend_by_model_day(conn, settings, since))


def reserved_outstanding(conn: Connection, since: datetime) -> float:
    """Worst-case cost still held by unfinished tasks created since ``since`` (reserved minus spent so far).

    Counting it keeps concurrent tasks from each seeing the whole remaining
    budget; ``since`` bounds it so a task whose worker vanished stops holding
    budget after a day.
    """
    sql = ("SELECT COALESCE(SUM(CASE WHEN b.reserved_usd > t.cost_usd THEN b.reserved_usd - t.cost_usd ELSE 0 END), 0)"
           f" FROM task_budget b JOIN task t ON t.id = b.task_id WHERE t.status NOT IN {TERMINAL}"
           " AND t.created_at >= :since")
    return float(conn.execute(text(sql).bindparams(_since(since))).scalar_one())


def eval_spent_since(conn: Connection, since: datetime) -> float:
    """USD of generate-mode evaluations' samples, counted on the UTC day their run was created.

    Sample rows have no generation time, so a run spanning midnight counts on its first day.
    """
    sql = ("SELECT COALESCE(SUM(s.cost_usd), 0) FROM eval_sample s JOIN eval_run r ON r.id = s.run_id"
           " WHERE r.created_at >= :since")
    return float(conn.execute(text(sql).bindparams(_since(since))).scalar_one())


def eval_reserved_outstanding(conn: Connection, since: datetime) -> float:
    """Worst-case cost still held by unfinished evaluation runs created since ``since`` (reserved minus spent)."""
    sql = ("SELECT COALESCE(SUM(CASE WHEN x.reserved > x.spent THEN x.reserved - x.spent ELSE 0 END), 0) FROM ("
           " SELECT r.reserved_usd AS reserved,"
           " (SELECT COALESCE(SUM(s.cost_usd), 0) FROM eval_sample s WHERE s.run_id = r.id) AS spent"
           " FROM eval_run r WHERE r.status NOT IN ('done', 'failed') AND r.reserved_usd > 0"
           " AND r.created_at >= :since) x")
    return float(conn.execute(text(sql).bindparams(_since(since))).scalar_one())


def daily_position(conn: Connection, settings: Settings, now: datetime | None = None) -> tuple[float, float]:
    """(spent today, reserved by unfinished work) in USD, UTC day: tasks and evaluations alike."""
    now = now or datetime.now(timezone.utc)
    day, held_since = utc_day_start(now), now - timedelta(days=1)
    spent = spent_since(conn, settings, day) + eval_spent_since(conn, day)
    return spent, reserved_outstanding(conn, held_since) + eval_reserved_outstanding(conn, held_since)
