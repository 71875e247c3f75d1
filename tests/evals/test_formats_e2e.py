"""Each benchmark format evaluated end to end on its example file (real sandbox, real
database), with pass@k checked against values worked out by hand from which samples
are right; EvalPlus's base and plus figures side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.evals.conftest import REPO, cli_env, evaluate_dataset, run_cli, write_samples

pytestmark = pytest.mark.usefixtures("no_eval_containers_left")
EXAMPLES = REPO / "examples" / "datasets"


def read_rows(path: Path) -> list[dict]:
    """An example file's rows (copied to the test's own directory: eval writes results beside the samples)."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# examples/datasets/humanevalplus_samples.jsonl, by problem. HumanEval/abs (base inputs 3, 0; plus -2,
# -10**12): right; `return x`, right on base and wrong on plus (-2); `return -x`, wrong on base (3).
# HumanEval/mean (base [1.0, 2.0], [4.0]; plus [0.1, 0.2, 0.3]): right; right within EvalPlus's float
# tolerance (+1e-9 < 1e-6); right only below 3 elements (base only).
HUMANEVALPLUS_SAMPLES = EXAMPLES / "humanevalplus_samples.jsonl"


def test_humanevalplus_base_and_plus(tmp_path: Path, pg_url: str) -> None:
    samples = write_samples(tmp_path / "s.jsonl", read_rows(HUMANEVALPLUS_SAMPLES))
    report = evaluate_dataset(pg_url, f"humanevalplus:{EXAMPLES / 'humanevalplus.jsonl'}", samples, [1, 2])
    # plus (base + extra): abs 1 of 3, mean 2 of 3. pass@1 = (1/3 + 2/3) / 2;
    # pass@2 = (1 - C(2,2)/C(3,2) + 1 - C(1,2)/C(3,2)) / 2 = (2/3 + 1) / 2
    assert report["pass_at_k"] == pytest.approx({"1": 0.5, "2": 5 / 6})
    # base: abs 2 of 3, mean 3 of 3. pass@1 = (2/3 + 1) / 2; pass@2 = (1 + 1) / 2
    assert report["base_pass_at_k"] == pytest.approx({"1": 5 / 6, "2": 1.0})
    per = {p["task_id"]: p for p in report["per_problem"]}
    assert (per["HumanEval/abs"]["correct"], per["HumanEval/abs"]["base_correct"]) == (1, 2)
    assert (per["HumanEval/mean"]["correct"], per["HumanEval/mean"]["base_correct"]) == (2, 3)


def test_mbppplus_base_and_plus(tmp_path: Path, pg_url: str) -> None:
    head = "def similar_elements(a, b):\n"
    samples = write_samples(tmp_path / "s.jsonl", [
        {"task_id": "Mbpp/2", "completion": head + "    return tuple(set(a) & set(b))\n"},
        # tuples arrive as tuples (MBPP+ task 2's inputs), and any order passes (compared as sets)
        {"task_id": "Mbpp/2", "completion": head + "    assert isinstance(a, tuple)\n"
                                                   "    return tuple(sorted(set(a) & set(b), reverse=True))\n"},
        {"task_id": "Mbpp/2", "completion": head + "    return tuple(set(a) & set(b)) or (None,)\n"},  # plus: empty
        {"task_id": "Mbpp/2", "completion": head + "    return a\n"},
    ])
    report = evaluate_dataset(pg_url, f"mbppplus:{EXAMPLES / 'mbppplus.jsonl'}", samples, [1])
    assert report["base_pass_at_k"]["1"] == pytest.approx(3 / 4)
    assert report["pass_at_k"]["1"] == pytest.approx(2 / 4)


def test_lcb_io(tmp_path: Path, pg_url: str) -> None:
    samples = write_samples(tmp_path / "s.jsonl", [
        {"task_id": "abc000_a", "completion": "a, b = map(int, input().split())\nprint(a + b)\n"},
        {"task_id": "abc000_a", "completion": "print(3)\n"},  # right on the public example only
        {"task_id": "abc000_a", "completion": "raise SystemExit(1)\n"},
    ])
    report = evaluate_dataset(pg_url, f"lcb:{EXAMPLES / 'lcb.jsonl'}", samples, [1, 2])
    # 1 of 3 right: pass@1 = 1/3, pass@2 = 1 - C(2,2)/C(3,2) = 2/3
    assert report["pass_at_k"] == pytest.approx({"1": 1 / 3, "2": 2 / 3})
    assert "base_pass_at_k" not in report


@pytest.mark.languages  # javascript's image: built in the background while the python tests run
def test_multipl_e_native(tmp_path: Path, pg_url: str) -> None:
    samples = write_samples(tmp_path / "s.jsonl", [
        {"task_id": "HumanEval_53_add", "completion": "  return x + y;\n}\n"},
        {"task_id": "HumanEval_53_add", "completion": "  return x - y;\n}\n"},
        # runs only because the stop token "\nconsole.log" cuts what follows
        {"task_id": "HumanEval_53_add", "completion": "  return x + y;\n}\n\nconsole.log(add(2, 3)"},
        {"task_id": "HumanEval_53_add_py", "completion": "    return x + y\n"},
        {"task_id": "HumanEval_53_add_py", "completion": "    return x * y\n"},
    ])
    report = evaluate_dataset(pg_url, f"multipl-e:{EXAMPLES / 'multipl-e.jsonl'}", samples, [1])
    assert report["pass_at_k"]["1"] == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_cli_table_shows_base_and_plus(tmp_path: Path, data_dir: Path) -> None:
    samples = write_samples(tmp_path / "s.jsonl", read_rows(HUMANEVALPLUS_SAMPLES))
    proc = run_cli("--dataset", f"humanevalplus:{EXAMPLES / 'humanevalplus.jsonl'}", "--samples", str(samples),
                   "--k", "1,2", "--no-rerank", env=cli_env(data_dir))
    assert proc.returncode == 0, proc.stderr
    header = next(line for line in proc.stdout.splitlines() if "metric" in line)
    assert header.index("base") < header.index("plus (base + extra)")
    row = next(line for line in proc.stdout.splitlines() if "pass@1 " in line and "reranked" not in line)
    assert [cell for cell in row.split() if cell != "│"] == ["pass@1", "0.8333", "0.5000", "2"], proc.stdout


@pytest.mark.parametrize(("dataset", "content", "expect"), [
    ("humanevalplus", '{"task_id": "T/1", "prompt": "def f(x):\\n", "entry_point": "f"}\n',
     "bad.jsonl:1: field canonical_solution: Field required"),
    ("lcb", '{"question_id": "q", "question_content": "x", "public_test_cases": "[{\\"input\\": \\"1\\", '
            '\\"output\\": \\"1\\", \\"testtype\\": \\"functional\\"}]"}\n',
     "bad.jsonl:1: field public_test_cases[0].testtype"),
    ("multipl-e", '{"name": "a", "language": "cobol", "prompt": "x", "tests": "y"}\n',
     "bad.jsonl:1: field language: MultiPL-E language 'cobol' is not supported"),
])
def test_cli_bad_file_is_one_line_exit_2(tmp_path: Path, data_dir: Path, dataset: str, content: str,
                                         expect: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    samples = write_samples(tmp_path / "s.jsonl", [{"task_id": "T/1", "completion": "x"}])
    proc = run_cli("--dataset", f"{dataset}:{bad}", "--samples", str(samples), env=cli_env(data_dir), timeout=120)
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and expect in lines[0], proc.stderr
