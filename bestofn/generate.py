"""Sampling: N candidates concurrently through an OpenAI-compatible client, for tasks, evals and the bot.

One request per candidate (llama.cpp's server rejects n>1), each with its own
seed ``seed_base + index`` so a rerun asks for the same samples. A failed or
empty request is recorded on the candidate (``llm_error`` is the one mapping of
endpoint failures to words), never raised: the caller goes on with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from bestofn.extract import complete_program, extract_code
from bestofn.llm import chat, cost_usd
from bestofn.prompts import revise_messages, solve_messages
from bestofn.schemas import Candidate, Problem, ReasoningEffort
from bestofn.settings import Settings, get_settings

if TYPE_CHECKING:  # openai takes ~0.5 s to import; code that calls the endpoint imports it there
    import openai


def llm_error(exc: openai.OpenAIError) -> str:
    """A short, secret-free description of an endpoint failure, stored as ``Candidate.error``."""
    import openai  # already loaded: ``exc`` is one of its errors
    if isinstance(exc, openai.APITimeoutError):
        return "llm_timeout: the endpoint did not answer in time"
    if isinstance(exc, openai.APIStatusError):
        return f"llm_error: HTTP {exc.status_code}"
    return f"llm_unreachable: {exc.__class__.__name__}"


def reasoning_of(problem: Problem) -> dict[str, Any]:
    """The problem's reasoning knobs as ``sample_one`` arguments (None: not sent)."""
    return {"reasoning_effort": problem.reasoning_effort, "max_completion_tokens": problem.max_completion_tokens}


def sample_one(client: openai.OpenAI, messages: list[dict[str, str]], index: int, *, model: str,
               temperature: float, max_tokens: int, seed: int, settings: Settings,
               reasoning_effort: ReasoningEffort | None = None,
               max_completion_tokens: int | None = None) -> Candidate:
    """One raw reply as a candidate (``code`` is left to the caller); any endpoint failure becomes its error.

    The reasoning knobs are sent only when set, and kept on the candidate either way.
    """
    import openai  # already loaded by whoever made ``client``

    knobs = {"reasoning_effort": reasoning_effort, "max_completion_tokens": max_completion_tokens}
    try:
        reply = chat(client, model, messages, temperature=temperature, max_tokens=max_tokens, seed=seed, **knobs)
    except openai.OpenAIError as exc:
        return Candidate(index=index, seed=seed, error=llm_error(exc), **knobs)
    return Candidate(
        index=index, raw=reply.text, seed=seed, tokens_in=reply.tokens_in, tokens_out=reply.tokens_out,
        latency_ms=reply.latency_ms, cost_usd=cost_usd(model, reply.tokens_in, reply.tokens_out, settings),
        reasoning_tokens=reply.reasoning_tokens, **knobs,
    )


def sample_many(client: openai.OpenAI, messages: list[dict[str, str]], indices: Iterable[int], *, model: str,
                temperature: float, max_tokens: int, seed_base: int, settings: Settings,
                finish: Callable[[Candidate], Candidate] | None = None,
                on_candidate: Callable[[Candidate], None] | None = None,
                reasoning_effort: ReasoningEffort | None = None,
                max_completion_tokens: int | None = None) -> list[Candidate]:
    """Candidates for ``indices`` in index order, at most ``settings.llm_concurrency`` requests at a time.

    ``finish`` turns each raw reply into the caller's candidate (e.g. extracts code);
    ``on_candidate`` is called as each is finished (from pool threads), so the caller
    can store it at once.
    """
    wanted = list(indices)
    if not wanted:
        return []

    def one(i: int) -> Candidate:
        cand = sample_one(client, messages, i, model=model, temperature=temperature, max_tokens=max_tokens,
                          seed=seed_base + i, settings=settings, reasoning_effort=reasoning_effort,
                          max_completion_tokens=max_completion_tokens)
        if finish is not None and cand.error is None:
            cand = finish(cand)
        if on_candidate is not None:
            on_candidate(cand)
        return cand

    with ThreadPoolExecutor(max_workers=max(1, min(settings.llm_concurrency, len(wanted)))) as pool:
        return list(pool.map(one, wanted))


def with_code(problem: Problem, cand: Candidate) -> Candidate:
    """The candidate with the program extracted from its reply, or a ``no_code`` error."""
    if problem.language != "python":
        code = extract_code(cand.raw, problem.entry_point, problem.language)
        return cand.model_copy(update={"code": code, "error": None if code else f"no_code: the reply held no {problem.language} code"})
    code = extract_code(cand.raw, problem.entry_point)
    if code:
        code = complete_program(problem.prompt, code, problem.entry_point)
    return cand.model_copy(update={"code": code, "error": None if code else "no_code: the reply held no Python code"})


def solve_prompt(problem: Problem) -> list[dict[str, str]]:
    """The messages that ask for a solution to ``problem``."""
    return solve_messages(problem.prompt, problem.entry_point, io_program=problem.is_io, language=problem.language)


def generate_one(client: openai.OpenAI, problem: Problem, index: int, *, model: str, temperature: float,
                 max_tokens: int, seed: int, settings: Settings) -> Candidate:
    """Ask for one program; any endpoint failure becomes ``Candidate.error``."""
    cand = sample_one(client, solve_prompt(problem), index, model=model, temperature=temperature,
                      max_tokens=max_tokens, seed=seed, settings=settings, **reasoning_of(problem))
    return cand if cand.error else with_code(problem, cand)


def generate_candidates(
    client: openai.OpenAI,
    problem: Problem,
    indices: Iterable[int],
    *,
    model: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    seed_base: int | None = None,
    on_candidate: Callable[[Candidate], None] | None = None,
    settings: Settings | None = None,
) -> list[Candidate]:
    """Generate the programs with the given indices concurrently, in index order (tasks and evals)."""
    s = settings or get_settings()
    return sample_many(
        client, solve_prompt(problem), indices,
        model=model or problem.model or s.model,
        temperature=problem.temperature if temperature is None else temperature,
        max_tokens=max_tokens or problem.max_tokens or s.llm_max_tokens,
        seed_base=s.seed if seed_base is None else seed_base,
        settings=s, finish=lambda c: with_code(problem, c), on_candidate=on_candidate, **reasoning_of(problem),
    )


def revise_candidate(client: openai.OpenAI, problem: Problem, parent: Candidate, feedback: str, index: int,
                     round_: int, *, model: str, settings: Settings, temperature: float | None = None,
                     max_tokens: int | None = None, seed_base: int | None = None) -> Candidate:
    """Ask the model to fix ``parent`` given its run's ``feedback``: a new candidate (``index``) whose
    ``parent`` and ``round`` say where it came from. A failed or codeless reply is its error, never raised."""
    messages = revise_messages(problem.prompt, problem.entry_point, parent.code, feedback, io_program=problem.is_io,
                               language=problem.language)
    seed = (settings.seed if seed_base is None else seed_base) + index
    cand = sample_one(client, messages, index, model=model,
                      temperature=problem.temperature if temperature is None else temperature,
                      max_tokens=max_tokens or problem.max_tokens or settings.llm_max_tokens, seed=seed,
                      settings=settings, **reasoning_of(problem))
    cand = cand.model_copy(update={"parent": parent.index, "round": round_})
    return cand if cand.error else with_code(problem, cand)
