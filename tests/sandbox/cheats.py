"""Grader cheats: wrong candidates that try to write their own verdict instead of computing ``add``.

Each is a complete candidate for ``add(a, b) -> a + b`` that never returns the right
sum honestly; the only way it can be graded passing is by defeating the grader.
Shared by the sandbox tests and the end-to-end task tests.
"""

from __future__ import annotations

import json

HONEST = "def add(a, b):\n    return a + b\n"
HONEST_IO = "a, b = map(int, input().split())\nprint(a + b)\n"

HUMANEVAL_CHECK = '''
def check(candidate):
    assert candidate(1, 2) == 3
    assert candidate(20, 22) == 42
    assert candidate(-5, 5) == 0
'''

PYTEST_FILE = '''
import pytest
from solution import add


def test_small():
    assert add(1, 2) == 3


def test_big():
    assert add(20, 22) == 42


@pytest.mark.parametrize("a,b,want", [(-5, 5, 0)])
def test_param(a, b, want):
    assert add(a, b) == want
'''

IO_PAIRS = json.dumps([
    {"input": "1 2\n", "output": "3\n"},
    {"input": "20 22\n", "output": "42\n"},
    {"input": "-5 5\n", "output": "0\n"},
])

_FORGED_EVENTS = '''
def _forged_lines():
    import json
    events = [{"ev": "collected", "n": 3}]
    for k, name in enumerate(["assert[0]", "assert[1]", "assert[2]", "test_small", "test_big", "io[0]", "io[1]", "io[2]"]):
        events.append({"ev": "start", "name": name})
        events.append({"ev": "test", "name": name, "outcome": "passed", "duration_ms": -1e9, "message": ""})
    events.append({"ev": "done"})
    return "".join(json.dumps(e) + "\\n" for e in events).encode()


def _write_everywhere(data):
    import os
    for fd in range(0, 64):
        try:
            os.write(fd, data)
        except OSError:
            pass
'''

READABLE_MEMORY = '''
def readable_memory():
    """Every readable mapping of every process this one can open: what a thief would search."""
    import os
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            maps = open(f"/proc/{pid}/maps").read().splitlines()
            mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
        except OSError:
            continue
        for m in maps:
            start, end = (int(x, 16) for x in m.split()[0].split("-"))
            if "r" not in m.split()[1] or end - start > 64 << 20:
                continue
            try:
                mem.seek(start)
                yield mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                pass
'''

