"""Put a proposed patch on GitHub: a pull request from a fresh branch, or a comment on ``--pr N``."""

from __future__ import annotations

import hashlib

from bestofn.bot.github import GitHub, Published
from bestofn.bot.models import BotResult
from bestofn.settings import Settings


def branch_name(diff: str) -> str:
    """A new branch per distinct patch, so a rerun with the same patch does not clobber another."""
    return f"bestofn/fix-{hashlib.sha256(diff.encode()).hexdigest()[:10]}"


def pr_title(result: BotResult) -> str:
    w = result.winner
    fixed = len(w.fixed) if w else 0
    total = len(result.baseline.failing)
    return f"bestofn bot: fix {fixed} of {total} failing test(s) of `{result.test_command}`"


def publish(result: BotResult, report_md: str, *, slug: str, settings: Settings, pr: int | None = None,
            branch: str | None = None, base: str | None = None) -> Published:
    """Open a PR with the winner's files, or comment the report on PR ``pr``; raises ``GitHubError``."""
    with GitHub(settings.github_token, slug, settings.github_api_url) as gh:
        if pr is not None:
            return gh.comment(pr, report_md)
        return gh.open_pull_request(
            result.winner_files, branch=branch or branch_name(result.winner_diff), title=pr_title(result),
            body=report_md, base=base, parent=result.head_sha, executable=frozenset(result.winner_executable),
        )
