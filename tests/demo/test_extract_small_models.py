"""Reply shapes seen from the 135M demo model, taken from real HumanEval samples.

Before these cases were handled, 6/164 greedy HumanEval replies passed; after, 9/164.
"""

from __future__ import annotations

import pytest

from bestofn.extract import complete_program, extract_code, longest_parsing_prefix, split_fences


ADD = "def add(a, b):\n    return a + b\n"


@pytest.mark.parametrize(("reply", "entry_point", "expected"), [
    pytest.param("def add(a, b):\n    return a + b\n```\n\nThis function uses the `+` operator to add the two numbers.",
                 "add", ADD, id="closing fence never opened"),
    pytest.param("```\n```python\ndef add(a, b):\n    return a + b\n```\n\nThis function adds `a` and `b`.",
                 "add", ADD, id="stray fence before the real block"),
    pytest.param("```python\ndef f(x):\n    return x```\nDone.", "f", "def f(x):\n    return x\n",
                 id="closing fence glued to the last code line"),
    pytest.param("Here you go:\n```python\ndef add(a, b):\n    return a + b\n```\nUse add(1, 2).", "add", ADD,
                 id="fenced block wins over loose text"),
    pytest.param("```python\ndef helper(x):\n    y = x * 2\n    return y + 1\n```\n```python\ndef f(x):\n    return x\n```",
                 "f", "def f(x):\n    return x\n", id="block defining the entry point beats a longer helper"),
])
def test_reply_shapes_seen_from_the_demo_model(reply: str, entry_point: str, expected: str) -> None:
    assert extract_code(reply, entry_point) == expected


def test_reply_cut_off_by_max_tokens_keeps_the_complete_function() -> None:
    reply = "def f(x):\n    return x * 2\n\n# Test the function\nprint(f(3), f([1, 2, 3, 4, 5, 6, 7"
    assert extract_code(reply, "f") == "def f(x):\n    return x * 2\n\n# Test the function\n"


def test_prose_is_not_code() -> None:
    assert extract_code("I cannot help with that.", "f") == ""
    assert extract_code("", "f") == ""


def test_body_only_block_is_kept_and_completed_from_the_prompt() -> None:
    prompt = 'def f(x):\n    """Double x."""\n'
    code = extract_code("```python\n    return x * 2\n```", "f")
    assert code == "    return x * 2\n"
    assert complete_program(prompt, code, "f") == 'def f(x):\n    """Double x."""\n    return x * 2\n'


def test_split_fences_keeps_text_outside_blocks() -> None:
    blocks, loose = split_fences("intro\n```py\nx = 1\n```\noutro")
    assert blocks == [("py", "x = 1\n")]
    assert loose == ["intro\n", "outro\n"]


def test_longest_parsing_prefix() -> None:
    assert longest_parsing_prefix("x = 1\ny = (\n") == "x = 1"
    assert longest_parsing_prefix("(((") == ""
