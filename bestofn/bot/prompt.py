"""The messages the bot sends for one candidate patch."""

from __future__ import annotations

SYSTEM_PATCHER = (
    "You fix failing tests in a Python repository by changing its source code. "
    "Answer with a unified diff against the repository root in one ```diff fenced block "
    "(headers `--- a/path` and `+++ b/path`, with correct context lines). "
    "Alternatively, for each file you change, write its repository-relative path on its own line "
    "followed by a fenced block holding the complete new file. "
    "Never use the whole-file form for a file marked (cut). "
    "Fix the code under test; do not weaken, skip or delete tests: changes to test files, conftest.py, "
    "pytest's configuration and interpreter start-up files are dropped before your patch is tested."
)


def patch_messages(test_command: str, context_markdown: str) -> list[dict[str, str]]:
    """Chat messages asking for a patch that makes ``test_command`` pass."""
    user = (
        f"The test command `{test_command}` fails in this repository.\n\n"
        f"{context_markdown}\n"
        "Propose the smallest change that makes the failing tests pass without breaking the others."
    )
    return [{"role": "system", "content": SYSTEM_PATCHER}, {"role": "user", "content": user}]
