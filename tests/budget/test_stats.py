"""/v1/stats figures: Postgres SQL (percentile_cont), the Python fallback, and SQLite, on known rows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bestofn.budget.spend import spend_by_model_day
from bestofn.db import make_engine
from bestofn.migrate import migrate
from bestofn.stats import daily_stats, percentile_cont
from tests.budget.helpers import PRICED, settings
from tests.budget.rows import NOW, RANKING_USD, TODAY, seed

def _check(report) -> None:  # type: ignore[no-untyped-def]
    rows = {(r.day.isoformat(), r.strategy): r for r in report.rows}
    assert set(rows) == {(TODAY.date().isoformat(), "auto"), (TODAY.date().isoformat(), "tests"),
                         ((TODAY - timedelta(days=1)).date().isoformat(), "auto")}
    a = rows[(TODAY.date().isoformat(), "auto")]
    assert (a.tasks, a.finished, a.correct) == (5, 4, 2)
    assert a.accuracy == pytest.approx(0.5)
    assert a.latency_p50_ms == pytest.approx(200.0)  # 50, 100, 300, 1000: halfway between 100 and 300
    assert a.latency_p95_ms == pytest.approx(895.0)  # 300 + 0.85 * 700
    assert a.avg_samples == pytest.approx((1 + 4 + 8 + 2) / 4)
    assert a.cost_usd == pytest.approx(0.15 + RANKING_USD)
    assert a.cost_per_task_usd == pytest.approx((0.15 + RANKING_USD) / 5)
    assert a.cost_per_correct_usd == pytest.approx((0.15 + RANKING_USD) / 2)
    assert a.agreement_rate == pytest.approx(0.5)
    assert (a.revision_rounds, a.revision_candidates, a.revision_tokens) == (2, 2, 2 * 110)
    b = rows[(TODAY.date().isoformat(), "tests")]
    assert (b.tasks, b.correct, b.accuracy, b.latency_p50_ms, b.latency_p95_ms) == (1, 1, 1.0, 200.0, 200.0)
    assert b.agreement_rate is None and (b.revision_rounds, b.revision_candidates, b.revision_tokens) == (0, 0, 0)


def test_stats_sql_on_postgres(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    seed(engine)
    report = daily_stats(engine, settings(tmp_path), days=14, now=NOW)
    assert report.percentiles == "sql"
    _check(report)
    assert daily_stats(engine, settings(tmp_path), days=1, now=NOW).rows[0].day == TODAY.date()
    assert len(daily_stats(engine, settings(tmp_path), days=30, now=NOW).rows) == 4
    engine.dispose()


def test_python_fallback_matches_the_sql(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    seed(engine)
    sql = daily_stats(engine, settings(tmp_path), days=14, now=NOW)
    py = daily_stats(engine, settings(tmp_path), days=14, now=NOW, force_python=True)
    assert py.percentiles == "python"
    assert len(py.rows) == len(sql.rows) == 3
    _same(py.rows, sql.rows)
    engine.dispose()


def _same(a: list, b: list) -> None:  # type: ignore[type-arg]
    for x, y in zip(a, b, strict=True):
        for k, v in x.model_dump().items():
            w = y.model_dump()[k]
            assert (v == pytest.approx(w)) if isinstance(v, float) else (v == w), (k, v, w)


def test_sqlite_embedded_mode_computes_in_python(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    seed(engine)
    report = daily_stats(engine, settings(tmp_path), days=14, now=NOW)
    assert report.percentiles == "python"
    _check(report)
    engine.dispose()


def test_spend_by_model_day_adds_ranking_calls(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    seed(engine)
    with engine.connect() as conn:
        rows = spend_by_model_day(conn, settings(tmp_path), TODAY)
    by = {(r.day, r.purpose): r for r in rows}
    gen = by[(TODAY.date().isoformat(), "generation")]
    assert gen.model == PRICED and gen.calls == 1 + 4 + 8 + 2 + 3
    assert gen.cost_usd == pytest.approx(0.01 + 0.04 + 0.08 + 0.02 + 0.05)
    rank = by[(TODAY.date().isoformat(), "ranking")]
    assert (rank.calls, rank.tokens_in, rank.tokens_out) == (2, 1000, 100)
    assert rank.cost_usd == pytest.approx(RANKING_USD)
    engine.dispose()


@pytest.mark.parametrize("values,q,expected", [
    ([], 0.5, None), ([7.0], 0.95, 7.0), ([1.0, 2.0], 0.5, 1.5), ([50.0, 100.0, 300.0, 1000.0], 0.95, 895.0),
    ([3.0, 1.0, 2.0], 0.0, 1.0), ([3.0, 1.0, 2.0], 1.0, 3.0),
])
def test_percentile_cont_matches_postgres_definition(values: list[float], q: float, expected: float | None) -> None:
    assert percentile_cont(values, q) == (pytest.approx(expected) if expected is not None else None)
