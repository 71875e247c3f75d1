"""The zygote, the candidate process it forks, and the janitors that clean up after a uid (stdlib only).

The zygote is forked by the supervisor BEFORE the payload is read and stays root
(with only CAP_SETUID/SETGID/KILL): every untrusted process is its child, so none
inherits the tests or a sibling's code; it also reaps them and runs the janitors.
"""

import fcntl
import gc
import json
import math
import os
import resource
import signal
import socket
import sys
import time

from common import SCRATCH, WORK, RunnerError, become, exit_now, kill_group, libc, prctl_dumpable, print_traceback

WARM_MODULES = (  # what generated code imports most: loaded once in the zygote, inherited by every candidate
    "typing", "math", "re", "collections", "itertools", "functools", "heapq", "bisect", "string", "copy", "random",
)


def warm_up():
    """Load what every process needs once, before the first fork (stdlib only: no payload exists yet)."""
    libc()
    for name in WARM_MODULES:
        __import__(name)
    import untrusted  # noqa: F401


class Zygote:
    """The root helper forked before the payload exists: it makes every untrusted process."""

    def __init__(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            ours.close()
            code = 0
            try:
                zygote_main(theirs)
            except BaseException:
                code = 1
            os._exit(code)
        theirs.close()
        self.sock, self.pid = ours, pid

    def ask(self, request, fds=()):
        data = json.dumps(request).encode()
        if fds:
            socket.send_fds(self.sock, [data], list(fds))
        else:
            self.sock.send(data)
        reply = self.sock.recv(65536)
        if not reply:
            raise RunnerError("the zygote is gone")
        return json.loads(reply)

    def spawn(self, mode, fds, uid, gid, timeout, fsize, workdir):
        """A new untrusted process with ``fds`` as its 0, 1, 2 and 3 (the channel); returns its pid."""
        reply = self.ask({"spawn": mode, "uid": uid, "gid": gid, "cpu_s": int(math.ceil(timeout)) + 1,
                          "fsize": fsize, "workdir": workdir}, fds)
        return int(reply["pid"])

    def reap(self, pid):
        """Kill and wait for an untrusted process: ``(wait status, max RSS KB, CPU ms)``."""
        kill_group(pid)
        reply = self.ask({"reap": pid})
        return reply["status"], reply["maxrss"], reply["cpu_ms"]

    def janitor(self, uid, gid):
        """Clean everything ``uid`` left behind; True when it is all gone."""
        return bool(self.ask({"janitor": [uid, gid]})["clean"])


def zygote_main(sock):
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):  # nothing of the container's stdin/stdout stays with the zygote
        os.dup2(null, fd)
    os.close(null)
    gc.freeze()
    while True:
        msg, fds, _flags, _addr = socket.recv_fds(sock, 65536, 8)
        if not msg:
            return
        req = json.loads(msg)
        if "spawn" in req:
            pid = os.fork()
            if pid == 0:
                sock.close()
                candidate_child(req, fds)
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"pid": pid}).encode())
        elif "reap" in req:
            try:
                _, status, usage = os.wait4(int(req["reap"]), 0)
                reply = {"status": status, "maxrss": usage.ru_maxrss,
                         "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000.0}
            except ChildProcessError:
                reply = {"status": None, "maxrss": 0, "cpu_ms": 0.0}
            sock.send(json.dumps(reply).encode())
        elif "janitor" in req:
            uid, gid = req["janitor"]
            pid = os.fork()
            if pid == 0:
                sock.close()
                clean = False
                try:
                    become(uid, gid)
                    clean = janitor(uid)
                finally:
                    os._exit(0 if clean else 1)
            _, status = os.waitpid(pid, 0)
            sock.send(json.dumps({"clean": os.waitstatus_to_exitcode(status) == 0}).encode())


def candidate_child(req, fds):
    """In the zygote's fork: wire fds, limits, uid, workdir; then be the candidate. Never returns."""
    code = 1
    try:
        os.setsid()  # its own session and group: the supervisor kills the whole group
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]  # so no dup2 below clobbers another
        for target, fd in enumerate(high):
            os.dup2(fd, target)
        os.closerange(len(fds), 65536)
        try:  # the OOM killer's first choice, never the runner (os-level: no io objects to fault in)
            fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
            try:
                os.write(fd, b"1000")
            finally:
                os.close(fd)
        except OSError:
            pass
        for res, soft, hard in (
            (resource.RLIMIT_CPU, req["cpu_s"], req["cpu_s"] + 1),
            (resource.RLIMIT_FSIZE, req["fsize"], req["fsize"]),
            (resource.RLIMIT_CORE, 0, 0),
            (resource.RLIMIT_NOFILE, 256, 256),
        ):
            try:
                resource.setrlimit(res, (soft, hard))
            except (ValueError, OSError):
                pass
        # RLIMIT_NPROC is per uid across the host (no user namespace): the pids cgroup limits forks instead
        become(req["uid"], req["gid"])
        prctl_dumpable(1)  # its own /proc entries, for its own use; the other uids stay out of reach
        workdir = os.path.join(WORK, req["workdir"])
        os.makedirs(workdir, mode=0o700, exist_ok=True)
        os.chdir(workdir)
        sys.stdin = open(0, "r", closefd=False)
        import untrusted
        rc = untrusted.main(req["spawn"])
        code = 0 if rc is None else rc
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code & 0xFF
        else:
            try:
                print(str(exc.code), file=sys.stderr)
            except BaseException:
                pass
            code = 1
    except BaseException:  # the candidate's own failure: report it like python would
        print_traceback()
        code = 1
    finally:
        exit_now(code)


