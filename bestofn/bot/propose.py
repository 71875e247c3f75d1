"""``propose``: from a failing checkout to the best tested patch, as plain functions.

baseline run -> context -> N replies -> parse + apply each on its own copy, without its
changes to test infrastructure (``bestofn/bot/test_infra.py``) -> run each distinct patch
in a fresh container -> rank -> result. The original
checkout is only read; every write happens in a temp directory removed at the end.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from bestofn.bot.context import Context, build_context, related_files
from bestofn.bot.execute import run_tests
from bestofn.bot.models import BotResult, PatchOutcome, TestRun, compare_runs
from bestofn.bot.patches import changed_lines, parse_reply
from bestofn.bot.prompt import patch_messages
from bestofn.bot.rank import rank_patches
from bestofn.bot.test_infra import TestInfra
from bestofn.bot.workspace import (
    Applied,
    BadInput,
    apply_patch,
    changed_paths,
    checkout_root,
    diff_without,
    head_commit,
    make_baseline,
    read_text,
    repo_files,
)
from bestofn.generate import sample_many
from bestofn.schemas import Candidate
from bestofn.settings import Settings
from sandbox.repo_run import REPO_DIR

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai

CONTAINER_REPO = f"/work/{REPO_DIR}"  # where tracebacks from the sandbox say the files are


@dataclass
class ProposeOptions:
    """What the user asked for (the CLI's flags)."""

    repo: Path
    test_command: str = "pytest -q"
    n: int = 8
    model: str | None = None
    issue_text: str = ""
    focus: list[str] = field(default_factory=list)
    wheelhouse: Path | None = None
    seed_base: int | None = None


@dataclass
class _Prepared:
    """One candidate after parsing and applying: its outcome so far and its patched copy."""

    candidate: Candidate
    outcome: PatchOutcome
    applied: Applied | None = None


def _check_inputs(opts: ProposeOptions, files: list[str], settings: Settings) -> None:
    known = set(files)
    for f in opts.focus:
        if f not in known:
            raise BadInput(f"--focus {f}: not a file of the repository (give a path relative to its root)")
    if opts.wheelhouse is not None and not opts.wheelhouse.is_dir():
        raise BadInput(f"--wheelhouse {opts.wheelhouse}: no such directory")
    if not opts.test_command.strip():
        raise BadInput("--test-cmd: empty command")
    if not 1 <= opts.n <= settings.max_n:
        raise BadInput(f"--n {opts.n}: must be between 1 and {settings.max_n} (BESTOFN_MAX_N)")


def gather_context(opts: ProposeOptions, base: Path, files: list[str], baseline: TestRun, settings: Settings) -> Context:
    """The failing output, the issue, the focus files and the files the failure points at, within the budget."""
    read = partial(read_text, base)
    focus = {p: read(p) or "" for p in opts.focus}
    paths = related_files(baseline.output, set(files), (CONTAINER_REPO, str(base)), read)
    traced = {p: text for p in paths if (text := read(p)) is not None}
    return build_context(baseline.output, opts.issue_text, focus, traced, settings.bot_context_tokens)


def prepare(cand: Candidate, base: Path, work: Path, infra: TestInfra) -> _Prepared:
    """Parse a reply into a diff and apply it on a fresh copy, without its test infrastructure;
    every failure is a recorded status."""
    if cand.error:
        return _Prepared(cand, PatchOutcome(index=cand.index, status="llm_error", detail=cand.error))
    parsed = parse_reply(cand.raw, lambda p: read_text(base, p))
    if parsed.error or not parsed.diff:
        status = "no_change" if parsed.kind == "whole_file" else "no_patch"
        return _Prepared(cand, PatchOutcome(index=cand.index, status=status, detail=parsed.error or ""))
    dest = work / f"cand-{cand.index}"
    applied = apply_patch(base, parsed.diff, dest)
    if not applied.ok:
        return _Prepared(cand, PatchOutcome(index=cand.index, status="not_applied", detail=applied.error))
    cand = cand.model_copy(update={"code": applied.diff})
    if not applied.diff.strip():
        return _Prepared(cand, PatchOutcome(index=cand.index, status="no_change", detail="the patch applies but changes nothing"), applied)
    detail = f"{parsed.kind.replace('_', '-')} reply" + ("" if applied.how == "--recount" else f", applied with {applied.how}")
    assert applied.copy is not None
    dropped = infra.dropped(changed_paths(applied.copy), partial(read_text, base), partial(read_text, applied.copy))
    if dropped:
        applied = _without_test_infra(applied, dropped, base, dest)
        detail += f"; test infrastructure not run: {', '.join(dropped)}"
        cand = cand.model_copy(update={"code": applied.diff})
        if not applied.ok:
            return _Prepared(cand, PatchOutcome(index=cand.index, status="not_applied", detail=f"{detail}; {applied.error}",
                                                not_run=dropped))
        if not applied.diff.strip():
            return _Prepared(cand, PatchOutcome(index=cand.index, status="tests_only", detail=f"{detail}; nothing else to run",
                                                not_run=dropped))
    return _Prepared(cand, PatchOutcome(index=cand.index, status="ran", detail=detail, not_run=dropped,
                                        changed_lines=changed_lines(applied.diff)), applied)


def _without_test_infra(applied: Applied, dropped: list[str], base: Path, dest: Path) -> Applied:
    """The patch without its changes to ``dropped``, applied again on a fresh copy, so what runs (and
    is ranked and published) is exactly that diff; an empty diff leaves no copy."""
    assert applied.copy is not None
    kept = diff_without(applied.copy, dropped)
    shutil.rmtree(applied.copy)
    if not kept.strip():
        return Applied(ok=True)
    return apply_patch(base, kept, dest)


def _execute_distinct(prepared: list[_Prepared], baseline: TestRun, opts: ProposeOptions, task: str,
                      settings: Settings) -> None:
    """Run each distinct canonical diff once (fresh container each) and fill in the outcomes."""
    groups: dict[str, list[_Prepared]] = {}
    for p in prepared:
        if p.outcome.status == "ran":
            groups.setdefault(p.candidate.code, []).append(p)

    def run(group: list[_Prepared]) -> None:
        first = group[0]
        assert first.applied is not None and first.applied.copy is not None
        labels = {"task": task, "candidate": str(first.candidate.index)}
        after = run_tests(first.applied.copy, first.applied.files, opts.test_command, wheelhouse=opts.wheelhouse,
                          labels=labels, settings=settings)
        for p in group:
            o = p.outcome
            o.agreement = len(group)
            if after.error:
                o.status, o.detail = "run_error", after.error
                continue
            o.fixed, o.broken, o.still_failing = compare_runs(baseline, after)
            o.runtime_ms = after.runtime_ms
            if after.timed_out:
                o.detail += "; the test run timed out"

    with ThreadPoolExecutor(max_workers=max(1, min(settings.sandbox_parallelism, len(groups) or 1))) as pool:
        list(pool.map(run, groups.values()))


def _with_winner(result: BotResult, prepared: list[_Prepared]) -> BotResult:
    """The result with the winner's canonical diff and its changed files' new text (None: deleted)."""
    if result.decision is None or result.decision.winner is None:
        return result
    applied = next(p.applied for p in prepared if p.candidate.index == result.decision.winner)
    assert applied is not None and applied.copy is not None
    files: dict[str, str | None] = {}
    executable = []
    for path in changed_paths(applied.copy):  # both sides of a rename: a pure one has no ---/+++ lines
        full = applied.copy / path
        files[path] = full.read_text(encoding="utf-8") if full.is_file() else None
        if full.is_file() and full.stat().st_mode & 0o111:
            executable.append(path)
    return result.model_copy(update={"winner_diff": applied.diff, "winner_files": files, "winner_executable": executable})


def propose(opts: ProposeOptions, client: openai.OpenAI, settings: Settings) -> BotResult:
    """Run the whole bot on a checkout; raises ``BadInput`` for unusable input, returns a result otherwise."""
    root = checkout_root(opts.repo)
    files = repo_files(root)
    _check_inputs(opts, files, settings)
    model = opts.model or settings.model
    task = f"bot-{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="bestofn-bot-") as tmp:
        work = Path(tmp)
        base = make_baseline(root, files, work / "baseline")
        baseline = run_tests(base, files, opts.test_command, wheelhouse=opts.wheelhouse,
                             labels={"task": task, "candidate": "baseline"}, settings=settings)
        result = BotResult(repo=str(opts.repo), test_command=opts.test_command, model=model, baseline=baseline,
                           head_sha=head_commit(root))
        if baseline.error or not baseline.failing:
            return result
        ctx = gather_context(opts, base, files, baseline, settings)
        seed_base = settings.seed if opts.seed_base is None else opts.seed_base
        candidates = sample_many(client, patch_messages(opts.test_command, ctx.render()), range(opts.n),
                                 model=model, temperature=settings.bot_temperature,
                                 max_tokens=settings.bot_max_tokens, seed_base=seed_base, settings=settings)
        infra = TestInfra.of(files, partial(read_text, base), opts.test_command)
        prepared = [prepare(c, base, work, infra) for c in candidates]
        _execute_distinct(prepared, baseline, opts, task, settings)
        outcomes = [p.outcome for p in prepared]
        result = result.model_copy(update={
            "context_files": [s.path for s in ctx.sections if s.path], "context_cut": ctx.truncated,
            "context_left_out": ctx.omitted, "candidates": [p.candidate for p in prepared], "outcomes": outcomes,
            "decision": rank_patches(outcomes, len(baseline.failing)),
        })
        return _with_winner(result, prepared)
