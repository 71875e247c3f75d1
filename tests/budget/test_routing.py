"""Routing: an explicit tier is taken; otherwise a greedy probe, then escalation; the task's own fields win."""

from __future__ import annotations

from pathlib import Path

import pytest

from bestofn.budget.models import TaskBudget
from bestofn.budget.routing import plan_task
from bestofn.budget.runtime import BudgetRun, saved_usd
from bestofn.errors import ProblemRejected
from bestofn.schemas import Candidate
from bestofn.budget.policy import parse_policy
from tests.budget.helpers import policy, policy_text, problem, settings


def test_no_tier_probes_greedy_then_escalates_to_default_tier(tmp_path: Path) -> None:
    s = settings(tmp_path)
    plan = plan_task(problem(), s, policy())
    assert plan.route == "probe" and plan.tier == "standard"
    assert plan.n == s.default_n
    assert plan.probe is not None and plan.probe.tier == "easy" and plan.probe.temperature == 0.0
    assert plan.problem.temperature == 0.8 and plan.max_tokens == 512 and plan.problem.strategy == "auto"
    assert plan.budget_usd == 1.0 and plan.timeout_s == 900


def test_explicit_tier_takes_its_values_and_does_not_probe(tmp_path: Path) -> None:
    plan = plan_task(problem(tier="hard"), settings(tmp_path), policy())
    assert plan.route == "explicit" and plan.probe is None
    assert (plan.n, plan.problem.temperature, plan.max_tokens, plan.budget_usd) == (16, 0.9, 1024, 2.0)


def test_fields_the_task_sets_win_over_its_tier(tmp_path: Path) -> None:
    plan = plan_task(problem(tier="hard", n=3, temperature=0.3, max_tokens=200, strategy="tests", budget_usd=0.5),
                     settings(tmp_path), policy())
    assert (plan.n, plan.problem.temperature, plan.max_tokens, plan.problem.strategy) == (3, 0.3, 200, "tests")
    assert plan.budget_usd == 0.5


def test_no_probe_without_waves(tmp_path: Path) -> None:
    s, pol = settings(tmp_path), policy()
    assert plan_task(problem(n=4), s, pol).route == "default"  # explicit n: exactly n, one wave
    assert plan_task(problem(tests=None), s, pol).probe is None  # nothing to judge the probe by
    assert plan_task(problem(early_stop=False), s, pol).probe is None
    assert plan_task(problem(strategy="judge"), s, pol).probe is None  # waves by default only under auto


def test_unknown_tier_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ProblemRejected) as info:
        plan_task(problem(tier="platinum"), settings(tmp_path), policy())
    assert info.value.field == "tier" and "easy, standard, hard" in info.value.message


def test_tier_n_is_capped_by_max_n_and_says_so(tmp_path: Path) -> None:
    plan = plan_task(problem(tier="hard"), settings(tmp_path, max_n=10), policy())
    assert plan.n == 10 and "capped" in plan.notes[0]


def test_one_sample_has_no_probe(tmp_path: Path) -> None:
    assert plan_task(problem(), settings(tmp_path, default_n=1), policy()).probe is None
    plan = plan_task(problem(), settings(tmp_path), policy())
    one = plan.with_n(1)
    assert one.probe is None and one.route == "default"
    assert plan.with_n(2).probe == plan.probe and plan.with_n(2).route == "probe"


def test_sampling_per_wave_follows_the_stored_plan() -> None:
    row = TaskBudget(task_id="t", tier="standard", route="probe", probe_tier="easy", probe_temperature=0.0,
                     probe_max_tokens=256, max_tokens=512, timeout_s=60, budget_usd=1, reserved_usd=0.1,
                     reserved_tokens=100)
    run = BudgetRun(task_id="t", row=row, started=0.0)
    assert run.sampling(0, 3) == {"temperature": 0.0, "max_tokens": 256}
    assert run.sampling(1, 3) == {"temperature": None, "max_tokens": None}  # the problem's (tier-filled) values
    assert run.sampling(0, 1) == {"temperature": None, "max_tokens": None}  # a single wave is no probe
    legacy = BudgetRun(task_id="t", row=None, started=0.0)
    assert legacy.sampling(0, 3) == {"temperature": None, "max_tokens": None}
    assert legacy.out_of_time() is False


def test_saved_usd_is_skipped_times_mean_cost() -> None:
    cands = [Candidate(index=0, tokens_in=10, tokens_out=5, cost_usd=0.02),
             Candidate(index=1, tokens_in=10, tokens_out=7, cost_usd=0.04)]
    assert saved_usd(cands, 6) == pytest.approx(6 * 0.03)
    assert saved_usd(cands, 0) == 0.0
    assert saved_usd([Candidate(index=0, error="llm_error: HTTP 500")], 7) == 0.0


def test_tier_fills_revision_rounds_and_reasoning_knobs_the_task_left_open(tmp_path: Path) -> None:
    text = policy_text().replace("[tiers.hard]\n", '[tiers.hard]\nmax_revisions = 3\nreasoning_effort = "high"\n'
                                                   "max_completion_tokens = 4096\n")
    s = settings(tmp_path, text)
    pol = parse_policy(text, "test.toml")
    filled = plan_task(problem(tier="hard", strategy="revise"), s, pol).problem
    assert (filled.max_revisions, filled.reasoning_effort, filled.max_completion_tokens) == (3, "high", 4096)
    own = plan_task(problem(tier="hard", strategy="revise", max_revisions=1, reasoning_effort="low"), s, pol).problem
    assert (own.max_revisions, own.reasoning_effort) == (1, "low")
    default = plan_task(problem(strategy="revise"), s, policy()).problem
    assert default.max_revisions == s.default_revisions and default.reasoning_effort is None


def test_tier_rounds_and_share_are_filled_only_where_the_strategy_uses_them(tmp_path: Path) -> None:
    """A stored problem with rounds under 'tests' (or a share outside 'auto') would be refused by the worker."""
    text = policy_text().replace("[tiers.hard]\n", "[tiers.hard]\nmax_revisions = 3\nrevision_share = 0.25\n")
    s, pol = settings(tmp_path, text), parse_policy(text, "test.toml")
    auto = plan_task(problem(tier="hard", strategy="auto"), s, pol).problem
    assert (auto.max_revisions, auto.revision_share) == (3, 0.25)
    tests = plan_task(problem(tier="hard", strategy="tests"), s, pol).problem
    assert (tests.max_revisions, tests.revision_share) == (None, None)
    revise = plan_task(problem(tier="hard", strategy="revise"), s, pol).problem
    assert (revise.max_revisions, revise.revision_share) == (3, None)
    type(tests).model_validate(tests.model_dump(mode="json"))  # what the worker does with the stored JSON
