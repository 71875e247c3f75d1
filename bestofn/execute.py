"""Step 2: run candidates against the task's tests in the sandbox.

Execution happens inside the task with a bounded pool (sandbox.run_many), not as
a Celery group: the per_task isolation mode runs a problem's candidates in one
warm container, which measured far faster than one Celery sub-task (and one
container start) per candidate; see the README's pipeline benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sandbox
from bestofn.schemas import Candidate, ExecutionResult, Limits, Problem
from bestofn.settings import Settings


@contextmanager
def warm_runners(settings: Settings, labels: dict[str, str], width: int | None = None) -> Iterator[sandbox.RunnerPool | None]:
    """The warm runners of ONE task or eval run (None when settings turn them off); closed on exit,
    so no runner outlives its owner's work or serves another owner."""
    config = settings.sandbox_config()
    if not config.warm_runners:
        yield None
        return
    with sandbox.RunnerPool(config=config, labels=labels, max_idle=max(1, width or config.parallelism)) as pool:
        yield pool


def execute_candidates(
    problem: Problem,
    candidates: list[Candidate],
    *,
    config: sandbox.SandboxConfig,
    task_id: str = "",
    on_result: Callable[[int, ExecutionResult], None] | None = None,
    pool: sandbox.RunnerPool | None = None,
) -> dict[int, ExecutionResult]:
    """Execution results by candidate index, for usable candidates; {} without tests.

    ``config``: the sandbox's (``Settings.sandbox_config()``), the one ``pool`` was made with.
    """
    usable = [c for c in candidates if c.usable]
    if problem.tests is None or not usable:
        return {}
    limits = Limits(timeout_s=problem.limits.timeout_s, memory_mb=problem.limits.memory_mb)

    def forward(pos: int, result: ExecutionResult) -> None:
        if on_result is not None:
            on_result(usable[pos].index, result)

    results = sandbox.run_many(
        [c.code for c in usable],
        problem.tests,
        problem.entry_point,
        limits,
        labels={"bestofn.task": task_id},
        on_result=forward,
        prelude=problem.prompt if problem.tests.format == "humaneval" else None,
        pool=pool,
        config=config,
        language=problem.language,
    )
    return {c.index: r for c, r in zip(usable, results)}
