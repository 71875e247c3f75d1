"""Sandbox throughput per language, side by side with a bare ``docker run`` of the same program, in ONE run.

    .venv/bin/python bench/languages.py [--candidates 8] [--rounds 2] [--threads 2] [--languages go cpp ...]

One small io problem (read two integers, print their sum; 3 stdin/stdout pairs), N
candidates per language, every other one wrong, so both verdicts occur. An execution is one
candidate: compile once (compiled languages), run on the 3 inputs, compare. Two ways:

  (s) sandbox per_task, warm   run_many(mode="per_task") on a RunnerPool: the trusted runner in a
                               hardened container, the candidate compiled and run as its own uid
  (b) bare docker run          one container per candidate from the same image with the same
                               hardening (hardened_kwargs), a shell writing the source, running the
                               same compile and run commands, and the host comparing the outputs:
                               no runner, no uid split, no sweep (the container's cost plus the toolchain)

Every verdict of both ways is checked against the expected one. Each language's rounds
alternate the two ways, so load drifting during the run hits both alike.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# run as ``python bench/languages.py``: this file's folder must not shadow the ``sandbox`` package
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bestofn.languages import LANGUAGES  # noqa: E402
from bestofn.settings import get_settings  # noqa: E402
from sandbox import RunnerPool, SandboxConfig, ensure_image, run_many  # noqa: E402
from sandbox.client import get_client  # noqa: E402
from sandbox.config import hardened_kwargs, resolve, sandbox_labels  # noqa: E402
from sandbox.languages import toolchain  # noqa: E402
from tests.sandbox.languages.programs import IO_TESTS, PROGRAMS  # noqa: E402

PAIRS = json.loads(IO_TESTS.code)
SEP = "@@bench-output@@"


def normalise(text: str) -> str:
    """As the runner compares io (sandbox/image/runner.py, which imports only in the image): trailing spaces and newlines."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def candidates(language: str, n: int) -> tuple[list[str], list[bool]]:
    p = PROGRAMS[language]
    codes = [p.add if i % 2 == 0 else p.wrong for i in range(n)]
    return codes, [i % 2 == 0 for i in range(n)]


def sandboxed(language: str, codes: list[str], threads: int, pool: RunnerPool, config: SandboxConfig) -> list[bool]:
    """(s): ``threads`` per_task batches at once on the warm pool."""
    shares = [codes[i::threads] for i in range(threads)]

    def one(share: list[str]) -> list[bool]:
        return [r.all_passed for r in run_many(share, IO_TESTS, mode="per_task", pool=pool, labels={"task": "bench"},
                                               config=config, language=language)]
    with ThreadPoolExecutor(threads) as ex:
        verdicts = list(ex.map(one, shares))
    out = [False] * len(codes)
    for i, share in enumerate(verdicts):
        out[i::threads] = share
    return out


def shell_script(language: str, code: str, memory_mb: int) -> str:
    """The same compile and run commands as the runner's, as one ``sh -c`` in /work."""
    tc = toolchain(language)
    fill = {"work": "/work", "mem": str(memory_mb)}
    src = tc.source
    if tc.run is None:  # python: the program itself
        run = ["python3", src]
    else:
        run = [a.format(**fill) for a in tc.run]
    lines = [f"echo {base64.b64encode(code.encode()).decode()} | base64 -d > {src}"]
    lines += [f"export {k}={shlex.quote(v.format(**fill))}" for k, v in tc.env]
    if tc.compile:
        lines.append(shlex.join(a.format(**fill) for a in tc.compile) + " || exit 3")
    for pair in PAIRS:
        lines.append(f"printf %s {shlex.quote(pair['input'])} | {shlex.join(run)}; echo {SEP}")
    return "\n".join(lines)


def bare(language: str, codes: list[str], threads: int, config: SandboxConfig) -> list[bool]:
    """(b): one hardened container per candidate running the compile and the runs in a shell."""
    client = get_client(config=config)
    image = ensure_image(config=config, language=language)
    rl = resolve(None, config, language)

    def one(code: str) -> bool:
        kwargs = hardened_kwargs(rl, sandbox_labels({"task": "bench"}, 120, config.run_id))
        out = client.containers.run(image, ["sh", "-c", shell_script(language, code, rl.run_memory_mb)], remove=True,
                                    **kwargs)
        outputs = out.decode("utf-8", "replace").split(SEP + "\n")[: len(PAIRS)]
        return len(outputs) == len(PAIRS) and all(normalise(o) == normalise(p["output"]) for o, p in zip(outputs, PAIRS))
    with ThreadPoolExecutor(threads) as ex:
        return list(ex.map(one, codes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=8, help="per language per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--languages", nargs="*", default=list(LANGUAGES))
    args = parser.parse_args()
    config = get_settings().sandbox_config()
    print(f"io problem: 3 pairs; {args.candidates} candidates x {args.rounds} rounds per language; "
          f"threads={args.threads}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'language':<11} {'(s) sandbox exec/s':>19} {'(b) bare docker exec/s':>23} {'s/b':>6} {'wrong verdicts':>15}")
    with RunnerPool(config=config, labels={"task": "bench"}, max_idle=args.threads) as pool:
        for language in args.languages:
            ensure_image(config=config, language=language)
            codes, expected = candidates(language, args.candidates)
            sandboxed(language, codes[:1], 1, pool, config)  # warm: the image, a runner
            seconds = {"s": 0.0, "b": 0.0}
            wrong = 0
            for r in range(args.rounds):
                for key in (("s", "b") if r % 2 == 0 else ("b", "s")):
                    t0 = time.perf_counter()
                    got = sandboxed(language, codes, args.threads, pool, config) if key == "s" else \
                        bare(language, codes, args.threads, config)
                    seconds[key] += time.perf_counter() - t0
                    wrong += sum(g != e for g, e in zip(got, expected))
            n = args.candidates * args.rounds
            s, b = n / seconds["s"], n / seconds["b"]
            print(f"{language:<11} {s:>19.2f} {b:>23.2f} {s / b:>6.2f} {wrong:>15}", flush=True)


if __name__ == "__main__":
    main()
