"""A scripted OpenAI-compatible chat server on 127.0.0.1 for tests and benchmarks.

It is a real HTTP server that the real ``openai`` client calls; nothing is
patched. Tests script it with rules: the first rule whose ``match`` text occurs
in the request's messages answers; a rule's ``respond`` function, given the
request body, lets the reply depend on what the request said (e.g. whether a
revision request carried the failing test's feedback; ``messages_text`` joins
its messages). ``requests`` keeps every body received, for assertions on the
parameters sent. A rule with several replies picks one by the
request's ``seed`` (``replies[seed % len]``) so candidate *i* of a task, sent
with seed ``base + i``, always gets the same scripted reply whatever the
concurrency; without a seed it cycles by call count.

Run standalone: ``python -m bestofn.testing.fake_llm --script script.json``.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from bestofn.testing.http import send_json


@dataclass
class Reply:
    """One scripted answer."""

    content: str = ""
    delay_s: float = 0.0
    status: int = 200
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None  # reported in usage.completion_tokens_details when set


@dataclass
class Rule:
    """Answer requests whose messages contain ``match`` (empty matches all)."""

    match: str = ""
    replies: list[Reply] = field(default_factory=list)
    respond: Callable[[dict[str, Any]], Reply] | None = None
    calls: int = 0

    def pick(self, body: dict[str, Any]) -> Reply:
        if self.respond is not None:
            return self.respond(body)
        seed = body.get("seed")
        i = seed if isinstance(seed, int) else self.calls
        self.calls += 1
        return self.replies[i % len(self.replies)]


def count_tokens(text: str) -> int:
    """A deterministic stand-in tokenizer: whitespace-separated words."""
    return len(text.split())


def messages_text(body: dict[str, Any]) -> str:
    parts = []
    for m in body.get("messages") or []:
        c = m.get("content")
        if isinstance(c, list):
            c = " ".join(str(p.get("text", "")) for p in c if isinstance(p, dict))
        parts.append(str(c or ""))
    return "\n".join(parts)


class FakeLLM:
    """The server; use as a context manager or call ``start``/``stop``."""

    def __init__(self, rules: list[Rule] | None = None, default: Reply | None = None, model: str = "fake-model") -> None:
        self.rules: list[Rule] = list(rules or [])
        self.default = default or Reply(content="")
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.usage_served = {"prompt_tokens": 0, "completion_tokens": 0, "requests": 0}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -----------------------------------------------------------
    def add(self, match: str, *replies: Reply | str, respond: Callable[[dict[str, Any]], Reply] | None = None) -> Rule:
        """Add a rule; plain strings become ``Reply(content=...)``."""
        rule = Rule(match=match, replies=[r if isinstance(r, Reply) else Reply(content=r) for r in replies], respond=respond)
        with self._lock:
            self.rules.append(rule)
        return rule

    def reset(self) -> None:
        with self._lock:
            self.rules.clear()
            self.requests.clear()
            self.usage_served = {"prompt_tokens": 0, "completion_tokens": 0, "requests": 0}

    @classmethod
    def from_script(cls, script: dict[str, Any]) -> "FakeLLM":
        """Build from JSON: ``{"rules": [{"match": str, "replies": [Reply fields]}], "default": {...}}``."""
        rules = [Rule(match=r.get("match", ""), replies=[Reply(**x) for x in r["replies"]]) for r in script.get("rules", [])]
        default = Reply(**script["default"]) if "default" in script else None
        return cls(rules=rules, default=default, model=script.get("model", "fake-model"))

    # -- serving -------------------------------------------------------------
    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Pick the scripted reply for a request and build the response body."""
        text = messages_text(body)
        with self._lock:
            self.requests.append(body)
            rule = next((r for r in self.rules if r.match in text), None)
            reply = rule.pick(body) if rule else self.default
        if reply.delay_s:
            time.sleep(reply.delay_s)
        if reply.status != 200:
            return reply.status, {"error": {"message": f"scripted error {reply.status}", "type": "server_error"}}
        pt = reply.prompt_tokens if reply.prompt_tokens is not None else count_tokens(text)
        ct = reply.completion_tokens if reply.completion_tokens is not None else count_tokens(reply.content)
        with self._lock:
            self.usage_served["prompt_tokens"] += pt
            self.usage_served["completion_tokens"] += ct
            self.usage_served["requests"] += 1
        usage: dict[str, Any] = {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}
        if reply.reasoning_tokens is not None:
            usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
        return 200, {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model") or self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content}, "finish_reason": "stop"}],
            "usage": usage,
        }

    def start(self, port: int = 0) -> "FakeLLM":
        llm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                send_json(self, status, payload)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": llm.model, "object": "model", "owned_by": "bestofn"}]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    self._send(400, {"error": {"message": "bad json"}})
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                status, payload = llm.answer(body)
                try:
                    self._send(status, payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout); nothing to do

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-llm", daemon=True)
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeLLM":
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    """Serve a script file until interrupted; prints the base URL first."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", type=Path, help="JSON script (see FakeLLM.from_script)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    llm = FakeLLM.from_script(json.loads(args.script.read_text())) if args.script else FakeLLM()
    llm.start(args.port)
    print(llm.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        llm.stop()


if __name__ == "__main__":
    main()
