"""CodeT dual execution agreement (Chen et al. 2022): rank by model-written tests, with care.

Why: model-written tests are often wrong, so passing one proves little; but a
set of candidates that agree on passing the same set of tests, with many
members and many tests, is strong evidence. Each consensus group (candidates
with the same passed-test set) scores |candidates| x |tests passed|; the best
group's top-ranked member wins. Generated tests are never ground truth: they
only score groups, and a candidate that fails them all can still be chosen when
nothing passes any. A timeout is no answer (how long a run takes depends on the
machine's load): a run that timed out joins no group when it may have hidden a pass.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bestofn import pyast
from bestofn.extract import fenced_blocks
from bestofn.llm import chat
from bestofn.schemas import ExecutionResult, Problem, TestSuite
from bestofn.trace import CodetGroupTrace, CodetTrace, LlmCall

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai

CODET_SYSTEM = (
    "You write unit tests. Answer with Python assert statements only, one per line, each "
    "calling the function with concrete arguments and comparing with the exact expected "
    "result, e.g. `assert f(2, 3) == 5`. No imports, no prose."
)
_TEST_NAME = re.compile(r"^assert\[(\d+)\]")


def tests_messages(problem: Problem, count: int) -> list[dict[str, str]]:
    """The request for ``count`` assert lines about the entry point."""
    return [
        {"role": "system", "content": CODET_SYSTEM},
        {"role": "user", "content": f"Write {count} assert statements testing `{problem.entry_point}` for this "
                                    f"problem.\n\n{problem.prompt}"},
    ]


def parse_generated_tests(text: str, entry_point: str, limit: int) -> list[str]:
    """Valid, distinct one-line asserts that call ``entry_point`` (fences and prose ignored)."""
    blocks = [body for _, body in fenced_blocks(text)] or [text]
    found: dict[str, str] = {}
    for line in "\n".join(blocks).splitlines():
        line = line.strip()
        if not line.startswith("assert ") or not re.search(rf"\b{re.escape(entry_point)}\s*\(", line):
            continue
        try:
            tree = pyast.parse(line)
        except SyntaxError:
            continue
        if len(tree.body) == 1 and isinstance(tree.body[0], ast.Assert):
            found.setdefault(ast.dump(tree.body[0]), ast.unparse(tree.body[0]))
    return list(found.values())[:limit]


def generate_tests(
    client: openai.OpenAI, model: str, problem: Problem, *, count: int, seed: int, max_tokens: int = 512
) -> tuple[list[str], LlmCall]:
    """Ask the model for asserts; returns them and a record of the call (API errors recorded)."""
    import openai  # already loaded by whoever made ``client``

    call = LlmCall(purpose="codet_tests", model=model, requested=count)
    try:
        reply = chat(client, model, tests_messages(problem, count), temperature=0.0, max_tokens=max_tokens, seed=seed)
    except openai.OpenAIError as exc:
        return [], call.failed(exc)
    asserts = parse_generated_tests(reply.text, problem.entry_point or "", count)
    return asserts, call.answered(reply, len(asserts), "no valid assert in the reply")


def suite_for(asserts: Sequence[str]) -> TestSuite:
    """One humaneval-format suite, one top-level assert per generated test.

    The sandbox reports each top-level assert of ``check`` as its own test
    (``assert[k] ...``), so one run per candidate gives every per-test outcome.
    The asserts call the entry point by name, which the program defines in the
    same globals.
    """
    return TestSuite(format="humaneval", code="def check(candidate):\n" + "".join(f"    {a}\n" for a in asserts))


def timed_out(result: ExecutionResult | None) -> bool:
    """True when the run, or any of its tests, hit a time limit: its passed set is no answer."""
    return result is not None and (result.timed_out or result.status == "timeout"
                                   or any(t.outcome == "timeout" for t in result.tests))


def answers(results: dict[int, ExecutionResult | None]) -> dict[int, frozenset[int]]:
    """Each candidate's passed-test set, leaving out a run that timed out when another run
    that finished passed a test it did not: the timeout may have hidden that pass.

    A run that timed out only on tests no finished run passed keeps its set, so a correct
    but slow solution is not outvoted by wrong ones that finish fast.
    """
    finished = {i: passed_tests(r) for i, r in results.items() if not timed_out(r)}
    seen = frozenset().union(*finished.values())
    late = {i: passed_tests(r) for i, r in results.items() if timed_out(r)}
    return {**finished, **{i: got for i, got in late.items() if got >= seen}}


def passed_tests(result: ExecutionResult | None) -> frozenset[int]:
    """Which generated tests (by number) a candidate passed, from its per-test outcomes."""
    if result is None:
        return frozenset()
    passed = set()
    for t in result.tests:
        m = _TEST_NAME.match(t.name)
        if m and t.outcome == "passed":
            passed.add(int(m.group(1)))
    return frozenset(passed)


@dataclass
class Group:
    """Candidates that pass exactly the same generated tests."""

    members: list[int]
    passed: frozenset[int]

    @property
    def score(self) -> int:
        return len(self.members) * len(self.passed)

    def summary(self) -> CodetGroupTrace:
        return CodetGroupTrace(members=self.members, tests_passed=sorted(self.passed), score=self.score)


def consensus(passed: dict[int, frozenset[int]], order: Sequence[int]) -> list[Group]:
    """Consensus groups, best first: score, then size, then the tests/runtime order."""
    pos = {idx: i for i, idx in enumerate(order)}
    groups: dict[frozenset[int], list[int]] = {}
    for idx in sorted(passed, key=lambda i: pos.get(i, len(pos) + i)):
        groups.setdefault(passed[idx], []).append(idx)
    out = [Group(m, s) for s, m in groups.items()]
    out.sort(key=lambda g: (-g.score, -len(g.members), pos.get(g.members[0], 1 << 30)))
    return out


@dataclass
class CodeT:
    """What CodeT concluded and its evidence."""

    winner: int | None
    runner_up: int | None
    agreement_rate: float | None
    confidence: float
    groups: list[Group]
    tests: list[str]
    reason: str

    def trace(self) -> CodetTrace:
        return CodetTrace(groups=[g.summary() for g in self.groups[:8]], generated_tests=self.tests)


def choose(groups: list[Group], tests: Sequence[str]) -> CodeT:
    """The best group's first member; confidence = the best group's share of all score."""
    if not tests:
        return CodeT(None, None, None, 0.0, groups, list(tests), "no generated test to score candidates with")
    if not groups:
        return CodeT(None, None, None, 0.0, groups, list(tests), "no candidate to score")
    best = groups[0]
    total = sum(g.score for g in groups)
    n = sum(len(g.members) for g in groups)
    runner_up = groups[1].members[0] if len(groups) > 1 else None
    if best.score == 0:
        return CodeT(None, runner_up, None, 0.0, groups, list(tests),
                     f"no candidate passed any of the {len(tests)} generated tests")
    reason = (f"candidate {best.members[0]} is in the best CodeT consensus group: {len(best.members)} candidates"
              f" pass the same {len(best.passed)} of {len(tests)} generated tests (score {best.score})")
    return CodeT(best.members[0], runner_up, round(len(best.members) / n, 4), round(best.score / total, 4),
                 groups, list(tests), reason)
