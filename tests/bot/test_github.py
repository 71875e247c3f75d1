"""Publishing on GitHub, against a local fake GitHub over real HTTP (127.0.0.1)."""

from __future__ import annotations

import subprocess
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bestofn.bot.github import GitHub, GitHubError
from bestofn.bot.models import BotResult, PatchOutcome, TestRun
from bestofn.bot.publish import branch_name, publish
from bestofn.bot.rank import rank_patches
from bestofn.cli_bot import app
from bestofn.settings import Settings, get_settings
from bestofn.testing.fake_llm import FakeLLM
from tests.bot.conftest import bot_containers, snapshot
from tests.bot.fake_github import FakeGitHub
from tests.bot.test_propose import CORRECT

TOKEN = "ghp_TESTtoken0123456789abcdef"


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    gh = FakeGitHub(token=TOKEN).start()
    yield gh
    gh.stop()


def _settings(gh: FakeGitHub, token: str = TOKEN) -> Settings:
    return Settings().model_copy(update={"github_token": SecretStr(token), "github_api_url": gh.url})


def _result() -> BotResult:
    baseline = TestRun(tests={"t::a": "passed", "t::b": "failed"}, exit_code=1)
    outcome = PatchOutcome(index=0, status="ran", fixed=["t::b"], changed_lines=2, runtime_ms=5.0)
    diff = "--- a/calc/__init__.py\n+++ b/calc/__init__.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    return BotResult(repo="r", test_command="pytest -q", model="m", baseline=baseline, outcomes=[outcome],
                     decision=rank_patches([outcome], 1), winner_diff=diff,
                     winner_files={"calc/__init__.py": "x = 2\n", "old.py": None}, winner_executable=[])


def _no_writes_to_default(gh: FakeGitHub) -> None:
    for r in gh.requests:
        assert r.headers.get("Authorization") == f"Bearer {TOKEN}"
        assert r.method in {"GET", "POST"}, f"{r.method} {r.path}: the bot only creates, never updates"
        if r.path.endswith("/git/refs"):
            assert r.body["ref"] != "refs/heads/main"


def test_opens_a_pull_request_from_a_new_branch(fake_github: FakeGitHub) -> None:
    result = _result()
    done = publish(result, "## report body", slug=fake_github.slug, settings=_settings(fake_github))

    assert done.kind == "pull_request" and done.url.endswith("/pull/1")
    assert done.branch == branch_name(result.winner_diff) != "main"
    _no_writes_to_default(fake_github)
    assert fake_github.refs == {f"refs/heads/{done.branch}": "newcommit"}
    (pull,) = fake_github.pulls
    assert pull["base"] == "main" and pull["head"] == done.branch and pull["body"] == "## report body"
    (tree,) = fake_github.trees
    assert tree["base_tree"] == "7ree"  # no tested commit known: the default branch's head
    assert fake_github.commits[0]["parents"] == ["c0ffee"]
    entries = {e["path"]: e for e in tree["tree"]}
    assert fake_github.blobs[entries["calc/__init__.py"]["sha"]] == "x = 2\n"
    assert entries["old.py"]["sha"] is None  # deleted


def test_comments_on_an_existing_pull_request(fake_github: FakeGitHub) -> None:
    done = publish(_result(), "the report", slug=fake_github.slug, settings=_settings(fake_github), pr=7)
    assert done.kind == "comment"
    assert fake_github.comments == [{"issue": 7, "body": "the report"}]
    assert not fake_github.pulls and not fake_github.refs


@pytest.mark.parametrize("branch", ["main", "release"])
def test_refuses_the_default_or_base_branch(fake_github: FakeGitHub, branch: str) -> None:
    with GitHub(SecretStr(TOKEN), fake_github.slug, fake_github.url) as gh, pytest.raises(GitHubError, match="refusing"):
        gh.open_pull_request({"a.py": "x"}, branch=branch, title="t", body="b", base="release")
    assert [r.method for r in fake_github.requests] == ["GET"]  # only the default-branch lookup


def test_the_token_never_appears_in_errors(fake_github: FakeGitHub) -> None:
    wrong = "ghp_WRONGtoken_that_must_not_leak"
    with pytest.raises(GitHubError) as info:
        publish(_result(), "r", slug=fake_github.slug, settings=_settings(fake_github, token=wrong))
    assert "HTTP 401" in str(info.value)
    assert wrong not in "".join(traceback.format_exception(info.value))
    assert wrong not in repr(_settings(fake_github, token=wrong))


def test_cli_opens_a_pull_request_and_keeps_the_token_secret(
    buggy_repo: Path, tmp_path: Path, fake_llm: FakeLLM, fake_github: FakeGitHub, bot_env,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_llm.add("fails in this repository", CORRECT)
    tested = subprocess.run(["git", "rev-parse", "HEAD"], cwd=buggy_repo, capture_output=True, text=True).stdout.strip()
    fake_github.known_commits.add(tested)
    monkeypatch.setenv("BESTOFN_GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("BESTOFN_GITHUB_API_URL", fake_github.url)
    get_settings.cache_clear()
    before = snapshot(buggy_repo)
    report = tmp_path / "report.md"

    result = CliRunner().invoke(app, ["propose", "--repo", str(buggy_repo), "--n", "1", "--out", str(tmp_path / "p.diff"),
                                      "--report", str(report), "--github", "--repo-slug", fake_github.slug])

    assert result.exit_code == 0, result.output
    assert "pull request: https://github.example/octo/calc/pull/1" in result.output
    (pull,) = fake_github.pulls
    assert "Winner: candidate 0" in pull["body"] and pull["head"].startswith("bestofn/fix-")
    (blob,) = fake_github.blobs.values()
    (commit,) = fake_github.commits
    assert commit["parents"] == [tested]  # on top of the commit the patch was tested on
    assert fake_github.trees[0]["base_tree"] == f"tree-of-{tested[:7]}"
    assert "return a * b" in blob
    _no_writes_to_default(fake_github)
    assert TOKEN not in result.output and TOKEN not in report.read_text()
    assert all(TOKEN not in str(r["messages"]) for r in fake_llm.requests)
    assert snapshot(buggy_repo) == before
    assert bot_containers() == []


def test_cli_github_without_a_token_is_one_clear_line(buggy_repo: Path, bot_env) -> None:
    result = CliRunner().invoke(app, ["propose", "--repo", str(buggy_repo), "--github", "--repo-slug", "o/r"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: --github needs a token: set BESTOFN_GITHUB_TOKEN (GITHUB_TOKEN in Actions)"]
