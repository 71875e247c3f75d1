"""Extraction and prompts per language: each language's fence names, a reply without a
fence, the block in the problem's language among several; prompts that name the language,
its fence and the program shape the sandbox builds (Java's class ``Main``)."""

from __future__ import annotations

import pytest

from bestofn.extract import FENCES, extract_code
from bestofn.prompts import REVISE_ASK, SYSTEM_CODER, revise_messages, solve_messages

BODIES = {
    "javascript": "function add(x, y) {\n  return x + y;\n}\n",
    "typescript": "function add(x: number, y: number): number {\n  return x + y;\n}\n",
    "go": "package main\n\nfunc add(x int, y int) int {\n\treturn x + y\n}\n",
    "rust": "fn add(x: i64, y: i64) -> i64 {\n    x + y\n}\n",
    "cpp": "#include <cstdio>\nlong add(long x, long y) { return x + y; }\n",
    "java": "public class Main {\n    static int add(int x, int y) { return x + y; }\n}\n",
}
TAGS = [(lang, tag) for lang in BODIES for tag in sorted(FENCES[lang])]


@pytest.mark.parametrize(("language", "tag"), TAGS)
def test_each_fence_name(language: str, tag: str) -> None:
    reply = f"Here it is:\n\n```{tag}\n{BODIES[language]}```\n\nIt adds the numbers."
    assert extract_code(reply, "add", language) == BODIES[language]


@pytest.mark.parametrize("language", sorted(BODIES))
def test_the_block_in_the_problems_language_wins(language: str) -> None:
    other = "python" if language != "cpp" else "java"
    reply = (f"```{other}\ndef add(x, y):\n    return x + y\n```\n\nand in the language asked for:\n\n"
             f"```{sorted(FENCES[language])[0]}\n{BODIES[language]}```\n\n```bash\nnode main.js\n```\n")
    assert extract_code(reply, "add", language) == BODIES[language]


@pytest.mark.parametrize("language", sorted(BODIES))
def test_a_reply_without_a_fence_is_taken_whole(language: str) -> None:
    assert extract_code(BODIES[language], "add", language) == BODIES[language]
    assert extract_code(BODIES[language] + "```", "add", language) == BODIES[language]  # a fence closed, never opened


def test_untagged_blocks_then_the_one_naming_the_entry_point() -> None:
    helper = "function helper_with_a_much_longer_name_than_add(z) {\n  return z * 2 + 1 - 1;\n}\n"
    reply = f"```\n{helper}```\n\n```\n{BODIES['javascript']}```\n"
    assert extract_code(reply, "add", "javascript") == BODIES["javascript"]
    assert extract_code(reply, None, "javascript") == helper  # no entry point: the longest


def test_only_other_languages_means_no_code() -> None:
    reply = "```python\ndef add(x, y):\n    return x + y\n```\n"
    assert extract_code(reply, "add", "go") == ""
    assert extract_code("", "add", "go") == ""
    with pytest.raises(ValueError, match="language: no fence names for 'cobol'"):
        extract_code("x", None, "cobol")


def test_python_extraction_is_unchanged() -> None:
    reply = "```js\nconsole.log(1)\n```\n```python\ndef f(x):\n    return x\n```\n"
    assert extract_code(reply, "f") == extract_code(reply, "f", "python") == "def f(x):\n    return x\n"


def test_python_prompts_are_unchanged() -> None:
    msgs = solve_messages("P", "f")
    assert msgs[0]["content"] == SYSTEM_CODER and msgs[1]["content"] == "Implement the function `f` completely.\n\nP"
    revised = revise_messages("P", "f", "code", "feedback")
    assert revised[2]["content"] == "```python\ncode\n```"
    assert revised[3]["content"] == REVISE_ASK.format(feedback="feedback", fence="python")
    assert "```python fenced block" in revised[3]["content"]


@pytest.mark.parametrize(("language", "name", "fence", "shape"), [
    ("javascript", "JavaScript (Node.js)", "javascript", "readFileSync(0"),
    ("typescript", "TypeScript (Node.js)", "typescript", "readFileSync(0"),
    ("go", "Go", "go", "`package main`"),
    ("rust", "Rust", "rust", "`fn main()`"),
    ("cpp", "C++17", "cpp", "`int main()`"),
    ("java", "Java", "java", "public class named `Main`"),
])
def test_io_prompts_ask_for_the_language(language: str, name: str, fence: str, shape: str) -> None:
    system, user = solve_messages("Sum two numbers.", None, io_program=True, language=language)
    assert f"expert {name} programmer" in system["content"] and f"```{fence} fenced block" in system["content"]
    assert user["content"].startswith(f"Write a {name} program that reads from standard input")
    assert shape in user["content"] and user["content"].endswith("Sum two numbers.")
    assert fence in FENCES[language]  # extraction finds the block the prompt asks for
    revised = revise_messages("Sum.", None, "int main() {}", "failed", io_program=True, language=language)
    assert revised[2]["content"].startswith(f"```{fence}\n") and f"```{fence} fenced block" in revised[3]["content"]


def test_function_prompts_name_the_language() -> None:
    user = solve_messages("function add(x, y){\n", None, language="javascript")[1]["content"]
    assert user.startswith("Write the JavaScript (Node.js) code that solves this. If it begins a function, answer "
                           "with the whole function")
    assert "in Go" in solve_messages("...", "add", language="go")[1]["content"]
    with pytest.raises(ValueError, match="language: no prompt for 'cobol'"):
        solve_messages("x", None, language="cobol")
