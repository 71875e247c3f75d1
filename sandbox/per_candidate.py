"""``per_candidate`` isolation: a fresh hardened container for every candidate.

The strongest isolation the sandbox offers (nothing is shared between two
candidates but the kernel) and the slowest: one container start per candidate,
bounded by the config's ``parallelism`` concurrent containers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable, TypeVar

from sandbox.config import RunLimits, SandboxConfig
from sandbox.container import ContainerRun, Record, run_container
from sandbox.payload import Item, deadline_s

T = TypeVar("T")
Build = Callable[[list[Item]], dict[str, Any]]
Grade = Callable[[int, "Record | None", ContainerRun, str], T]


def run_one(item: Item, build: Build, grade: Grade[T], rl: RunLimits, labels: dict[str, str],
            config: SandboxConfig) -> T:
    """One candidate in its own container; a missing record is graded from the container's fate."""
    index = item[0]
    payload = build([item])
    for _attempt in range(2):  # one retry when the container was lost to something outside it
        run = run_container(payload, rl, config=config, deadline_s=deadline_s(payload),
                            labels={"candidate": str(index), **labels})
        record = next((r for r in run.records if r.get("index") == index), None)
        if record is not None or not run.lost:
            break
    return grade(index, record, run, "per_candidate")


def run_per_candidate(
    items: list[Item], build: Build, grade: Grade[T], rl: RunLimits, labels: dict[str, str], config: SandboxConfig,
    on_done: Callable[[int, T], None] | None = None,
) -> dict[int, T]:
    """Each item in its own container, ``config.parallelism`` at a time; ``on_done`` runs in the caller's thread."""
    out: dict[int, T] = {}
    if not items:
        return out
    workers = max(1, min(config.parallelism, len(items)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox") as pool:
        futures = {pool.submit(run_one, item, build, grade, rl, labels, config): item[0] for item in items}
        for future in as_completed(futures):
            index = futures[future]
            out[index] = future.result()
            if on_done is not None:
                on_done(index, out[index])
    return out
