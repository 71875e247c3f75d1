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
