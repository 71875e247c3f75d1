"""Live progress of a running task for the CLI, always on stderr.

A wait of minutes with no sign of life looks like a hang, so ``solve``,
``demo``, ``submit --wait`` and ``bot propose`` show candidates generated and
executed as they happen: a rich display on a terminal, one plain line per
change otherwise (logs and CI), and never anything on stdout, which stays pure
JSON with ``--json``.

The pipeline needs no hook for it: ``ReportingStore`` is the ``TaskStore`` it
already writes each row through; ``counting_client`` wraps the bot's LLM client.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from bestofn.schemas import Candidate, ExecutionResult
from bestofn.store import Claimed, TaskStore


@dataclass(frozen=True)
class Snapshot:
    """What the user sees: fresh samples out of ``n``, revision rounds out of ``rounds``, the current stage."""

    n: int
    generated: int = 0
    executed: int = 0
    stage: str = ""
    executes: bool = True  # False: nothing is run per candidate (no tests), so no "executed" count
    revisions: int = 0
    rounds: int = 0  # revision rounds the task may take; 0: no "revisions" count


def progress_line(snap: Snapshot) -> str:
    """The plain, grep-able form: ``[progress] generated 3/8, executed 1/8, revisions 1/2; ranking``."""
    parts = [f"generated {snap.generated}/{snap.n}"]
    if snap.executes:
        parts.append(f"executed {snap.executed}/{snap.n}")
    if snap.rounds:
        parts.append(f"revisions {snap.revisions}/{snap.rounds}")
    return "[progress] " + ", ".join(parts) + (f"; {snap.stage}" if snap.stage else "")


class Display(Protocol):
    def show(self, snap: Snapshot) -> None: ...

    def close(self) -> None: ...


class PlainDisplay:
    """One line per change, for pipes and CI logs (no cursor tricks, no repeats)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last = ""

    def show(self, snap: Snapshot) -> None:
        line = progress_line(snap)
        if line != self._last:
            self._last = line
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichDisplay:
    """Bars for generated and executed candidates, with the stage and elapsed time, on a terminal."""

    def __init__(self, console: Console, snap: Snapshot) -> None:
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:>9}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.fields[stage]}"),
                                 console=console, transient=False)
        self.bars: dict[str, TaskID] = {"generated": self.progress.add_task("generated", total=snap.n, stage="")}
        if snap.executes:
            self.bars["executed"] = self.progress.add_task("executed", total=snap.n, stage="")
        if snap.rounds:
            self.bars["revisions"] = self.progress.add_task("revisions", total=snap.rounds, stage="")
        self.progress.start()

    def show(self, snap: Snapshot) -> None:
        self.progress.update(self.bars["generated"], completed=snap.generated, total=snap.n, stage=snap.stage)
        if "executed" in self.bars:
            self.progress.update(self.bars["executed"], completed=snap.executed, total=snap.n, stage="")
        if "revisions" in self.bars:
            self.progress.update(self.bars["revisions"], completed=snap.revisions, total=snap.rounds, stage="")

    def close(self) -> None:
        self.progress.stop()


@dataclass
class Tracker:
    """Thread-safe counts (the pipeline stores candidates from pool threads) that redraw on each change."""

    display: Display
    snap: Snapshot
    _generated: set[int] = field(default_factory=set)
    _executed: set[int] = field(default_factory=set)
    _revisions: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def generated(self, index: int) -> None:
        with self._lock:
            self._generated.add(index)
            self._redraw(generated=len(self._generated))

    def revised(self, index: int) -> None:
        """A revision round's candidate: counted apart, so ``generated`` never passes ``n``."""
        with self._lock:
            self._revisions.add(index)
            self._redraw(revisions=len(self._revisions))

    def executed(self, index: int) -> None:
        with self._lock:
            if index in self._revisions:  # a revision's run: its round is already counted
                return
            self._executed.add(index)
            self._redraw(executed=len(self._executed))

    def stage(self, text: str) -> None:
        with self._lock:
            self._redraw(stage=text)

    def counts(self, *, generated: int, executed: int, stage: str, revisions: int = 0) -> None:
        """Absolute counts, for callers that poll (``submit --wait`` reads the task view)."""
        with self._lock:
            self._redraw(generated=generated, executed=executed, stage=stage, revisions=revisions)

    def _redraw(self, **changes: Any) -> None:
        self.snap = replace(self.snap, **changes)
        self.display.show(self.snap)


