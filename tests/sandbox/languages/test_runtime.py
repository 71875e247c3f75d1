"""Every language end to end in real containers: right, wrong, crashing, looping and non-compiling programs."""

from __future__ import annotations

import pytest

from bestofn.languages import LANGUAGES
from bestofn.schemas import Limits
from sandbox import SandboxConfig, run_inputs, run_many
from tests.sandbox.languages.programs import IO_TESTS, PROGRAMS

pytestmark = [pytest.mark.languages, pytest.mark.usefixtures("image")]
COMPILED = {"javascript", "typescript", "go", "rust", "cpp", "java"}  # a compile (or syntax-check) step per candidate


@pytest.mark.parametrize("mode", ["per_candidate", "per_task"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_statuses(language: str, mode: str, labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    p = PROGRAMS[language]
    good, wrong, crash, loop, broken = run_many(
        [p.add, p.wrong, p.crash, p.loop, p.broken], IO_TESTS, limits=Limits(timeout_s=3), mode=mode, labels=labels,
        config=sandbox_config, language=language)
    assert (good.status, good.tests_passed, good.tests_total, good.isolation) == ("passed", 3, 3, mode), good
    assert good.runtime_ms == pytest.approx(sum(t.duration_ms for t in good.tests), abs=0.01)
    assert (wrong.status, wrong.tests_passed) == ("failed", 0), wrong
    assert wrong.tests[1].message == "expected '42', got '440'"
    assert (crash.status, crash.tests_passed) == ("failed", 0), crash
    assert crash.tests[0].message.startswith(f"exit code {p.crash_exit}"), crash.tests[0]
    assert (loop.status, loop.timed_out) == ("timeout", True), loop
    if language in COMPILED:
        assert good.compile_ms is not None and good.compile_ms > 0
        assert (broken.status, broken.tests_total) == ("compile_error", 0), broken
        assert p.compile_message in broken.stderr, broken.stderr
        assert broken.compile_ms is not None
    else:  # python keeps its own status for a syntax error
        assert good.compile_ms is None
        assert broken.status == "syntax_error" and p.compile_message in broken.stderr


@pytest.mark.parametrize("language", LANGUAGES)
def test_probes_fingerprint_behaviour(language: str, labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    """Self-consistency without tests: same behaviour, same fingerprints, whatever the code looks like."""
    p = PROGRAMS[language]
    rows = run_inputs([p.add, p.add_again, p.wrong, p.broken], ["1 2\n", "3 4\n"], None, io=True, labels=labels,
                      config=sandbox_config, language=language)
    assert rows[0] == rows[1] == ["ok:3", "ok:7"]
    assert rows[2] == ["ok:2", "ok:12"]
    assert rows[3] == (["exc:CompileError"] * 2 if language in COMPILED else ["exc:SyntaxError"] * 2)


def test_one_warm_pool_serves_each_language_on_its_own_image(labels: dict[str, str],
                                                             sandbox_config: SandboxConfig) -> None:
    from sandbox import RunnerPool, ensure_image

    for language in ("python", "go"):
        ensure_image(config=sandbox_config, language=language)
    with RunnerPool(config=sandbox_config, labels=labels) as pool:
        for language in ("python", "go", "go", "python"):
            result = run_many([PROGRAMS[language].add], IO_TESTS, mode="per_task", pool=pool, labels=labels,
                              config=sandbox_config, language=language)[0]
            assert result.status == "passed", (language, result)
        assert pool.started == 2  # one runner per language, each reused once
