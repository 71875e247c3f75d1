"""Type-aware mutation of known inputs (pure)."""

from __future__ import annotations

import ast

from bestofn.rerank.inputs import ProbeInput
from bestofn.rerank.mutate import mutate_inputs


def test_mutations_keep_argument_types_and_change_one_argument() -> None:
    known = [ProbeInput("([3, 1, 3], 'ab')", "[1, 3]")]
    got = mutate_inputs(known, 50, seed=1)
    assert got and all(p.source == "mutated" and p.expected is None for p in got)
    for p in got:
        xs, s = ast.literal_eval(p.args)
        assert isinstance(xs, list) and isinstance(s, str)
        assert (xs == [3, 1, 3]) != (s == "ab")  # exactly one argument changed
    args = {p.args for p in got}
    assert "([], 'ab')" in args and "([-3, 1, 3], 'ab')" in args and "([3, 1, 3], '')" in args
    assert known[0].args not in args and len(args) == len(got)


def test_mutation_is_seeded_capped_and_skips_non_tuples() -> None:
    known = [ProbeInput("(5,)"), ProbeInput("(True,)"), ProbeInput("1 2\n", source="tests")]
    assert mutate_inputs(known, 3, seed=7) == mutate_inputs(known, 3, seed=7)
    assert len(mutate_inputs(known, 3, seed=7)) == 3
    assert {p.args for p in mutate_inputs(known, 50, seed=0)} == {"(6,)", "(4,)", "(0,)", "(-5,)", "(10,)", "(False,)"}
    assert mutate_inputs([], 5, seed=0) == []
