"""bestofn sandbox runner: PID 1 of a sandbox container and the TRUSTED side of every verdict.

A candidate is untrusted code and must never be able to write its own verdict,
so the work is split across processes that cannot reach each other:

- **supervisor** (this process, PID 1): starts as root with only CAP_SETUID,
  CAP_SETGID and CAP_KILL, not dumpable. Reads ONE JSON payload from stdin
  (or, as a warm pool's runner, framed payloads one after another),
  supervises each candidate under a CPU-time budget with a wall-clock backstop, grades ``io`` tests and
  probes itself, and prints one record line ``<marker> <json>`` per candidate.
- **zygote** (root, forked BEFORE the payload is read): forks the untrusted
  processes on request, so they inherit no tests and no sibling's code, and runs
  the janitors between candidates.
- **grader** (forked per candidate from the supervisor, its own uid, not
  dumpable): runs ``humaneval``/``pytest`` test code with the candidate behind a
  proxy; every comparison happens here, on plain data.
- **candidate** (forked by the zygote, another uid): holds only its own code and
  answers calls over a socket (untrusted.py). Values come back as plain data
  decoded by protocol.py, never as objects of the candidate's making.
- **janitor** (per uid, between candidates): kills that uid's leftover
  processes, removes its SysV IPC objects and its files in /work, /tmp, /dev/shm.

Runtime is what the grader or supervisor measured, never a number the candidate
reports. The host parses and grades the records (sandbox/parse.py).
"""

import gc
import json
import os
import resource
import select
import signal
import socket
import sys
import time

import protocol
from common import (  # noqa: F401  (re-exported: the host's tests load this module alone)
    MESSAGE_LIMIT, NAME_LIMIT, SCRATCH, WORK, RunnerError, become, describe, exit_now, kill_group, prctl_dumpable,
    print_traceback, write_all,
)
from harnesses import CheckPlan, harness_humaneval, harness_pytest, split_check  # noqa: F401
from proxies import CandidateGone, Link, RemoteObject
from zygote import IPC_TABLE_NAMES, Zygote, empty_dir, ipc_entries, processes_by_uid, warm_up

_empty_dir = empty_dir  # the name older tests know
FINGERPRINT_LIMIT = 2048
COMPILER_OUTPUT_LIMIT = 256 * 1024  # bytes read from a compiler's stdout and stderr each
COMPILER_MESSAGE_LIMIT = 4000  # characters of its message kept in the result
REPORT_LIMIT = 1024 * 1024  # bytes of a native test program's report read (about 10,000 assertions)
EVENTS_LIMIT = 4 * 1024 * 1024  # bytes of events read from one grader
EVENT_LINE_LIMIT = 64 * 1024
TESTS_KEPT = 1000  # per-test details kept; beyond, outcomes are only counted (bounded records)
IS_INIT = os.getpid() == 1
DEFAULT_UIDS = {"candidate": [65534, 65534], "grader": [65533, 65533]}


OOM_EVENTS = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")  # cgroup v2, v1
_oom_source = []  # the one of OOM_EVENTS this container has, once found


def oom_kills():
    """The container cgroup's OOM-kill counter (v2 memory.events or v1 oom_control); read twice per
    candidate, so at the OS level (no file object) and from the path found the first time."""
    for path in _oom_source or OOM_EVENTS:
        try:
            fd = os.open(path, os.O_RDONLY)
            try:
                text = os.read(fd, 4096)
            finally:
                os.close(fd)
        except OSError:
            continue
        for line in text.splitlines():
            key, _, value = line.partition(b" ")
            if key == b"oom_kill":
                try:
                    count = int(value)
                except ValueError:
                    break
                _oom_source[:] = [path]
                return count
    return None


