"""Spend per model per day, as a query over the rows that record every LLM call.

No separate ledger: candidate rows hold the generation calls (tokens and the
cost priced when they were made), and ``decision_llm_call`` rows hold the
ranking calls (generated inputs, CodeT tests, the judge), priced here from the
price table. Both are written once per task (unique keys), so redelivery never
counts twice, and the figures always agree with what the API shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import DateTime, String, bindparam, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bestofn.llm import cost_usd
from bestofn.models import CandidateRow, DecisionLlmCallRow, DecisionRow, Task
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


class utc_day(FunctionElement[str]):  # noqa: N801 - used like the SQL function it stands for
    """``day_sql`` as an SQLAlchemy expression, for queries built with ``select``."""

    type = String()
    inherit_cache = True


@compiles(utc_day)
def _compile_utc_day(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return day_sql(compiler.dialect.name, compiler.process(element.clauses, **kw))


RANKING_CALLS_SQL = ("SELECT c.task_id, d.created_at, c.model, c.tokens_in, c.tokens_out"
                     " FROM decision_llm_call c JOIN decision d ON d.task_id = c.task_id")
"""One row per ranking LLM call, timed by its decision (for the stats' SQL)."""


def prices_cte(settings: Settings) -> tuple[str, dict[str, Any]]:
    """``prices(model, p_in, p_out)`` (USD per 1M tokens) from the price table, with its parameters."""
    rows = ["(CAST(:pm_ AS VARCHAR), CAST(0 AS FLOAT), CAST(0 AS FLOAT))"]
    params: dict[str, Any] = {"pm_": ""}
    for i, (model, (p_in, p_out)) in enumerate(sorted(settings.price_table.items())):
        rows.append(f"(:pm{i}, :pi{i}, :po{i})")
        params.update({f"pm{i}": model, f"pi{i}": float(p_in), f"po{i}": float(p_out)})
    return f"prices(model, p_in, p_out) AS (VALUES {', '.join(rows)})", params


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
    """Spend since ``since``, grouped by UTC day, model and purpose (ordered so).

    Generation calls count the cost stored on each candidate; ranking calls are priced here
    from the price table, per day and model after summing tokens (the price is linear in them).
    """
    c, t = CandidateRow.__table__.c, Task.__table__.c  # type: ignore[attr-defined]
    gen_day = utc_day(c.created_at)
    gen = (select(gen_day, t.model, func.count(), func.sum(c.tokens_in), func.sum(c.tokens_out), func.sum(c.cost_usd))
           .join_from(CandidateRow, Task, t.id == c.task_id).where(c.created_at >= since).group_by(gen_day, t.model))
    k, d = DecisionLlmCallRow.__table__.c, DecisionRow.__table__.c  # type: ignore[attr-defined]
    rank_day = utc_day(d.created_at)
    rank = (select(rank_day, k.model, func.count(), func.sum(k.tokens_in), func.sum(k.tokens_out))
            .join_from(DecisionLlmCallRow, DecisionRow, d.task_id == k.task_id).where(d.created_at >= since)
            .group_by(rank_day, k.model))
    rows = [SpendRow(str(day), model or "", "generation", int(n), int(t_in or 0), int(t_out or 0), float(usd or 0))
            for day, model, n, t_in, t_out, usd in conn.execute(gen)]
    for day, model, n, t_in, t_out in conn.execute(rank):
        t_in, t_out = int(t_in or 0), int(t_out or 0)
        rows.append(SpendRow(str(day), model or "", "ranking", int(n), t_in, t_out,
                             cost_usd(model or "", t_in, t_out, settings)))
    return sorted(rows, key=lambda r: (r.day, r.model, r.purpose))


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
