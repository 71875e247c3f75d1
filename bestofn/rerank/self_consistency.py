"""Execution-based self-consistency (AlphaCode clustering, MBR-exec).

Why: when tests are missing or do not separate candidates, independent samples
that *behave* the same on the same inputs are more likely right than a lone
outlier. Run every candidate on the probe inputs, cluster identical behaviour
vectors, prefer the cluster that reproduces the prompt's own examples, then the
largest; clusters that only raise or time out lose to any that return values. A
probe that timed out is no answer, not a behaviour: how long a call takes depends
on how busy the machine is, so a candidate that timed out where another returned
a value neither forms nor joins a cluster (it abstains from the vote).

The clustering and choice are pure functions of fingerprints; only
``fingerprints`` touches the sandbox.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bestofn import pyast
from bestofn.rerank.inputs import ProbeInput
from bestofn.schemas import Candidate, Limits
from bestofn.trace import ClusterTrace, ProbeTrace, SelfConsistencyTrace

RunInputs = Callable[..., list[list[str]]]
"""``sandbox.run_inputs``' shape: (codes, inputs, entry_point, *, io, limits) -> fingerprints."""
NO_ANSWER = "timeout"
"""The fingerprint of a probe call that hit its time limit."""


# --------------------------------------------------------------------------- fingerprints