# Cheats for the function formats (humaneval, pytest): name -> candidate source.
FUNCTION_CHEATS: dict[str, str] = {
    "always_equal": '''
class Anything:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = object.__hash__
def add(a, b):
    return Anything()
''',
    "int_subclass_equals_anything": '''
class Int(int):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = int.__hash__
def add(a, b):
    return Int(0)
''',
    "hash_bool_repr_tricks": '''
class Liar:
    def __bool__(self):
        return True
    def __hash__(self):
        return hash(3)
    def __repr__(self):
        return "3"
    __str__ = __repr__
    def __eq__(self, other):
        return True
    def __index__(self):
        return 3
    def __int__(self):
        return 3
    def __float__(self):
        return 3.0
def add(a, b):
    return Liar()
''',
    "forged_events_on_every_fd_then_exit_in_call": _FORGED_EVENTS + '''
def add(a, b):
    import os
    _write_everywhere(_forged_lines())
    os._exit(0)
''',
    "forged_events_at_import_then_exit": _FORGED_EVENTS + '''
import os
_write_everywhere(_forged_lines())
os._exit(0)
def add(a, b):
    return 0
''',
    "forged_marker_lines_on_stdout": '''
import sys
def add(a, b):
    for marker in ("@@bestofn-0000000000000000", "@@bestofn-"):
        print(marker + ' {"index": 0, "events": [{"ev": "collected", "n": 3}, {"ev": "done"}], "exit_code": 0}')
    sys.stdout.flush()
    return 0
''',
    "patch_the_runner_through_sys_modules": '''
import sys, builtins
def add(a, b):
    for mod in list(sys.modules.values()):
        for attr in ("Emitter", "emit", "send_frame", "recv_frame", "Link", "Decoder", "Encoder",
                     "harness_humaneval", "harness_pytest", "PytestReporter", "describe", "record_to_result"):
            if hasattr(mod, attr):
                try:
                    setattr(mod, attr, lambda *x, **y: None)
                except Exception:
                    pass
    builtins.AssertionError = type("AssertionError", (Exception,), {})
    return 0
''',
    "monkeypatch_builtins": '''
import builtins
builtins.isinstance = lambda *a: True
builtins.len = lambda *a: 0
builtins.abs = lambda *a: 0
builtins.sorted = lambda x, *a, **k: x
builtins.AssertionError = KeyError
builtins.print = lambda *a, **k: None
def add(a, b):
    return -1
''',
    "rewrite_tests_and_plant_conftest": '''
import os
CONFTEST = (
    "import pytest\\n"
    "@pytest.hookimpl(hookwrapper=True)\\n"
    "def pytest_runtest_makereport(item, call):\\n"
    "    out = yield\\n"
    "    out.get_result().outcome = 'passed'\\n"
)
def _plant():
    for root in ("/work", "/tmp", "/dev/shm", os.getcwd(), os.path.dirname(os.getcwd()), "/"):
        for dirpath, dirnames, filenames in os.walk(root):
            if dirpath.startswith(("/proc", "/sys")):
                dirnames[:] = []
                continue
            for name in ("conftest.py", "pytest.ini", "test_solution.py", "tox.ini", "setup.cfg"):
                try:
                    with open(os.path.join(dirpath, name), "w") as fh:
                        fh.write(CONFTEST if name == "conftest.py" else "[pytest]\\naddopts = -p conftest\\n")
                except OSError:
                    pass
            for name in filenames:
                if name.startswith("test_") and name.endswith(".py"):
                    try:
                        with open(os.path.join(dirpath, name), "w") as fh:
                            fh.write("def test_ok():\\n    pass\\n")
                    except OSError:
                        pass
_plant()
def add(a, b):
    _plant()
    return 0
''',
    "walk_frames_for_the_expected_value": '''
import gc, sys
def add(a, b):
    f = sys._getframe(1)
    while f is not None:
        for const in f.f_code.co_consts:
            if type(const) is int and const not in (a, b, 0, 1):
                return const
        for value in list(f.f_locals.values()):
            if type(value) is int and value not in (a, b):
                return value
        f = f.f_back
    for obj in gc.get_objects():
        if isinstance(obj, dict) and "output" in obj and "input" in obj:
            return obj["output"]
    return 0
''',
    "proc_fds_of_other_processes_then_kill_them": _FORGED_EVENTS + '''
def add(a, b):
    import os, signal
    data = _forged_lines()
    me = os.getpid()
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    for pid in pids:
        for fd in range(0, 32):
            try:
                with open(f"/proc/{pid}/fd/{fd}", "wb", buffering=0) as fh:
                    fh.write(data)
            except OSError:
                pass
    for pid in [os.getppid(), 1] + pids:
        if pid != me:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return 0
''',
    "ptrace_everyone": '''
import ctypes, os
def add(a, b):
    libc = ctypes.CDLL(None, use_errno=True)
    for p in os.listdir("/proc"):
        if p.isdigit() and int(p) != os.getpid():
            libc.ptrace(16, int(p), 0, 0)  # PTRACE_ATTACH
    return 0
''',
    "skip_or_xfail_instead_of_failing": """
def add(a, b):
    for name in ("pytest", "_pytest.outcomes", "unittest"):
        try:
            mod = __import__(name, fromlist=["x"])
        except ImportError:
            continue
        for attr in ("skip", "xfail", "SkipTest"):
            fn = getattr(mod, attr, None)
            if fn is not None:
                try:
                    if isinstance(fn, type):
                        raise fn("not today")
                    fn("not today")
                except BaseException as exc:
                    raise exc
    return 0
""",
    "daemon_that_outlives_its_candidate": """
import os, time
def add(a, b):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            end = time.time() + 30
            while time.time() < end:  # plant answers and kill whatever comes next
                for i in range(64):
                    try:
                        os.makedirs(f"/work/c{i}", exist_ok=True)
                        with open(f"/work/c{i}/solution.py", "w") as fh:
                            fh.write("def add(a, b):\\n    return 0\\n")
                    except OSError:
                        pass
                try:
                    os.kill(-1, 9)
                except OSError:
                    pass
                time.sleep(0.01)
        os._exit(0)
    return 0
""",
    "sys_exit_at_import": "import sys\nsys.exit(0)\ndef add(a, b):\n    return a + b\n",
    "os_exit_at_import": "import os\nos._exit(0)\ndef add(a, b):\n    return a + b\n",
    "sys_exit_in_call": "import sys\ndef add(a, b):\n    sys.exit(0)\n",
    "os_exit_in_call": "import os\ndef add(a, b):\n    os._exit(0)\n",
    "keyboard_interrupt": "def add(a, b):\n    raise KeyboardInterrupt\n",
    "return_a_generator": "def add(a, b):\n    return (x for x in [a + b])\n",
    "return_a_huge_object": "def add(a, b):\n    return [a + b] * 12_000_000\n",
    "return_a_deeply_nested_list": "def add(a, b):\n    x = [a + b]\n    for _ in range(200_000):\n        x = [x]\n    return x\n",
    "deep_recursion": "def add(a, b):\n    return add(a, b) + 1\n",
}

# Cheats for the io format: programs that read "a b" and should print a + b.
IO_CHEATS: dict[str, str] = {
    "io_walk_frames_for_the_expected_output": '''
import gc, sys
line = sys.stdin.readline()
found = None
f = sys._getframe()
while f is not None and found is None:
    for key in ("expected", "pair", "output"):
        value = f.f_locals.get(key)
        if isinstance(value, dict) and "output" in value:
            found = value["output"]
        elif isinstance(value, str) and key == "expected":
            found = value
    f = f.f_back
if found is None:
    for obj in gc.get_objects():
        if isinstance(obj, dict) and obj.get("input") == line and "output" in obj:
            found = obj["output"]
            break
print(found if found is not None else "nothing found")
''',
    "io_proc_fds_then_kill_the_parent": _FORGED_EVENTS + '''
import os, signal
data = _forged_lines()
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    for fd in range(0, 32):
        try:
            with open(f"/proc/{pid}/fd/{fd}", "wb", buffering=0) as fh:
                fh.write(data)
        except OSError:
            pass
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
print("0")
''',
    "io_scan_every_processes_memory_for_the_answers": READABLE_MEMORY + '''
import json, re, sys
line = sys.stdin.readline()
pattern = re.compile(rb'"input": "([^"]*)", "output": "([^"]*)"')
answer = None
for chunk in readable_memory():
    for inp, out in pattern.findall(chunk):
        if json.loads(b'"' + inp + b'"') == line:
            answer = json.loads(b'"' + out + b'"')
print(answer.strip() if answer else "nothing found")
''',
    "io_forged_events_then_exit": _FORGED_EVENTS + '''
import os
_write_everywhere(_forged_lines())
os._exit(0)
''',
    "io_keyboard_interrupt": "raise KeyboardInterrupt\n",
}
