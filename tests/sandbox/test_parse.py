"""Pure parsing and grading, on strings and dicts: no Docker here."""

from __future__ import annotations

import importlib.util
import sys
import struct
from pathlib import Path
from types import ModuleType

import pytest

from sandbox.build import mirror_from_apt_sources
from sandbox.parse import FrameDecoder, MarkerLines, failure_result, record_to_result, record_fingerprints


def frame(stream: int, data: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + struct.pack(">I", len(data)) + data


def test_frames_reassemble_across_chunks() -> None:
    raw = frame(1, b"hello ") + frame(2, b"oops") + frame(1, b"world\n")
    dec = FrameDecoder()
    got = [f for i in range(0, len(raw), 5) for f in dec.feed(raw[i:i + 5])]
    assert got == [(1, b"hello "), (2, b"oops"), (1, b"world\n")]


def test_marker_lines_keep_records_and_count_noise() -> None:
    lines = MarkerLines("@@m")
    assert lines.feed(b'junk\n@@m {"index": 0') == []
    assert lines.feed(b'}\n@@m not-json\n@@m [1]\n@@m {"done": true}\n') == [{"index": 0}, {"done": True}]
    assert bytes(lines.noise) == b"junk\n@@m not-json\n@@m [1]\n"


def test_marker_lines_drop_an_overlong_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sandbox.parse.MAX_LINE_BYTES", 16)
    lines = MarkerLines("@@m")
    assert lines.feed(b"@@m " + b"x" * 40) == []
    assert lines.feed(b'tail\n@@m {"a": 1}\n') == [{"a": 1}]


def events(*outcomes: str, collected: int | None = None, done: bool = True) -> list[dict]:
    out: list[dict] = [{"ev": "collected", "n": collected if collected is not None else len(outcomes)}]
    for k, o in enumerate(outcomes):
        out += [{"ev": "start", "name": f"t{k}"},
                {"ev": "test", "name": f"t{k}", "outcome": o, "duration_ms": 1.5, "message": "" if o == "passed" else "AssertionError: x"}]
    return out + ([{"ev": "done"}] if done else [])


def grade(**record: object) -> object:
    return record_to_result({"exit_code": 0, "oom_kills": 0, **record}, isolation="per_task")


def test_passed_failed_and_counts() -> None:
    ok = grade(events=events("passed", "passed"))
    assert (ok.status, ok.all_passed, ok.tests_passed, ok.tests_total, ok.runtime_ms) == ("passed", True, 2, 2, 3.0)
    bad = grade(events=events("passed", "failed"), exit_code=1)
    assert (bad.status, bad.tests_passed, bad.tests[1].message) == ("failed", 1, "AssertionError: x")
    assert bad.isolation == "per_task"


def test_outcomes_beyond_the_detail_cap_still_count() -> None:
    res = grade(events=events("passed", "passed", collected=5), overflow={"passed": 2, "failed": 1})
    assert (res.status, res.tests_passed, res.tests_total, len(res.tests)) == ("failed", 4, 5, 2)
    res = grade(events=events("passed", collected=3), overflow={"passed": 2})
    assert (res.status, res.tests_passed, res.tests_total) == ("passed", 3, 3)


def test_missing_done_or_zero_tests() -> None:
    assert grade(events=events("passed", done=False)).status == "failed"  # exited mid-suite (os._exit(0))
    assert grade(events=events()).status == "error"


def test_timeout_marks_the_running_test_and_counts_unrun_ones() -> None:
    evs = events("passed", collected=3, done=False) + [{"ev": "start", "name": "t1"}]
    res = grade(events=evs, timed_out=True, signal=9, exit_code=137, wall_ms=2000.0)
    assert (res.status, res.timed_out, res.tests_passed, res.tests_total) == ("timeout", True, 1, 3)
    assert res.tests[-1].outcome == "timeout" and res.runtime_ms == 2000.0


def test_crash_mid_test_is_an_error_outcome() -> None:
    evs = events("passed", collected=2, done=False) + [{"ev": "start", "name": "t1"}]
    res = grade(events=evs, signal=11, exit_code=139)
    assert res.status == "failed" and res.tests[-1].outcome == "error"


@pytest.mark.parametrize("record,killed", [
    ({"oom_kills": 1, "signal": 9, "exit_code": 137}, True),
    ({"oom_kills": None, "signal": 9, "exit_code": 137}, True),  # no counter: an unexplained SIGKILL
    ({"oom_kills": 0, "events": [{"ev": "error", "kind": "import", "message": "MemoryError"}]}, False),
])
def test_oom_classification(record: dict, killed: bool) -> None:
    res = grade(**{"events": events("passed", done=False), **record})
    assert (res.status, res.oom_killed) == ("oom", killed)


def test_memory_error_in_a_test_is_oom() -> None:
    evs = events("failed")
    evs[2]["message"] = "MemoryError"
    assert grade(events=evs).status == "oom"


def test_syntax_import_and_runner_errors() -> None:
    syn = grade(compile_error="SyntaxError: invalid syntax (solution.py, line 1)")
    assert (syn.status, syn.stderr) == ("syntax_error", "SyntaxError: invalid syntax (solution.py, line 1)")
    imp = grade(events=[{"ev": "error", "kind": "import", "message": "ModuleNotFoundError: No module named 'x'"}],
                stderr="Traceback ...\n", exit_code=1)
    assert imp.status == "error" and imp.stderr.startswith("ModuleNotFoundError") and "Traceback" in imp.stderr
    assert grade(runner_error="OSError: [Errno 28] No space left").status == "error"


def test_a_compiler_refusal_is_compile_error_with_its_time_apart() -> None:
    refused = grade(compile_failed="main.go:5:1: syntax error: unexpected }", compile_ms=181.5)
    assert (refused.status, refused.tests_total, refused.compile_ms) == ("compile_error", 0, 181.5)
    assert refused.stderr == "main.go:5:1: syntax error: unexpected }"
    ran = grade(events=events("passed"), compile_ms=300.0)
    assert (ran.status, ran.compile_ms) == ("passed", 300.0)
    assert ran.runtime_ms == sum(t.duration_ms for t in ran.tests)  # the compile is not in the run time
    assert grade(compile_failed="x", compile_ms=float("nan")).status == "error"  # a broken record, never stored


def test_streams_and_truncation_pass_through() -> None:
    res = grade(events=events("passed"), stdout="out", stderr="err", truncated=True)
    assert (res.stdout, res.stderr, res.truncated) == ("out", "err", True)


def test_failure_result_for_a_lost_container() -> None:
    assert failure_result(isolation="per_candidate", timed_out=True, oom_killed=False, exit_code=137, message="m").status == "timeout"
    assert failure_result(isolation="per_candidate", timed_out=False, oom_killed=True, exit_code=137, message="m").status == "oom"
    assert failure_result(isolation="per_candidate", timed_out=False, oom_killed=False, exit_code=1, message="m").status == "error"


def test_fingerprints_from_events_or_fallback() -> None:
    rec = {"events": [{"ev": "fp", "k": 0, "fp": "ok:1"}, {"ev": "fp", "k": 2, "fp": "exc:KeyError"}], "timed_out": True}
    assert record_fingerprints(rec, 3) == ["ok:1", "timeout", "exc:KeyError"]
    assert record_fingerprints({"events": [], "oom_kills": 1}, 1) == ["exc:MemoryError"]
    assert record_fingerprints({"fingerprints": ["exc:SyntaxError"] * 3}, 2) == ["exc:SyntaxError"] * 2


def test_mirror_from_apt_sources() -> None:
    deb822 = ("Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n"
              "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n")
    assert mirror_from_apt_sources({"/etc/apt/sources.list.d/debian.sources": deb822}) == "http://mirror.example/debian"
    one_line = "# comment\ndeb-src http://src.example/debian bookworm main\ndeb [arch=amd64] http://one.example/debian bookworm main\n"
    assert mirror_from_apt_sources({"/etc/apt/sources.list": one_line}) == "http://one.example/debian"
    assert mirror_from_apt_sources({"/etc/apt/sources.list": "deb http://x.example/ubuntu jammy main\n"}) is None


@pytest.fixture(scope="module")
def runner() -> ModuleType:
    """The in-container runner is stdlib-only: its pure helpers load on the host too."""
    path = Path(__file__).resolve().parents[2] / "sandbox" / "image" / "runner.py"
    if str(path.parent) not in sys.path:  # the runner imports its sibling modules (protocol, untrusted)
        sys.path.append(str(path.parent))
    spec = importlib.util.spec_from_file_location("bestofn_runner", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_runner_splits_plain_checks_only(runner: ModuleType) -> None:
    plain = 'def check(candidate):\n    """doc"""\n    assert candidate(1) == 2\n    assert candidate(2) == 3, "msg"\n'
    g: dict = {}
    exec(plain, g)
    checks = runner.split_check(plain, g)
    assert [name for name, _ in checks] == ["assert[0] candidate(1) == 2", "assert[1] candidate(2) == 3"]
    checks[0][1](lambda x: x + 1)
    with pytest.raises(AssertionError, match="msg"):
        checks[1][1](lambda x: 0)
    mixed = "def check(candidate):\n    x = 1\n    assert candidate(x) == 2\n"
    g = {}
    exec(mixed, g)
    assert [name for name, _ in runner.split_check(mixed, g)] == ["check"]


def test_runner_bounds_forged_events(runner: ModuleType) -> None:
    forged = [{"ev": "test", "name": "n" * 10_000, "outcome": "passed", "message": "m" * 10_000}] * 5000
    kept, overflow = runner.bound_events([dict(e) for e in forged])
    assert len(kept) == runner.TESTS_KEPT and overflow == {"passed": 5000 - runner.TESTS_KEPT}
    assert max(len(e["name"]) + len(e["message"]) for e in kept) <= runner.NAME_LIMIT + runner.MESSAGE_LIMIT
    events, bad = runner.load_events(b'{"ev": "done"}\n' + b"x" * 100_000 + b"\nnot json\n")
    assert (events, bad) == ([{"ev": "done"}], 2)


def test_runner_empties_deep_and_locked_trees(runner: ModuleType, tmp_path: Path) -> None:
    import os

    root = tmp_path / "work"
    fd = os.open(root.parent, os.O_RDONLY)
    try:  # 1500 levels: deeper than the recursion limit, and too long a path for the kernel
        os.mkdir("work", dir_fd=fd)
        cur = os.open("work", os.O_RDONLY, dir_fd=fd)
        for _ in range(1500):
            os.mkdir("d" * 20, dir_fd=cur)
            nxt = os.open("d" * 20, os.O_RDONLY, dir_fd=cur)
            os.close(cur)
            cur = nxt
        os.close(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=cur))
        os.close(cur)
    finally:
        os.close(fd)
    (root / "locked").mkdir()
    (root / "locked" / "x").write_text("x")
    (root / "locked").chmod(0)
    (root / "link").symlink_to("/etc")
    assert runner._empty_dir(str(root)) is True
    assert os.listdir(root) == [] and os.path.exists("/etc/hostname")


def test_runner_normalise_args_and_fingerprints(runner: ModuleType) -> None:
    assert runner.normalise("a  \nb\t\n\n\n") == "a\nb"
    assert runner.parse_args("(1, [2, 3])") == (1, [2, 3])
    assert runner.parse_args("'a'") == ("a",)
    with pytest.raises(ValueError):
        runner.parse_args("__import__('os').system('x')")
    assert runner.fingerprint_value([1, 2]) == "ok:[1, 2]"
    long_a, long_b = runner.fingerprint_value("a" * 5000), runner.fingerprint_value("a" * 4999 + "b")
    assert len(long_a) < 2100 and long_a != long_b


HOSTILE_RECORDS = {
    "huge collected count": {"events": [{"ev": "collected", "n": 10**12}, {"ev": "done"}]},
    "NaN duration": {"events": [{"ev": "collected", "n": 1},
                                {"ev": "test", "name": "t", "outcome": "passed", "duration_ms": float("nan")}, {"ev": "done"}]},
    "inf duration": {"events": [{"ev": "test", "name": "t", "outcome": "passed", "duration_ms": float("inf")}]},
    "negative duration": {"events": [{"ev": "test", "name": "t", "outcome": "passed", "duration_ms": -1e9}]},
    "negative overflow": {"events": [], "overflow": {"passed": -5}},
    "NaN wall clock": {"events": [], "wall_ms": float("nan"), "timed_out": True},
    "events not a list": {"events": {"ev": "done"}},
    "a name of a megabyte": {"events": [{"ev": "test", "name": "n" * (1 << 20), "outcome": "passed"}]},
    "200k passing events (16 MB)": {"events": [{"ev": "collected", "n": 3}] + [
        {"ev": "test", "name": f"t{i}", "outcome": "passed", "duration_ms": 1.0, "message": "m" * 40} for i in range(200_000)]},
}


@pytest.mark.parametrize("name", sorted(HOSTILE_RECORDS))
def test_a_hostile_record_is_that_candidates_error_never_an_exception(name: str) -> None:
    result = record_to_result({"index": 0, "exit_code": 0, **HOSTILE_RECORDS[name]}, isolation="per_task")
    assert result.status == "error", (name, result.status, result.tests_passed, result.tests_total)
    assert not result.all_passed and result.tests_passed == 0
    assert result.stderr.startswith("the sandbox record was not usable") and len(result.stderr) < 400
    assert "Traceback" not in result.stderr


def test_a_failure_reason_never_carries_sql_parameters_or_a_traceback() -> None:
    from sqlalchemy.exc import DataError

    from bestofn.security.redact import describe_failure

    exc = DataError("INSERT INTO execution (runtime_ms) VALUES (%(r)s)", {"r": float("nan")},
                    Exception("numeric field overflow\nDETAIL: A field with precision 10"))
    reason = describe_failure(exc)
    assert reason.startswith("DataError: ") and "numeric field overflow" in reason
    for leak in ("INSERT", "[SQL", "parameters", "nan", "DETAIL", "Traceback", "\n"):
        assert leak not in reason
