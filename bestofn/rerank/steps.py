"""The ranking steps the policy chains, each returning an ``Outcome`` (a pick or a passed baton).

Why separate from policy.py: the policy is routing (which step, in what order,
when to escalate); these are the steps themselves, wired to the sandbox and the
LLM through a ``Context`` so routing can be unit-tested with stand-in runners.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bestofn.rerank import codet, judge, majority
from bestofn.rerank.by_tests import rank_by_tests
from bestofn.rerank.inputs import ProbeInput, dedupe, generate_inputs, known_inputs, stdin_probes
from bestofn.rerank.mutate import mutate_inputs
from bestofn.rerank.self_consistency import RunInputs, SelfConsistency, self_consistency
from bestofn.schemas import Candidate, DecisionMethod, ExecutionResult, Problem, RankedCandidate
from bestofn.settings import Settings
from bestofn.trace import DecisionTrace, ProbeInputsTrace

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai

RunMany = Callable[..., list[ExecutionResult]]
"""``sandbox.run_many``' shape: (codes, tests, entry_point, limits) -> results."""


@dataclass
class Outcome:
    """One step's conclusion: ``winner`` None means it could not decide (the baton passes)."""

    method: DecisionMethod
    winner: int | None
    reason: str
    runner_up: int | None = None
    agreement_rate: float | None = None
    confidence: float | None = None
    best_guess: int | None = None


@dataclass
class Context:
    """Everything the steps share for one decision, and the record of what they did."""

    problem: Problem
    candidates: list[Candidate]
    results: dict[int, ExecutionResult]
    settings: Settings
    client: openai.OpenAI | None
    run_inputs: RunInputs | None
    run_many: RunMany | None
    ranking: list[RankedCandidate] = field(init=False)
    trace: DecisionTrace = field(default_factory=DecisionTrace)
    inputs_cache: list[ProbeInput] | None = None
    sc_cache: dict[tuple[int, ...], SelfConsistency] = field(default_factory=dict)
    judge_cache: dict[tuple[int, ...], Outcome] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ranking = rank_by_tests(self.candidates, self.results)

    @property
    def order(self) -> list[int]:
        return [r.index for r in self.ranking]

    @property
    def usable(self) -> list[Candidate]:
        return [c for c in self.candidates if c.usable]

    def text(self, index: int) -> str:
        """A candidate's code, or its raw reply for value tasks."""
        c = next(c for c in self.candidates if c.index == index)
        return c.code or c.raw

    def seed(self, purpose: str) -> int:
        return judge.stable_seed(self.settings.seed, self.problem.prompt, purpose)

    def model(self) -> str:
        return self.problem.model or self.settings.model

    def note(self, method: str, outcome: str, why: str) -> None:
        self.trace.note(method, outcome, why)


# --------------------------------------------------------------------------- tests


def tests_step(ctx: Context) -> tuple[Outcome, list[int]]:
    """The tests ranking and the candidates tied with its top (same pass rate, same share of trusted verdicts).

    A revision tied with the candidate it revised is left out of the tie: it showed no gain, so it
    does not get a second chance through behaviour or the judge (the ranking already puts it below).
    """
    top = ctx.ranking[0]
    usable = {c.index for c in ctx.usable}
    key = ("pass_rate", "trusted_pass_rate")
    level = {r.index for r in ctx.ranking if r.index in usable and all(r.score.get(k) == top.score.get(k) for k in key)}
    parents = {c.index: c.parent for c in ctx.candidates}
    tied = [r.index for r in ctx.ranking if r.index in level and parents.get(r.index) not in level]
    untrusted = top.score.get("trusted_pass_rate") is not None and top.score["trusted_pass_rate"] < top.score["pass_rate"]
    reason = (f"candidate {top.index} passed {top.score['tests_passed']}/{top.score['tests_total']} tests"
              f" in {top.score['runtime_ms']} ms, the best pass rate then the lowest runtime"
              + (" (some of its passes were graded in its own process: the tests needed its live objects)"
                 if untrusted else ""))
    runner_up = ctx.ranking[1].index if len(ctx.ranking) > 1 else None
    return Outcome("tests", top.index, reason, runner_up, confidence=float(top.score["pass_rate"] or 0.0)), tied


# --------------------------------------------------------------------------- self-consistency


