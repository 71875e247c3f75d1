"""Answer majority vote for tasks whose result is a value, not a program.

Why: for a question with one right answer (a number, a word), independent
samples that land on the same final answer are more often right (Wang et al.
2022, self-consistency). The work is in normalising: "The answer is 1,000." and
"\\boxed{1000}" are the same vote. Below ``min_agreement`` there is no decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from bestofn.trace import MajorityTrace

_ANSWER = re.compile(r"(?:final\s+answer|answer)\s*(?:is)?\s*[:=]?\s*(.+)", re.I)
_NUMBER_IN_TEXT = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?%?")
_NUMBER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?%?$")


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` (nested braces respected), if any."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i, depth = start + len("\\boxed{"), 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j]
    return None


def final_answer(text: str) -> str:
    """The part of a reply that states the answer: boxed, then "answer: X", then the last line."""
    boxed = last_boxed(text)
    if boxed is not None:
        return boxed
    hits = [m.group(1) for line in text.splitlines() if (m := _ANSWER.search(line))]
    if hits:
        return hits[-1]
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def canonical_number(text: str) -> str | None:
    """``"1,000"``, ``"1000.0"``, ``"1e3"`` -> ``"1000"``; ``"0.50"`` -> ``"0.5"``; ``"1/2"`` -> ``"0.5"``."""
    t = text.strip().replace(" ", "")
    if re.fullmatch(r"[-+]?\d+/\d+", t):
        try:
            frac = Fraction(t)
        except (ValueError, ZeroDivisionError):
            return None
        t = str(Decimal(frac.numerator) / Decimal(frac.denominator))
    elif not t or not _NUMBER.match(t) or not re.search(r"\d", t):
        return None
    pct = t.endswith("%")
    try:
        value = Decimal(t.rstrip("%").replace(",", ""))
    except InvalidOperation:
        return None
    if pct:
        value /= 100
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def normalise(text: str) -> str:
    """The comparable form of a reply's final answer (lower-cased, unwrapped, numbers canonical)."""
    ans = final_answer(text).strip()
    ans = re.sub(r"^\$+|\$+$", "", ans).strip()
    ans = re.sub(r"^\\text\{(.*)\}$", r"\1", ans).strip()
    ans = re.sub(r"\\d?frac\{([^{}]+)\}\{([^{}]+)\}", r"\1/\2", ans)
    ans = ans.strip("*`'\" ").rstrip(".").strip()
    number = canonical_number(ans.lstrip("$"))
    if number is not None:
        return number
    numbers = [n for n in map(canonical_number, _NUMBER_IN_TEXT.findall(ans)) if n is not None]
    if numbers:
        return numbers[-1]  # "It is 42." states the number 42
    return re.sub(r"\s+", " ", ans.lower())


@dataclass
class Vote:
    """The vote's outcome; ``winner`` is None below the agreement threshold."""

    winner: int | None
    answer: str | None
    agreement_rate: float | None
    runner_up: int | None
    counts: dict[str, list[int]] = field(default_factory=dict)
    reason: str = ""
    best_guess: int | None = None

    def trace(self) -> MajorityTrace:
        return MajorityTrace(answers={a: m for a, m in list(self.counts.items())[:12]})


def vote(answers: dict[int, str], order: Sequence[int], min_agreement: float) -> Vote:
    """Majority over normalised answers; ties go to the answer whose best member ranks first in ``order``."""
    pos = {idx: i for i, idx in enumerate(order)}
    counts: dict[str, list[int]] = {}
    for idx in sorted(answers, key=lambda i: pos.get(i, len(pos) + i)):
        norm = normalise(answers[idx])
        if norm:
            counts.setdefault(norm, []).append(idx)
    if not counts:
        return Vote(None, None, None, None, {}, "no candidate stated an answer")
    ranked = sorted(counts.items(), key=lambda kv: (-len(kv[1]), pos.get(kv[1][0], 1 << 30)))
    counts = dict(ranked)
    best_answer, members = ranked[0]
    rate = len(members) / len(answers)
    runner_up = ranked[1][1][0] if len(ranked) > 1 else None
    share = f"{len(members)} of {len(answers)} candidates answer {best_answer!r}"
    if rate < min_agreement:
        return Vote(None, best_answer, round(rate, 4), runner_up, counts,
                    f"no clear majority: {share}, below the {min_agreement:.0%} needed", members[0])
    return Vote(members[0], best_answer, round(rate, 4), runner_up, counts, f"majority vote: {share}", members[0])
