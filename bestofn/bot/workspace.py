"""Host-side copies of the repository: list, copy, patch, diff and tar, never touching the original.

The original checkout is only read (``git ls-files`` and file reads). A
baseline copy with its own throw-away git repository is made once; each
candidate gets a copy of that, where ``git apply`` runs and ``git diff`` gives
the canonical patch (whatever shape the model answered in).
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

_GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false",
        "-c", "user.name=bestofn-bot", "-c", "user.email=bestofn-bot@localhost"]
# Strict first; then let a hunk whose trailing context is short match away from the end of the
# file (models often stop context early, and git would otherwise anchor it at EOF); then whitespace.
_APPLY_TRIES = (["--recount"], ["--recount", "--unidiff-zero"], ["--recount", "--unidiff-zero", "--ignore-whitespace"])
_GIT_TIMEOUT_S = 120


class BadInput(ValueError):
    """The user's input cannot be used (no such path, not a git checkout): one clear line for the CLI."""


def git(cwd: Path, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git in ``cwd`` with hooks and signing off; output as text."""
    proc = subprocess.run([*_GIT, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=_GIT_TIMEOUT_S)
    if check and proc.returncode != 0:
        raise RuntimeError(f"git {args[0]} failed in {cwd}: {proc.stderr.strip()[:500]}")
    return proc


def checkout_root(path: Path) -> Path:
    """The top of the git checkout at ``path``, or BadInput saying what is wrong."""
    if not path.exists():
        raise BadInput(f"--repo {path}: no such directory")
    if not path.is_dir():
        raise BadInput(f"--repo {path}: not a directory")
    proc = git(path, "rev-parse", "--show-toplevel", check=False)
    if proc.returncode != 0:
        raise BadInput(f"--repo {path}: not a git checkout (git rev-parse failed); pass a cloned repository or a git URL")
    return Path(proc.stdout.strip())


def clone(url: str, dest: Path) -> Path:
    """A shallow clone of ``url`` into ``dest`` (a temp dir the caller owns)."""
    proc = subprocess.run([*_GIT, "clone", "--quiet", "--depth", "1", url, str(dest)],
                          capture_output=True, text=True, timeout=_GIT_TIMEOUT_S)
    if proc.returncode != 0:
        raise BadInput(f"--repo {url}: git clone failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else 'no output'}")
    return dest


def head_commit(root: Path) -> str | None:
    """The checkout's HEAD commit, or None in a repository without commits."""
    proc = git(root, "rev-parse", "--verify", "--quiet", "HEAD", check=False)
    return proc.stdout.strip() or None


def repo_files(root: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files (what a fresh clone plus local edits holds), sorted."""
    out = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    names = sorted({n for n in out.split("\0") if n})
    return [n for n in names if (root / n).is_symlink() or (root / n).is_file()]


def read_text(root: Path, rel: str) -> str | None:
    """A file's text, or None when absent, not a regular file, or not UTF-8."""
    p = root / rel
    if p.is_symlink() or not p.is_file():
        return None
    try:
        return p.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def copy_files(src: Path, files: list[str], dest: Path) -> None:
    """Copy the listed files, keeping symlinks as links (never following them out of the repository)."""
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / rel, target, follow_symlinks=False)


def make_baseline(src: Path, files: list[str], dest: Path) -> Path:
    """A copy of the listed files committed to a fresh git repository at ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    copy_files(src, files, dest)
    git(dest, "init", "--quiet")
    git(dest, "add", "--all", "--force")
    git(dest, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", "baseline")
    return dest


@dataclass
class Applied:
    """The result of applying one patch to a copy: the canonical diff, or why it did not apply."""

    ok: bool
    diff: str = ""
    error: str = ""
    how: str = ""  # the git apply options that worked
    copy: Path | None = None
    files: list[str] = field(default_factory=list)


def apply_patch(baseline: Path, diff: str, dest: Path) -> Applied:
    """Copy the baseline to ``dest`` and apply ``diff`` there (``--check`` first); never raises for a bad patch."""
    shutil.copytree(baseline, dest, symlinks=True)
    errors = []
    for opts in _APPLY_TRIES:
        check = git(dest, "apply", "--check", *opts, "-", stdin=diff, check=False)
        if check.returncode == 0:
            git(dest, "apply", *opts, "-", stdin=diff)
            git(dest, "add", "--all", "--force")
            canonical = git(dest, "diff", "--cached", "--no-color", "--no-ext-diff", "HEAD").stdout
            return Applied(ok=True, diff=canonical, copy=dest, files=repo_files_in_index(dest), how=" ".join(opts))
        errors.append(check.stderr.strip().splitlines()[0] if check.stderr.strip() else "git apply --check failed")
    shutil.rmtree(dest, ignore_errors=True)
    return Applied(ok=False, error=errors[-1][:300])


def changed_paths(copy: Path) -> list[str]:
    """Every path the patch applied on ``copy`` changes, sorted: added, deleted, modified, mode-changed,
    and both sides of a rename (``--no-renames``: a pure rename has no ``---``/``+++`` lines to read)."""
    out = git(copy, "diff", "--cached", "--no-renames", "--name-only", "-z", "HEAD").stdout
    return sorted(n for n in out.split("\0") if n)


def diff_without(copy: Path, paths: list[str]) -> str:
    """The canonical diff of the patch applied on ``copy`` with ``paths`` left out (each matched literally)."""
    excluded = [f":(exclude,literal){p}" for p in paths]
    return git(copy, "diff", "--cached", "--no-color", "--no-ext-diff", "HEAD", "--", ".", *excluded).stdout


def repo_files_in_index(root: Path) -> list[str]:
    """The files of a bot-made copy (its index), sorted; .git is never among them."""
    return sorted(n for n in git(root, "ls-files", "-z").stdout.split("\0") if n)


def add_files(tar: tarfile.TarFile, root: Path, files: list[str], prefix: str = "") -> None:
    """Add the listed files under ``prefix/``: links stored as links (never followed), owner reset."""
    for rel in files:
        info = tar.gettarinfo(str(root / rel), arcname=f"{prefix}/{rel}" if prefix else rel)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        if info.isreg():
            with open(root / rel, "rb") as fh:
                tar.addfile(info, fh)
        else:
            tar.addfile(info)