def probe_inputs(ctx: Context) -> list[ProbeInput]:
    """Known inputs, model-written ones, then mutations of the known ones (cached).

    The model is asked only when the prompt, the tests and mutation give fewer
    than ``settings.generate_inputs_below`` inputs: an LLM call is the costly source.
    """
    if ctx.inputs_cache is not None:
        return ctx.inputs_cache
    s = ctx.settings
    known = known_inputs(ctx.problem)
    mutated = mutate_inputs(known, s.mutated_inputs, ctx.seed("mutate")) if not stdin_probes(ctx.problem) else []
    generated: list[ProbeInput] = []
    if s.generated_inputs and len(known) + len(mutated) < s.generate_inputs_below:
        if ctx.client is None:
            ctx.note("generated_inputs", "skipped", "no LLM client, so only the prompt's and tests' inputs are used")
        elif ctx.problem.entry_point or stdin_probes(ctx.problem):
            generated, call = generate_inputs(ctx.client, ctx.model(), ctx.problem, count=s.generated_inputs,
                                                seed=ctx.seed("inputs"), io=stdin_probes(ctx.problem),
                                                max_tokens=s.llm_max_tokens)
            ctx.trace.llm_calls.append(call)
    ctx.inputs_cache = dedupe(known + generated + mutated)[: s.probe_inputs_max]
    ctx.trace.probe_inputs = ProbeInputsTrace(count=len(ctx.inputs_cache),
                                              by_source={src: sum(p.source == src for p in ctx.inputs_cache)
                                                         for src in ("prompt", "tests", "generated", "mutated")})
    return ctx.inputs_cache


def sc_result(ctx: Context, pool: Sequence[int]) -> SelfConsistency | None:
    """Self-consistency over ``pool`` (cached); None when the sandbox is unavailable or fails."""
    key = tuple(pool)
    if key in ctx.sc_cache:
        return ctx.sc_cache[key]
    if ctx.run_inputs is None:
        ctx.note("self_consistency", "skipped", "no sandbox runner available")
        return None
    inputs = probe_inputs(ctx)
    cands = [c for c in ctx.candidates if c.index in set(pool)]
    try:
        sc = self_consistency(ctx.run_inputs, cands, inputs, ctx.order, entry_point=ctx.problem.entry_point,
                              io=stdin_probes(ctx.problem), limits=ctx.problem.limits)
    except Exception as exc:  # noqa: BLE001 - a sandbox failure here loses a fallback, not the task
        ctx.note("self_consistency", "failed", f"the sandbox failed: {exc.__class__.__name__}: {str(exc)[:200]}")
        return None
    ctx.sc_cache[key] = sc
    ctx.trace.self_consistency = sc.trace()
    return sc


def sc_step(ctx: Context, pool: Sequence[int]) -> Outcome:
    """Largest behaviour cluster; a pick only when it reaches settings.self_consistency_min_agreement."""
    sc = sc_result(ctx, pool)
    if sc is None or sc.winner is None:
        return Outcome("self_consistency", None, sc.reason if sc else "self-consistency could not run")
    clear = (sc.agreement_rate or 0.0) >= ctx.settings.self_consistency_min_agreement and not sc.clusters[0].all_failed
    return Outcome("self_consistency", sc.winner if clear else None, sc.reason, sc.runner_up, sc.agreement_rate,
                   sc.confidence, best_guess=sc.winner)


# --------------------------------------------------------------------------- CodeT


def codet_step(ctx: Context, pool: Sequence[int]) -> Outcome:
    """CodeT over ``pool`` with model-written asserts; needs a client, an entry point and the sandbox."""
    if ctx.client is None or not ctx.problem.entry_point or stdin_probes(ctx.problem) or ctx.run_many is None:
        why = "needs an LLM client, a function entry point and the sandbox"
        return Outcome("codet", None, f"CodeT skipped: {why}")
    asserts, call = codet.generate_tests(ctx.client, ctx.model(), ctx.problem, count=ctx.settings.codet_tests,
                                           seed=ctx.seed("codet"), max_tokens=ctx.settings.llm_max_tokens)
    ctx.trace.llm_calls.append(call)
    if not asserts:
        return Outcome("codet", None, "CodeT skipped: the model wrote no usable assert")
    cands = [c for c in ctx.candidates if c.index in set(pool)]
    try:
        runs = ctx.run_many([c.code for c in cands], codet.suite_for(asserts), ctx.problem.entry_point,
                            ctx.problem.limits)
    except Exception as exc:  # noqa: BLE001 - a sandbox failure here loses a fallback, not the task
        return Outcome("codet", None, f"CodeT failed in the sandbox: {exc.__class__.__name__}: {str(exc)[:200]}")
    passed = codet.answers({c.index: r for c, r in zip(cands, runs)})
    result = codet.choose(codet.consensus(passed, ctx.order), asserts)
    ctx.trace.codet = result.trace()
    return Outcome("codet", result.winner, result.reason, result.runner_up, result.agreement_rate, result.confidence)


