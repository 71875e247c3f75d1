"""Hostile files and arguments on every ``bestofn`` sub-command: a non-zero exit and one line naming the
argument or FILE:LINE, never a traceback.

The readers every command shares (``read_json``, ``iter_jsonl``, ``iter_records``, ``read_samples``)
are swept in-process over every kind of bad file; then each command runs as a user runs it, in a
subprocess on embedded storage, and must refuse before it starts any work (no model, no sandbox).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bestofn.evals.jsonl import InputError, iter_jsonl, iter_records, read_json
from bestofn.evals.samples import read_samples

GOOD_LINE = json.dumps({"task_id": "HumanEval/0", "completion": "    return True\n"})
DEEP = "[" * 100_000 + "]" * 100_000
# name -> (content; None: missing, "DIR": a directory), and what the error says after the file's name
BAD_FILES: dict[str, tuple[bytes | str | None, str]] = {
    "missing": (None, "not found"),
    "directory": ("DIR", "is a directory"),
    "binary": (b"\xff\xfe\x00\x01binary", ":1: not valid UTF-8"),
    "latin1_line2": (GOOD_LINE.encode() + b'\n{"task_id": "caf\xe9"}\n', ":2: not valid UTF-8"),
    "bad_json_line2": (GOOD_LINE + "\n{oops\n", ":2: not valid JSON"),
    "deep_line1": (DEEP + "\n", ":1: not valid JSON (nested too deeply)"),
    "gzip_not_gzip": (b"plain text", "cannot read"),
}


def _write(tmp_path: Path, name: str, content: bytes | str | None, suffix: str = ".jsonl") -> Path:
    path = tmp_path / f"{name}{'.gz' if name == 'gzip_not_gzip' else suffix}"
    if content == "DIR":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    return path


READERS: dict[str, Callable[[Path], object]] = {
    "read_json": read_json,
    "iter_jsonl": lambda p: list(iter_jsonl(p)),
    "iter_records": lambda p: list(iter_records(p)),
    "read_samples": read_samples,
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_every_reader_names_the_file_and_line_of_any_bad_file(tmp_path: Path, reader: str, kind: str) -> None:
    """Each was a UnicodeDecodeError, RecursionError or gzip error traceback before, where not already named."""
    content, needle = BAD_FILES[kind]
    path = _write(tmp_path, kind, content)
    with pytest.raises(InputError) as info:
        READERS[reader](path)
    message = str(info.value)
    assert str(path.name) in message and needle in message, message
    assert "\n" not in message


def test_a_sample_that_cannot_be_stored_is_named_by_line(tmp_path: Path) -> None:
    """A NUL (PostgreSQL text refuses it) or a lone surrogate (not UTF-8) in a completion: FILE:LINE, not a
    database error or a codec message without a place."""
    for bad, words in (("\x00", "NUL"), ("\ud800", "lone surrogate")):
        path = tmp_path / "s.jsonl"
        path.write_text(GOOD_LINE + "\n" + json.dumps({"task_id": "HumanEval/0", "completion": bad}) + "\n")
        with pytest.raises(InputError, match=rf"s.jsonl:2: completion holds a {words}"):
            read_samples(path)


# -- the commands, as a user runs them ------------------------------------------------------------
def _cli(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BESTOFN_", "OPENAI_"))}
    env.update({"BESTOFN_DATA_DIR": str(tmp_path / "data"), "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
                "OPENAI_API_KEY": "sk-x"})
    return subprocess.run([sys.executable, "-m", "bestofn.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=tmp_path)


def _files(tmp_path: Path) -> None:
    """The files the commands below are handed, by name, in ``tmp_path``."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "binary.json").write_bytes(b"\xff\xfe\x00binary")
    (tmp_path / "deep.json").write_text('{"prompt": ' + DEEP + "}")
    (tmp_path / "surrogate.json").write_text('{"prompt": "x", "language": "\\ud800"}')
    (tmp_path / "problem.json").write_text(json.dumps({"prompt": "Return x.", "n": 1}))
    (tmp_path / "good.jsonl").write_text(GOOD_LINE + "\n")
    (tmp_path / "binary.jsonl").write_bytes(GOOD_LINE.encode() + b"\n\xff\xfe\n")
    (tmp_path / "deep.jsonl").write_text(DEEP + "\n")
    (tmp_path / "nul.jsonl").write_text(json.dumps({"task_id": "HumanEval/0", "completion": "\x00"}) + "\n")
    (tmp_path / "sol.py").write_text("def f():\n    return 1\n")
    (tmp_path / "t.py").write_text("def test_f():\n    assert True\n")


