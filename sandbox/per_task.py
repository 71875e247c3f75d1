"""``per_task`` isolation: one fresh container runs all candidates of one problem.

Faster (one container start per problem, a warm interpreter that forks per
candidate) and WEAKER than per_candidate: candidates share a kernel namespace
set, a uid and the container's memory/pids budget. Each still gets its own
process, work directory and rlimits, and between candidates the runner kills
every leftover process and wipes /work, /tmp and /dev/shm. If the container dies
or a candidate's record is missing or unusable, that candidate is re-run in its
own container (per_candidate), so one hostile sibling cannot sink the others.
"""

from __future__ import annotations

import logging
import queue
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from sandbox.config import RunLimits, SandboxConfig
from sandbox.container import ContainerRun, Record, run_container
from sandbox.payload import Item, deadline_s
from sandbox.per_candidate import Build, Grade, run_per_candidate
from sandbox.pool import RunnerPool

T = TypeVar("T")
log = logging.getLogger(__name__)


CHUNK = 32  # candidates per container before a large call is spread over several


def run_per_task(
    items: list[Item], build: Build, grade: Grade[T], rl: RunLimits, labels: dict[str, str], config: SandboxConfig,
    on_done: Callable[[int, T], None] | None = None, pool: RunnerPool | None = None,
) -> dict[int, T]:
    """The items in one container (a warm one of ``pool`` when given), or, past ``CHUNK`` of
    them, in up to ``config.parallelism`` containers at once, each with a contiguous share; the
    ones without a usable record fall back to per_candidate. ``on_done`` runs in the caller's thread."""
    shares = min(max(1, config.parallelism), -(-len(items) // CHUNK))
    if shares <= 1:
        return _one_container(items, build, grade, rl, labels, config, on_done, pool)
    size = -(-len(items) // shares)
    done: queue.Queue[tuple[int, T]] = queue.Queue()
    out: dict[int, T] = {}
    with ThreadPoolExecutor(max_workers=shares, thread_name_prefix="per-task") as threads:
        futures = [threads.submit(_one_container, items[i: i + size], build, grade, rl, labels, config,
                                  lambda index, result: done.put((index, result)), pool)
                   for i in range(0, len(items), size)]
        while not all(f.done() for f in futures) or not done.empty():
            try:
                index, result = done.get(timeout=0.05)
            except queue.Empty:
                continue
            if on_done is not None:
                on_done(index, result)
        for future in futures:
            out.update(future.result())
    return out


def _one_container(
    items: list[Item], build: Build, grade: Grade[T], rl: RunLimits, labels: dict[str, str], config: SandboxConfig,
    on_done: Callable[[int, T], None] | None, pool: RunnerPool | None,
) -> dict[int, T]:
    """All items in one container; the ones without a usable record fall back to per_candidate."""
    out: dict[int, T] = {}
    wanted = {index for index, _ in items}

    def accept(record: Record) -> None:
        index = record.get("index")
        if index not in wanted or index in out or "runner_error" in record:
            return  # unknown, repeated or runner-side failure: leave it to the re-run
        try:
            out[index] = grade(index, record, run_stub, "per_task")
        except (ValueError, TypeError, KeyError) as exc:  # unusable record: leave it to the re-run
            log.warning("per_task record for candidate %s could not be graded: %s", index, exc)
            return
        if on_done is not None:
            on_done(index, out[index])

    run_stub = ContainerRun()  # records arrive complete: their container was healthy when sent
    payload = build(items)
    if pool is not None:
        run = pool.run(payload, rl, deadline_s=deadline_s(payload), on_record=accept)
    else:
        run = run_container(payload, rl, config=config, deadline_s=deadline_s(payload),
                            labels={"candidate": "per_task", **labels}, on_record=accept)
    missing = [item for item in items if item[0] not in out]
    if missing:
        log.warning(
            "per_task container gave no usable result for %d of %d candidates (done=%s timed_out=%s oom=%s "
            "exit=%s engine=%s fatal=%s); re-running them per_candidate",
            len(missing), len(items), run.done, run.timed_out, run.oom_killed, run.exit_code, run.engine_error, run.fatal,
        )
    out.update(run_per_candidate(missing, build, grade, rl, labels, config, on_done))
    return out
