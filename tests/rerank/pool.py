"""A scripted candidate pool for the rerank integration tests: correct and subtly wrong variants.

``uniq_sorted`` returns the distinct values of a list in ascending order. The
wrong variants pass the prompt's single doctest and the weak check below, and
fail only on inputs the model is scripted to suggest (negatives, empty lists).
"""

from __future__ import annotations

import json

from bestofn.schemas import Candidate, TestSuite

PROMPT = '''def uniq_sorted(xs: list) -> list:
    """Return the distinct values of xs in ascending order.
    >>> uniq_sorted([3, 1, 3])
    [1, 3]
    """
'''
ENTRY = "uniq_sorted"

RIGHT_SET = "def uniq_sorted(xs):\n    return sorted(set(xs))\n"
RIGHT_LOOP = (
    "def uniq_sorted(xs):\n    out = []\n    for x in sorted(xs):\n"
    "        if not out or out[-1] != x:\n            out.append(x)\n    return out\n"
)
RIGHT_DICT = "def uniq_sorted(xs):\n    return sorted(dict.fromkeys(xs))\n"
# Set iteration order of small non-negative ints happens to be sorted; negatives expose it.
WRONG_UNSORTED = "def uniq_sorted(xs):\n    return list(set(xs))\n"
# Forgets that an empty list is a list.
WRONG_EMPTY = "def uniq_sorted(xs):\n    if not xs:\n        return None\n    return sorted(set(xs))\n"
# Drops duplicates only when adjacent.
WRONG_ADJACENT = (
    "def uniq_sorted(xs):\n    out = []\n    for x in xs:\n        if not out or out[-1] != x:\n"
    "            out.append(x)\n    return sorted(out)\n"
)
RIGHT = {RIGHT_SET, RIGHT_LOOP, RIGHT_DICT}

WEAK_CHECK = TestSuite(format="humaneval", code="def check(candidate):\n    assert candidate([2, 1]) == [1, 2]\n")

GENERATED_INPUTS = json.dumps({"inputs": ["([],)", "([-1, 2, -1],)", "([5, 5, 5],)", "([2, 1, 2, 1],)",
                                          "([-3, -1, -2],)", "not a tuple ("]})
GENERATED_TESTS = "\n".join([
    "assert uniq_sorted([]) == []",
    "assert uniq_sorted([-1, 2, -1]) == [-1, 2]",
    "assert uniq_sorted([2, 1, 2, 1]) == [1, 2]",
    "assert uniq_sorted([1, 1]) == [1, 1]",  # a wrong generated test: nobody should trust it
])


def candidates(*codes: str) -> list[Candidate]:
    return [Candidate(index=i, code=c, raw=f"```python\n{c}```") for i, c in enumerate(codes)]


def right(cands: list[Candidate], index: int | None) -> bool:
    return index is not None and next(c.code for c in cands if c.index == index) in RIGHT