# --------------------------------------------------------------------------- majority vote


def answer_of(c: Candidate) -> str:
    """A value task's answer text: the raw reply when there is one, else the code."""
    return c.raw or c.code


def majority_step(ctx: Context) -> tuple[Outcome, majority.Vote]:
    """Vote over the candidates' final answers (candidates whose request failed do not vote)."""
    answers = {c.index: answer_of(c) for c in ctx.candidates if answer_of(c).strip() and not
               (c.error or "").startswith("llm_")}
    v = majority.vote(answers, ctx.order, ctx.settings.self_consistency_min_agreement)
    ctx.trace.majority_vote = v.trace()
    return Outcome("majority_vote", v.winner, v.reason, v.runner_up, v.agreement_rate, v.agreement_rate,
                   best_guess=v.best_guess), v


# --------------------------------------------------------------------------- judge


def evidence_for(ctx: Context, index: int, sc: SelfConsistency | None) -> str:
    """What execution showed about one candidate, in a sentence for the judge."""
    parts = []
    r = ctx.results.get(index)
    if r is not None and ctx.problem.tests is not None:
        parts.append(f"passed {r.tests_passed}/{r.tests_total} tests ({r.status})")
    if sc is not None and sc.clusters:
        cl = next((c for c in sc.clusters if index in c.members), None)
        if cl is not None:
            parts.append(f"behaves like {cl.size} of {sc.voters} candidates")
            n_ex = sum(p.expected is not None for p in sc.inputs)
            if n_ex:
                parts.append(f"reproduces {cl.examples_matched}/{n_ex} of the prompt's examples")
            shown = [f"{p.args[:60]} -> {fp[:60]}" for p, fp in zip(sc.inputs, cl.signature)][:3]
            if shown:
                parts.append("outputs: " + "; ".join(shown))
    return ", ".join(parts) or "none"


def judge_pool(ctx: Context, pool: Sequence[int], sc: SelfConsistency | None) -> list[int]:
    """Who the judge sees: one representative per behaviour cluster, else the top of ``pool`` (best first)."""
    k = ctx.settings.judge_top_k
    if sc is not None and len(sc.clusters) > 1:
        return [c.members[0] for c in sc.clusters if not c.all_failed][:k] or [sc.clusters[0].members[0]]
    return list(pool)[:k]


def judge_step(ctx: Context, pool: Sequence[int], sc: SelfConsistency | None = None,
               evidence: dict[int, str] | None = None) -> Outcome:
    """Ask the judge model among the representatives of ``pool``; falls back (no pick) on unusable replies."""
    if ctx.client is None:
        return Outcome("judge", None, "judge skipped: no LLM client")
    shown = judge_pool(ctx, pool, sc)
    if len(shown) < 2:
        return Outcome("judge", None, "judge skipped: fewer than two distinct candidates to compare")
    if tuple(shown) in ctx.judge_cache:  # asked already (an explicit judge that fell back to auto)
        return ctx.judge_cache[tuple(shown)]
    model = ctx.settings.judge_model or ctx.model()
    ev = evidence or {i: evidence_for(ctx, i, sc) for i in shown}
    texts = {i: ctx.text(i) for i in shown}
    result = judge.judge(ctx.client, model, ctx.problem, shown, texts, ev, seed=ctx.seed("judge"),
                         twice=ctx.settings.judge_twice, max_tokens=ctx.settings.judge_max_tokens,
                         max_code_chars=ctx.settings.judge_max_code_chars)
    ctx.trace.judge = result.trace(model, shown)
    ctx.trace.llm_calls.extend(result.calls(model))
    out = Outcome("judge", result.winner, result.reason, result.runner_up, None, result.confidence)
    ctx.judge_cache[tuple(shown)] = out
    return out
