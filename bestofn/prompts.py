"""The messages the service sends to a model, in one place."""

from __future__ import annotations

SYSTEM_CODER = (
    "You are an expert Python programmer. Answer with one complete, self-contained "
    "Python solution in a single ```python fenced block. Include all imports. "
    "Do not include tests or example usage."
)


def solve_messages(prompt: str, entry_point: str | None, io_program: bool = False) -> list[dict[str, str]]:
    """Chat messages asking for a solution to ``prompt``."""
    if io_program:
        ask = "Write a Python program that reads from standard input and writes the answer to standard output."
    elif entry_point:
        ask = f"Implement the function `{entry_point}` completely."
    else:
        ask = "Write the Python code that solves this."
    return [
        {"role": "system", "content": SYSTEM_CODER},
        {"role": "user", "content": f"{ask}\n\n{prompt}"},
    ]


REVISE_ASK = (
    "Your solution was run against the tests and did not pass all of them:\n\n{feedback}\n\n"
    "Find the mistake and answer with the complete corrected solution in a single ```python fenced block."
)


def revise_messages(prompt: str, entry_point: str | None, code: str, feedback: str,
                    io_program: bool = False) -> list[dict[str, str]]:
    """The solve conversation continued: the candidate's code as the model's turn, then what its run showed."""
    return [
        *solve_messages(prompt, entry_point, io_program),
        {"role": "assistant", "content": f"```python\n{code}\n```"},
        {"role": "user", "content": REVISE_ASK.format(feedback=feedback)},
    ]
