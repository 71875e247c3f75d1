"""Fixtures of the bot's tests: a small real git repository with a bug, and settings pointed at test servers."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bestofn.settings import get_settings
from tests.conftest import run_labels

CALC = '''"""A tiny calculator."""


def add(a, b):
    return a + b


def mul(a, b):
    return a + b


def sub(a, b):
    return a - b
'''

TESTS = '''from calc import add, mul, sub


def test_add():
    assert add(2, 3) == 5


def test_mul():
    assert mul(2, 3) == 6


def test_sub():
    assert sub(5, 3) == 2
'''

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", "-c", "commit.gpgsign=false"]


def make_repo(root: Path, files: dict[str, str]) -> Path:
    """A git repository at ``root`` with ``files`` committed."""
    root.mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "init"], cwd=root, check=True)
    return root


@pytest.fixture
def buggy_repo(tmp_path: Path) -> Path:
    """``calc.mul`` adds instead of multiplying; ``test_mul`` catches it, ``test_add``/``test_sub`` pass."""
    return make_repo(tmp_path / "repo", {"calc/__init__.py": CALC, "tests/test_calc.py": TESTS, "README.md": "calc\n"})


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every work-tree file (outside .git), plus HEAD and ``git status``: equal means untouched."""
    digests = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts}
    digests["HEAD"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout
    digests["status"] = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=root,
                                       capture_output=True, text=True).stdout
    return digests


@pytest.fixture
def bot_env(monkeypatch: pytest.MonkeyPatch, fake_llm) -> Iterator[None]:
    """Settings (read from the environment, as in production) pointed at the FakeLLM."""
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.base_url)
    monkeypatch.setenv("BESTOFN_SEED", "0")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def bot_containers() -> list[str]:
    """Ids of sandbox containers the bot started in this run that still exist (one list call: no
    race with other sessions' containers coming and going; ``bestofn.run`` when scripts/test.sh
    names the run, so another run's bot tests on the same engine are not counted)."""
    import docker

    listed = docker.from_env().api.containers(all=True, filters={"label": run_labels("bestofn.sandbox=1")})
    return [c["Id"] for c in listed if (c.get("Labels") or {}).get("bestofn.task", "").startswith("bot-")]
