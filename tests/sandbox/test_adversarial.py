"""Hostile candidates: each is contained by the sandbox and classified, and the host stays fine.

Most attacks are written as a candidate whose function reports what the attack
achieved, and a test that passes only if the attack was blocked.
"""

from __future__ import annotations

import resource
import socket
import time

import pytest

from bestofn.schemas import Limits
from bestofn.schemas import TestSuite as Suite
from sandbox import SandboxConfig, run_candidate, run_many

CHECK = Suite(format="humaneval", code="def check(candidate):\n    assert candidate() == 'blocked'\n")
ADD_TESTS = Suite(format="humaneval", code="def check(candidate):\n    assert candidate(1, 2) == 3\n")
ADD = "def add(a, b):\n    return a + b\n"


def attempt(body: str) -> str:
    """A candidate ``attack()`` returning 'blocked' when ``body`` raises, else what it got."""
    indented = "\n".join("        " + line for line in body.strip().splitlines())
    return f"def attack():\n    try:\n{indented}\n    except Exception as exc:\n        return 'blocked'\n    return 'ESCAPED'\n"


def contained(code: str, labels: dict[str, str], config: SandboxConfig, limits: Limits | None = None) -> None:
    result = run_candidate(code, CHECK, "attack", limits, labels=labels, config=config)
    assert result.status == "passed", (result.status, result.tests, result.stderr[-500:])


