"""Rankers as an evaluation sees them: pick one sample from a subset, seeing only
the prompt and the samples' behaviour on inputs drawn from it (its examples and
mutations of them, as the live policy uses).

Every picker is a pure function of stored rows (``EvalSample.probe``), so the
reranked pass@1 for any subset size N is recomputed without running anything
and never peeks at the hidden tests (``passed``) it is scored against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bestofn.evals.datasets import EvalProblem
from bestofn.evals.models import EvalSample
from bestofn.rerank.inputs import ProbeInput, stdin_probes
from bestofn.rerank.policy import decide_with
from bestofn.rerank.self_consistency import choose, cluster, matches_expected
from bestofn.rerank.steps import Context, probe_inputs
from bestofn.schemas import Candidate, Problem
from bestofn.settings import get_settings


@dataclass
class TaskSamples:
    """One problem's samples as the rankers may see them (``passed`` is for scoring only)."""

    task_id: str
    problem: EvalProblem
    passed: dict[int, bool]
    inputs: list[ProbeInput] = field(default_factory=list)
    fps: dict[int, list[str]] = field(default_factory=dict)
    codes: dict[int, str] = field(default_factory=dict)
    _policy_inputs: list[ProbeInput] | None = field(default=None, repr=False)

    @classmethod
    def from_rows(cls, problem: EvalProblem, rows: list[EvalSample]) -> TaskSamples:
        probe = next((r.probe for r in rows if r.probe), None) or {}
        inputs = [ProbeInput(args, expected) for args, expected in probe.get("inputs", [])]
        fps = {r.sample_index: list((r.probe or {}).get("fps", [])) for r in rows}
        return cls(problem.task_id, problem, {r.sample_index: bool(r.passed) for r in rows}, inputs,
                   {i: f for i, f in fps.items() if len(f) == len(inputs)},
                   {r.sample_index: problem.program(r.completion) for r in rows})

    def replay_inputs(self, codes: list[str], args: list[str], entry_point: str | None, **_: Any) -> list[list[str]]:
        """``sandbox.run_inputs`` answered from the stored probe runs (no execution).

        An input that was not probed raises LookupError: the policy then records
        that self-consistency could not run, rather than running anything new.
        """
        column = {p.args: j for j, p in enumerate(self.inputs)}
        missing = [a for a in args if a not in column]
        if missing:
            raise LookupError(f"input {missing[0][:80]} was not probed")
        index_of = {code: i for i, code in self.codes.items()}
        return [[self.fps[index_of[code]][column[a]] for a in args] for code in codes]

    def policy_inputs(self) -> list[ProbeInput]:
        """``ranker_inputs`` of this problem, computed once: every subset the curve draws asks for them."""
        if self._policy_inputs is None:
            self._policy_inputs = ranker_inputs(self.problem)
        return self._policy_inputs

    def matched(self, index: int) -> int:
        """How many of the prompt's examples this sample reproduces."""
        return sum(matches_expected(fp, p.expected) for fp, p in zip(self.fps.get(index, []), self.inputs))


Picker = Callable[[TaskSamples, list[int]], int]
"""(task, sorted sample indices) -> the chosen sample index."""


def first(task: TaskSamples, subset: list[int]) -> int:
    """No reranking: the first sample. Its reranked pass@1 estimates plain pass@1."""
    return subset[0]


def public_examples(task: TaskSamples, subset: list[int]) -> int:
    """Most of the prompt's examples reproduced, then the first (AlphaCode-style filtering)."""
    return max(subset, key=lambda i: (task.matched(i), -i))


def self_consistency(task: TaskSamples, subset: list[int]) -> int:
    """The first member of the best behaviour cluster (bestofn.rerank.self_consistency);
    the first sample when the prompt has no example inputs to compare behaviour on."""
    fps = {i: task.fps[i] for i in subset if i in task.fps}
    if not task.inputs or not fps:
        return subset[0]
    winner = choose(cluster(fps, subset, task.inputs), task.inputs).winner
    return subset[0] if winner is None else winner


def public_context(ep: EvalProblem, cands: list[Candidate], run_inputs: Any = None) -> Context:
    """The live policy's context for a user without tests: the prompt only (``tests=None``)
    and no LLM client (so no judge and no model-written inputs)."""
    problem = Problem(prompt=ep.problem.prompt, entry_point=ep.problem.entry_point, strategy="auto")
    return Context(problem, cands, {}, get_settings(), None, run_inputs, None)


def ranker_inputs(ep: EvalProblem) -> list[ProbeInput]:
    """The inputs the live policy probes behaviour on for this prompt (its examples and
    their mutations; never the hidden tests), so the stored probe covers every replay."""
    return [] if stdin_probes(ep.problem) else probe_inputs(public_context(ep, []))


def policy(task: TaskSamples, subset: list[int]) -> int:
    """``bestofn.rerank``'s auto policy as a user without tests gets it, behaviour replayed
    from the stored probe runs; the first sample when it picks none."""
    cands = [Candidate(index=i, code=task.codes[i]) for i in subset]
    ctx = public_context(task.problem, cands, task.replay_inputs)
    ctx.inputs_cache = task.policy_inputs()
    winner = decide_with(ctx).winner
    return subset[0] if winner is None else winner


STRATEGIES: dict[str, Picker] = {
    "first": first,
    "public_examples": public_examples,
    "self_consistency": self_consistency,
    "policy": policy,
}
