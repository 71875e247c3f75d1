"""A local fake of the GitHub REST endpoints the bot uses: real HTTP on 127.0.0.1, every request recorded.

It answers like GitHub for the git data API, pulls and issue comments, refuses
requests without the expected bearer token (401, echoing the header back, as a
careless server might, so the client's scrubbing is tested), and refuses to
create or move the default branch (422).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bestofn.testing.http import send_json


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    token: str
    slug: str = "octo/calc"
    default_branch: str = "main"
    known_commits: set[str] = field(default_factory=set)  # besides the default branch's head, c0ffee
    requests: list[Seen] = field(default_factory=list)
    blobs: dict[str, str] = field(default_factory=dict)
    trees: list[dict] = field(default_factory=list)
    commits: list[dict] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)
    pulls: list[dict] = field(default_factory=list)
    comments: list[dict] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/v3"

    def route(self, method: str, path: str, body: Any, auth: str) -> tuple[int, dict]:
        if auth != f"Bearer {self.token}":
            return 401, {"message": f"Bad credentials: {auth}"}
        prefix = f"/api/v3/repos/{self.slug}"
        if not path.startswith(prefix):
            return 404, {"message": "Not Found"}
        p = path[len(prefix):]
        if method == "GET" and p == "":
            return 200, {"full_name": self.slug, "default_branch": self.default_branch}
        if method == "GET" and p == f"/git/ref/heads/{self.default_branch}":
            return 200, {"ref": f"refs/heads/{self.default_branch}", "object": {"sha": "c0ffee", "type": "commit"}}
        if method == "GET" and p.startswith("/git/commits/"):
            sha = p.rsplit("/", 1)[1]
            if sha != "c0ffee" and sha not in self.known_commits:
                return 404, {"message": "No commit found for SHA"}
            return 200, {"sha": sha, "tree": {"sha": "7ree" if sha == "c0ffee" else f"tree-of-{sha[:7]}"}}
        if method == "POST" and p == "/git/blobs":
            sha = f"blob{len(self.blobs)}"
            self.blobs[sha] = base64.b64decode(body["content"]).decode()
            return 201, {"sha": sha}
        if method == "POST" and p == "/git/trees":
            self.trees.append(body)
            return 201, {"sha": "newtree"}
        if method == "POST" and p == "/git/commits":
            self.commits.append(body)
            return 201, {"sha": "newcommit", "tree": {"sha": body["tree"]}, "parents": body["parents"]}
        if method == "POST" and p == "/git/refs":
            if body["ref"] == f"refs/heads/{self.default_branch}" or body["ref"] in self.refs:
                return 422, {"message": "Reference already exists"}
            self.refs[body["ref"]] = body["sha"]
            return 201, {"ref": body["ref"], "object": {"sha": body["sha"]}}
        if method == "POST" and p == "/pulls":
            if body["head"] == body["base"] or f"refs/heads/{body['head']}" not in self.refs:
                return 422, {"message": "Validation Failed"}
            self.pulls.append(body)
            n = len(self.pulls)
            return 201, {"number": n, "html_url": f"https://github.example/{self.slug}/pull/{n}"}
        if method == "POST" and p.startswith("/issues/") and p.endswith("/comments"):
            self.comments.append({"issue": int(p.split("/")[2]), **body})
            return 201, {"html_url": f"https://github.example/{self.slug}/pull/{p.split('/')[2]}#issuecomment-1"}
        return 404, {"message": "Not Found"}

    def start(self) -> "FakeGitHub":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                fake.requests.append(Seen(self.command, self.path, dict(self.headers.items()), body))
                status, payload = fake.route(self.command, self.path, body, self.headers.get("Authorization", ""))
                send_json(self, status, payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
