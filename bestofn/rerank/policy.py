"""Pick the winner and say how: the ranking policy behind ``Problem.strategy``.

``auto``: tests decide when they exist and one candidate tops them; candidates
tied at the top that behave differently (or all candidates, without tests) go to
execution self-consistency; when no behaviour cluster reaches
``settings.self_consistency_min_agreement``, the LLM judge picks among cluster
representatives; without a client (or when the judge's replies are unusable)
the largest cluster's pick stands with low confidence, and the reason says so.
An explicit strategy runs that method; if it cannot decide at all (no client,
no inputs) the ``auto`` chain takes over, recorded. Every step and why it
passed the baton goes into ``Decision.details.chain`` (bestofn/trace.py).

Deterministic: stable sorts, seeds from settings.seed and the task's prompt,
temperature 0 for every LLM call.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from bestofn.rerank.self_consistency import RunInputs
from bestofn.rerank.steps import (
    Context,
    Outcome,
    RunMany,
    codet_step,
    judge_step,
    majority_step,
    sc_result,
    sc_step,
    tests_step,
)
from bestofn.schemas import Candidate, Decision, ExecutionResult, Problem, RankedCandidate
from bestofn.settings import Settings, get_settings

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai


def decide(
    problem: Problem,
    candidates: list[Candidate],
    results: dict[int, ExecutionResult],
    *,
    client: openai.OpenAI | None = None,
    settings: Settings | None = None,
    pool: Any = None,
) -> Decision:
    """The decision for one task's candidates and their execution results (may run the sandbox and the LLM).

    ``pool``: the task's warm sandbox runners (``sandbox.RunnerPool``), shared by the probes.
    """
    s = settings or get_settings()
    run_inputs, run_many = sandbox_runners(s, pool, problem.language)
    ctx = Context(problem, candidates, results, s, client, run_inputs, run_many)
    return decide_with(ctx)


def sandbox_runners(settings: Settings, pool: Any = None,
                    language: str = "python") -> tuple[RunInputs | None, RunMany | None]:
    """The sandbox's runners with the settings' sandbox config for ``language`` (and on ``pool`` when given),
    imported late so pure callers need no Docker SDK."""
    try:
        from sandbox import run_inputs, run_many
    except ImportError:
        return None, None
    config = settings.sandbox_config()
    return (partial(run_inputs, pool=pool, config=config, language=language),
            partial(run_many, pool=pool, config=config, language=language))


def decide_with(ctx: Context) -> Decision:
    """Route by strategy; ``ctx`` carries the runners, so tests can hand in stand-ins."""
    strategy = ctx.problem.strategy
    ctx.trace.strategy = strategy
    if strategy == "majority_vote" or (strategy == "auto" and _is_value_task(ctx)):
        return _majority(ctx)
    usable = ctx.usable
    if not usable:
        return _decision(ctx, Outcome("none", None, "no candidate produced code"))
    if len(usable) == 1:
        return _decision(ctx, Outcome("single", usable[0].index, "only one candidate produced code", confidence=None))
    if strategy == "single":
        first = min(c.index for c in usable)
        return _decision(ctx, Outcome("single", first, f"strategy 'single': candidate {first}, the first, is taken"
                                                       " without reranking"))
    if strategy == "tests":
        if ctx.problem.tests is not None:
            return _decision(ctx, tests_step(ctx)[0])
        ctx.note("tests", "no decision", "strategy 'tests' but the task has no tests; falling back to the auto chain")
    pool = [i for i in ctx.order if i in {c.index for c in usable}]
    explicit = {"self_consistency": lambda: _explicit_sc(ctx, pool), "codet": lambda: codet_step(ctx, pool),
                "judge": lambda: judge_step(ctx, pool, sc_result(ctx, pool))}
    if strategy in explicit:
        out = explicit[strategy]()
        if out.winner is not None:
            return _decision(ctx, out)
        ctx.note(strategy, "no decision", out.reason + "; falling back to the auto chain")
    return _decision(ctx, _auto(ctx, pool))


def _explicit_sc(ctx: Context, pool: list[int]) -> Outcome:
    """Self-consistency as asked: its best cluster wins even below the agreement threshold."""
    out = sc_step(ctx, pool)
    if out.winner is None and out.best_guess is not None:
        out.winner, out.reason = out.best_guess, out.reason + " (below the agreement threshold; kept as requested)"
    return out


def _auto(ctx: Context, pool: list[int]) -> Outcome:
    """tests -> self-consistency -> judge -> best guess."""
    has_tests = ctx.problem.tests is not None and bool(ctx.results)
    if has_tests:
        by_tests, tied = tests_step(ctx)
        if len(tied) <= 1:
            ctx.note("tests", "decided", by_tests.reason)
            return by_tests
        ctx.note("tests", "tied", f"{len(tied)} candidates share the top pass rate"
                                  f" {ctx.ranking[0].score['pass_rate']}; comparing their behaviour")
        pool = tied
    else:
        ctx.note("tests", "skipped", "the task has no tests")
    sc = sc_step(ctx, pool)
    res = sc_result(ctx, pool)
    if has_tests and res is not None and res.winner is not None and len(res.clusters) == 1 and not res.abstained:
        ctx.note("self_consistency", "identical", f"the {len(pool)} tied candidates behave identically on"
                                                  f" {len(res.inputs)} probe inputs")
        out = tests_step(ctx)[0]
        out.reason += f"; the {len(pool)} candidates tied on tests behave identically on {len(res.inputs)} inputs"
        out.agreement_rate = 1.0
        return out
    if sc.winner is not None:
        ctx.note("self_consistency", "decided", sc.reason)
        return sc
    below = (f"agreement {sc.agreement_rate:.0%} is below the {ctx.settings.self_consistency_min_agreement:.0%}"
             " needed" if sc.agreement_rate is not None else sc.reason)
    ctx.note("self_consistency", "no clear majority" if sc.best_guess is not None else "no decision", below)
    judged = judge_step(ctx, pool, res)
    if judged.winner is not None:
        ctx.note("judge", "decided", judged.reason)
        judged.agreement_rate = sc.agreement_rate
        return judged
    ctx.note("judge", "no decision", judged.reason)
    return _best_guess(ctx, sc, judged, has_tests, pool)


def _best_guess(ctx: Context, sc: Outcome, judged: Outcome, has_tests: bool, pool: list[int]) -> Outcome:
    """Nothing decided clearly: keep the largest cluster's pick (low confidence), else the tests order."""
    if sc.best_guess is not None:
        return Outcome("self_consistency", sc.best_guess,
                       f"{sc.reason}; no clear majority ({sc.agreement_rate:.0%}) and {judged.reason}, so the"
                       " largest cluster's pick stands with low confidence",
                       sc.runner_up, sc.agreement_rate, round((sc.confidence or 0.0) / 2, 4))
    if has_tests:
        out = tests_step(ctx)[0]
        out.reason += f"; nothing separated the {len(pool)} tied candidates ({sc.reason}; {judged.reason})"
        return out
    return Outcome("single", pool[0], f"nothing could separate the candidates ({sc.reason}; {judged.reason});"
                                      f" candidate {pool[0]}, the first, is kept as with strategy 'single'")


