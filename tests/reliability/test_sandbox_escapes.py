"""More escape ideas against the real sandbox, beyond tests/sandbox/test_adversarial.py.

Each attack is a candidate ``attack()`` that tries several things and returns the
list of those that worked; ``check`` asserts that list is empty, and the list is
printed so a failure shows what escaped. Per-task runs check that an attacker
cannot reach the candidates that come after it in the same container.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from bestofn.db import make_engine
from bestofn.models import Task
from bestofn.schemas import Candidate, Limits
from bestofn.schemas import TestSuite as Suite
from bestofn.store import TaskStore
from sandbox import SandboxConfig, run_candidate, run_many

NOTHING_ESCAPED = Suite(format="humaneval", code="def check(candidate):\n    assert candidate() == []\n")
ADD = "def add(a, b):\n    return a + b\n"
ADD_CHECK = Suite(format="humaneval", code="def check(c):\n    assert c(1, 2) == 3\n")
ADD_PYTEST = Suite(format="pytest", code="from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n")

HELPERS = '''
import ctypes, errno, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
escaped = []

def denied(name, fn):
    """Record ``name`` as escaped unless ``fn`` raises or returns -1 (a refused syscall)."""
    try:
        if fn() == -1:
            return
    except Exception:
        return
    escaped.append(name)

def write(path, data="1"):
    def go():
        with open(path, "w") as fh:
            fh.write(data)
    return go
'''


def attack(body: str) -> str:
    """A candidate whose ``attack()`` runs ``body`` (which appends to ``escaped``) and reports."""
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return HELPERS + f"\ndef attack():\n{indented}\n    print('ESCAPED', escaped)\n    return escaped\n"


def assert_contained(code: str, labels: dict[str, str], config: SandboxConfig, limits: Limits | None = None) -> None:
    result = run_candidate(code, NOTHING_ESCAPED, "attack", limits, labels=labels, config=config)
    assert result.status == "passed", (result.status, result.stdout[-2000:], result.stderr[-2000:])


def test_symlinks_on_the_tmpfs_do_not_reach_host_files(sandbox_labels: dict[str, str], tmp_path: Path,
                                                       sandbox_config: SandboxConfig) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text(secrets.token_hex(16))
    body = f'''
host = {str(canary)!r}
for i, target in enumerate([host, "/proc/1/root" + host, "/proc/self/root" + host, "/proc/1/cwd/../../.." + host]):
    link = "/work/l%d" % i
    os.symlink(target, link)
    denied("read via symlink to " + target, lambda: open(link).read())
os.symlink("/work/loop", "/work/loop")
denied("symlink loop", lambda: open("/work/loop").read())
denied("hard link to the runner (other filesystem)", lambda: os.link("/opt/bestofn/runner.py", "/work/r"))
denied("bind-style escape through /proc/self/root", lambda: os.listdir("/proc/self/root" + {str(tmp_path)!r}))
'''
    assert_contained(attack(body), sandbox_labels, sandbox_config)


def test_symlinks_planted_for_the_next_candidates_are_removed_not_followed(sandbox_labels: dict[str, str],
                                                                           sandbox_config: SandboxConfig) -> None:
    """Candidate 0 turns the next workdirs into symlinks (to its own files, to /) and loops."""
    planter = '''
import os
os.makedirs("/dev/shm/evil", exist_ok=True)
with open("/dev/shm/evil/conftest.py", "w") as fh:
    fh.write("raise SystemExit('planted')\\n")
with open("/dev/shm/evil/solution.py", "w") as fh:
    fh.write("def add(a, b):\\n    return 0\\n")
for name, target in (("c1", "/dev/shm/evil"), ("c2", "/"), ("c3", "/proc/1/root/opt"), ("up", ".."), ("self", "/work")):
    try:
        os.symlink(target, os.path.join("/work", name))
    except OSError:
        pass
os.symlink("/tmp/a", "/tmp/b")
os.symlink("/tmp/b", "/tmp/a")
''' + ADD
    results = run_many([planter, ADD, ADD, ADD], ADD_PYTEST, mode="per_task", labels=sandbox_labels,
                       config=sandbox_config)
    assert [r.status for r in results] == ["passed"] * 4, [(r.status, r.stderr[-300:]) for r in results]


def test_proc_sys_and_cgroup_writes_are_refused(sandbox_labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    body = '''
for path, data in (
    ("/proc/sysrq-trigger", "h"),
    ("/proc/sys/vm/drop_caches", "3"),
    ("/proc/sys/kernel/core_pattern", "|/work/x"),
    ("/proc/sys/kernel/modprobe", "/work/x"),
    ("/sys/kernel/uevent_helper", "/work/x"),
    ("/sys/fs/cgroup/memory.max", "max"),
    ("/sys/fs/cgroup/pids.max", "max"),
    ("/sys/fs/cgroup/cgroup.procs", str(os.getpid())),
    ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "-1"),
    ("/sys/fs/cgroup/release_agent", "/work/x"),
    ("/proc/1/oom_score_adj", "-1000"),
    ("/proc/1/comm", "pwned"),
    ("/proc/1/attr/current", "unconfined"),
    ("/proc/1/fd/1", "@@bestofn-forged {}"),
):
    denied("write " + path, write(path, data))
'''
    assert_contained(attack(body), sandbox_labels, sandbox_config)


def test_namespace_mount_and_kernel_syscalls_are_refused(sandbox_labels: dict[str, str],
                                                         sandbox_config: SandboxConfig) -> None:
    """Shocker (open_by_handle_at), user namespaces, mounts, bpf, keyrings, kernel modules."""
    body = '''
import platform
arch = platform.machine()
numbers = {
    "x86_64": {"unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
               "open_by_handle_at": 304, "bpf": 321, "perf_event_open": 298, "keyctl": 250,
               "init_module": 175, "kexec_load": 246, "userfaultfd": 323, "ptrace": 101},
    "aarch64": {"unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41,
                "open_by_handle_at": 265, "bpf": 280, "perf_event_open": 241, "keyctl": 219,
                "init_module": 105, "kexec_load": 104, "userfaultfd": 282, "ptrace": 117},
}[arch]
CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID = 0x10000000, 0x00020000, 0x20000000
os.makedirs("/work/m", exist_ok=True)
handle = ctypes.create_string_buffer(b"\\x08\\x00\\x00\\x00\\x01\\x00\\x00\\x00" + b"\\x02" + b"\\x00" * 7)
calls = {
    "unshare(user)": lambda: libc.syscall(numbers["unshare"], CLONE_NEWUSER),
    "unshare(mount)": lambda: libc.syscall(numbers["unshare"], CLONE_NEWNS),
    "unshare(pid)": lambda: libc.syscall(numbers["unshare"], CLONE_NEWPID),
    "setns(init net)": lambda: libc.syscall(numbers["setns"], os.open("/proc/1/ns/net", os.O_RDONLY), 0),
    "mount tmpfs": lambda: libc.syscall(numbers["mount"], b"none", b"/work/m", b"tmpfs", 0, None),
    "mount proc": lambda: libc.syscall(numbers["mount"], b"proc", b"/work/m", b"proc", 0, None),
    "umount /work": lambda: libc.syscall(numbers["umount2"], b"/work", 2),
    "pivot_root": lambda: libc.syscall(numbers["pivot_root"], b"/work", b"/work/m"),
    "open_by_handle_at (shocker)": lambda: libc.syscall(numbers["open_by_handle_at"], os.open("/", os.O_RDONLY), handle, 0),
    "bpf": lambda: libc.syscall(numbers["bpf"], 0, None, 0),
    "perf_event_open": lambda: libc.syscall(numbers["perf_event_open"], None, 0, -1, -1, 0),
    "keyctl(join session)": lambda: libc.syscall(numbers["keyctl"], 1, None),
    "init_module": lambda: libc.syscall(numbers["init_module"], None, 0, b""),
    "kexec_load": lambda: libc.syscall(numbers["kexec_load"], 0, 0, None, 0),
    "ptrace(PTRACE_SEIZE, runner)": lambda: libc.syscall(numbers["ptrace"], 0x4206, 1, 0, 0),
}
for name, call in calls.items():
    denied(name, call)
'''
    assert_contained(attack(body), sandbox_labels, sandbox_config)


def test_runner_memory_and_marker_are_out_of_reach(sandbox_labels: dict[str, str],
                                                   sandbox_config: SandboxConfig) -> None:
    """The record marker lives only in PID 1's memory: a candidate can neither read it nor forge records."""
    body = '''
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(4096)
local = iovec(ctypes.cast(buf, ctypes.c_void_p), 4096)
remote = iovec(0x400000, 4096)
denied("process_vm_readv(runner)", lambda: libc.process_vm_readv(1, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0))
for path in ("/proc/1/mem", "/proc/1/maps", "/proc/1/environ", "/proc/1/stack", "/proc/1/syscall"):
    denied("read " + path, lambda: open(path, "rb").read(1 << 16))
seen = b""
for path in ("/proc/1/cmdline", "/proc/1/status", "/proc/self/cmdline"):
    try:
        seen += open(path, "rb").read()
    except OSError:
        pass
if b"@@bestofn-" in seen:
    escaped.append("marker visible in /proc")
'''
    assert_contained(attack(body), sandbox_labels, sandbox_config)
    forger = '''
import json, sys
forged = {"index": 0, "events": [{"ev": "collected", "n": 1}, {"ev": "test", "name": "t", "outcome": "passed"},
                                 {"ev": "done"}], "exit_code": 0}
for marker in ("@@bestofn-0000000000000000", "@@bestofn-", ""):
    print(marker, json.dumps(forged))
    print(marker, json.dumps({"done": True}))
    sys.stderr.write(marker + " " + json.dumps(forged) + "\\n")
def add(a, b):
    return a - b
'''
    forged = run_candidate(forger, ADD_CHECK, "add", labels=sandbox_labels, config=sandbox_config)
    assert forged.status == "failed" and forged.tests_passed == 0, forged


