"""``bestofn bot propose``: a tested patch for a repository whose tests fail (the CI bot).

Exit codes: 0 a patch was proposed (or nothing fails); 1 no candidate fixed a
failing test, or the test command could not run or start (the report is still
written); 2 bad input (missing repo, not a git checkout, GitHub not configured,
no OPENAI_BASE_URL and the bundled demo model not installed).
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Optional

import typer

from bestofn.cli_common import fail, writable_file
from rich.console import Console

from bestofn.settings import Settings, get_settings

app = typer.Typer(add_completion=False, help="CI bot: propose a tested patch for a failing repository.")
err = Console(stderr=True)
out = Console()



@app.callback()
def bot() -> None:
    """CI bot: propose a tested patch for a failing repository."""


def _is_url(repo: str) -> bool:
    return "://" in repo or repo.startswith("git@")


def _github_slug(github: bool, slug: str | None, settings: Settings) -> str | None:
    """The slug to publish to, checked before any work is done; None without --github."""
    if not github:
        return None
    slug = slug or settings.github_repo_slug
    if not slug:
        fail("--github needs --repo-slug owner/name (or BESTOFN_GITHUB_REPO_SLUG)")
    if not settings.github_token.get_secret_value():
        fail("--github needs a token: set BESTOFN_GITHUB_TOKEN (GITHUB_TOKEN in Actions)")
    return slug


@app.command()
def propose(
    repo: str = typer.Option(..., "--repo", help="Path to a git checkout, or a git URL to clone."),
    test_cmd: str = typer.Option("pytest -q", "--test-cmd", help="The test command, run in the sandbox."),
    n: int = typer.Option(8, "--n", min=1, help="Number of candidate patches."),
    out_path: Path = typer.Option(Path("patch.diff"), "--out", help="Where to write the winning patch."),
    report: Optional[Path] = typer.Option(None, "--report", help="Where to write the Markdown report."),
    issue_file: Optional[Path] = typer.Option(None, "--issue-file", help="Issue text to show the model."),
    focus: Optional[list[str]] = typer.Option(None, "--focus", help="Repo-relative file to show the model (repeatable)."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name at the endpoint."),
    wheelhouse: Optional[Path] = typer.Option(None, "--wheelhouse", help="Directory of wheels the tests need (installed offline)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed of candidate 0 (candidate i gets seed+i)."),
    github: bool = typer.Option(False, "--github", help="Open a pull request (or comment with --pr)."),
    repo_slug: Optional[str] = typer.Option(None, "--repo-slug", help="owner/name on GitHub."),
    pr: Optional[int] = typer.Option(None, "--pr", help="Comment on this pull request instead of opening one."),
    base: Optional[str] = typer.Option(None, "--base", help="Base branch of the pull request (default: the repo's default)."),
) -> None:
    """Run the tests, ask for N patches, test each in a fresh sandbox, keep the best."""
    from bestofn.bot.endpoint import bot_endpoint
    from bestofn.bot.github import GitHubError
    from bestofn.bot.propose import ProposeOptions
    from bestofn.bot.propose import propose as run_bot
    from bestofn.bot.publish import publish
    from bestofn.bot.report import render_report
    from bestofn.bot.workspace import BadInput, checkout_root, clone
    from bestofn.localmodel import LocalModelError
    from bestofn.progress import counting_client, live_progress
    from sandbox.build import ImageBuildError
    from sandbox.client import SandboxUnavailable

    settings = get_settings()
    slug = _github_slug(github, repo_slug, settings)
    if issue_file is not None and not issue_file.is_file():
        fail(f"--issue-file {issue_file}: no such file")
    if wheelhouse is not None and not wheelhouse.is_dir():
        fail(f"--wheelhouse {wheelhouse}: not a directory (of the wheels the tests need)")
    writable_file("--out", out_path)
    writable_file("--report", report)
    if not _is_url(repo):
        try:
            checkout_root(Path(repo))
        except BadInput as exc:
            fail(str(exc))
    with ExitStack() as stack:
        try:
            llm = stack.enter_context(bot_endpoint(settings, err))
        except LocalModelError as exc:
            fail(f"no OPENAI_BASE_URL set and the bundled demo model could not start: {exc}")
        try:
            path = clone(repo, Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bestofn-clone-"))) / "repo") \
                if _is_url(repo) else Path(repo)
            opts = ProposeOptions(repo=path, test_command=test_cmd, n=n, model=model or llm.model, focus=list(focus or []),
                                  issue_text=issue_file.read_text(errors="replace") if issue_file else "",
                                  wheelhouse=wheelhouse, seed_base=seed)
            with live_progress(n, executes=False, console=err, stage="running the tests on the checkout") as tracker:
                result = run_bot(opts, counting_client(llm.client, tracker, after_all="testing the patches in the sandbox"),
                                 settings)
        except BadInput as exc:
            fail(str(exc))
        except (SandboxUnavailable, ImageBuildError) as exc:
            fail(f"sandbox unavailable: {exc}", code=1)
    result = result.model_copy(update={"repo": repo})
    report_md = render_report(result)
    if report is not None:
        report.write_text(report_md)
    if result.baseline.could_not_start:
        fail(result.baseline.error or "", code=1)
    if result.baseline.error:
        fail(f"the test command could not run in the sandbox: {result.baseline.error}", code=1)
    if result.nothing_to_fix:
        out.print(f"nothing to fix: `{test_cmd}` passes on the checkout", highlight=False, soft_wrap=True)
        return
    if not result.winner_diff:
        fail(f"no candidate fixed any of the {len(result.baseline.failing)} failing test(s) "
             f"({len(result.candidates)} tried){'; see ' + str(report) if report else ''}", code=1)
    out_path.write_text(result.winner_diff)
    out.print(f"{result.decision.reason if result.decision else ''} -> {out_path}", highlight=False, soft_wrap=True)
    if slug is not None:
        try:
            done = publish(result, report_md, slug=slug, settings=settings, pr=pr, base=base)
        except GitHubError as exc:
            fail(f"GitHub: {exc}", code=1)
        out.print(f"{done.kind.replace('_', ' ')}: {done.url}", highlight=False, soft_wrap=True)
