"""The pre-spend guard: worst case against the per-task budget, today's room and the token cap."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bestofn.budget.guard import Room, fit, prompt_tokens, ranking_tokens, revision_tokens, worst_case
from bestofn.budget.routing import TaskPlan, plan_task
from bestofn.errors import ProblemRejected
from bestofn.schemas import Problem
from bestofn.settings import Settings
from tests.budget.helpers import PRICED, PRICES, policy, problem, settings
from tests.pipeline import problems as P

PLENTY = Room(daily_left_usd=1e9)


def _problem(**kw: object) -> Problem:
    return problem(**{"strategy": "tests", **kw})


def _sample_usd(plan: TaskPlan, max_tokens: int) -> float:
    p_in, p_out = PRICES[PRICED]
    return (prompt_tokens(plan.problem, 3.0) * p_in + max_tokens * p_out) / 1e6


def test_worst_case_is_every_sample_at_full_length(tmp_path: Path) -> None:
    s, pol = settings(tmp_path), policy()
    plan = plan_task(_problem(), s, pol)  # tests strategy: no waves, no ranking calls
    est = worst_case(plan, s, pol)
    prompt = prompt_tokens(plan.problem, 3.0)
    assert prompt >= math.ceil(len(P.PROMPT) / 3.0)  # the prompt plus the system message, 3 chars a token
    assert est.tokens_in == 8 * prompt
    assert est.tokens_out == 512 + 7 * 512
    assert est.usd == pytest.approx((est.tokens_in * 10.0 + est.tokens_out * 30.0) / 1e6)


def test_worst_case_counts_revision_rounds_and_max_completion_tokens(tmp_path: Path) -> None:
    s, pol = settings(tmp_path), policy()
    plain = worst_case(plan_task(_problem(strategy="revise", n=1, max_revisions=0), s, pol), s, pol)
    plan = plan_task(_problem(strategy="revise", n=1, max_revisions=3), s, pol)
    revised = worst_case(plan, s, pol)
    r_in, r_out = revision_tokens(plan, prompt_tokens(plan.problem, 3.0), 512, s, 3.0)
    assert r_out == 3 * 512 and r_in > 3 * (prompt_tokens(plan.problem, 3.0) + 512)  # code and feedback resent
    assert (revised.tokens_in, revised.tokens_out) == (plain.tokens_in + r_in, plain.tokens_out + r_out)
    longer = worst_case(plan_task(_problem(n=2, max_completion_tokens=2000), s, pol), s, pol)
    assert longer.tokens_out == 2 * 2000


def test_worst_case_reserves_ranking_calls_for_llm_strategies(tmp_path: Path) -> None:
    s, pol = settings(tmp_path), policy()
    by_tests = worst_case(plan_task(_problem(), s, pol), s, pol)
    auto_plan = plan_task(_problem(strategy="auto"), s, pol)
    auto = worst_case(auto_plan, s, pol)
    r_in, r_out = ranking_tokens(auto_plan, prompt_tokens(auto_plan.problem, 3.0), s, 3.0)
    assert r_out == 512 + 2 * s.judge_max_tokens and r_in > 0
    assert auto.tokens == by_tests.tokens + r_in + r_out
    assert ranking_tokens(plan_task(_problem(strategy="auto", n=1), s, pol), 10, s, 3.0) == (0, 0)


def test_unpriced_model_costs_nothing_but_tokens_still_count(tmp_path: Path) -> None:
    s, pol = settings(tmp_path, model="free-model"), policy()
    plan = plan_task(_problem(budget_usd=0), s, pol)
    fitted, est = fit(plan, Room(daily_left_usd=0), pol, s, "p.toml")
    assert est.usd == 0 and fitted is plan


def test_fits_unchanged_when_within_limits(tmp_path: Path) -> None:
    s, pol = settings(tmp_path), policy()
    plan = plan_task(_problem(), s, pol)
    fitted, _ = fit(plan, PLENTY, pol, s, "p.toml")
    assert fitted is plan and not fitted.notes


def test_refuse_policy_names_budget_usd(tmp_path: Path) -> None:
    s, pol = settings(tmp_path), policy(on_over_budget='on_over_budget = "refuse"')
    plan = plan_task(_problem(budget_usd=0.05), s, pol)
    with pytest.raises(ProblemRejected) as info:
        fit(plan, PLENTY, pol, s, "p.toml")
    assert info.value.field == "budget_usd"
    assert "over the task's budget $0.050000" in info.value.message


def test_downgrade_takes_fewer_samples_first(tmp_path: Path) -> None:
    s, pol = settings(tmp_path), policy()
    plan = plan_task(_problem(), s, pol)
    one = _sample_usd(plan, 512)
    fitted, est = fit(plan_task(_problem(budget_usd=3.5 * one), s, pol), PLENTY, pol, s, "p.toml")
    assert (fitted.tier, fitted.n) == ("standard", 3)
    assert est.usd <= 3.5 * one
    assert fitted.notes and fitted.notes[-1].startswith("downgraded from tier 'standard' n=8 to tier 'standard' n=3")
    assert "budget" in fitted.notes[-1]


def test_downgrade_moves_to_a_cheaper_tier_when_one_sample_is_too_dear(tmp_path: Path) -> None:
    s, pol = settings(tmp_path), policy()
    hard = plan_task(_problem(tier="hard"), s, pol)
    std = _sample_usd(hard, 512)
    assert _sample_usd(hard, 1024) > 1.5 * std  # one hard sample does not fit, one standard sample does
    fitted, _ = fit(plan_task(_problem(tier="hard", budget_usd=1.5 * std), s, pol), PLENTY, pol, s, "p.toml")
    assert (fitted.tier, fitted.n, fitted.max_tokens) == ("standard", 1, 512)  # of equal cost, the larger tier
    assert "from tier 'hard' n=16 to tier 'standard' n=1" in fitted.notes[-1]


def test_daily_room_refuses_with_the_policy_file_named(tmp_path: Path) -> None:
    s, pol = settings(tmp_path), policy()
    plan = plan_task(_problem(), s, pol)
    with pytest.raises(ProblemRejected) as info:
        fit(plan, Room(daily_left_usd=0.01), pol, s, "/srv/policy.toml")
    assert info.value.field == "budget_usd"
    assert "today's guardrails.daily_budget_usd=$25.00 (/srv/policy.toml)" in info.value.message
    assert "even the smallest downgrade" in info.value.message


def test_daily_room_downgrades_to_what_is_left(tmp_path: Path) -> None:
    s, pol = settings(tmp_path), policy()
    plan = plan_task(_problem(), s, pol)
    fitted, est = fit(plan, Room(daily_left_usd=2.2 * _sample_usd(plan, 512)), pol, s, "p.toml")
    assert fitted.n == 2 and "today's" in fitted.notes[-1]


def test_token_cap_downgrades_then_refuses_naming_max_tokens(tmp_path: Path) -> None:
    s = settings(tmp_path)
    plan0 = plan_task(_problem(), s, policy())
    per_sample = prompt_tokens(plan0.problem, 3.0) + 512
    pol = policy(max_tokens_per_task=f"max_tokens_per_task = {2 * per_sample + 10}")
    fitted, est = fit(plan_task(_problem(), s, pol), PLENTY, pol, s, "p.toml")
    assert fitted.n == 2 and est.tokens <= 2 * per_sample + 10
    tiny = policy(max_tokens_per_task="max_tokens_per_task = 50")
    with pytest.raises(ProblemRejected) as info:
        fit(plan_task(_problem(), s, tiny), PLENTY, tiny, s, "p.toml")
    assert info.value.field == "max_tokens" and "guardrails.max_tokens_per_task=50" in info.value.message


def test_settings_price_table_is_what_prices(tmp_path: Path) -> None:
    cheap = Settings(price_table={PRICED: (1.0, 1.0)}, model=PRICED, policy_file=None)
    dear = settings(tmp_path)
    pol = policy()
    assert worst_case(plan_task(_problem(), cheap, pol), cheap, pol).usd < worst_case(
        plan_task(_problem(), dear, pol), dear, pol).usd
