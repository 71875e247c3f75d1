"""The messages the service sends to a model, in one place.

Python's wording is fixed (the benchmarks record its fingerprint); other languages get
the same request in their own terms: the language's name, its fence (one of
``bestofn.extract.FENCES``, so extraction finds the block), and what the sandbox's
toolchain expects of an io program (Java: a public class ``Main``, as the sandbox
compiles ``Main.java``; Go: ``package main``).
"""

from __future__ import annotations

SYSTEM_CODER = (
    "You are an expert Python programmer. Answer with one complete, self-contained "
    "Python solution in a single ```python fenced block. Include all imports. "
    "Do not include tests or example usage."
)

NAMES = {"python": "Python", "javascript": "JavaScript (Node.js)", "typescript": "TypeScript (Node.js)",
         "go": "Go", "rust": "Rust", "cpp": "C++17", "java": "Java"}
"""How a prompt names each language."""
FENCE = {"python": "python", "javascript": "javascript", "typescript": "typescript", "go": "go", "rust": "rust",
         "cpp": "cpp", "java": "java"}
"""The fence a prompt asks for, per language."""
PROGRAM_SHAPE = {
    "go": " Use `package main` with a `func main()`; only the standard library is available.",
    "rust": " Write a `fn main()`; only the standard library is available (no crates).",
    "cpp": " Write an `int main()`; only the standard library is available.",
    "java": " Put it in a public class named `Main` with `public static void main(String[] args)`.",
    "javascript": " Read all of standard input (e.g. `require('fs').readFileSync(0, 'utf8')`); no npm packages.",
    "typescript": " Read all of standard input (e.g. `require('fs').readFileSync(0, 'utf8')`); no npm packages.",
}
"""What an io program must look like in each language for the sandbox to build and run it."""


def _language(language: str) -> tuple[str, str]:
    try:
        return NAMES[language], FENCE[language]
    except KeyError:
        raise ValueError(f"language: no prompt for {language!r}; known: {', '.join(NAMES)}") from None


def system_prompt(language: str = "python") -> str:
    """The system message: one complete solution in one fenced block of ``language``."""
    if language == "python":
        return SYSTEM_CODER
    name, fence = _language(language)
    return (f"You are an expert {name} programmer. Answer with one complete, self-contained "
            f"{name} solution in a single ```{fence} fenced block. Include all imports. "
            "Do not include tests or example usage.")


def solve_messages(prompt: str, entry_point: str | None, io_program: bool = False,
                   language: str = "python") -> list[dict[str, str]]:
    """Chat messages asking for a solution to ``prompt`` in ``language``."""
    if language == "python":
        if io_program:
            ask = "Write a Python program that reads from standard input and writes the answer to standard output."
        elif entry_point:
            ask = f"Implement the function `{entry_point}` completely."
        else:
            ask = "Write the Python code that solves this."
    else:
        name, _ = _language(language)
        if io_program:
            ask = (f"Write a {name} program that reads from standard input and writes the answer to standard "
                   f"output.{PROGRAM_SHAPE.get(language, '')}")
        elif entry_point:
            ask = f"Implement the function `{entry_point}` completely in {name}."
        else:
            ask = (f"Write the {name} code that solves this. If it begins a function, answer with the whole "
                   "function, its signature included.")
    return [
        {"role": "system", "content": system_prompt(language)},
        {"role": "user", "content": f"{ask}\n\n{prompt}"},
    ]


REVISE_ASK = (
    "Your solution was run against the tests and did not pass all of them:\n\n{feedback}\n\n"
    "Find the mistake and answer with the complete corrected solution in a single ```{fence} fenced block."
)


def revise_messages(prompt: str, entry_point: str | None, code: str, feedback: str,
                    io_program: bool = False, language: str = "python") -> list[dict[str, str]]:
    """The solve conversation continued: the candidate's code as the model's turn, then what its run showed."""
    fence = FENCE["python"] if language == "python" else _language(language)[1]
    return [
        *solve_messages(prompt, entry_point, io_program, language),
        {"role": "assistant", "content": f"```{fence}\n{code}\n```"},
        {"role": "user", "content": REVISE_ASK.format(feedback=feedback, fence=fence)},
    ]
