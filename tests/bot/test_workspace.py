"""Host-side copies: listing, applying on a copy, tarring safely, never touching the original."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bestofn.bot.execute import payload_tar
from bestofn.bot.workspace import BadInput, apply_patch, checkout_root, make_baseline, repo_files
from bestofn.cli_bot import app
from tests.bot.conftest import make_repo, snapshot


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "r", {"a.py": "x = 1\n", ".gitignore": "*.log\nbuild/\n", "pkg/b.py": "y = 2\n"})
    (root / "untracked.py").write_text("z = 3\n")
    (root / "debug.log").write_text("ignored\n")
    (root / "build").mkdir()
    (root / "build" / "big.bin").write_bytes(b"\0" * 10)
    os.symlink("/etc/hostname", root / "link.txt")
    return root


def test_repo_files_are_tracked_plus_untracked_not_ignored(repo: Path) -> None:
    assert repo_files(repo) == [".gitignore", "a.py", "link.txt", "pkg/b.py", "untracked.py"]


def test_apply_on_a_copy_gives_the_canonical_diff_and_leaves_the_original(repo: Path, tmp_path: Path) -> None:
    before = snapshot(repo)
    base = make_baseline(repo, repo_files(repo), tmp_path / "base")
    good = apply_patch(base, "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 10\n", tmp_path / "c0")
    assert good.ok and good.copy is not None
    assert (good.copy / "a.py").read_text() == "x = 10\n"
    assert "diff --git a/a.py b/a.py" in good.diff and "+x = 10" in good.diff
    bad = apply_patch(base, "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-nope\n+x\n", tmp_path / "c1")
    assert not bad.ok and "patch" in bad.error and not (tmp_path / "c1").exists()
    escape = apply_patch(base, "--- a/../evil.py\n+++ b/../evil.py\n@@ -0,0 +1 @@\n+x\n", tmp_path / "c2")
    assert not escape.ok and not (tmp_path / "evil.py").exists()
    assert snapshot(repo) == before
    assert (base / "a.py").read_text() == "x = 1\n"  # the baseline copy is shared: never patched


def test_payload_keeps_links_as_links_and_owns_nothing(repo: Path, tmp_path: Path) -> None:
    wheels = tmp_path / "wh"
    wheels.mkdir()
    (wheels / "dep-1.0-py3-none-any.whl").write_bytes(b"PK")
    (wheels / "notes.txt").write_text("not a wheel")
    with tarfile.open(fileobj=io.BytesIO(payload_tar(repo, repo_files(repo), wheels))) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert sorted(members) == ["repo/.gitignore", "repo/a.py", "repo/link.txt", "repo/pkg/b.py", "repo/untracked.py",
                               "wheelhouse/dep-1.0-py3-none-any.whl"]
    assert members["repo/link.txt"].issym() and members["repo/link.txt"].linkname == "/etc/hostname"
    assert all(m.uid == 0 and m.uname == "" for m in members.values())


def test_bad_input_is_one_clear_line(tmp_path: Path, bot_env) -> None:
    with pytest.raises(BadInput, match="no such directory"):
        checkout_root(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(BadInput, match="not a git checkout"):
        checkout_root(tmp_path / "plain")
    for args, message in [
        (["--repo", str(tmp_path / "missing")], "no such directory"),
        (["--repo", str(tmp_path / "plain")], "not a git checkout"),
        (["--repo", str(tmp_path / "plain"), "--issue-file", str(tmp_path / "nope.md")], "--issue-file"),
        (["--repo", "file:///nonexistent/repo.git"], "git clone failed"),
    ]:
        result = CliRunner().invoke(app, ["propose", *args])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output
        assert "Traceback" not in result.output