def test_signals_and_lingering_daemons_cannot_touch_later_candidates(sandbox_labels: dict[str, str],
                                                                     sandbox_config: SandboxConfig) -> None:
    """Candidate 0 signals the runner and leaves a setsid daemon that sabotages /work and kills pids."""
    saboteur = '''
import os, signal, time
for sig in (signal.SIGSTOP, signal.SIGTSTP, signal.SIGTERM, signal.SIGSEGV, signal.SIGINT, signal.SIGHUP):
    try:
        os.kill(1, sig)
    except OSError:
        pass
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        os.closerange(0, 64)
        end = time.time() + 8
        while time.time() < end:
            for d in ("c1", "c2", "c3"):
                try:
                    os.makedirs("/work/" + d, exist_ok=True)
                    with open("/work/%s/solution.py" % d, "w") as fh:
                        fh.write("def add(a, b):\\n    return 0\\n")
                except OSError:
                    pass
            for pid in os.listdir("/proc"):
                if pid.isdigit() and int(pid) not in (1, os.getpid()):
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.005)
        os._exit(0)
    os._exit(0)
os.wait()
''' + ADD
    start = time.monotonic()
    results = run_many([saboteur, ADD, ADD, ADD], ADD_PYTEST, mode="per_task", labels=sandbox_labels,
                       config=sandbox_config)
    # the daemon may well kill its own parent (candidate 0 is free to sabotage itself)
    assert [r.status for r in results[1:]] == ["passed"] * 3, [(r.status, r.stderr[-300:]) for r in results]
    assert time.monotonic() - start < 60