def _is_value_task(ctx: Context) -> bool:
    """No code anywhere but answers in the replies, and nothing to run: a question with a value answer."""
    return (not ctx.usable and ctx.problem.tests is None and not ctx.problem.entry_point
            and any(c.raw.strip() for c in ctx.candidates))


def _majority(ctx: Context) -> Decision:
    """Majority vote on final answers; below the threshold, the judge among the top answers."""
    out, vote = majority_step(ctx)
    if out.winner is not None or vote.best_guess is None:
        return _decision(ctx, out)
    ctx.note("majority_vote", "no clear majority", out.reason)
    reps = [members[0] for members in vote.counts.values()]
    evidence = {members[0]: f"{len(members)} of {sum(map(len, vote.counts.values()))} candidates give this answer"
                for members in vote.counts.values()}
    judged = judge_step(ctx, reps, None, evidence)
    if judged.winner is not None:
        judged.agreement_rate = out.agreement_rate
        return _decision(ctx, judged)
    ctx.note("judge", "no decision", judged.reason)
    return _decision(ctx, Outcome("majority_vote", vote.best_guess, f"{out.reason}; {judged.reason}, so the most"
                                  " common answer stands with low confidence", out.runner_up, out.agreement_rate,
                                  round((out.agreement_rate or 0.0) / 2, 4)))


def _decision(ctx: Context, out: Outcome) -> Decision:
    """The stored Decision: winner first in the ranking, runner-up next, the rest in tests order."""
    tests_rank = {r.index: r for r in ctx.ranking}
    clusters = {i: (n, c.size) for sc in ctx.sc_cache.values() for n, c in enumerate(sc.clusters) for i in c.members}
    key = {i: (i != out.winner, i != out.runner_up, k) for k, i in enumerate(ctx.order)}
    ranking = []
    for rank, idx in enumerate(sorted(ctx.order, key=key.__getitem__), start=1):
        score = dict(tests_rank[idx].score)
        if idx in clusters:
            score["cluster"], score["cluster_size"] = clusters[idx]
        ranking.append(RankedCandidate(index=idx, rank=rank, score=score))
    results = [ctx.results[c.index] for c in ctx.usable if c.index in ctx.results]
    no_passing = (ctx.problem.tests is not None or bool(results)) and not any(r.status == "passed" for r in results)
    if out.winner is None:
        no_passing = no_passing or not ctx.usable
    return Decision(winner=out.winner, ranking=ranking, method=out.method, reason=out.reason,
                    runner_up=out.runner_up, agreement_rate=out.agreement_rate, confidence=out.confidence,
                    no_passing_candidate=no_passing, details=ctx.trace)