def test_infinite_loop_times_out(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    start = time.monotonic()
    result = run_candidate("def add(a, b):\n    while True:\n        pass\n", ADD_TESTS, "add", Limits(timeout_s=2),
                           labels=labels, config=sandbox_config)
    assert (result.status, result.timed_out) == ("timeout", True)
    assert result.tests[0].outcome == "timeout"
    assert time.monotonic() - start < 20


def test_sleeping_module_import_times_out(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    result = run_candidate("import time\ntime.sleep(60)\n" + ADD, ADD_TESTS, "add", Limits(timeout_s=1),
                           labels=labels, config=sandbox_config)
    assert (result.status, result.timed_out) == ("timeout", True)


def test_fork_bomb_is_contained_by_the_pids_limit(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    counter = '''
import os, time
def add(a, b):
    count = 0
    try:
        while True:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
            count += 1
    except OSError:
        pass
    print("forked", count)
    return a + b
'''
    result = run_candidate(counter, ADD_TESTS, "add", Limits(timeout_s=5), labels=labels, config=sandbox_config)
    assert result.status == "passed", result  # fork failed at the pids limit and the function went on
    forked = int(result.stdout.split()[-1])
    assert 0 < forked < 64
    classic = "import os\nwhile True:\n    os.fork()\n" + ADD
    start = time.monotonic()
    bombed = run_candidate(classic, ADD_TESTS, "add", Limits(timeout_s=2), labels=labels, config=sandbox_config)
    # every copy dies on EAGAIN at the pids limit (or the bomb outlives its time): contained either way
    assert bombed.status in ("error", "timeout") and time.monotonic() - start < 30
    assert bombed.timed_out or "BlockingIOError" in bombed.stderr
    assert run_candidate(ADD, ADD_TESTS, "add", labels=labels, config=sandbox_config).status == "passed"


def test_huge_allocation_is_oom(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    hog = "def add(a, b):\n    block = bytearray(4 * 1024 ** 3)\n    return a + b\n"
    result = run_candidate(hog, ADD_TESTS, "add", Limits(memory_mb=128), labels=labels, config=sandbox_config)
    assert result.status == "oom"


def test_memory_error_counts_as_oom(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    hog = "def add(a, b):\n    raise MemoryError('simulated')\n"
    assert run_candidate(hog, ADD_TESTS, "add", labels=labels, config=sandbox_config).status == "oom"


def test_filling_the_disk_fails_on_the_tmpfs_limit(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    writer = attempt('''
block = b"x" * (1 << 20)
with open("/work/big", "wb") as fh:
    for _ in range(1024):
        fh.write(block)
''')
    contained(writer, labels, sandbox_config)


def test_printing_200mb_is_truncated_and_does_not_reach_the_host(labels: dict[str, str],
                                                                 sandbox_config: SandboxConfig) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    flood = "import sys\nblock = 'y' * (1 << 20)\nfor _ in range(200):\n    sys.stdout.write(block)\n" + ADD
    result = run_candidate(flood, ADD_TESTS, "add", Limits(timeout_s=30), labels=labels, config=sandbox_config)
    assert result.status == "passed"
    assert result.truncated and len(result.stdout) <= 64 * 1024
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50


def test_no_network_to_host_loopback_or_outside(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        contained(attempt(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)"), labels,
                  sandbox_config)
        contained(attempt("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)"), labels,
                  sandbox_config)
        contained(attempt("import socket\nsocket.getaddrinfo('example.com', 80)"), labels, sandbox_config)
    finally:
        server.close()


def test_host_environment_does_not_leak(labels: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                        sandbox_config: SandboxConfig) -> None:
    secret = "s3cr3t-" + str(time.time_ns())
    monkeypatch.setenv("BESTOFN_TEST_SECRET", secret)
    spy = '''
import os
def add(a, b):
    print(sorted(os.environ.items()))
    for path in ("/proc/1/environ", "/proc/self/environ"):
        try:
            print(path, open(path, "rb").read())
        except OSError as exc:
            print(path, "denied", type(exc).__name__)
    return a + b
'''
    result = run_candidate(spy, ADD_TESTS, "add", labels=labels, config=sandbox_config)
    assert result.status == "passed"
    assert secret not in result.stdout
    assert "/proc/1/environ denied" in result.stdout  # the runner is not dumpable


def test_cannot_become_root_or_change_the_system(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    for body in (
        "import os\nos.setuid(0)",
        "open('/proc/sys/kernel/hostname', 'w').write('pwned')",
        "open('/etc/pwned', 'w').write('x')",
        "open('/opt/bestofn/runner.py', 'a').write('x')",
        "import os\nos.symlink('/proc/1/root/etc/hostname', '/work/link')\nopen('/work/link').read()",
        "open('/proc/1/mem', 'rb').read(1)",
        "import os\nos.listdir('/proc/1/fd')",
        "open('/var/run/docker.sock', 'rb')",
        "import os\nos.mknod('/work/dev', 0o600 | 0o020000, os.makedev(1, 3))",
    ):
        contained(attempt(body), labels, sandbox_config)


def test_no_capabilities_and_no_ptrace(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    caps = "def attack():\n    line = [l for l in open('/proc/self/status') if l.startswith('CapEff')][0]\n" \
           "    return 'blocked' if int(line.split()[1], 16) == 0 else line\n"
    contained(caps, labels, sandbox_config)
    ptrace = '''
import ctypes
def attack():
    libc = ctypes.CDLL(None, use_errno=True)
    return 'blocked' if libc.ptrace(16, 1, 0, 0) == -1 else 'ESCAPED'  # PTRACE_ATTACH to the runner
'''
    contained(ptrace, labels, sandbox_config)


def test_kill_everything_does_not_touch_the_runner_or_siblings(labels: dict[str, str],
                                                               sandbox_config: SandboxConfig) -> None:
    killer = "import os, signal\nfor pid in (-1, 1):\n    try:\n        os.kill(pid, signal.SIGKILL)\n" \
             "    except OSError:\n        pass\n" + ADD
    results = run_many([ADD, killer, ADD], ADD_TESTS, "add", mode="per_task", labels=labels, config=sandbox_config)
    # kill(-1) spares the caller and PID 1 ignores SIGKILL from inside its namespace:
    # nothing else was running, so everyone passes and nobody needed a re-run
    assert [r.status for r in results] == ["passed"] * 3
    assert [r.isolation for r in results] == ["per_task"] * 3


def test_files_planted_for_the_next_candidate_are_wiped(labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    planter = '''
import os
for d in ("/work", "/work/c2", "/tmp", "/dev/shm"):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "conftest.py"), "w") as fh:
        fh.write("raise SystemExit('planted')\\n")
    with open(os.path.join(d, "solution.py"), "w") as fh:
        fh.write("def add(a, b):\\n    return 0\\n")
''' + ADD
    pytest_tests = Suite(format="pytest", code="from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n")
    results = run_many([ADD, planter, ADD], pytest_tests, mode="per_task", labels=labels, config=sandbox_config)
    assert [r.status for r in results] == ["passed", "passed", "passed"]
