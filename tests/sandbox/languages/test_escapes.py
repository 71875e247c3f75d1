"""The escape suite in JavaScript, Go and C++: network, fork bomb, memory, disk, output flood, writes outside tmpfs.

Native programs run with RLIMIT_DATA at the run's memory and exec from a /work mounted exec (not
suid); everything else is the python runner's hardening, unchanged: no network, read-only root,
no capabilities, the pids cgroup, output caps.
"""

from __future__ import annotations

import json
import resource
import socket

import pytest

from bestofn.schemas import Limits
from bestofn.schemas import TestSuite as Suite
from sandbox import SandboxConfig, run_candidate, run_many
from tests.sandbox.languages.escapes import ESCAPES
from tests.sandbox.languages.programs import IO_TESTS, PROGRAMS

pytestmark = [pytest.mark.languages, pytest.mark.usefixtures("image")]
LANGS = sorted(ESCAPES)
BLOCKED = Suite(format="io", code=json.dumps([{"input": "", "output": "blocked"}]))
ONE_RUN = Suite(format="io", code=json.dumps([{"input": "", "output": "-"}]))
ADD_ONCE = Suite(format="io", code=json.dumps([{"input": "1 2\n", "output": "3"}]))


def program(language: str, attack: str, **fill: object) -> str:
    text = ESCAPES[language][attack]
    for key, value in fill.items():
        text = text.replace("{" + key + "}", str(value))
    return text


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("attack", ["network", "outside", "disk"])
def test_attack_is_blocked(language: str, attack: str, labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        code = program(language, attack, port=server.getsockname()[1])
        result = run_candidate(code, BLOCKED, limits=Limits(timeout_s=10), labels=labels, config=sandbox_config,
                               language=language)
    finally:
        server.close()
    assert "ESCAPED" not in result.stdout
    if attack == "disk" and language == "cpp":  # fwrite past RLIMIT_FSIZE: SIGXFSZ ends it (its default action)
        assert result.status == "passed" or result.tests[0].message.startswith("exit code 153"), result
    else:
        assert result.status == "passed", (result.status, result.tests, result.stderr[-500:])


@pytest.mark.parametrize("language", LANGS)
def test_fork_bomb_stops_at_the_pids_limit_and_is_swept(language: str, labels: dict[str, str],
                                                        sandbox_config: SandboxConfig) -> None:
    bomb, good = run_many([program(language, "fork"), PROGRAMS[language].add], ADD_ONCE, limits=Limits(timeout_s=10),
                          mode="per_task", labels=labels, config=sandbox_config, language=language)
    forked = int(bomb.stdout.split()[0])
    assert 0 < forked < 128, bomb.stdout  # the container's pids limit for this language is at most 128
    # the next candidate ran in the same container after the bomb's processes were swept
    assert (good.status, good.isolation) == ("passed", "per_task"), good


@pytest.mark.parametrize("language", LANGS)
def test_memory_over_the_runs_cap_is_oom(language: str, labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    """The container also fits the compiler, so the run's own cap (RLIMIT_DATA, V8's heap) is what stops this."""
    result = run_candidate(program(language, "memory"), ONE_RUN, limits=Limits(memory_mb=128, timeout_s=20),
                           labels=labels, config=sandbox_config, language=language)
    assert result.status == "oom", (result.status, result.tests, result.stderr[-800:])


@pytest.mark.parametrize("language", LANGS)
def test_output_flood_is_truncated_and_does_not_reach_the_host(language: str, labels: dict[str, str],
                                                               sandbox_config: SandboxConfig) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run_candidate(program(language, "flood"), ONE_RUN, limits=Limits(timeout_s=30), labels=labels,
                           config=sandbox_config, language=language)
    assert result.truncated and len(result.stdout) <= sandbox_config.output_limit_bytes
    assert result.status == "failed"
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 50
    assert run_candidate(PROGRAMS[language].add, IO_TESTS, labels=labels, config=sandbox_config,
                         language=language).status == "passed"
