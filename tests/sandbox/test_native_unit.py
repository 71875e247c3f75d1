"""The native format's pure parts: instrumentation of MultiPL-E test texts, joining, report grading.

Nothing is compiled or run here (tests/sandbox/test_native.py runs the programs in the sandbox).
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bestofn.schemas import Problem
from bestofn.schemas import TestSuite as Suite
from sandbox import native
from sandbox.native import scan
from sandbox.native.program import join
from sandbox.native.report import events
from tests.sandbox.native_cases import CASES, candidate

LANGS = sorted(CASES)


@pytest.mark.parametrize("language", LANGS)
def test_every_assertion_is_counted_and_rewritten(language: str) -> None:
    case = CASES[language]
    program = native.build(language, candidate(case, case.right), case.tests, nonce="N0NCE")
    assert len(program.names) == 3
    assert [n.split("]")[0] for n in program.names] == ["assert[0", "assert[1", "assert[2"]
    assert "candidate(-1, 1)" in program.names[1] or "add((-1l), (1l))" in program.names[1] \
        or "candidate((-1), (1))" in program.names[1]
    assert "N0NCE END" in program.source  # the end marker is in the program, with the nonce
    assert program.source.count("N0NCE") >= 2


def test_a_fresh_nonce_per_program() -> None:
    case = CASES["cpp"]
    one = native.build("cpp", candidate(case, case.right), case.tests)
    two = native.build("cpp", candidate(case, case.right), case.tests)
    assert one.nonce != two.nonce and len(one.nonce) > 30
    assert one.nonce in one.source and one.nonce not in two.source


def test_multiple_e_tests_taken_verbatim_and_counted() -> None:
    for language in LANGS:
        assert native.count(language, CASES[language].tests) == 3, language


def test_join_reopens_a_whole_candidate_for_tests_that_close_its_blocks() -> None:
    case = CASES["java"]
    prompt_style = candidate(case, case.right)
    assert join(prompt_style, case.tests, "java")[0] == prompt_style  # open by two: fits as it is
    whole = "class Problem {\n    public static long add(long x, long y) {\n        return x + y;\n    }\n}\n"
    reopened, closers, rest = join(whole, case.tests, "java")
    assert scan.depth(scan.mask(reopened, "java")) == 2
    assert scan.depth(scan.mask(reopened + closers + rest, "java")) == 0


def test_mask_hides_braces_and_asserts_in_strings_and_comments() -> None:
    text = 'int main() { puts("}assert(1)"); /* { */ // assert(\n char c = \'}\'; }'
    masked = scan.mask(text, "cpp")
    assert len(masked) == len(text)
    assert scan.depth(masked) == 0 and "assert" not in masked
    rust = "fn f<'a>(s: &'a str) -> char { let c = '}'; let r = r#\"{\"#; c }"
    assert scan.depth(scan.mask(rust, "rust")) == 0


def test_an_assert_inside_a_string_of_the_tests_is_not_a_test() -> None:
    tests = 'int main() {\n    auto candidate = add;\n    assert(candidate(1, 2) == 3);\n    puts("assert(false);");\n}\n'
    assert native.count("cpp", tests) == 1


def test_a_chat_candidates_own_main_goes() -> None:
    case = CASES["cpp"]
    program = native.build("cpp", case.whole, case.tests, nonce="X")
    masked = scan.mask(program.source, "cpp")
    assert len(scan.words(masked, r"\bint\s+main\s*\(")) == 1


def test_go_table_entries_become_separate_checks() -> None:
    case = CASES["go"]
    program = native.build("go", candidate(case, case.right), case.tests, nonce="X")
    assert program.source.count("bestofnCheck(") == 4  # its definition and three entries
    assert program.source.startswith("package main") and "func TestAdd" not in program.source
    assert "var _ = testing.Short" in program.source  # the prompt's import stays used


def test_typescript_require_needs_no_declaration() -> None:
    case = CASES["typescript"]
    program = native.build("typescript", candidate(case, case.right), case.tests, nonce="X")
    assert "declare var require" not in program.source
    assert '(eval("require") as any)(\'node:assert\')' in program.source


def test_python_native_tests_are_humaneval_for_the_trusted_grader() -> None:
    tests = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n\n" \
            "def test_check():\n    check(add)\n\ntest_check()\n"
    code, entry = native.python_suite(tests)
    assert entry == "add"
    assert "test_check" not in code and "def check(candidate)" in code


@pytest.mark.parametrize("language,tests,why", [
    ("cpp", "int main() {\n    return 0;\n}\n", "no assertion"),
    ("cpp", "assert(1 == 1);\n", "int main()"),
    ("rust", "fn main() {\n    println!(\"hi\");\n}\n", "no assertion"),
    ("javascript", "console.log(1);\n", "no assert statement"),
    ("java", "class A { public static void main(String[] args) { } }", "no assert statement"),
    ("go", "func main() {}\n", "MultiPL-E's"),
    ("python", "assert 1 == 1\n", "def check"),
    ("cpp", "   \n", "empty"),
])
def test_tests_without_assertions_are_refused_naming_tests_code(language: str, tests: str, why: str) -> None:
    with pytest.raises(native.NativeTestsError, match=why) as info:
        native.count(language, tests)
    assert str(info.value).startswith("tests.code: ")


# ---------------------------------------------------------------- grading the report

def _program(n: int = 3) -> native.NativeProgram:
    return native.NativeProgram(language="cpp", source="", names=tuple(f"assert[{k}] x" for k in range(n)), nonce="NN")


def _tests(evs: list[dict]) -> list[tuple[str, str]]:
    return [(e["outcome"], e["message"]) for e in evs if e["ev"] == "test"]


def test_report_each_assertion_with_its_message_and_the_end() -> None:
    evs = events(_program(), "NN 0 P\nNN 1 F left: 5, right: 0\nNN 2 E panicked: boom\nNN END\n",
                 timed_out=False, exit_code=0)
    assert evs[0] == {"ev": "collected", "n": 3} and evs[-1] == {"ev": "done"}
    assert _tests(evs) == [("passed", ""), ("failed", "left: 5, right: 0"), ("error", "panicked: boom")]
    assert all(e["trust"] == "in_process" for e in evs if e["ev"] == "test")


def test_lines_without_the_nonce_or_out_of_range_are_ignored() -> None:
    evs = events(_program(), "0 P\nXX 0 P\nNN 7 P\nNN x P\nNN 0 Q\nNN 0 P\nNN END\n", timed_out=False, exit_code=0)
    assert _tests(evs) == [("passed", ""), ("failed", "not reached: the program ended (exit code 0) before this assertion"),
                           ("failed", "not reached: the program ended (exit code 0) before this assertion")]


def test_an_assertion_reported_twice_passes_only_if_both_passed() -> None:
    evs = events(_program(1), "NN 0 P\nNN 0 F no\nNN 0 P\nNN END\n", timed_out=False, exit_code=0)
    assert _tests(evs) == [("failed", "no")]


def test_without_the_end_marker_a_full_house_is_not_a_pass() -> None:
    evs = events(_program(2), "NN 0 P\nNN 1 P\n", timed_out=False, exit_code=0)
    assert [o for o, _ in _tests(evs)] == ["passed", "failed"]
    assert evs[-1]["ev"] != "done"


def test_timeout_marks_the_assertion_in_flight() -> None:
    evs = events(_program(), "NN 0 P\n", timed_out=True, exit_code=None)
    assert [o for o, _ in _tests(evs)] == ["passed", "timeout", "failed"]


def test_hostile_messages_are_one_bounded_printable_line() -> None:
    evs = events(_program(1), "NN 0 F " + "\x00\x1b[31m" + "y" * 50_000 + "\nNN END\n", timed_out=False, exit_code=0)
    message = _tests(evs)[0][1]
    assert len(message) <= 1000 and message.isprintable() and "\x00" not in message


def test_hostile_test_names_are_bounded() -> None:
    tests = "int main() {\n    assert(" + "x" * 5000 + "\x00 == 1);\n}\n"
    (name,) = native.build("cpp", "", tests, nonce="N").names
    assert len(name) <= 200 and name.isprintable()


# ---------------------------------------------------------------- validation

def test_suite_validation_refuses_a_blank_native_program() -> None:
    with pytest.raises(ValidationError, match="format native needs the test program"):
        Suite(format="native", code="   \n")


def test_problem_validation_names_tests_code_for_a_program_without_assertions() -> None:
    with pytest.raises(ValidationError) as info:
        Problem(prompt="add", tests={"format": "native", "code": "print('no tests here')\n"})
    error = info.value.errors()[0]
    assert error["loc"] == ("tests", "code") and "def check" in error["msg"]


def test_problem_validation_takes_multiple_e_python_tests() -> None:
    tests = "def check(candidate):\n    assert candidate(1, 2) == 3\n\ndef test_check():\n    check(add)\n\ntest_check()\n"
    assert Problem(prompt="add", tests={"format": "native", "code": tests}).tests.format == "native"
