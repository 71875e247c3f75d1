"""The sandbox's toolchain per language: Debian packages in its image, source file, compile and run commands.

One frozen ``Toolchain`` per language and nothing language-specific anywhere else: the image
build takes ``packages``, the limits take ``compile_*``/``pids_limit``, and the in-container
runner receives ``source``/``compile``/``run``/``env`` in the payload (it knows no language).

Placeholders the runner fills in (trusted side, before the candidate's process execs):
``{work}`` the candidate's own work directory, ``{mem}`` the run's memory limit in MB.

Memory: the container's limit must fit the compiler, so it is ``max(run memory,
compile_memory_mb)``; the run's own cap is then kept per process where the language allows:
RLIMIT_DATA for native code (``data_limit``: C++, Rust, Go), ``-Xmx`` for Java, V8's old space
for JavaScript/TypeScript (see the README's "Languages" section).
"""

from __future__ import annotations

from dataclasses import dataclass

from bestofn.languages import LANGUAGES


@dataclass(frozen=True)
class Toolchain:
    """How one language is built and run in its image."""

    name: str
    packages: tuple[str, ...]  # Debian bookworm packages besides python3 (the runner's)
    source: str  # the file the candidate's code is written to
    compile: tuple[str, ...] | None  # argv, in the candidate's work dir; None: nothing to compile
    run: tuple[str, ...] | None  # argv per run; None: python's in-process program mode
    env: tuple[tuple[str, str], ...] = ()  # added to the container's environment, compile and run
    compile_timeout_s: float = 0.0  # wall clock for the compile (its CPU rlimit follows)
    compile_memory_mb: int = 0  # the container needs at least this much while compiling
    pids_limit: int = 0  # at least this many pids/threads in the container (JVM, go build)
    data_limit: bool = False  # RLIMIT_DATA = the run's memory on each run process (native code)
    native: bool = False  # the compiler writes a machine-code binary: /work is mounted exec (nosuid still)
    oom_markers: tuple[str, ...] = ()  # stderr of a failed run saying it hit its own memory cap: status oom

    @property
    def compiled(self) -> bool:
        return self.compile is not None

    def wire(self) -> dict[str, object] | None:
        """What the runner needs to build and run a program of this language (None: python's own path)."""
        if self.run is None:
            return None
        return {"name": self.name, "source": self.source, "compile": list(self.compile) if self.compile else None,
                "run": list(self.run), "env": dict(self.env), "compile_timeout_s": self.compile_timeout_s,
                "data_limit": self.data_limit, "oom_markers": list(self.oom_markers)}


# JVM flags for a fast start in a small container: one GC thread, C1 only, the JDK's class-data
# archive, no /tmp/hsperfdata file
_V8_OOM = ("JavaScript heap out of memory",)
_JAVA_CP = "/usr/share/java/javatuples.jar:."
_JVM = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData")

TOOLCHAINS: dict[str, Toolchain] = {t.name: t for t in (
    Toolchain("python", packages=("python3-pytest",), source="solution.py", compile=None, run=None),
    Toolchain(
        "javascript", packages=("nodejs",), source="main.js",
        compile=("node", "--check", "main.js"),  # a syntax error is the compile error
        run=("node", "--max-old-space-size={mem}", "main.js"),
        compile_timeout_s=30.0, compile_memory_mb=256, pids_limit=96, oom_markers=_V8_OOM,
    ),
    Toolchain(
        "typescript", packages=("nodejs", "node-typescript"), source="main.ts",
        compile=("tsc", "--target", "es2020", "--module", "commonjs", "--typeRoots", "/usr/share/nodejs/@types",
                 "--types", "node", "--noEmitOnError", "--skipLibCheck", "--pretty", "false", "main.ts"),
        run=("node", "--max-old-space-size={mem}", "main.js"),
        compile_timeout_s=60.0, compile_memory_mb=768, pids_limit=96, oom_markers=_V8_OOM,
    ),
    Toolchain(
        "go", packages=("golang-go",), source="main.go",
        compile=("go", "build", "-o", "main", "main.go"),
        run=("./main",),
        env=(("GOCACHE", "{work}/.cache/go-build"), ("GOPATH", "{work}/.go"), ("GO111MODULE", "off"),
             ("GOFLAGS", ""), ("GOPROXY", "off"), ("GOTOOLCHAIN", "local"), ("CGO_ENABLED", "0"),
             ("GOMAXPROCS", "2"), ("HOME", "{work}"), ("TMPDIR", "{work}")),
        compile_timeout_s=60.0, compile_memory_mb=768, pids_limit=128, data_limit=True, native=True,
        oom_markers=("runtime: out of memory", "cannot allocate memory"),
    ),
    Toolchain(
        "rust", packages=("rustc", "libc6-dev"), source="main.rs",  # libc6-dev: rustc's libc-dev is virtual
        compile=("rustc", "--edition", "2021", "-O", "-o", "main", "main.rs"),
        run=("./main",),
        env=(("TMPDIR", "{work}"),),
        compile_timeout_s=60.0, compile_memory_mb=768, pids_limit=96, data_limit=True, native=True,
        oom_markers=("memory allocation of",),
    ),
    Toolchain(
        "cpp", packages=("g++",), source="main.cpp",
        compile=("g++", "-std=c++17", "-O2", "-pipe", "-o", "main", "main.cpp"),
        run=("./main",),
        env=(("TMPDIR", "{work}"),),
        compile_timeout_s=60.0, compile_memory_mb=512, pids_limit=64, data_limit=True, native=True,
        oom_markers=("std::bad_alloc",),
    ),
    Toolchain(
        # javatuples: MultiPL-E's Java problems import org.javatuples (Pair, Triplet...)
        "java", packages=("default-jdk-headless", "libjavatuples-java"), source="Main.java",
        compile=("javac", *(f"-J{flag}" for flag in _JVM), "-J-Xmx384m", "-cp", _JAVA_CP, "-encoding", "UTF-8",
                 "Main.java"),
        run=("java", "-Xmx{mem}m", "-Xss64m", *_JVM, "-cp", _JAVA_CP, "Main"),
        compile_timeout_s=60.0, compile_memory_mb=768, pids_limit=128,
        oom_markers=("java.lang.OutOfMemoryError",),
    ),
)}
assert tuple(TOOLCHAINS) == LANGUAGES, "every language of bestofn.languages needs a toolchain, in the same order"


def toolchain(language: str) -> Toolchain:
    """The toolchain of a canonical language name (``bestofn.languages``); a ValueError names ``language``."""
    try:
        return TOOLCHAINS[language]
    except KeyError:
        raise ValueError(f"language: unknown {language!r}; known: {', '.join(TOOLCHAINS)}") from None