ONE_LINE_CASES = [
    (["solve", "binary.json"], "binary.json:1: not valid UTF-8"),
    (["solve", "deep.json"], "deep.json:1: not valid JSON (nested too deeply)"),
    (["solve", "surrogate.json"], "field 'language': unknown language '\\ud800'"),
    (["solve", "dir"], "dir: is a directory"),
    (["submit", "binary.json", "--api", "http://127.0.0.1:9"], "binary.json:1: not valid UTF-8"),
    (["submit", "problem.json", "--api", "http://[::1"], "--api 'http://[::1': not a URL"),
    (["submit", "problem.json", "--api", "http://127.0.0.1:9", "--api-key", "k\xe9y"], "--api-key: not a key"),
    (["eval", "--samples", "binary.jsonl"], "binary.jsonl:2: not valid UTF-8"),
    (["eval", "--samples", "deep.jsonl"], "deep.jsonl:1: not valid JSON (nested too deeply)"),
    (["eval", "--samples", "nul.jsonl"], "nul.jsonl:1: completion holds a NUL"),
    (["eval", "--samples", "dir"], "dir: is a directory"),
    (["eval", "--dataset", "jsonl:binary.json", "--samples", "good.jsonl"], "binary.json:1: not valid UTF-8"),
    (["eval", "--dataset", "multipl-e:deep.jsonl", "--samples", "good.jsonl"], "deep.jsonl:1: not valid JSON"),
    (["eval", "--dataset", "mbpp:binary.json", "--samples", "good.jsonl"], "binary.json:1: not valid UTF-8"),
    (["eval", "--samples", "good.jsonl", "--out", "dir"], "--out dir: is a directory"),
    (["eval", "--n", "1", "--samples", "dir"], "--samples dir: is a directory"),
    (["eval", "--samples", "good.jsonl", "--max-tokens", "99999"], "--max-tokens: Input should be less than"),
    (["eval", "--samples", "good.jsonl", "--workers", "1000"], "--workers: Input should be less than"),
    (["eval", "--n", "1", "--model", "a\x01b"], "--model: Value error, must be printable text"),
    (["eval", "--samples", "good.jsonl", "--run-name", "r" * 300], "--run-name: 1 to 200 printable characters"),
    (["worker", "--pool", "bogus"], "--pool must be one of threads, prefork, solo"),
    (["keys", "create", "--rate", "nan"], "--rate: Input should be a finite number"),
    (["keys", "create", "--rate", "-1"], "--rate: Input should be greater than or equal to 0"),
    (["keys", "create", "--burst", "0"], "--burst: Input should be greater than or equal to 1"),
    (["keys", "create", "--max-tasks", "99999999999999999999"], "--max-tasks: Input should be less than"),
    (["keys", "create", "--name", "a\x01b"], "--name: Value error, must be printable text"),
    (["keys", "revoke", "x" * 10_000], "no key 'xxxx"),
    (["migrate", "no_such_revision"], "REVISION 'no_such_revision': Can't locate revision"),
    (["bot", "propose", "--repo", ".", "--wheelhouse", "missing"], "--wheelhouse missing: not a directory"),
    (["sandbox", "run", "--solution", "binary.json", "--tests", "t.py", "--format", "pytest"], "binary.json"),
]


@pytest.mark.parametrize("args,needle", ONE_LINE_CASES, ids=[" ".join(a)[:60] for a, _ in ONE_LINE_CASES])
def test_hostile_arguments_and_files_are_one_line_and_a_nonzero_exit(tmp_path: Path, args: list[str],
                                                                     needle: str) -> None:
    _files(tmp_path)
    out = _cli(args, tmp_path)
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert out.returncode != 0, out.stderr
    assert "Traceback" not in out.stderr + out.stdout, out.stderr[-2000:]
    assert len(lines) == 1 and needle in lines[0], out.stderr[-2000:]


@pytest.mark.parametrize("args,option", [
    (["sandbox", "reap", "--older-than", "-1"], "--older-than"),  # removed every sandbox on the engine before
    (["sandbox", "reap", "--older-than", "nan"], "--older-than"),
    (["submit", "problem.json", "--wait", "--timeout", "nan"], "--timeout"),  # waited forever before
    (["eval", "--samples", "good.jsonl", "--n", "abc"], "--n"),
    (["api", "--port", "99999999"], "--port"),  # uvicorn's OverflowError traceback before
    (["worker", "--concurrency", "0"], "--concurrency"),
])
def test_out_of_range_options_are_refused_before_any_work(tmp_path: Path, args: list[str], option: str) -> None:
    """Option values the parser refuses (click's usage error, exit 2) name the option."""
    _files(tmp_path)
    out = _cli(args, tmp_path)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr and f"'{option}'" in out.stderr, out.stderr
