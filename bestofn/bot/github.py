"""Publish the winning patch on GitHub: a pull request from a new branch, or a comment on a PR.

Plain REST over httpx. The pull request is built with the git data API only
(blobs -> tree -> commit -> new branch ref -> POST /pulls), so nothing is ever
pushed to an existing branch, and the default branch is refused by name. The
token lives in a ``SecretStr`` and in the request header only; error messages
carry the status, the API path and GitHub's message, scrubbed of the token.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

_SLUG = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
MAX_BODY = 65_000  # GitHub rejects bodies over 65,536 characters
_BRANCH = re.compile(r"^(?!/)(?!.*(?:\.\.|//|@\{|\.lock$|/$))[A-Za-z0-9._/-]+$")


class GitHubError(RuntimeError):
    """A GitHub request failed or was refused; the message never holds the token."""


@dataclass(frozen=True)
class Published:
    """Where the patch went: the pull request's or comment's web URL."""

    kind: str  # "pull_request" | "comment"
    url: str
    branch: str | None = None


class GitHub:
    """A small client for the few endpoints the bot needs, bound to one repository."""

    def __init__(self, token: SecretStr, slug: str, api_url: str = "https://api.github.com", timeout_s: float = 30.0) -> None:
        if not token.get_secret_value():
            raise GitHubError("no GitHub token: set BESTOFN_GITHUB_TOKEN (or GITHUB_TOKEN in Actions)")
        if not _SLUG.match(slug):
            raise GitHubError(f"repository slug {slug!r} is not owner/name")
        self._token = token
        self.slug = slug
        self._http = httpx.Client(
            base_url=api_url.rstrip("/"), timeout=timeout_s,
            headers={"Authorization": f"Bearer {token.get_secret_value()}", "Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "bestofn-bot"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "GitHub":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _scrub(self, text: str) -> str:
        secret = self._token.get_secret_value()
        return text.replace(secret, "***") if secret else text

    def request(self, method: str, path: str, json: dict | None = None) -> dict:
        """One API call on ``/repos/{slug}{path}``; a non-2xx answer raises ``GitHubError``."""
        url = f"/repos/{self.slug}{path}"
        try:
            resp = self._http.request(method, url, json=json)
        except httpx.HTTPError as exc:
            raise GitHubError(self._scrub(f"{method} {url}: {exc.__class__.__name__}")) from None
        if resp.status_code >= 400:
            try:
                message = str(resp.json().get("message", ""))
            except ValueError:
                message = resp.text[:200]
            raise GitHubError(self._scrub(f"{method} {url}: HTTP {resp.status_code} {message}".strip()))
        return resp.json() if resp.content else {}

    def default_branch(self) -> str:
        return str(self.request("GET", "")["default_branch"])

    def open_pull_request(self, files: dict[str, str | None], *, branch: str, title: str, body: str,
                          base: str | None = None, parent: str | None = None,
                          executable: frozenset[str] = frozenset()) -> Published:
        """Commit ``files`` (path -> new text, None deletes) on a new ``branch`` and open a PR into ``base``.

        The commit's parent is ``parent`` (the commit the patch was tested on) when given, else
        the base branch's head, so the PR shows exactly the tested change. Refuses when ``branch``
        is the default or the base branch: the bot proposes, it never pushes.
        """
        default = self.default_branch()
        base = base or default
        if branch in {default, base} or not _BRANCH.match(branch):
            raise GitHubError(f"refusing to push to branch {branch!r}: the bot only creates new branches, "
                              f"never the default ({default!r}) or base branch")
        if not files:
            raise GitHubError("nothing to commit: the patch changes no file")
        head = parent or self.request("GET", f"/git/ref/heads/{base}")["object"]["sha"]
        base_tree = self.request("GET", f"/git/commits/{head}")["tree"]["sha"]
        entries = []
        for path, text in sorted(files.items()):
            if text is None:
                entries.append({"path": path, "mode": "100644", "type": "blob", "sha": None})
                continue
            blob = self.request("POST", "/git/blobs", {"content": base64.b64encode(text.encode()).decode(), "encoding": "base64"})
            mode = "100755" if path in executable else "100644"
            entries.append({"path": path, "mode": mode, "type": "blob", "sha": blob["sha"]})
        tree = self.request("POST", "/git/trees", {"base_tree": base_tree, "tree": entries})["sha"]
        commit = self.request("POST", "/git/commits", {"message": title, "tree": tree, "parents": [head]})["sha"]
        self.request("POST", "/git/refs", {"ref": f"refs/heads/{branch}", "sha": commit})
        pr = self.request("POST", "/pulls", {"title": title, "head": branch, "base": base, "body": body[:MAX_BODY],
                                             "maintainer_can_modify": True})
        return Published("pull_request", str(pr.get("html_url", "")), branch)

    def comment(self, pr_number: int, body: str) -> Published:
        """A comment on pull request ``pr_number`` (pull requests are issues for comments)."""
        c = self.request("POST", f"/issues/{pr_number}/comments", {"body": body[:MAX_BODY]})
        return Published("comment", str(c.get("html_url", "")))
