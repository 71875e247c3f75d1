"""Run the repository's test command on one copy in the sandbox and grade it per test.

The container gets a tar of the copy's files (and the wheelhouse, if any)
through stdin; ``sandbox.repo_run`` returns the raw record; this module turns
it into a ``TestRun`` with per-test outcomes from the JUnit XML report.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from bestofn.bot.junit import parse_junit
from bestofn.bot.models import TestRun
from bestofn.bot.workspace import add_files
from bestofn.settings import Settings
from sandbox.repo_run import REPO_DIR, WHEEL_DIR, RepoRunRecord, run_repo_command


def payload_tar(root: Path, files: list[str], wheelhouse: Path | None) -> bytes:
    """One tar built in memory: the files under ``repo/``, the wheelhouse's ``*.whl`` under ``wheelhouse/``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_files(tar, root, files, REPO_DIR)
        if wheelhouse is not None:
            add_files(tar, wheelhouse, sorted(p.name for p in wheelhouse.glob("*.whl")), WHEEL_DIR)
    return buf.getvalue()


def grade(record: RepoRunRecord, command: str) -> TestRun:
    """A raw record as a ``TestRun`` (pure: re-grading never re-runs code)."""
    if record.error:
        return TestRun(error=record.error, output=record.output, exit_code=record.exit_code)
    return TestRun.from_outcomes(
        parse_junit(record.junit_xml), command,
        exit_code=record.exit_code, runtime_ms=record.runtime_ms, output=record.output, timed_out=record.timed_out,
    )


def run_tests(root: Path, files: list[str], command: str, *, wheelhouse: Path | None, labels: dict[str, str],
              settings: Settings) -> TestRun:
    """The test command over a copy at ``root`` (only ``files`` go in), graded per test."""
    record = run_repo_command(payload_tar(root, files, wheelhouse), command, labels=labels, settings=settings)
    return grade(record, command)
