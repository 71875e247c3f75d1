"""The embedded demo model: found in its wheel, served by llama.cpp, stopped cleanly.

Real model, real server process, real ``openai`` client; nothing patched
except the distribution name in the missing-package test.
"""

from __future__ import annotations

import os

import pytest

from bestofn import localmodel
from bestofn.llm import chat, make_client
from bestofn.localmodel import LocalModelError, LocalModelServer, find_gguf


def test_find_gguf_finds_the_model_file() -> None:
    path = find_gguf()
    assert path.suffix == ".gguf" and path.is_file()
    assert path.stat().st_size > 50_000_000  # the real weights, not an LFS pointer
    with path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"


def test_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(localmodel, "DISTRIBUTION", "bestofn-no-such-distribution")
    with pytest.raises(LocalModelError, match=r"requirements-model.txt"):
        find_gguf()


def test_base_url_before_start_is_a_clear_error() -> None:
    with pytest.raises(LocalModelError, match="not started"):
        _ = LocalModelServer().base_url


@pytest.mark.timeout(180)  # ~2 s on an idle 2-core box; generous for a loaded CI runner
def test_server_answers_one_greedy_completion_and_stops() -> None:
    with LocalModelServer(parallel=1, ctx=2048) as srv:
        assert srv.base_url.startswith("http://127.0.0.1:") and srv.base_url.endswith("/v1")
        pid = srv.pid
        assert pid is not None
        client = make_client(base_url=srv.base_url)
        assert [m.id for m in client.models.list().data] == [srv.model_name]
        messages = [{"role": "user", "content": "Write a Python function that adds two numbers."}]
        reply = chat(client, srv.model_name, messages, temperature=0.0, max_tokens=8)
        assert reply.text.strip() and reply.tokens_in > 0 and 0 < reply.tokens_out <= 8
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
