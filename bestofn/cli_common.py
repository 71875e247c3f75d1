"""What every ``bestofn`` sub-command shares: the exit codes and the one-line error exit."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer

# The README's "Exit codes" table; scripts and CI branch on these.
EXIT_OK = 0
EXIT_FAILED = 1  # the task failed or was cancelled, a wait timed out, anything else
EXIT_BAD_INPUT = 2  # bad input or an unusable set-up (file, field, database, sandbox, API URL)
EXIT_NO_PASSING = 3  # the task finished but no candidate passed its tests


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """One clear line on stderr and a non-zero exit; never a traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def writable_file(option: str, path: Path | None) -> None:
    """Fail before any work is done when an output path is a directory: found after a long run,
    it would lose the run's output to a traceback."""
    if path is not None and path.is_dir():
        fail(f"{option} {path}: is a directory; give a file path")
