"""Generate-mode samples: ask the model for the samples a run lacks, through the
service's own ``generate_candidates``, and store each as it arrives (resumable)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from bestofn.evals.config import EvalConfig
from bestofn.evals.datasets import EvalProblem
from bestofn.evals.execute import PhaseProgress, Progress
from bestofn.evals.models import EvalRun
from bestofn.evals.store import EvalStore
from bestofn.generate import generate_candidates
from bestofn.schemas import Candidate
from bestofn.settings import Settings

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai


def completion_for(ep: EvalProblem, cand: Candidate) -> str:
    """A generated program as a completion in the dataset's convention (prefix + completion runs).

    Python redefines a function freely, so a reply that does not repeat the prompt follows
    it whole. Other languages do not (MultiPL-E's prompt ends inside an open signature): the
    completion is what follows the prompt's last line (the signature) in the reply, which the
    set's stop tokens then cut where MultiPL-E would.
    """
    if not cand.code or not ep.prefix:
        return cand.code
    head = ep.prefix.rstrip("\n")
    if cand.code.startswith(head):
        return cand.code[len(head):]
    if ep.problem.language != "python":
        signature = [c for c in head.splitlines()[-1] if not c.isspace()]
        found = re.search(r"\s*".join(map(re.escape, signature)), cand.code) if signature else None
        if found:  # spacing may differ: "add(x, y){" in the prompt, "add(x, y) {" in the reply
            return cand.code[found.end():]
    return "\n" + cand.code


def generate_missing(store: EvalStore, run: EvalRun, problems: dict[str, EvalProblem], client: openai.OpenAI,
                     settings: Settings, on_progress: Progress | None = None) -> int:
    """Generate the samples a generate-mode run lacks; returns how many were stored."""
    cfg = EvalConfig.model_validate(run.config)
    n = cfg.n or settings.default_n
    have = {(s.task_id, s.sample_index) for s in store.samples(run.id)}
    todo = {t: [i for i in range(n) if (t, i) not in have] for t in problems}
    todo = {t: idx for t, idx in todo.items() if idx}
    counter = PhaseProgress("generate", sum(map(len, todo.values())), on_progress)

    def one(task_id: str) -> None:
        ep = problems[task_id]

        def keep(cand: Candidate) -> None:
            store.add_generated(run.id, task_id, cand, completion_for(ep, cand))
            counter.step()

        generate_candidates(client, ep.problem, todo[task_id], model=cfg.model, temperature=cfg.temperature,
                            max_tokens=cfg.max_tokens, seed_base=cfg.seed, on_candidate=keep, settings=settings)

    with ThreadPoolExecutor(max_workers=max(1, settings.llm_concurrency // n)) as pool:
        list(pool.map(one, todo))
    return counter.done
