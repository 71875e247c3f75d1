"""Revision rounds of a task without tests: what to revise and what to tell the model.

Two sources, in order (the README's "Revision rounds" says the same):

1. The prompt's own examples, run as checks in the sandbox (``bestofn/examples.py``): while no
   candidate passes every example, the best one on them is revised with the checks' feedback
   (the failing examples, the values returned), exactly as with tests.
2. Disagreement between behaviour clusters (self-consistency): once some candidate passes
   every example, or the prompt has none, every candidate runs on the probe inputs the ranker
   uses (the prompt's examples and mutations of them; no model-written ones, which would cost
   a call per round), and a candidate outside the largest cluster is revised with the inputs
   on which it disagrees, its answers and the majority's. Each dissenter is revised once;
   rounds stop when the candidates agree or every dissenter was revised.

The examples' results are not the task's executions (a task without tests has none): they
steer the rounds and show in the revision trace, and the ranking stays self-consistency's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bestofn.feedback import disagreement_feedback, examples_feedback
from bestofn.rerank.inputs import stdin_probes
from bestofn.rerank.policy import sandbox_runners
from bestofn.rerank.self_consistency import cluster, fingerprints
from bestofn.rerank.steps import Context, probe_inputs
from bestofn.revise import parent_to_revise, solved
from bestofn.schemas import Candidate, ExecutionResult, Problem
from bestofn.settings import Settings


@dataclass(frozen=True)
class Pick:
    """The candidate to revise and its feedback, or (parent None) why no round can run."""

    parent: Candidate | None
    feedback: str = ""
    source: str = ""  # "examples" or "disagreement"
    why: str = ""


def examples_pick(candidates: list[Candidate], on_examples: dict[int, ExecutionResult]) -> Pick | None:
    """The best candidate on the examples and its feedback; None once one passes every example."""
    if solved(on_examples):
        return None
    parent = parent_to_revise(candidates, on_examples)
    if parent is None:
        return Pick(None, why="no candidate with code ran on the prompt's examples, so there was nothing to revise")
    return Pick(parent, examples_feedback(on_examples[parent.index]), "examples")


def disagreement_pick(candidates: list[Candidate], problem: Problem, settings: Settings, pool: Any = None) -> Pick:
    """A not yet revised candidate outside the largest behaviour cluster, told where it differs and how."""
    usable = [c for c in candidates if c.usable]
    run_inputs, _ = sandbox_runners(settings, pool, problem.language)
    if run_inputs is None or len(usable) < 2:
        return Pick(None, why="fewer than two candidates with code: no majority to compare with")
    ctx = Context(problem, usable, {}, settings, None, run_inputs, None)
    inputs = probe_inputs(ctx)
    if not inputs:
        return Pick(None, why="no probe inputs from the prompt to compare behaviour on")
    fps = fingerprints(run_inputs, usable, inputs, entry_point=problem.entry_point, io=stdin_probes(problem),
                       limits=problem.limits)
    clusters = cluster(fps, [c.index for c in usable], inputs)
    if len(clusters) < 2:
        return Pick(None, why="the candidates agree on every probe input: no disagreement to give as feedback")
    revised = {c.parent for c in candidates if c.parent is not None}
    majority = clusters[0]
    dissent = sorted(i for c in clusters[1:] for i in c.members if i not in revised)
    if not dissent:
        return Pick(None, why="every candidate outside the largest behaviour cluster was revised already")
    parent = next(c for c in usable if c.index == dissent[0])
    feedback = disagreement_feedback(fps[parent.index], list(majority.signature), [p.args for p in inputs],
                                     majority.size, len(fps) - 1)
    return Pick(parent, feedback, "disagreement")
