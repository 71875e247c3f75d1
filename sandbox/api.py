"""The sandbox's public functions: run candidates against tests, or probe their behaviour.

Candidate behaviour (wrong answers, crashes, timeouts, OOM) comes back as values;
only caller mistakes (``ValueError`` naming the field, from ``Problem``'s own rules
via ``check_runnable``, before any container starts) and an unreachable engine
(``SandboxUnavailable``) or engine failures (docker ``APIError``) raise.

Every function takes the deployment as ``config`` (a ``SandboxConfig``: image, engine,
default limits, isolation, run label); nothing here reads settings or the environment.
"""

from __future__ import annotations

from typing import Callable, Literal

from bestofn.schemas import ExecutionResult, Limits, TestSuite, check_runnable
from sandbox.config import SandboxConfig, resolve
from sandbox.container import ContainerRun, Record
from sandbox.parse import failure_result, record_fingerprints, record_to_result
from sandbox.payload import Item, probe_payload, tests_payload
from sandbox.per_candidate import Grade, run_one, run_per_candidate
from sandbox.per_task import run_per_task
from sandbox.pool import RunnerPool

Mode = Literal["per_candidate", "per_task"]


def _grade_tests(index: int, record: Record | None, run: ContainerRun, isolation: str) -> ExecutionResult:
    if record is not None:
        return record_to_result(record, isolation=isolation, container_oom=run.oom_killed)
    why = run.fatal or run.engine_error or run.diagnostics.strip()[-2000:] or "the sandbox container ended without a result"
    return failure_result(
        isolation=isolation, timed_out=run.timed_out, oom_killed=run.oom_killed, exit_code=run.exit_code, message=why,
    )


def _grade_probe(n_inputs: int) -> Grade[list[str]]:
    def grade(index: int, record: Record | None, run: ContainerRun, isolation: str) -> list[str]:
        if record is not None:
            return record_fingerprints(record, n_inputs)
        fill = "timeout" if run.timed_out else "exc:MemoryError" if run.oom_killed else "exc:Crash"
        return [fill] * n_inputs
    return grade


def run_candidate(
    code: str, tests: TestSuite, entry_point: str | None = None, limits: Limits | None = None,
    *, labels: dict[str, str] | None = None, prelude: str | None = None, config: SandboxConfig = SandboxConfig(),
    language: str = "python",
) -> ExecutionResult:
    """One candidate in a fresh hardened container (per_candidate isolation).

    ``prelude`` (humaneval): the problem's prompt; its definitions run on the trusted
    side, so helpers the tests call are the problem's, not the candidate's. ``language``:
    a name of ``bestofn.languages`` (or an alias); compiled languages compile once per candidate.
    """
    rl = resolve(limits, config, check_runnable(tests, entry_point, limits, language))
    return run_one((0, code), lambda items: tests_payload(items, tests, entry_point, rl, prelude), _grade_tests, rl,
                   dict(labels or {}), config)


def run_many(
    codes: list[str], tests: TestSuite, entry_point: str | None = None, limits: Limits | None = None,
    *, mode: Mode | None = None, labels: dict[str, str] | None = None,
    on_result: Callable[[int, ExecutionResult], None] | None = None, prelude: str | None = None,
    pool: RunnerPool | None = None, config: SandboxConfig = SandboxConfig(), language: str = "python",
) -> list[ExecutionResult]:
    """N candidates of one problem, in ``mode`` (default ``config.isolation``).

    ``on_result(index, result)`` is called in the caller's thread as each result is known;
    ``prelude`` and ``language`` as for ``run_candidate``; ``pool``: per_task runs on the caller's
    warm runners (made with the same ``config``; a runner serves only its own language).
    """
    rl = resolve(limits, config, check_runnable(tests, entry_point, limits, language))
    _same_config(pool, config)
    items: list[Item] = list(enumerate(codes))

    def build(batch: list[Item]) -> dict:
        return tests_payload(batch, tests, entry_point, rl, prelude)

    if (mode or config.isolation) == "per_task":
        results = run_per_task(items, build, _grade_tests, rl, dict(labels or {}), config, on_result, pool=pool)
    else:
        results = run_per_candidate(items, build, _grade_tests, rl, dict(labels or {}), config, on_result)
    return [results[i] for i, _ in items]


def run_inputs(
    codes: list[str], inputs: list[str], entry_point: str | None, *, io: bool = False,
    limits: Limits | None = None, labels: dict[str, str] | None = None, pool: RunnerPool | None = None,
    config: SandboxConfig = SandboxConfig(), language: str = "python",
) -> list[list[str]]:
    """Behaviour fingerprints (``ok:<repr>``, ``exc:<Type>``, ``timeout``) per candidate per input.

    Function problems: each input is a Python literal of the argument tuple, parsed
    with ``ast.literal_eval`` inside the container. ``io=True``: each input is stdin
    text and ``ok:`` carries the normalised stdout (``exc:<exit code>`` on failure); in a
    compiled ``language`` each candidate compiles once (``exc:CompileError`` for every input
    when it does not). One per_task container for all candidates (a warm one of ``pool`` when
    given); per_candidate re-runs on failure.
    """
    language = check_runnable(None, entry_point, limits, language)
    if not io and language != "python":
        raise ValueError(f"io: only python candidates can be probed as functions ({language} needs io=True)")
    rl = resolve(limits, config, language)
    _same_config(pool, config)
    items: list[Item] = list(enumerate(codes))
    probe_payload([], inputs, entry_point, io, rl)  # validate before starting anything
    if not inputs:
        return [[] for _ in codes]

    def build(batch: list[Item]) -> dict:
        return probe_payload(batch, inputs, entry_point, io, rl)

    results = run_per_task(items, build, _grade_probe(len(inputs)), rl, dict(labels or {}), config, pool=pool)
    return [results[i] for i, _ in items]


def _same_config(pool: RunnerPool | None, config: SandboxConfig) -> None:
    """A pool's runners and the call's fallback containers must come from one config (one engine, one run label)."""
    if pool is not None and pool.config != config:
        raise ValueError("pool: made with another SandboxConfig than the call's config")