def _round_floats(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.9g}") if math.isfinite(value) else value
    if isinstance(value, list):
        return [_round_floats(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_round_floats(v) for v in value)
    if isinstance(value, dict):
        return {k: _round_floats(v) for k, v in value.items()}
    return value


@functools.lru_cache(maxsize=1 << 16)
def canonical(fp: str) -> str:
    """A fingerprint with float noise removed (``0.30000000000000004`` equals ``0.3``).

    Cached: an evaluation's report replays the same fingerprints for every subset it draws.
    """
    if not fp.startswith("ok:"):
        return fp
    try:
        value = pyast.literal_eval(fp[3:])
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return fp
    return "ok:" + repr(_round_floats(value))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    if isinstance(a, int) and isinstance(b, int):
        return a == b  # exact, at any size (isclose would turn big ints into floats, or overflow)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        try:
            return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
        except OverflowError:  # an int beyond float range against a float: not the same value
            return False
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@functools.lru_cache(maxsize=1 << 16)
def matches_expected(fp: str, expected: str | None) -> bool:
    """True when a fingerprint returned the value an example promises (numbers within 1e-6); cached
    like ``canonical``."""
    if expected is None or not fp.startswith("ok:"):
        return False
    try:
        return _same(pyast.literal_eval(fp[3:]), pyast.literal_eval(expected))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return fp[3:] == expected


def fingerprints(
    run_inputs: RunInputs,
    candidates: Sequence[Candidate],
    inputs: Sequence[ProbeInput],
    *,
    entry_point: str | None,
    io: bool,
    limits: Limits | None = None,
) -> dict[int, list[str]]:
    """Each candidate's canonical behaviour vector on the inputs (one sandbox call for all)."""
    rows = run_inputs([c.code for c in candidates], [p.args for p in inputs], entry_point, io=io, limits=limits)
    return {c.index: [canonical(fp) for fp in row] for c, row in zip(candidates, rows)}


# --------------------------------------------------------------------------- clustering


@dataclass
class Cluster:
    """Candidates with identical behaviour on every probe input."""

    members: list[int]
    signature: tuple[str, ...]
    examples_matched: int = 0
    all_failed: bool = False

    @property
    def size(self) -> int:
        return len(self.members)

    def summary(self) -> ClusterTrace:
        return ClusterTrace(members=self.members, size=self.size, examples_matched=self.examples_matched,
                            all_failed=self.all_failed, outputs=[s[:80] for s in self.signature[:6]])


def abstainers(fps: dict[int, list[str]]) -> set[int]:
    """Candidates with no answer (a timed-out call) on an input on which another returned a value.

    Whether a call times out depends on the machine's load as much as on the candidate,
    so such a candidate cannot be shown to behave like the others, or unlike them: it
    abstains. Where no candidate returned a value (all raised or timed out, e.g. a
    mutated input too large for a correct but slow solution), the timeout hides no
    value and stays in the signature, so slow candidates are not outvoted by ones
    that crash at once.
    """
    answered = {j for row in fps.values() for j, fp in enumerate(row) if fp.startswith("ok:")}
    return {i for i, row in fps.items() if any(fp == NO_ANSWER and j in answered for j, fp in enumerate(row))}


def cluster(fps: dict[int, list[str]], order: Sequence[int], inputs: Sequence[ProbeInput]) -> list[Cluster]:
    """Group identical behaviour vectors, best first; ``abstainers`` are in no cluster.

    Best = not all-failing, then most prompt examples reproduced, then most
    members, then the member that comes first in ``order`` (the tests/runtime
    ranking). Members inside a cluster keep ``order``'s order.
    """
    pos = {idx: i for i, idx in enumerate(order)}
    skip = abstainers(fps)
    groups: dict[tuple[str, ...], list[int]] = {}
    for idx in sorted(fps, key=lambda i: pos.get(i, len(pos) + i)):
        if idx not in skip:
            groups.setdefault(tuple(fps[idx]), []).append(idx)
    clusters = []
    for sig, members in groups.items():
        matched = sum(matches_expected(fp, p.expected) for fp, p in zip(sig, inputs))
        failed = not any(fp.startswith("ok:") for fp in sig)
        clusters.append(Cluster(members, sig, matched, failed))
    clusters.sort(key=lambda c: (c.all_failed, -c.examples_matched, -c.size, pos.get(c.members[0], 1 << 30)))
    return clusters


@dataclass
class SelfConsistency:
    """What self-consistency concluded and the evidence for it."""

    winner: int | None
    runner_up: int | None
    agreement_rate: float | None
    confidence: float
    clusters: list[Cluster]
    voters: int
    reason: str
    inputs: list[ProbeInput] = field(default_factory=list)
    abstained: list[int] = field(default_factory=list)

    def trace(self) -> SelfConsistencyTrace:
        return SelfConsistencyTrace(
            clusters=[c.summary() for c in self.clusters[:8]],
            n_clusters=len(self.clusters),
            voters=self.voters,
            abstained=self.abstained,
            inputs=[ProbeTrace(args=p.args[:200], expected=p.expected, source=p.source) for p in self.inputs[:24]],
        )


def choose(clusters: list[Cluster], inputs: Sequence[ProbeInput],
           abstained: Sequence[int] = ()) -> SelfConsistency:
    """The best cluster's first member, with its agreement rate and confidence.

    Voters are the candidates that reproduce as many of the prompt's examples as
    the best cluster does (all clustered candidates when the prompt has no checkable
    example): a candidate that contradicts the user's own examples does not vote,
    nor does one in ``abstained`` (it timed out where another returned a value).
    Agreement = winner cluster size / voters. Confidence is the agreement,
    halved when the next cluster ties it, and 0 for an all-failing winner.
    """
    n_inputs = len(inputs)
    if n_inputs == 0:
        return SelfConsistency(None, None, None, 0.0, clusters, 0, "no probe inputs to compare behaviour on",
                               list(inputs), list(abstained))
    if not clusters:
        why = ("every candidate timed out on a probe input on which another returned a value: a timeout is no "
               "answer, so there is no behaviour to compare" if abstained else "no candidate to compare behaviour of")
        return SelfConsistency(None, None, None, 0.0, clusters, 0, why, list(inputs), list(abstained))
    best = clusters[0]
    voters = sum(c.size for c in clusters if c.examples_matched == best.examples_matched)
    rate = best.size / voters
    runner_up = clusters[1].members[0] if len(clusters) > 1 else None
    tied = len(clusters) > 1 and (clusters[1].all_failed, clusters[1].examples_matched, clusters[1].size) == (
        best.all_failed, best.examples_matched, best.size)
    confidence = 0.0 if best.all_failed else rate / (2 if tied else 1)
    n_examples = sum(p.expected is not None for p in inputs)
    parts = [f"candidate {best.members[0]} is in the largest behaviour cluster ({best.size} of {voters}"
             f" voting candidates agree on {n_inputs} probe input{'s' if n_inputs != 1 else ''})"]
    if n_examples:
        parts.append(f"it reproduces {best.examples_matched}/{n_examples} of the prompt's examples")
    if best.all_failed:
        parts.append("but every candidate raised or timed out on every input")
    if tied:
        parts.append("tied with another cluster; the tests/runtime order broke the tie")
    if abstained:
        parts.append(f"{len(abstained)} candidate{'s' if len(abstained) != 1 else ''} timed out where others "
                     "returned values and did not vote")
    return SelfConsistency(best.members[0], runner_up, round(rate, 4), round(confidence, 4), clusters, voters,
                           "; ".join(parts), list(inputs), list(abstained))


def self_consistency(
    run_inputs: RunInputs,
    candidates: Sequence[Candidate],
    inputs: Sequence[ProbeInput],
    order: Sequence[int],
    *,
    entry_point: str | None,
    io: bool,
    limits: Limits | None = None,
) -> SelfConsistency:
    """Fingerprint, cluster and choose in one call."""
    if not inputs:
        return choose([], [])
    fps = fingerprints(run_inputs, candidates, inputs, entry_point=entry_point, io=io, limits=limits)
    return choose(cluster(fps, order, inputs), inputs, sorted(abstainers(fps)))