@contextmanager
def live_progress(n: int, *, executes: bool = True, console: Console | None = None,
                  stage: str = "", rounds: int = 0) -> Iterator[Tracker]:
    """A tracker drawing on stderr: rich bars on a terminal, plain lines when piped."""
    console = console or Console(stderr=True)
    snap = Snapshot(n=n, executes=executes, stage=stage, rounds=rounds)
    display: Display = RichDisplay(console, snap) if console.is_terminal else PlainDisplay(console.file or sys.stderr)
    tracker = Tracker(display, snap)
    display.show(snap)
    try:
        yield tracker
    finally:
        display.close()


# The pipeline stores the task's phase as its status; these are the words the user sees.
STAGES = {"queued": "queued", "generating": "generating", "executing": "executing in the sandbox",
          "ranking": "ranking", "done": "done", "failed": "failed", "cancelled": "cancelled"}


class ReportingStore(TaskStore):
    """The pipeline's store, telling a tracker about each row it writes: live counts without polling."""

    def __init__(self, tracker: Tracker, engine: Any = None) -> None:
        super().__init__(engine)
        self.tracker = tracker

    def save_candidate(self, task_id: str, cand: Candidate) -> bool:
        stored = super().save_candidate(task_id, cand)
        (self.tracker.revised if cand.round >= 1 else self.tracker.generated)(cand.index)
        return stored

    def save_executions(self, task_id: str, results: dict[int, ExecutionResult]) -> int:
        stored = super().save_executions(task_id, results)
        for index in sorted(results):
            self.tracker.executed(index)
        return stored

    def claim(self, task_id: str, owner: str, lease_s: float) -> Claimed | None:
        claimed = super().claim(task_id, owner, lease_s)
        if claimed is not None and claimed.entered:
            self.tracker.stage(STAGES.get(claimed.entered, claimed.entered))
        return claimed

    def set_status(self, task_id: str, status: str, *, unless_cancelled: bool = False, **fields: object) -> bool:
        moved = super().set_status(task_id, status, unless_cancelled=unless_cancelled, **fields)
        if moved:
            self.tracker.stage(STAGES.get(status, status))
        return moved


class _CountingCompletions:
    """``client.chat.completions`` that reports each request's start and end (success or not)."""

    def __init__(self, inner: Any, on_start: Callable[[], None], on_end: Callable[[], None]) -> None:
        self._inner, self._on_start, self._on_end = inner, on_start, on_end

    def create(self, *args: Any, **kwargs: Any) -> Any:
        self._on_start()
        try:
            return self._inner.create(*args, **kwargs)
        finally:
            self._on_end()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Namespace:
    """An attribute holder standing in for ``client.chat``."""

    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)


class _CountingClient:
    """An OpenAI client whose chat completions are counted; everything else passes through."""

    def __init__(self, inner: Any, on_start: Callable[[], None], on_end: Callable[[], None]) -> None:
        self._inner = inner
        self.chat = _Namespace(completions=_CountingCompletions(inner.chat.completions, on_start, on_end))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def counting_client(client: Any, tracker: Tracker, *, after_all: str = "") -> Any:
    """Wrap an LLM client so each reply counts as one generated candidate (the bot has no store to watch).

    The first request moves the stage to "generating"; the n-th reply to ``after_all``.
    """
    lock = threading.Lock()
    state = {"started": False, "replies": 0}

    def on_start() -> None:
        with lock:
            first, state["started"] = not state["started"], True
        if first:
            tracker.stage("generating")

    def on_end() -> None:
        with lock:
            state["replies"] += 1
            index, done = state["replies"] - 1, state["replies"] >= tracker.snap.n
        tracker.generated(index)
        if done and after_all:
            tracker.stage(after_all)

    return _CountingClient(client, on_start, on_end)