# ------------------------------------------------------------------ janitor

def janitor(uid):
    """As ``uid``: kill its processes, remove its SysV IPC objects and its files. True when clean."""
    me = os.getpid()
    for _ in range(200):
        try:
            os.kill(-1, signal.SIGKILL)  # as an unprivileged uid: exactly this uid's processes, not us
        except ProcessLookupError:
            pass
        if not [p for p in processes_of(uid) if p != me]:
            break
        time.sleep(0.005)
    else:
        return False
    ipc_clean = remove_ipc(uid)
    files_clean = True
    for root in (WORK,) + SCRATCH:
        files_clean = remove_owned(root, uid) and files_clean
    return ipc_clean and files_clean


def processes_of(uid):
    """Live (not zombie) pids whose real uid is ``uid``."""
    return processes_by_uid((uid,))[uid]


def processes_by_uid(uids):
    """``{uid: [live (not zombie) pids whose real uid it is]}`` for each of ``uids``, in ONE pass over
    /proc (the supervisor asks for both unprivileged uids after every candidate)."""
    out = {uid: [] for uid in uids}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                text = fh.read()
            state = text[text.index(b"\nState:") + 8:].lstrip()[:1]
            real = int(text[text.index(b"\nUid:") + 5:].split(None, 1)[0])
        except (OSError, ValueError):
            continue
        if state != b"Z" and real in out:
            out[real].append(int(name))
    return out


IPC_TABLES = (("shm", "shmctl", 1), ("sem", "semctl", 1), ("msg", "msgctl", 1))
IPC_TABLE_NAMES = tuple(table for table, _, _ in IPC_TABLES)


def remove_ipc(uid):
    """IPC_RMID every SysV shared memory segment, semaphore set and message queue owned by ``uid``."""
    lib = libc()
    clean = True
    for table, ctl, _ in IPC_TABLES:
        for ident, owners in ipc_entries(table):
            if uid not in owners:
                continue
            fn = getattr(lib, ctl)
            rc = fn(ident, 0, 0, 0) if table == "sem" else fn(ident, 0, None)  # IPC_RMID == 0
            if rc != 0:
                clean = False
    return clean and not any(uid in owners for table, _, _ in IPC_TABLES for _, owners in ipc_entries(table))


def ipc_entries(table):
    """(id, {uid, cuid}) rows of /proc/sysvipc/<table>."""
    try:
        with open(f"/proc/sysvipc/{table}") as fh:
            header = fh.readline().split()
            rows = [line.split() for line in fh]
    except OSError:
        return []
    id_col = {"shm": "shmid", "sem": "semid", "msg": "msqid"}[table]
    out = []
    for row in rows:
        rec = dict(zip(header, row))
        try:
            out.append((int(rec[id_col]), {int(rec["uid"]), int(rec["cuid"])}))
        except (KeyError, ValueError):
            continue
    return out


def remove_owned(root, uid):
    """Remove every entry directly under ``root`` owned by ``uid`` (whole trees). True when none is left."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return False
    ok = True
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if st.st_uid != uid:
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                os.chmod(entry.path, 0o700)
                ok = empty_dir(entry.path) and ok
                os.rmdir(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            ok = False
    return ok


def empty_dir(root):
    """Delete everything below ``root`` depth-first, holding one directory fd at a time.

    Iterative and relative to directory fds: no recursion limit and no PATH_MAX,
    whatever depth or names a candidate left. True when everything is gone.
    """
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





