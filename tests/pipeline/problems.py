"""A scripted problem and candidate pool shared by the pipeline tests."""

from __future__ import annotations

from bestofn.schemas import Problem, TestSuite

PROMPT = '''def running_max(xs: list[int]) -> list[int]:
    """Return the running maximum of xs.
    >>> running_max([1, 3, 2, 5])
    [1, 3, 3, 5]
    """
'''

CHECK = '''
def check(candidate):
    assert candidate([]) == []
    assert candidate([1, 3, 2, 5]) == [1, 3, 3, 5]
    assert candidate([5, 4, 3]) == [5, 5, 5]
    assert candidate([-2, -1, -3]) == [-2, -1, -1]
'''

FAST_OK = '''```python
def running_max(xs):
    out, best = [], None
    for x in xs:
        best = x if best is None or x > best else best
        out.append(best)
    return out
```'''

SLOW_OK = '''Here you go:
```python
import time

def running_max(xs):
    time.sleep(0.25)
    return [max(xs[: i + 1]) for i in range(len(xs))]
```'''

# wrong on negative numbers only: passes 3 of 4 asserts
PARTLY_WRONG = '''```python
def running_max(xs):
    out, best = [], 0
    for x in xs:
        best = max(best, x)
        out.append(best)
    return out
```'''

WRONG = '''```python
def running_max(xs):
    return sorted(xs)
```'''

SYNTAX_ERROR = '''```python
def running_max(xs)
    return xs
```'''

NO_CODE = "I am not sure how to do that."


def problem(**overrides: object) -> Problem:
    data: dict[str, object] = {
        "prompt": PROMPT,
        "entry_point": "running_max",
        "tests": TestSuite(format="humaneval", code=CHECK),
        "n": 6,
        "temperature": 0.8,
        "strategy": "tests",
    }
    data.update(overrides)
    return Problem.model_validate(data)

# wrong on the empty list only: passes 3 of 4 asserts, failing a different one than PARTLY_WRONG
EMPTY_WRONG = '''```python
def running_max(xs):
    if not xs:
        return None
    out, best = [], xs[0]
    for x in xs:
        best = max(best, x)
        out.append(best)
    return out
```'''


def run_problem(store, fake, **overrides: object):  # type: ignore[no-untyped-def]
    """Submit ``problem(**overrides)`` and run it to the end against ``fake``: (outcome, the task's view)."""
    from bestofn.llm import make_client
    from bestofn.pipeline import run_task
    from bestofn.service import create_task, task_view

    task = create_task(problem(**overrides), store=store)
    outcome = run_task(task.id, client=make_client(base_url=fake.base_url), store=store)
    return outcome, task_view(store.get(task.id), store)
