"""Pure helpers the pages use: highlighted code, a diff, the decision in words.

No request, no database: each takes plain values and returns HTML-safe strings or
small records, so they are tested on strings (tests/ui/test_render.py).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import DiffLexer, PythonLexer

from bestofn.trace import DecisionTrace

_FORMATTER = HtmlFormatter(cssclass="hl", nowrap=False)


def code_html(code: str) -> Markup:
    """Python source highlighted by Pygments (classes only, no inline styles: the CSP forbids them)."""
    return Markup(highlight(code or "", PythonLexer(), _FORMATTER))


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    """difflib's unified diff of two sources ('' when they are equal)."""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=old_name, tofile=new_name)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def diff_html(old: str, new: str, old_name: str, new_name: str) -> Markup:
    """The unified diff, coloured by Pygments' diff lexer (one column: readable on a phone too)."""
    diff = unified_diff(old, new, old_name, new_name)
    return Markup(highlight(diff, DiffLexer(), _FORMATTER)) if diff else Markup("")


@lru_cache(maxsize=1)
def pygments_css() -> str:
    """The stylesheet for the ``hl`` classes the formatter emits."""
    return _FORMATTER.get_style_defs(".hl")


@dataclass(frozen=True)
class Explained:
    """The decision as sentences a person reads, plus the judge's verdicts."""

    headline: str
    facts: list[str]
    chain: list[str]
    verdicts: list[str]
    clusters: list[str]
    probes: list[str]


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def explain(decision: dict[str, Any]) -> Explained:
    """Method, reason, runner-up, confidence, agreement and the chain of ranking steps in words."""
    trace = DecisionTrace.model_validate(decision.get("details") or {})
    winner = decision.get("winner")
    method = decision.get("method", "none")
    headline = (f"Candidate {winner} won by {method.replace('_', ' ')}: {decision.get('reason', '')}"
                if winner is not None else f"No winner ({method.replace('_', ' ')}): {decision.get('reason', '')}")
    facts = []
    if decision.get("runner_up") is not None:
        facts.append(f"Runner-up: candidate {decision['runner_up']}.")
    if decision.get("confidence") is not None:
        facts.append(f"Confidence: {_pct(decision['confidence'])}.")
    if decision.get("agreement_rate") is not None:
        facts.append(f"Agreement between candidates: {_pct(decision['agreement_rate'])}.")
    if decision.get("no_passing_candidate"):
        facts.append("No candidate passed every test.")
    if trace.early_stop is not None:
        facts.append(f"Stopped early after wave {trace.early_stop.after_wave}, "
                     f"skipping {trace.early_stop.candidates_skipped} candidate(s).")
    chain = [f"{step.method}: {step.outcome} ({step.why})" for step in trace.chain]
    verdicts = []
    if trace.judge is not None:
        for v in trace.judge.verdicts:
            shown = ", ".join(str(i) for i in v.order)
            verdicts.append(f"Judge ({trace.judge.model or 'model'}) saw {shown}: "
                            + (f"error {v.error}" if v.error else f"picked {v.choice}: {v.reason}"))
        if trace.judge.fell_back:
            verdicts.append("The judge's replies were unusable: the ranking fell back to the previous step.")
    clusters = []
    if trace.self_consistency is not None:
        for c in trace.self_consistency.clusters:
            out = "; ".join(c.outputs[:3])
            clusters.append(f"{{{', '.join(map(str, c.members))}}}: {c.size} candidate(s), "
                            f"{c.examples_matched} example(s) matched" + (", all failed" if c.all_failed else "")
                            + (f"; outputs {out}" if out else ""))
    probes = [f"{p.args}" + (f" → {p.expected}" if p.expected is not None else "") + f" ({p.source})"
              for p in (trace.self_consistency.inputs if trace.self_consistency else [])]
    return Explained(headline, facts, chain, verdicts, clusters, probes)
