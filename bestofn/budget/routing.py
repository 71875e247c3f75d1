"""Pick a task's tier and fill in what the task left to its tier.

An explicit ``tier`` is taken as given. Without one, the cheapest possible
estimate of difficulty is the first attempt itself: one greedy sample with the
probe tier's settings; if it passes the tests the task ends at N=1 (it was
easy), otherwise the task escalates to the default tier's samples. Fields the
task sets itself (n, temperature, max_tokens, strategy, budget_usd) always win.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bestofn.budget.policy import Policy, Tier
from bestofn.errors import ProblemRejected
from bestofn.revise import REVISING_STRATEGIES
from bestofn.schemas import Problem
from bestofn.settings import Settings
from bestofn.waves import use_early_stop


@dataclass(frozen=True)
class Probe:
    """The greedy first attempt of a task without a tier."""

    tier: str
    temperature: float
    max_tokens: int


@dataclass(frozen=True)
class TaskPlan:
    """What a task will be allowed to spend; the guard may shrink it before it is stored."""

    submitted: Problem
    problem: Problem
    tier: str
    route: str
    n: int
    model: str
    probe: Probe | None
    budget_usd: float
    timeout_s: float
    notes: tuple[str, ...] = ()

    @property
    def max_tokens(self) -> int:
        assert self.problem.max_tokens is not None, "a plan always carries max_tokens"
        return self.problem.max_tokens

    def with_n(self, n: int) -> "TaskPlan":
        """The same plan with ``n`` samples (one sample has no waves, so no probe)."""
        probe = self.probe if n >= 2 else None
        route = "default" if self.route == "probe" and probe is None else self.route
        return replace(self, n=n, probe=probe, route=route)

    def with_note(self, note: str) -> "TaskPlan":
        return replace(self, notes=self.notes + (note,))


def plan_task(problem: Problem, settings: Settings, policy: Policy, tier: str | None = None) -> TaskPlan:
    """The plan for ``problem`` under ``tier`` (default: its own tier, else the routing's)."""
    name = tier or problem.tier or policy.routing.default_tier
    if name not in policy.tiers:
        raise ProblemRejected("tier", f"unknown tier {name!r}; the policy has: {', '.join(policy.tiers)}")
    t = policy.tier(name)
    filled = _fill(problem, t, settings)
    n, notes = _samples(problem, t, settings)
    probe = _probe(problem, filled, n, policy) if problem.tier is None else None
    route = "explicit" if problem.tier else ("probe" if probe else "default")
    budget = problem.budget_usd if problem.budget_usd is not None else _tier_budget(t, policy)
    return TaskPlan(submitted=problem, problem=filled, tier=name, route=route, n=n,
                    model=problem.model or settings.model, probe=probe, budget_usd=budget,
                    timeout_s=t.task_timeout_s or policy.guardrails.task_timeout_s, notes=notes)


def _fill(problem: Problem, t: Tier, settings: Settings) -> Problem:
    """The problem with the tier's values where the task gave none (revision rounds resolved to a number)."""
    given = problem.model_fields_set
    update: dict[str, object] = {}
    if "strategy" not in given:
        update["strategy"] = t.strategy
    if "temperature" not in given:
        update["temperature"] = t.temperature
    if problem.max_tokens is None:
        update["max_tokens"] = t.max_tokens
    strategy = update.get("strategy", problem.strategy)
    for key in ("max_revisions", "revision_share", "reasoning_effort", "max_completion_tokens"):
        if getattr(problem, key) is None and getattr(t, key) is not None and _applies(key, strategy):
            update[key] = getattr(t, key)
    filled = problem.model_copy(update=update)
    if filled.max_revisions is None and filled.strategy == "revise":
        filled = filled.model_copy(update={"max_revisions": settings.default_revisions})
    return filled


def _applies(key: str, strategy: object) -> bool:
    """Whether a tier's value means anything under the task's strategy (a stored problem with rounds under
    'tests', or a split share outside 'auto', would be refused when the worker loads it)."""
    if key == "max_revisions":
        return strategy in REVISING_STRATEGIES
    if key == "revision_share":
        return strategy == "auto"
    return True


def _samples(problem: Problem, t: Tier, settings: Settings) -> tuple[int, tuple[str, ...]]:
    if problem.n is not None:
        return problem.n, ()
    n = t.n or settings.default_n
    if n > settings.max_n:
        return settings.max_n, (f"tier n={n} capped at settings.max_n={settings.max_n}",)
    return n, ()


def _probe(problem: Problem, filled: Problem, n: int, policy: Policy) -> Probe | None:
    """A greedy probe only where waves run: early stop on, tests to judge it, more than one sample."""
    waves = use_early_stop(filled.strategy, problem.n is not None, problem.early_stop)
    if not waves or problem.tests is None or n < 2:
        return None
    p = policy.tier(policy.routing.probe_tier)
    max_tokens = problem.max_tokens if problem.max_tokens is not None else p.max_tokens
    return Probe(tier=policy.routing.probe_tier, temperature=p.temperature, max_tokens=max_tokens)


def _tier_budget(t: Tier, policy: Policy) -> float:
    return t.max_usd_per_task if t.max_usd_per_task is not None else policy.guardrails.max_usd_per_task