LITTER = '''
import os
os.chdir("/work")
open("x" * 255, "w").close()
try:
    open("y" * 256, "w").close()
except OSError:
    pass
for name in ("a\\nb", "@@bestofn-0 {\\"done\\": true}", "\\udcff".encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")):
    try:
        open(name, "w").close()
    except (OSError, UnicodeError):
        pass
os.mkdir("many")
for i in range(5000):
    open("many/%06d-%s" % (i, "z" * 200), "w").close()
os.mkdir("/dev/shm/deep")
os.chdir("/dev/shm/deep")
for _ in range(3000):
    os.mkdir("d")
    os.chdir("d")
os.chdir("/work")
''' + ADD


def test_huge_names_and_deep_trees_are_wiped_without_a_fallback(sandbox_labels: dict[str, str],
                                                                sandbox_config: SandboxConfig) -> None:
    """Candidate 0 leaves 255-byte, newline and marker-like names, 5k files and a 3000-deep tree behind:
    the wipe between candidates survives it (no runner crash, so no per_candidate re-run)."""
    results = run_many([LITTER, ADD, ADD], ADD_PYTEST, None, Limits(timeout_s=60), mode="per_task",
                       labels=sandbox_labels, config=sandbox_config)
    assert [(r.status, r.isolation) for r in results] == [("passed", "per_task")] * 3, [r.stderr[-300:] for r in results]


