"""What every process of the runner shares: limits, dropping privileges, small I/O helpers (stdlib only)."""

import os
import signal
import sys

WORK = "/work"
SCRATCH = ("/tmp", "/dev/shm")
MESSAGE_LIMIT = 1000
NAME_LIMIT = 200


class RunnerError(Exception):
    """The runner itself cannot do its job (not the candidate's fault)."""


_libc = []


def libc():
    if not _libc:
        import ctypes
        _libc.append(ctypes.CDLL(None, use_errno=True))
    return _libc[0]


def prctl_dumpable(flag):
    """PR_SET_DUMPABLE: 0 hides /proc/<pid>/{fd,mem,environ} and blocks ptrace."""
    try:
        libc().prctl(4, flag, 0, 0, 0)
    except Exception:
        pass


def become(uid, gid):
    """Drop to ``uid:gid`` for good (all capabilities go with root)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def describe(exc):
    """``Type: message``, short."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:MESSAGE_LIMIT]


def write_all(fd, data):
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        pass


def kill_group(pid):
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except OSError:
            pass


def flush_stdio():
    """Flush Python's stdout/stderr, whatever state a candidate left them in."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def print_traceback():
    """The current exception on stderr, as python would print it; never raises."""
    try:
        import traceback
        traceback.print_exc()
    except BaseException:
        pass


def exit_now(code):
    """Flush and leave a forked process at once (no atexit, no finally of the parent's frames)."""
    flush_stdio()
    os._exit(code)
