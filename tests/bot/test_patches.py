"""Reply parsing and whole-file conversion (pure), checked against real ``git apply``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bestofn.bot.patches import (
    changed_lines,
    diff_from_reply,
    file_diff,
    parse_reply,
    whole_files_from_reply,
    whole_files_to_diff,
)
from tests.bot.conftest import make_repo

DIFF = "--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n"


def git_apply_check(repo: Path, diff: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "apply", "--check", "-"], cwd=repo, input=diff, capture_output=True, text=True)


def test_diff_from_a_fence_a_bare_reply_and_several_fences() -> None:
    assert diff_from_reply(f"Fix:\n```diff\n{DIFF}```\nDone.") == DIFF
    assert diff_from_reply(f"Here you go\n{DIFF}") == DIFF
    two = "--- a/y.py\n+++ b/y.py\n@@ -1 +1 @@\n-b\n+c\n"
    assert diff_from_reply(f"```diff\n{DIFF}```\ntext\n```patch\n{two}```\n") == DIFF + two
    assert diff_from_reply(f"```\n{DIFF}```") == DIFF  # unlabelled fence holding a diff
    assert diff_from_reply("```python\nprint(1)\n```") == ""
    assert diff_from_reply("---\nnot a diff\n") == ""


@pytest.mark.parametrize("reply", [
    "pkg/mod.py\n```python\nX = 2\n```",
    "**`pkg/mod.py`**:\n```python\nX = 2\n```",
    "File: pkg/mod.py\n```\nX = 2\n```",
    "### pkg/mod.py\n```py\nX = 2\n```",
    "```python pkg/mod.py\nX = 2\n```",
    "```python:pkg/mod.py\nX = 2\n```",
    "```pkg/mod.py\nX = 2\n```",
])
def test_whole_file_blocks_headed_by_a_path(reply: str) -> None:
    assert whole_files_from_reply(reply) == {"pkg/mod.py": "X = 2\n"}


@pytest.mark.parametrize("heading", ["/etc/passwd.py", "../up.py", ".git/config.py", "Here is the fix:", "python"])
def test_unsafe_or_missing_paths_are_not_files(heading: str) -> None:
    assert whole_files_from_reply(f"{heading}\n```python\nX = 2\n```") == {}


def test_whole_file_conversion_applies_with_git(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": "one\ntwo\nthree\n", "nonl.py": "x = 1"})
    files = {"a.py": "one\nTWO\nthree\n", "nonl.py": "x = 2", "new/b.py": "print('new')\n"}
    diff = whole_files_to_diff(files, lambda p: (repo / p).read_text() if (repo / p).exists() else None)
    assert git_apply_check(repo, diff).returncode == 0, git_apply_check(repo, diff).stderr
    subprocess.run(["git", "apply", "-"], cwd=repo, input=diff, text=True, check=True)
    assert {p: (repo / p).read_text() for p in files} == files
    status = subprocess.run(["git", "status", "--porcelain", "-uall"], cwd=repo, capture_output=True, text=True).stdout
    assert sorted(line[3:] for line in status.splitlines()) == ["a.py", "new/b.py", "nonl.py"]


def test_file_diff_of_equal_text_is_empty() -> None:
    assert file_diff("a.py", "x\n", "x\n") == ""


def test_parse_reply_kinds_and_reasons() -> None:
    read = {"a.py": "x = 1\n"}.get
    assert parse_reply(f"```diff\n{DIFF}```", read).kind == "diff"
    whole = parse_reply("a.py\n```python\nx = 2\n```", read)
    assert whole.kind == "whole_file" and "+x = 2" in whole.diff
    same = parse_reply("a.py\n```python\nx = 1\n```", read)
    assert same.diff == "" and "no change" in (same.error or "")
    assert parse_reply("", read).error == "empty reply"
    assert parse_reply("Multiply instead.", read).kind == "none"


def test_changed_lines_ignores_file_headers_but_not_content_that_looks_like_them() -> None:
    assert changed_lines(DIFF) == 2
    tricky = "--- a/s.sql\n+++ b/s.sql\n@@ -1,2 +1,2 @@\n--- old comment\n+-- new comment\n keep\n"
    assert changed_lines(tricky) == 2