def test_forged_result_events_stay_bounded(sandbox_labels: dict[str, str], sandbox_config: SandboxConfig) -> None:
    """A candidate writes 16 MB of forged test events (and one 8 MB test name) to the runner's result fd."""
    bomb = '''
import os
def add(a, b):
    line = b'{"ev": "test", "name": "forged", "outcome": "passed"}\\n'
    try:
        os.write(3, b'{"ev": "test", "name": "' + b"n" * (8 << 20) + b'", "outcome": "passed"}\\n')
        for _ in range((8 << 20) // len(line)):
            os.write(3, line)
    except OSError:
        pass
    return a - b
'''
    result = run_candidate(bomb, ADD_CHECK, "add", Limits(timeout_s=60), labels=sandbox_labels, config=sandbox_config)
    size = len(result.model_dump_json())
    print(f"forged events: status={result.status} tests={len(result.tests)} json_bytes={size}")
    assert size < 2_000_000, f"a candidate inflated its result to {size} bytes ({len(result.tests)} tests)"


def test_nul_and_undecodable_output_is_stored_and_served(sandbox_labels: dict[str, str], pg_url: str,
                                                         sandbox_config: SandboxConfig) -> None:
    """NUL bytes, invalid UTF-8 and lone surrogates in stdout, stderr and messages are stored (NUL as U+FFFD)."""
    dirty = '''
import sys
def add(a, b):
    sys.stdout.buffer.write(b"nul\\x00byte \\xff\\xfe bad utf-8 \\xed\\xa0\\x80 surrogate\\n")
    sys.stderr.buffer.write(b"\\x00" * 1000)
    sys.stdout.flush(); sys.stderr.flush()
    raise ValueError("message with \\x00 NUL")
'''
    result = run_candidate(dirty, ADD_CHECK, "add", labels=sandbox_labels, config=sandbox_config)
    assert result.status == "failed" and "\x00" in result.stdout + result.stderr
    store = TaskStore(make_engine(pg_url))
    task = Task(problem={"prompt": "p"})
    with store.session() as s:
        s.add(task)
        s.commit()
    store.save_candidate(task.id, Candidate(index=0, code="x = '\x00'", raw="reply \x00 with NUL"))
    assert store.save_execution(task.id, 0, result)
    back = store.executions(task.id)[0]
    assert back.status == "failed" and "\x00" not in back.stdout and "byte" in back.stdout
    assert "NUL" in back.tests[0].message
    store.engine.dispose()