def normalise(text):
    """io comparison: trailing whitespace per line and trailing newlines ignored."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def parse_args(text):
    """The argument tuple from its Python literal text (ast.literal_eval: no code runs)."""
    import ast
    value = ast.literal_eval(text.strip())
    return value if isinstance(value, tuple) else (value,)


def fingerprint_value(value):
    """``ok:<canonical repr>``, cut to a few KB; a cut repr keeps a hash of the whole so they still differ."""
    text = protocol.canonical_repr(value)
    if len(text) > FINGERPRINT_LIMIT:
        import hashlib
        text = text[:FINGERPRINT_LIMIT] + "...#" + hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:12]
    return "ok:" + text


# ====================================================================== events (grader -> supervisor)

class Emitter:
    """Newline-delimited JSON events from the grader to the supervisor."""

    def __init__(self, fd):
        self.fd = fd

    def __call__(self, **event):
        write_all(self.fd, (json.dumps(event, ensure_ascii=True, default=repr) + "\n").encode())


def load_events(raw):
    """Parse event lines; unparseable or overlong ones are counted, not fatal."""
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


# ====================================================================== the supervisor

class Streams:
    """Reads several fds at once into bounded buffers until they close or a deadline passes."""

    def __init__(self, limits):
        self.bufs = {fd: bytearray() for fd in limits}
        self.limits = dict(limits)
        self.open = set(limits)
        self.truncated = False

    def pump(self, until, extra=()):
        """Read what is ready until ``until`` (monotonic, or a ``CpuBudget``) or an fd in ``extra``
        is readable; True if ``extra`` fired."""
        while True:
            left = protocol.time_left(until)
            if left <= 0 or (not self.open and not extra):
                return False
            ready, _, _ = select.select(list(self.open) + list(extra), [], [], left)
            fired = False
            for fd in ready:
                if fd in extra:
                    fired = True
                    continue
                data = os.read(fd, 65536)
                if not data:
                    self.open.discard(fd)
                    continue
                buf, limit = self.bufs[fd], self.limits[fd]
                room = limit - len(buf)
                if room > 0:
                    buf += data[:room]
                if len(data) > room:
                    self.truncated = True
            if fired or (not self.open and not extra):
                return fired

    def close(self):
        for fd in self.bufs:
            try:
                os.close(fd)
            except OSError:
                pass


class Supervisor:
    """Runs one payload's candidates, one at a time, each with a fresh grader and candidate process."""

    def __init__(self, zygote, payload):
        self.zygote = zygote
        self.payload = payload
        uids = payload.get("uids") or DEFAULT_UIDS
        self.cand_uid, self.cand_gid = (int(x) for x in uids["candidate"])
        self.grader_uid, self.grader_gid = (int(x) for x in uids["grader"])
        if len({self.cand_uid, self.grader_uid, 0}) != 3:
            raise RunnerError("the candidate and the grader need two different non-root uids")
        self.timeout = float(payload["timeout_s"])  # CPU seconds per candidate (CpuBudget), wall backstop x backstop
        self.backstop = float(payload.get("cpu_backstop", CpuBudget.BACKSTOP))
        self.out_limit = int(payload["output_limit"])
        self.fsize = int(payload["fsize_limit"])
        self.prepared = prepare(payload)
        self.lang = payload.get("language")  # a toolchain (sandbox/languages.py), None: python in-process
        self.run_memory_mb = int(payload.get("run_memory_mb") or 0)
        self.phases = {}

    def mark(self, name, since):
        """Add the ms since ``since`` to phase ``name`` (read only when the payload asks to profile)."""
        now = time.perf_counter()
        self.phases[name] = self.phases.get(name, 0.0) + (now - since) * 1000
        return now

    # ------------------------------------------------------------ plumbing
    def spawn(self, mode, index, stdin_fd=None, out_limit=None, keep_writers=False, cpu_timeout=None, extra_fds=()):
        """A candidate process: (pid, our channel socket, Streams of its stdout/stderr, (out_r, err_r)[, writers]).

        ``keep_writers``: also return our write ends of its stdout/stderr, for the grader to share;
        ``cpu_timeout``: seconds its CPU rlimit follows (default: the run's timeout); ``extra_fds``:
        more fds it gets, as 4, 5, ... (the caller closes its own copies).
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        stdin = stdin_fd if stdin_fd is not None else os.open(os.devnull, os.O_RDONLY)
        try:
            pid = self.zygote.spawn(mode, [stdin, out_w, err_w, theirs.fileno(), *extra_fds], self.cand_uid, self.cand_gid,
                                    cpu_timeout or self.timeout, self.fsize, f"c{index}")
        except BaseException:
            for fd in (out_r, err_r, out_w, err_w):
                os.close(fd)
            ours.close()
            raise
        finally:
            theirs.close()
            os.close(stdin)
        limit = out_limit or self.out_limit
        streams = Streams({out_r: limit, err_r: limit})
        if keep_writers:
            return pid, ours, streams, (out_r, err_r), (out_w, err_w)
        os.close(out_w)
        os.close(err_w)
        return pid, ours, streams, (out_r, err_r)

    def run_grader(self, index, target, chan, out_w, err_w, private_dir=False):
        """Fork the grader (its own uid, not dumpable) running ``target(link, emit, private_dir)``."""
        ev_r, ev_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.setpgid(0, 0)
                os.close(ev_r)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                low = 3
                for fd in sorted({ev_w, chan.fileno()}):  # everything else of the supervisor's goes
                    os.closerange(low, fd)
                    low = fd + 1
                os.closerange(low, 65536)
                become(self.grader_uid, self.grader_gid)
                prctl_dumpable(0)
                private = None
                if private_dir:  # pytest's test file and temp files: a directory only this uid can enter
                    import tempfile
                    private = tempfile.mkdtemp(prefix=".grader-", dir=WORK)
                    os.environ["TMPDIR"] = tempfile.tempdir = private
                code = target(Link(chan.fileno()), Emitter(ev_w), private) or 0
                if private:
                    import shutil
                    shutil.rmtree(private, ignore_errors=True)
            except BaseException:
                print_traceback()
            finally:
                exit_now(code)
        os.close(ev_w)
        return pid, ev_r

    # ------------------------------------------------------------ per format
    def run_candidate(self, cand):
        kind, fmt = self.payload["kind"], self.payload.get("format")
        if kind == "probe":
            return self.probe(cand)
        if fmt == "io":
            return self.grade_io(cand)
        if fmt == "native":
            return self.grade_native(cand)
        return self.grade_in_grader(cand, fmt)

    def grade_in_grader(self, cand, fmt):
        """humaneval / pytest: the tests run in the grader against the candidate behind the channel."""
        index, code = cand["index"], cand["code"]
        start = time.monotonic()
        t = time.perf_counter()
        before = oom_kills()
        # the grader writes to the same pipes as the candidate: one stdout, one stderr per candidate
        cpid, chan, streams, (out_r, err_r), (out_w, err_w) = self.spawn("module", index, keep_writers=True)
        t = self.mark("spawn", t)
        if fmt == "humaneval":
            plan, entry = self.prepared, self.payload["entry_point"]

            def target(link, emit, private):
                return harness_humaneval(link, emit, code, plan, entry)
        else:
            tests = self.payload["tests"]

            def target(link, emit, private):
                return harness_pytest(link, emit, code, tests, private)
        gpid, ev_r = self.run_grader(index, target, chan, out_w, err_w, private_dir=fmt == "pytest")
        t = self.mark("fork_grader", t)
        chan.close()
        os.close(out_w)
        os.close(err_w)
        streams.bufs[ev_r], streams.limits[ev_r] = bytearray(), EVENTS_LIMIT
        streams.open.add(ev_r)
        # both processes were made for this candidate (the sweep left nothing of these uids): no base to read
        deadline = CpuBudget((self.cand_uid, self.grader_uid), self.timeout, self.backstop, base=0.0)
        pidfd = os.pidfd_open(gpid)
        timed_out = False
        try:
            if not streams.pump(deadline, extra=(pidfd,)):
                timed_out = True
            t = self.mark("grade", t)
            kill_group(gpid)
            _, gstatus, _ = os.wait4(gpid, 0)
        finally:
            os.close(pidfd)
        status, maxrss, cpu_ms = self.zygote.reap(cpid)
        t = self.mark("reap", t)
        if status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
            timed_out = True  # the candidate used up its CPU-time limit
        streams.pump(time.monotonic() + 0.2)  # what is still in the pipes
        t = self.mark("drain", t)
        after = oom_kills()
        events, bad = load_events(streams.bufs[ev_r])
        events, overflow = bound_events(events)
        record = self._record(cand, streams, out_r, err_r, start, timed_out, before, after, maxrss, cpu_ms)
        record.update(events=events, overflow=overflow, bad_events=bad, **_exit_fields(gstatus))
        record["candidate_exit"] = _exit_fields(status).get("exit_code") if status is not None else None
        if record["candidate_exit"] is None and status is not None:
            record["candidate_signal"] = _exit_fields(status).get("signal")
        compile_errors = [e for e in events if e.get("ev") == "error" and e.get("kind") == "compile"]
        if compile_errors:
            record["compile_error"] = str(compile_errors[0].get("message", "SyntaxError"))[:MESSAGE_LIMIT]
        streams.close()
        return record

    def grade_io(self, cand):
        """io: each pair is one run of the program; the supervisor feeds stdin and compares stdout."""
        index, code = cand["index"], cand["code"]
        pairs = self.prepared
        before = oom_kills()
        built = self.build(index, code)
        if built.get("compile_failed") is not None:
            return {"index": index, **built}
        start = time.monotonic()  # run time only: the compile is reported apart (compile_ms)
        budget = TestBudget(self.cand_uid, self.timeout, self.backstop)
        events = [{"ev": "collected", "n": len(pairs)}]
        out_all, err_all, truncated = bytearray(), bytearray(), False
        timed_out, maxrss, cpu_total, exit_code = False, 0, 0.0, 0
        compile_error = None
        for k, pair in enumerate(pairs):
            name = f"io[{k}]"
            events.append({"ev": "start", "name": name})
            expected = normalise(pair["output"])
            run = self.run_program(index, code, pair["input"], budget.next_run(),
                                   max(self.out_limit, len(expected) * 4 + 1024))
            budget.spend(run["cpu_ms"])
            maxrss, cpu_total = max(maxrss, run["maxrss"]), cpu_total + run["cpu_ms"]
            if run["compile_error"]:
                compile_error = run["compile_error"]
                events.pop()
                break
            for src, dst in ((run["stdout"], out_all), (run["stderr"], err_all)):
                room = self.out_limit - len(dst)
                dst += src[:max(0, room)]
                truncated = truncated or len(src) > room
            truncated = truncated or run["truncated"]
            if run["timed_out"]:
                events.append({"ev": "test", "name": name, "outcome": "timeout", "duration_ms": run["wall_ms"], "message": "timed out"})
                timed_out, exit_code = True, 1
                break
            actual = normalise(run["stdout"].decode("utf-8", "replace"))
            outcome, message = "passed", ""
            if run["exit_code"] != 0:
                outcome = "failed"
                last = run["stderr"].decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
                message = f"exit code {run['exit_code']}" + (f": {last[0]}" if last[0] else "")
                if self.out_of_memory(run["stderr"]):  # its own per-process cap (RLIMIT_DATA, -Xmx, V8's heap)
                    message = "MemoryError: " + message
            elif actual != expected:
                outcome = "failed"
                message = f"expected {expected[:300]!r}, got {actual[:300]!r}"
            exit_code = exit_code or (outcome != "passed")
            events.append({"ev": "test", "name": name, "outcome": outcome, "duration_ms": run["wall_ms"], "message": message[:MESSAGE_LIMIT]})
        else:
            events.append({"ev": "done"})
        after = oom_kills()
        record = {"index": index}
        if compile_error:
            record["compile_error"] = compile_error
            return record
        record.update(
            events=events, overflow={}, bad_events=0, exit_code=int(exit_code), signal=None, timed_out=timed_out,
            oom_kills=(after - before) if before is not None and after is not None else None,
            max_rss_kb=maxrss, cpu_ms=round(cpu_total, 3), wall_ms=(time.monotonic() - start) * 1000.0,
            truncated=truncated, stdout=out_all.decode("utf-8", "replace"), stderr=err_all.decode("utf-8", "replace"),
            **built,
        )
        return record

    # ------------------------------------------------------------ toolchain languages
    def exec_request(self, argv, index, files=None, data_limit=False):
        """What an ``exec`` child is sent: files to write, the argv and env with ``{work}``/``{mem}`` filled in."""
        fill = {"work": os.path.join(WORK, f"c{index}"), "mem": str(self.run_memory_mb)}
        return {"files": files or {}, "argv": [a.format(**fill) for a in argv] if argv else None,
                "env": {k: v.format(**fill) for k, v in self.lang["env"].items()},
                "data_limit": self.run_memory_mb * 1024 * 1024 if data_limit and self.run_memory_mb else None}

    def build(self, index, code):
        """Write the candidate's source into its work dir and compile it ONCE (its own uid, its own
        process group, the compile's time limit): ``{}`` for python, else ``compile_ms`` and, on
        failure, ``compile_failed`` with the compiler's message (bounded)."""
        if self.lang is None:
            return {}
        lang = self.lang
        t0 = time.monotonic()
        timeout = float(lang["compile_timeout_s"])
        request = self.exec_request(lang["compile"], index, files={lang["source"]: code})
        run = self.run_child("exec", index, request, "", t0 + timeout, COMPILER_OUTPUT_LIMIT, cpu_timeout=timeout)
        out = {"compile_ms": round((time.monotonic() - t0) * 1000.0, 3)}
        if run["timed_out"] or run["exit_code"] != 0:
            text = (run["stderr"] + b"\n" + run["stdout"]).decode("utf-8", "replace").strip()
            if run["timed_out"]:
                text = f"the compiler timed out after {timeout:g} s\n{text}"
            elif run["exit_code"] >= 128:
                text = f"the compiler was killed (signal {run['exit_code'] - 128}; out of memory?)\n{text}"
            out["compile_failed"] = (text or f"the compiler exited with {run['exit_code']}")[:COMPILER_MESSAGE_LIMIT]
        return out

    def out_of_memory(self, stderr):
        """Whether a failed run's stderr is its runtime saying it hit its memory cap."""
        return self.lang is not None and any(m.encode() in stderr for m in self.lang.get("oom_markers", ()))

    def grade_native(self, cand):
        """native: the host joined the candidate to its instrumented tests (``sandbox/native``); compile that
        program once, run it once under the run's limits, and return its raw report (fd 3, a pipe apart
        from stdout) for the host to grade. Nothing here reads the report: the host knows the assertions
        and the run's nonce."""
        index, code = cand["index"], cand["code"]
        before = oom_kills()
        built = self.build(index, code)
        if built.get("compile_failed") is not None:
            return {"index": index, **built}
        start = time.monotonic()
        request = self.exec_request(self.lang["run"], index, data_limit=self.lang.get("data_limit"))
        run = self.run_child("exec", index, {**request, "report": True}, "",
                             CpuBudget(self.cand_uid, self.timeout, self.backstop), self.out_limit,
                             report=True)
        after = oom_kills()
        exit_code = run["exit_code"]
        signal_no = exit_code - 128 if exit_code is not None and exit_code > 128 else None
        return {
            "index": index, "native_report": run["report"].decode("utf-8", "replace"),
            "report_truncated": run["report_truncated"], "exit_code": exit_code, "signal": signal_no,
            "timed_out": run["timed_out"], "oom_kills": (after - before) if before is not None and after is not None else None,
            "max_rss_kb": run["maxrss"], "cpu_ms": round(run["cpu_ms"], 3), "wall_ms": run["wall_ms"],
            "truncated": run["truncated"], "stdout": run["stdout"].decode("utf-8", "replace"),
            "stderr": run["stderr"].decode("utf-8", "replace"),
            "memory_error": bool(exit_code and self.out_of_memory(run["stderr"])), **built,
        }

    def run_program(self, index, code, stdin_text, deadline, out_limit):
        """One run of a program on ``stdin_text``: python in-process, a toolchain's ``run`` argv otherwise
        (in the work dir ``build`` compiled into)."""
        if self.lang is None:
            return self.run_child("program", index, {"code": code}, stdin_text, deadline, out_limit, handshake=True)
        request = self.exec_request(self.lang["run"], index, data_limit=self.lang.get("data_limit"))
        return self.run_child("exec", index, request, stdin_text, deadline, out_limit)

    def run_child(self, mode, index, request, stdin_text, deadline, out_limit, handshake=False, cpu_timeout=None,
                  report=False):
        """One untrusted process on ``stdin_text`` (a memfd: no deadlock, no file a sibling could see),
        sent ``request`` on its channel; ``handshake``: it answers first whether the code compiles (python);
        ``report``: it also gets a report pipe (read into ``result["report"]``, bounded)."""
        memfd = os.memfd_create("stdin")
        write_all(memfd, stdin_text.encode("utf-8", "surrogateescape"))
        os.lseek(memfd, 0, os.SEEK_SET)
        t0 = time.monotonic()
        rep_r, rep_w = os.pipe() if report else (None, None)
        if rep_w is not None:  # a JVM cannot write to a bare fd: it opens /proc/self/fd/3, which needs the mode
            os.fchmod(rep_w, 0o622)
        try:
            cpid, chan, streams, (out_r, err_r) = self.spawn(mode, index, stdin_fd=memfd, out_limit=out_limit,
                                                             cpu_timeout=cpu_timeout,
                                                             extra_fds=(rep_w,) if report else ())
        finally:
            if rep_w is not None:
                os.close(rep_w)
        if rep_r is not None:
            streams.bufs[rep_r], streams.limits[rep_r] = bytearray(), REPORT_LIMIT
            streams.open.add(rep_r)
        result = {"compile_error": None, "timed_out": False, "exit_code": None, "truncated": False}
        try:
            pidfd = os.pidfd_open(cpid)
        except OSError:
            pidfd = None
        try:
            protocol.send_frame(chan.fileno(), request)
            reply = protocol.recv_frame(chan.fileno(), deadline, limit=64 * 1024) if handshake else None
            if type(reply) is dict and reply.get("compile") and type(reply.get("err")) is dict:
                err = reply["err"]
                result["compile_error"] = f"{err.get('type', 'SyntaxError')}: {err.get('msg', '')}"[:MESSAGE_LIMIT]
            elif pidfd is not None and not streams.pump(deadline, extra=(pidfd,)):
                result["timed_out"] = True
        except protocol.FrameTimeout:
            result["timed_out"] = True
        except (protocol.ProtocolError, OSError):
            if pidfd is not None and not streams.pump(deadline, extra=(pidfd,)):
                result["timed_out"] = True
        finally:
            chan.close()
            if pidfd is not None:
                os.close(pidfd)
        status, maxrss, cpu_ms = self.zygote.reap(cpid)
        streams.pump(time.monotonic() + 0.2)
        result["wall_ms"] = (time.monotonic() - t0) * 1000.0
        fields = _exit_fields(status) if status is not None else {"exit_code": None, "signal": None}
        if fields.get("signal") == signal.SIGXCPU:
            result["timed_out"] = True
        if rep_r is not None:
            report_bytes = streams.bufs.pop(rep_r)
            result.update(report=bytes(report_bytes), report_truncated=len(report_bytes) >= REPORT_LIMIT)
            streams.limits.pop(rep_r)
            streams.open.discard(rep_r)
            os.close(rep_r)
        result.update(exit_code=fields["exit_code"], maxrss=maxrss, cpu_ms=cpu_ms, truncated=streams.truncated,
                      stdout=bytes(streams.bufs[out_r]), stderr=bytes(streams.bufs[err_r]))
        streams.close()
        return result

    # ------------------------------------------------------------ probes
    def probe(self, cand):
        """Behaviour fingerprints: the supervisor calls the candidate and fingerprints plain answers."""
        index, code = cand["index"], cand["code"]
        inputs = self.payload["inputs"]
        call_timeout = float(self.payload["call_timeout_s"])
        max_timeouts = int(self.payload.get("max_timeouts") or 0)
        try:
            if self.payload.get("io"):
                built = self.build(index, code)  # compiled once, run per input
                if built.get("compile_failed") is not None:
                    return {"index": index, **built, "fingerprints": ["exc:CompileError"] * len(inputs)}
                fps, skipped = probe_each(inputs, max_timeouts, lambda text: self.probe_program(index, code, text, call_timeout))
                return {"index": index, "fingerprints": fps, "probe_skipped": skipped, **built}
            return self.probe_function(index, code, inputs, call_timeout, max_timeouts)
        except SameAnswer as same:  # the program cannot even load: the same answer for every input
            return {"index": index, "fingerprints": [same.fingerprint] * len(inputs), **same.fields}

    def probe_program(self, index, code, text, call_timeout):
        run = self.run_program(index, code, text, CpuBudget(self.cand_uid, call_timeout, self.backstop), FINGERPRINT_LIMIT * 4)
        if run["compile_error"]:
            raise SameAnswer("exc:SyntaxError", compile_error=run["compile_error"])
        if run["timed_out"]:
            return "timeout"
        if run["exit_code"] != 0:
            return "exc:MemoryError" if self.out_of_memory(run["stderr"]) else f"exc:{run['exit_code']}"
        out = normalise(run["stdout"].decode("utf-8", "replace"))
        return "ok:" + out[:FINGERPRINT_LIMIT] + ("...#truncated" if run["truncated"] or len(out) > FINGERPRINT_LIMIT else "")

    def probe_function(self, index, code, inputs, call_timeout, max_timeouts):
        entry = self.payload["entry_point"]
        session = None

        def call(text):
            nonlocal session
            try:
                args = parse_args(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                return "exc:InvalidInput"
            if session is None:
                session = self._probe_session(index, code, entry, call_timeout)
                if isinstance(session, str):
                    fp, session = session, None
                    raise SameAnswer(fp, **({"compile_error": "SyntaxError"} if fp == "exc:SyntaxError" else {}))
            link, fn, cpid = session
            try:
                reply = link.request({"op": "call", "target": fn._id, "args": link.encoder.encode(list(args)),
                                      "kwargs": {"$d": []}, "fork": True},
                                     CpuBudget(self.cand_uid, call_timeout, self.backstop))
                return self._fingerprint(link, reply)
            except protocol.FrameTimeout:
                session = self._end_session(link, cpid)
                return "timeout"
            except CandidateGone:
                session = self._end_session(link, cpid)
                return "exc:Crash"

        try:
            fps, skipped = probe_each(inputs, max_timeouts, call)
        finally:
            if session is not None:
                self._end_session(session[0], session[2])
        return {"index": index, "fingerprints": fps, "probe_skipped": skipped}

    def _end_session(self, link, cpid):
        self.zygote.reap(cpid)
        link.close()
        return None

    def _probe_session(self, index, code, entry, call_timeout):
        cpid, chan, streams, _ = self.spawn("module", index, out_limit=4096)
        streams.close()  # probes look at return values only
        link = Link(os.dup(chan.fileno()))
        chan.close()
        try:
            names = link.request({"op": "load", "code": code, "module": None}, CpuBudget(self.cand_uid, call_timeout, self.backstop))
            if names.get("compile"):
                self._end_session(link, cpid)
                return "exc:SyntaxError"
            names = link.value(names)
            fn = names.get(entry) if type(names) is dict else None
            if not isinstance(fn, RemoteObject):
                raise CandidateGone("no entry point")
            return link, fn, cpid
        except protocol.FrameTimeout:
            self._end_session(link, cpid)
            return "timeout"
        except Exception as exc:
            self._end_session(link, cpid)
            return "exc:" + (type(exc).__name__ if not isinstance(exc, CandidateGone) else "Crash")

    @staticmethod
    def _fingerprint(link, reply):
        if "ok" in reply:
            try:
                value = link.decoder.decode(reply["ok"])
            except protocol.ProtocolError:
                return "exc:BadReply"
            if isinstance(value, RemoteObject):
                return f"obj:{value._type}"
            return fingerprint_value(value)
        err = reply.get("err")
        return "exc:" + (str(err.get("type", "Exception"))[:100] if type(err) is dict else "BadReply")

    # ------------------------------------------------------------ records
    def _record(self, cand, streams, out_r, err_r, start, timed_out, before, after, maxrss, cpu_ms):
        return {
            "index": cand["index"], "timed_out": timed_out,
            "oom_kills": (after - before) if before is not None and after is not None else None,
            "max_rss_kb": maxrss, "cpu_ms": round(cpu_ms, 3), "wall_ms": (time.monotonic() - start) * 1000.0,
            "truncated": streams.truncated,
            "stdout": bytes(streams.bufs[out_r]).decode("utf-8", "replace"),
            "stderr": bytes(streams.bufs[err_r]).decode("utf-8", "replace"),
        }

    def sweep(self):
        """Between candidates: a janitor for each uid that left anything, orphans reaped, scratch dirs empty.

        Looking costs a fraction of a janitor (a fork under that uid), and most candidates leave
        nothing but their empty work directory, which the supervisor removes itself; one look
        (one pass over /proc, the IPC tables and the scratch dirs) covers both uids.
        """
        clean = True
        ids = {self.cand_uid: self.cand_gid, self.grader_uid: self.grader_gid}
        for uid in leftovers(tuple(ids)):
            # twice: on a busy machine a killed process can take longer to go than one pass waits
            clean = (self.zygote.janitor(uid, ids[uid]) or self.zygote.janitor(uid, ids[uid])) and clean
        reap_orphans(keep={self.zygote.pid})
        for root in (WORK,) + SCRATCH:
            try:
                if os.listdir(root):
                    clean = False
            except OSError:
                pass
        return clean


class SameAnswer(Exception):
    """A program that cannot even load or compile answers every probe input alike."""

    def __init__(self, fingerprint, **fields):
        super().__init__(fingerprint)
        self.fingerprint, self.fields = fingerprint, fields


def probe_each(inputs, max_timeouts, call):
    """Each input's fingerprint, in the inputs' order, with ``call(text)`` run smallest input first.

    A program that timed out on ``max_timeouts`` inputs is not called on the rest: they are
    reported as "timeout" (no answer, as a timeout is anyway) and counted as skipped. Without
    the cap, a program that loops spends the whole per-call limit on every input. Smallest
    first, a merely slow program answers the inputs it can before it meets the cap, and every
    call runs in a fresh process or fork, so the order changes no answer. 0: no cap.
    """
    fps = [None] * len(inputs)
    timeouts = skipped = 0
    for k in sorted(range(len(inputs)), key=lambda k: (len(inputs[k]), k)):
        if max_timeouts and timeouts >= max_timeouts:
            fps[k], skipped = "timeout", skipped + 1
            continue
        fps[k] = call(inputs[k])
        timeouts += fps[k] == "timeout"
    return fps, skipped


class CpuBudget:
    """A limit in CPU time, not the wall clock's: a busy machine slows a run down without turning
    its answer into "timeout" (which would make verdicts and rankings depend on load). After
    ``cpu_s`` of wall time the CPU time of ``uids``' processes is read; the wait goes on while they
    have used less than ``cpu_s``, up to ``backstop`` x ``cpu_s`` of wall time or ``until`` if
    sooner (a sleeping or blocked run uses no CPU and still ends)."""

    BACKSTOP = 4.0  # the host's sandbox.config.CPU_BACKSTOP sends the same in each payload

    def __init__(self, uids, cpu_s, backstop=BACKSTOP, until=None, base=None):
        self.uids = (uids,) if isinstance(uids, int) else tuple(uids)
        self.cpu_s = max(float(cpu_s), 0.0)
        now = time.monotonic()
        self.first, self.last = now + self.cpu_s, now + self.cpu_s * backstop
        if until is not None:
            self.first, self.last = min(self.first, until), min(self.last, until)
        # only this candidate's (and its grader's) processes run under these uids; ``base``: what they
        # had used before this run when the caller knows it (0.0 for processes made for the run)
        self.base = self.used() if base is None else base

    def used(self):
        return cpu_seconds_of(self.uids)

    def left(self):
        now = time.monotonic()
        if now < self.first:
            return self.first - now
        if now >= self.last:
            return 0.0
        used = self.used() - self.base
        if used >= self.cpu_s:
            return 0.0
        return min(max(self.cpu_s - used, 0.05), self.last - now)


class TestBudget:
    """One candidate's test time over several processes (an io pair or a compile-free run each):
    ``cpu_s`` of CPU in all, each run getting what the ones before left (their CPU as the reaper
    measured it), all within one wall-clock backstop from the first run's start."""

    def __init__(self, uid, cpu_s, backstop=CpuBudget.BACKSTOP):
        self.uid, self.cpu_s, self.backstop, self.spent = uid, float(cpu_s), backstop, 0.0
        self.until = time.monotonic() + self.cpu_s * backstop

    def next_run(self):
        return CpuBudget(self.uid, self.cpu_s - self.spent, self.backstop, until=self.until)

    def spend(self, cpu_ms):
        self.spent += float(cpu_ms) / 1000.0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds_of(uids):
    """User + system CPU seconds of the live processes of ``uids`` (a uid or several) and the
    children they reaped."""
    ticks = 0
    for pids in processes_by_uid((uids,) if isinstance(uids, int) else tuple(uids)).values():
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
                ticks += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
            except (OSError, IndexError, ValueError):
                continue
    return ticks / CLOCK_TICKS


def leftovers(uids):
    """The ``uids`` that still have a live process, a SysV IPC object or a file in the scratch
    dirs, in one look for all of them; their empty directories directly under the scratch dirs
    are removed on the way (fails unless empty: then the janitor empties them)."""
    left = {uid for uid, pids in processes_by_uid(uids).items() if pids}
    for table in IPC_TABLE_NAMES:
        for _, owners in ipc_entries(table):
            left.update(owners.intersection(uids))
    for root in (WORK,) + SCRATCH:
        try:
            entries = list(os.scandir(root))
        except OSError:
            return set(uids)
        for entry in entries:
            try:
                owner = entry.stat(follow_symlinks=False).st_uid
            except OSError:  # gone, or unreadable: look again through the janitors
                left.update(uids)
                continue
            if owner not in uids or owner in left:
                continue
            try:
                if not entry.is_dir(follow_symlinks=False):
                    left.add(owner)
                    continue
                os.rmdir(entry.path)
            except OSError:
                left.add(owner)
    return left


def _exit_fields(status):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return {"exit_code": 128 + sig, "signal": sig}
    return {"exit_code": os.WEXITSTATUS(status), "signal": None}


def reap_orphans(keep):
    """Reap exited processes the kernel handed to PID 1 (never a child we still use)."""
    if not IS_INIT:
        return
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None or info.si_pid in keep:
            return
        try:
            os.waitpid(info.si_pid, 0)
        except ChildProcessError:
            return


def prepare(payload):
    """Work done once per container, before any candidate: parse io pairs, import pytest, compile test code."""
    if payload["kind"] == "tests" and payload["format"] == "io":
        pairs = json.loads(payload["tests"])
        if not isinstance(pairs, list) or not all(isinstance(p, dict) and isinstance(p.get("input"), str) and isinstance(p.get("output"), str) for p in pairs):
            raise ValueError('io tests must be a JSON list of {"input": str, "output": str}')
        return pairs
    if payload["kind"] == "tests" and payload["format"] == "pytest":
        import pytest  # noqa: F401  (warm: every forked grader starts with it loaded)
        import tempfile  # noqa: F401
    if payload["kind"] == "tests" and payload["format"] == "humaneval":
        return CheckPlan(payload["tests"], payload.get("prelude"))
    return None


def main(serve_idle_s=None):
    """One payload from stdin to EOF (``serve_idle_s`` None), or, serving a warm pool, framed
    payloads one after another (``<length>\\n<json>``) until EOF, a zero length or ``serve_idle_s``
    seconds without one. Everything a batch's candidates and graders left is swept before the
    next batch, as between two candidates of one batch."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as PID 1, unhandled signals from inside are dropped
    prctl_dumpable(0)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    except (ValueError, OSError):
        pass
    warm_up()  # stdlib only, before the zygote: inherited by it, every candidate and every grader
    zygote = Zygote() if os.geteuid() == 0 else None  # before the payload exists: it must never hold one
    if serve_idle_s is None:
        payload = json.loads(sys.stdin.buffer.read())
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        run_batch(zygote, payload)
        return 0
    while True:
        payload = next_frame(serve_idle_s)
        if payload is None or not run_batch(zygote, payload):
            return 0
        gc.unfreeze()  # the batch's payload and records go before the next batch freezes the heap
        gc.collect()


def next_frame(idle_s):
    """The next framed payload on stdin, or None at EOF, a zero length, or ``idle_s`` of silence."""
    ready, _, _ = select.select([0], [], [], idle_s)
    if not ready:
        return None
    header = sys.stdin.buffer.readline(32)
    if not header.strip().isdigit() or int(header) == 0:
        return None
    size = int(header)
    body = sys.stdin.buffer.read(size)
    if len(body) != size:
        return None
    return json.loads(body)


def run_batch(zygote, payload):
    """Run one payload's candidates; True when every candidate's leftovers were swept (the
    runner may take another batch)."""
    marker = payload["marker"].encode()

    def emit(obj):
        sys.stdout.buffer.write(marker + b" " + json.dumps(obj, ensure_ascii=True).encode() + b"\n")
        sys.stdout.buffer.flush()

    try:
        if zygote is None:
            raise RunnerError("the runner must start as root (with only CAP_SETUID, CAP_SETGID and CAP_KILL) "
                              "to keep the grader and the candidate apart")
        supervisor = Supervisor(zygote, payload)
    except Exception as exc:
        emit({"fatal": describe(exc)})
        return False
    gc.freeze()  # forked graders' collections then leave the inherited heap alone (no copy-on-write storm)
    profile = bool(payload.get("profile"))
    for cand in payload["candidates"]:
        t0 = time.perf_counter()
        try:
            record = supervisor.run_candidate(cand)
        except Exception as exc:  # a runner bug or exhausted container: say so, carry on
            record = {"index": cand["index"], "runner_error": describe(exc)}
        t1 = time.perf_counter()
        try:
            clean = supervisor.sweep()
        except Exception:
            clean = False
        if profile:  # where a candidate's time goes, in ms (bench and debugging only)
            record["phases"] = {**supervisor.phases, "run": (t1 - t0) * 1000, "sweep": (time.perf_counter() - t1) * 1000}
            supervisor.phases = {}
        emit(record)
        if not clean:  # never run a candidate on what another left: the host re-runs the rest alone
            sys.stderr.write("runner: leftover processes, IPC objects or files could not be removed; stopping\n")
            sys.stderr.flush()
            return False
    emit({"done": True})
    return True


if __name__ == "__main__":
    sys.exit(main())

