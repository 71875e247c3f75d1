"""Run the repository's test command on one copy in the sandbox and grade it per test.

The container gets a tar of the copy's files (and the wheelhouse, if any)
through stdin; ``sandbox.repo_run`` returns the raw record; this module turns
it into a ``TestRun`` with per-test outcomes from the JUnit XML report.

A command that could not start (the shell's 126/127, or its test runner not
installed) is an environment error of the run, not a failing test: there is
nothing a patch could fix, so it is graded as an error and the bot proposes nothing.
"""

from __future__ import annotations

import io
import re
import shlex
import tarfile
from pathlib import Path

from bestofn.bot.junit import parse_junit
from bestofn.bot.models import COULD_NOT_START, TestRun
from bestofn.bot.workspace import add_files
from bestofn.settings import Settings
from sandbox.repo_run import REPO_DIR, WHEEL_DIR, RepoRunRecord, repo_limits, run_repo_command


def payload_tar(root: Path, files: list[str], wheelhouse: Path | None) -> bytes:
    """One tar built in memory: the files under ``repo/``, the wheelhouse's ``*.whl`` under ``wheelhouse/``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_files(tar, root, files, REPO_DIR)
        if wheelhouse is not None:
            add_files(tar, wheelhouse, sorted(p.name for p in wheelhouse.glob("*.whl")), WHEEL_DIR)
    return buf.getvalue()


_SHELL_CANNOT_START = {126: "not executable", 127: "not found"}
_NO_MODULE = re.compile(r"No module named '?([A-Za-z_][\w.]*)'?")
_PUNCTUATION = set("();<>|&")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")


def runner_names(command: str) -> set[str]:
    """What the command runs: each simple command's program (basename, no ``.py``) and ``-m`` modules."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)  # "a;b" -> a ; b
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:  # unbalanced quotes: the shell will say so; read what we can
        words = command.split()
    names: set[str] = set()
    expect, previous = "program", ""
    for word in words:
        if set(word) <= _PUNCTUATION:  # ; && || | ( ) start a new simple command; > < name a file
            expect = "file" if set(word) & set("<>") else "program"
        elif expect == "file":
            expect = ""
        elif expect == "program" and not _ASSIGNMENT.match(word):  # FOO=1 pytest: the program is pytest
            names.add(word.rsplit("/", 1)[-1].removesuffix(".py"))
            expect = ""
        elif previous == "-m":
            names.add(word)
        previous = word
    return names


def start_failure(record: RepoRunRecord, command: str) -> str | None:
    """Why ``command`` could not start (one line), or None when it ran; from the exit code and output only.

    A JUnit report means a test runner ran, whatever the exit code. Otherwise the
    shell's 126/127 mean the program is missing or not executable, and "No module
    named X" for a program or ``-m`` module of the command means its runner is not installed.
    """
    if record.junit_xml.strip() or record.exit_code in (None, 0):
        return None
    lines = [line.strip() for line in record.output.splitlines() if line.strip()]
    if record.exit_code in _SHELL_CANNOT_START:
        return lines[-1] if lines else f"exit code {record.exit_code} ({_SHELL_CANNOT_START[record.exit_code]})"
    runners = {name.split(".")[0] for name in runner_names(command)}
    for line in lines:
        missing = _NO_MODULE.search(line)
        if missing and missing.group(1).split(".")[0] in runners:
            return line
    return None


def grade(record: RepoRunRecord, command: str) -> TestRun:
    """A raw record as a ``TestRun`` (pure: re-grading never re-runs code)."""
    if record.error:
        return TestRun(error=record.error, output=record.output, exit_code=record.exit_code)
    if why := start_failure(record, command):
        return TestRun(error=f"{COULD_NOT_START}: {why}", output=record.output, exit_code=record.exit_code,
                       runtime_ms=record.runtime_ms)
    return TestRun.from_outcomes(
        parse_junit(record.junit_xml), command,
        exit_code=record.exit_code, runtime_ms=record.runtime_ms, output=record.output, timed_out=record.timed_out,
    )


def run_tests(root: Path, files: list[str], command: str, *, wheelhouse: Path | None, labels: dict[str, str],
              settings: Settings) -> TestRun:
    """The test command over a copy at ``root`` (only ``files`` go in), graded per test, under the bot's limits."""
    config = settings.sandbox_config()
    limits = repo_limits(config, timeout_s=settings.bot_test_timeout_s, memory_mb=settings.bot_memory_mb,
                         tmpfs_mb=settings.bot_tmpfs_mb)
    record = run_repo_command(payload_tar(root, files, wheelhouse), command, labels=labels, limits=limits,
                              config=config)
    return grade(record, command)
