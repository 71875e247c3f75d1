"""Type-aware mutation of known inputs: more probe inputs without a model (after EvalPlus).

Why: a prompt usually shows one to three examples, and subtly wrong candidates
agree with right ones on exactly those. Small, type-preserving changes to the
example arguments (an empty list, a negative number, a duplicated element, a
reversed string) are where the bugs show, and cost no LLM call. Inputs that
break a precondition make every candidate fail alike, which does not split a
cluster; the benchmark measures whether the rest help.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from bestofn import pyast
from bestofn.rerank.inputs import ProbeInput, canonical_args

MAX_LEN = 64


def _variants(value: object) -> Iterator[object]:
    """Type-preserving neighbours of one argument value."""
    if isinstance(value, bool):
        yield not value
    elif isinstance(value, int):
        yield from (value + 1, value - 1, 0, -value, value * 2)
    elif isinstance(value, float):
        yield from (value + 0.5, -value, 0.0, round(value * 3, 6))
    elif isinstance(value, str):
        yield from ("", value[::-1], value.upper(), value.lower(), value + value[:1], value[1:], value.swapcase())
    elif isinstance(value, (list, tuple)):
        kind = type(value)
        items = list(value)
        yield kind()
        yield kind(items[::-1])
        if items:
            yield kind(items + items[:1])
            yield kind(items[1:])
            yield kind(items[:1])
            for i in sorted({0, len(items) // 2, len(items) - 1}):
                for v in _variants(items[i]):
                    yield kind(items[:i] + [v] + items[i + 1:])
            if len(items) < MAX_LEN:
                yield kind(items + items)
    elif isinstance(value, dict):
        yield {}
        if value:
            yield dict(list(value.items())[1:])


def mutate_inputs(known: Sequence[ProbeInput], count: int, seed: int) -> list[ProbeInput]:
    """Up to ``count`` new argument tuples, one argument changed at a time (seeded, so deterministic)."""
    seen = {p.args for p in known}
    pool: list[str] = []
    for p in known:
        try:
            args = pyast.literal_eval(p.args)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue  # stdin text, not an argument tuple
        if not isinstance(args, tuple):
            continue
        for i, arg in enumerate(args):
            for v in _variants(arg):
                text = canonical_args(args[:i] + (v,) + args[i + 1:])
                if text is not None and text not in seen:
                    seen.add(text)
                    pool.append(text)
    random.Random(seed).shuffle(pool)
    return [ProbeInput(t, None, "mutated") for t in pool[:count]]
