"""The pre-spend guard: a task's worst case must fit its limits before any token is bought.

Worst case = every sample using its full ``max_tokens`` (``max_completion_tokens`` when set),
every revision round with the longest prompt it can have (the problem, a full reply, the
feedback) and a full reply, plus the ranking calls the strategy may make, priced from the
price table. If it does not fit the
per-task budget, today's remaining daily budget or the token cap, the policy
either refuses (``ProblemRejected`` naming the field) or downgrades: fewer
samples first, then a cheaper tier, with the reason kept on the plan. The
estimate only errs high, so a task admitted here cannot overspend.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bestofn.budget.policy import Policy
from bestofn.budget.routing import TaskPlan, plan_task
from bestofn.errors import ProblemRejected
from bestofn.llm import cost_usd
from bestofn.feedback import MAX_CHARS as MAX_FEEDBACK_CHARS
from bestofn.prompts import REVISE_ASK, solve_messages
from bestofn.revise import planned_rounds
from bestofn.schemas import Problem
from bestofn.settings import Settings

# generate_inputs() and codet.generate_tests() (bestofn/rerank) ask for at most this many tokens.
RANKING_CALL_MAX_TOKENS = 512
# Instructions the ranking prompts add around the problem, in tokens (generous).
RANKING_PROMPT_OVERHEAD = 400
NO_LLM_STRATEGIES = frozenset({"single", "tests"})


@dataclass(frozen=True)
class Estimate:
    """A worst-case bill for one plan."""

    tokens_in: int
    tokens_out: int
    usd: float

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out


def prompt_tokens(problem: Problem, chars_per_token: float) -> int:
    """Tokens of one generation request, estimated from its characters (cautious ratio)."""
    chars = sum(len(m["content"]) for m in solve_messages(problem.prompt, problem.entry_point,
                                                          io_program=problem.is_io))
    return math.ceil(chars / chars_per_token)


def ranking_tokens(plan: TaskPlan, prompt: int, settings: Settings, chars_per_token: float) -> tuple[int, int]:
    """(in, out) tokens the reranker may spend: probe inputs, CodeT tests, the judge (twice)."""
    if plan.n < 2 or plan.problem.strategy in NO_LLM_STRATEGIES:
        return 0, 0
    calls = 2 if plan.problem.strategy == "codet" else 1
    judge_calls = 2 if settings.judge_twice else 1
    judge_in = prompt + math.ceil(settings.judge_top_k * settings.judge_max_code_chars / chars_per_token)
    tokens_in = calls * (prompt + RANKING_PROMPT_OVERHEAD) + judge_calls * (judge_in + RANKING_PROMPT_OVERHEAD)
    tokens_out = calls * RANKING_CALL_MAX_TOKENS + judge_calls * settings.judge_max_tokens
    return tokens_in, tokens_out


def revision_tokens(plan: TaskPlan, prompt: int, reply: int, settings: Settings,
                    chars_per_token: float) -> tuple[int, int]:
    """(in, out) tokens of the revision rounds: each resends the problem, a full reply and the feedback."""
    rounds = planned_rounds(plan.problem, settings)
    per_round_in = prompt + reply + math.ceil((MAX_FEEDBACK_CHARS + len(REVISE_ASK)) / chars_per_token)
    return rounds * per_round_in, rounds * reply


def worst_case(plan: TaskPlan, settings: Settings, policy: Policy) -> Estimate:
    """The most ``plan`` can cost: n requests with full replies, the revision rounds, plus ranking."""
    cpt = policy.guardrails.chars_per_token
    prompt = prompt_tokens(plan.problem, cpt)
    reply = plan.problem.max_completion_tokens or plan.max_tokens
    out = plan.n * reply
    if plan.probe is not None and plan.problem.max_completion_tokens is None:
        out += plan.probe.max_tokens - plan.max_tokens
    gen_in = plan.n * prompt
    rev_in, rev_out = revision_tokens(plan, prompt, reply, settings, cpt)
    gen_in, out = gen_in + rev_in, out + rev_out
    rank_in, rank_out = ranking_tokens(plan, prompt, settings, cpt)
    usd = cost_usd(plan.model, gen_in, out, settings)
    usd += cost_usd(settings.judge_model or plan.model, rank_in, rank_out, settings)
    return Estimate(gen_in + rank_in, out + rank_out, usd)


def eval_worst_case(problems: Iterable[Problem], n: int, max_tokens: int, model: str, settings: Settings,
                    policy: Policy) -> Estimate:
    """The most a generate-mode evaluation can cost: n full replies per problem (it makes no ranking calls)."""
    cpt = policy.guardrails.chars_per_token
    prompts = [prompt_tokens(p, cpt) for p in problems]
    tokens_in, tokens_out = n * sum(prompts), n * max_tokens * len(prompts)
    return Estimate(tokens_in, tokens_out, cost_usd(model, tokens_in, tokens_out, settings))


def client_named(model: str | None, api_key_id: str | None, settings: Settings) -> bool:
    """Whether an API client (a key) picked ``model`` rather than the operator (default model, CLI, no keys)."""
    return api_key_id is not None and model is not None and model != settings.model


def require_price(model: str, settings: Settings, *, named: bool, budget_given: bool) -> None:
    """Refuse a model the price table lacks when a budget depends on pricing it.

    An unpriced model costs $0 to the guard, so a client naming one would pass
    every budget (its own ``budget_usd``, the policy's, the daily one). The
    operator's choices stay allowed: the default model, or any model picked on
    the command line or without keys, may be unpriced on purpose (a local model
    is free), unless ``budget_usd`` is set, which an unpriced model cannot honour.
    """
    if model in settings.price_table or not (named or budget_given):
        return
    priced = ", ".join(sorted(settings.price_table)) or "none"
    why = "budget_usd cannot be enforced on it" if budget_given else "its spend could not be held to the budget"
    raise ProblemRejected("model", f"model {model!r} has no price in settings.price_table, so {why}; use a priced "
                                   f"model ({priced}) or ask the operator to add its price (BESTOFN_PRICE_TABLE)")


@dataclass(frozen=True)
class Room:
    """What is left to spend today: daily budget minus spent minus held by unfinished tasks."""

    daily_left_usd: float


def violation(plan: TaskPlan, est: Estimate, room: Room, policy: Policy, source: str) -> tuple[str, str] | None:
    """The first limit ``plan`` breaks, as (field, message), or None."""
    g = policy.guardrails
    what = f"tier {plan.tier!r} with n={plan.n}, max_tokens={plan.max_tokens}"
    if est.tokens > g.max_tokens_per_task:
        return "max_tokens", (f"{what} may use {est.tokens} tokens, over guardrails.max_tokens_per_task="
                              f"{g.max_tokens_per_task} ({source}); ask for fewer samples or tokens")
    if est.usd > plan.budget_usd:
        return "budget_usd", (f"{what} may cost ${est.usd:.6f} on {plan.model}, over the task's budget "
                              f"${plan.budget_usd:.6f}; raise budget_usd or ask for fewer samples")
    if est.usd > room.daily_left_usd:
        return "budget_usd", (f"{what} may cost ${est.usd:.6f} but only ${max(room.daily_left_usd, 0):.6f} of "
                              f"today's guardrails.daily_budget_usd=${g.daily_budget_usd:.2f} ({source}) is left "
                              "(spent plus held by unfinished tasks); try a smaller task or after 00:00 UTC")
    return None


def fit(plan: TaskPlan, room: Room, policy: Policy, settings: Settings, source: str) -> tuple[TaskPlan, Estimate]:
    """``plan`` if it fits, else a downgraded plan that does (reason in its notes); refuses otherwise."""
    est = worst_case(plan, settings, policy)
    broken = violation(plan, est, room, policy, source)
    if broken is None:
        return plan, est
    if policy.guardrails.on_over_budget == "refuse":
        raise ProblemRejected(*broken)
    last = broken
    for smaller in downgrades(plan, settings, policy):
        small_est = worst_case(smaller, settings, policy)
        still = violation(smaller, small_est, room, policy, source)
        if still is None:
            note = f"downgraded from tier {plan.tier!r} n={plan.n} to tier {smaller.tier!r} n={smaller.n}: {broken[1]}"
            return smaller.with_note(note), small_est
        last = still
    raise ProblemRejected(last[0], f"{last[1]} (even the smallest downgrade does not fit)")


def downgrades(plan: TaskPlan, settings: Settings, policy: Policy) -> Iterator[TaskPlan]:
    """Cheaper plans, least cut first: fewer samples of the same tier, then cheaper tiers (dearest first)."""
    for n in range(plan.n - 1, 0, -1):
        yield plan.with_n(n)
    base = worst_case(plan.with_n(1), settings, policy)
    floor = (base.usd, base.tokens)
    cheaper = []
    for name in policy.tiers:
        if name == plan.tier:
            continue
        other = plan_task(plan.submitted, settings, policy, tier=name)
        one = worst_case(other.with_n(1), settings, policy)
        if (one.usd, one.tokens) < floor:
            cheaper.append(((one.usd, one.tokens, other.n), other))
    for _, other in sorted(cheaper, key=lambda pair: pair[0], reverse=True):
        for n in range(min(other.n, plan.n), 0, -1):
            yield other.with_n(n)
