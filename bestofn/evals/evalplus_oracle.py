"""EvalPlus's differential oracle, as the grader runs it inside the sandbox (stdlib only).

This file's source is embedded in every HumanEval+/MBPP+ test module
(``bestofn.evals.evalplus``) and runs on the sandbox's trusted side, the grader: the
expected output of each input is the dataset's canonical solution run there on a fresh
copy of the input, never computed on the host. The candidate answers over the wire
with plain data, so nothing of its making takes part in the comparison.

The rules follow ``evalplus/eval/__init__.py`` (``unsafe_execute``) and
``evalplus/data/mbpp.py`` (``mbpp_deserialize_inputs``): equality first, then, for
float outputs or a dataset ``atol``, numpy's ``allclose`` (rtol 1e-7) written out by
hand (the sandbox has no numpy); and the special oracles of HumanEval/32 and a few
MBPP tasks. Importable on the host too, so its functions are unit-tested directly.
"""

import copy
import math

# MBPP+ stores tuples, sets and complex numbers as JSON lists and strings; these tasks
# (by number) get them back before the call, as evalplus.data.mbpp does.
_TUPLE_ARGS = {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726,
               740, 744, 809}
_TUPLE_LISTS = {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}
_FIRST_LIST_TUPLES = {75, 413, 444, 753}
_SECOND_TUPLE = {106, 750}
_FIRST_TUPLE = {250, 405, 446, 617, 720, 763, 808}
_NESTED_TUPLES = {259, 401, 445}
_ALL_TUPLES = {580, 615, 791}

# MBPP tasks whose output is compared as a set, or only as "not None" (evalplus/eval/_special_oracle.py)
MBPP_OUTPUT_SET_EQ_TASKS = {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
                            "larg_nnum", "intersection_array", "find_dissimilar", "Diff"}
MBPP_OUTPUT_NOT_NONE_TASKS = {"check_str", "text_match_three", "text_starta_endb"}


def _all_tuples(x):
    return tuple(_all_tuples(i) for i in x) if isinstance(x, list) else x


def mbpp_inputs(task_number, inputs):
    """MBPP+ task ``task_number``'s JSON inputs with their tuples, sets and complex numbers restored."""
    n = task_number
    if n in _TUPLE_ARGS:
        return [[tuple(a) for a in inp] for inp in inputs]
    if n in _TUPLE_LISTS:
        return [[[tuple(x) for x in a] for a in inp] for inp in inputs]
    if n in _FIRST_LIST_TUPLES:
        return [[[tuple(x) for x in inp[0]]] + [inp[1]] for inp in inputs]
    if n in _SECOND_TUPLE:
        return [[inp[0]] + [tuple(inp[1])] for inp in inputs]
    if n == 115:
        return [[[set(x) if isinstance(x, list) and len(x) else {} for x in inp[0]]] for inp in inputs]
    if n == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if n in _FIRST_TUPLE:
        return [[tuple(inp[0])] + [inp[1]] for inp in inputs]
    if n in _NESTED_TUPLES:
        return [[tuple(tuple(x) for x in a) for a in inp] for inp in inputs]
    if n == 278:
        return [[tuple(tuple(x) if isinstance(x, list) else x for x in inp[0])] for inp in inputs]
    if n == 307:
        return [[tuple(inp[0])] + [inp[1], inp[2]] for inp in inputs]
    if n == 722:
        return [[{k: tuple(v) for k, v in inp[0].items()}] + inp[1:] for inp in inputs]
    if n == 252:
        return [[complex(inp[0])] for inp in inputs]
    if n in _ALL_TUPLES:
        return [_all_tuples(inp) for inp in inputs]
    return inputs


def is_floats(x):
    """A float, or a non-empty list/tuple of floats (evalplus's ``is_floats``)."""
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


def allclose(out, exp, atol, rtol=1e-7):
    """numpy's ``allclose(out, exp, rtol, atol)`` for scalars and (nested) sequences of numbers."""
    if isinstance(exp, (list, tuple)):
        return (isinstance(out, (list, tuple)) and len(out) == len(exp)
                and all(allclose(o, e, atol, rtol) for o, e in zip(out, exp)))
    if isinstance(out, bool) or isinstance(exp, bool) or not isinstance(out, (int, float)) \
            or not isinstance(exp, (int, float)):
        return out == exp
    if math.isinf(out) or math.isinf(exp):
        return out == exp
    return abs(out - exp) <= atol + rtol * abs(exp)


def _poly(xs, x):
    return sum(coeff * math.pow(x, i) for i, coeff in enumerate(xs))


def _surface_area(base_edge, height):  # Mbpp/581 also accepts the pyramid read with a perpendicular height
    slant = math.sqrt((base_edge / 2) ** 2 + height**2)
    return round(base_edge**2 + 4 * (base_edge * slant) / 2)


def _digit_distance(num1, num2):  # Mbpp/558 also accepts numbers padded to the same length
    a, b = str(num1), str(num2)
    width = max(len(a), len(b))
    return sum(abs(int(x) - int(y)) for x, y in zip(a.zfill(width), b.zfill(width)))


def agrees(dataset, entry_point, inp, out, exp, atol):
    """True when ``out`` is an acceptable answer to ``inp`` whose reference answer is ``exp``."""
    if dataset == "humaneval" and entry_point == "find_zero":  # HumanEval/32: any root will do
        return isinstance(out, (int, float)) and abs(_poly(*inp, out)) <= atol
    exact = out == exp
    if dataset == "mbpp":
        if entry_point == "are_equivalent":  # Mbpp/164
            exact = True
        elif entry_point == "sum_div":  # Mbpp/295
            exact = exact or out == 0
        elif entry_point == "surface_Area":  # Mbpp/581
            exact = exact or (isinstance(out, (int, float)) and abs(out - _surface_area(*inp)) <= atol)
        elif entry_point == "digit_distance_nums":  # Mbpp/558
            exact = exact or out == _digit_distance(*inp)
        elif entry_point in MBPP_OUTPUT_SET_EQ_TASKS:
            try:
                exact = set(out) == set(exp)
            except TypeError:
                exact = False
        elif entry_point in MBPP_OUTPUT_NOT_NONE_TASKS:
            exact = out == exp if isinstance(out, bool) else exp == (out is not None)
    if atol == 0 and is_floats(exp):
        atol = 1e-6  # evalplus enforces a tolerance on float outputs
    if exact or atol == 0:
        return bool(exact)
    return type(out) is type(exp) and allclose(out, exp, atol)


def load_reference(source, entry_point):
    """The canonical solution's function, from its program run in a namespace of its own."""
    namespace = {"__name__": "reference"}
    exec(compile(source, "reference.py", "exec"), namespace)
    return namespace[entry_point]


def _short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def check_one(candidate, reference, dataset, entry_point, inp, atol):
    """Assert the candidate's answer to ``inp`` agrees with the reference's; each gets its own copy."""
    exp = reference(*copy.deepcopy(inp))
    out = candidate(*copy.deepcopy(inp))
    assert agrees(dataset, entry_point, inp, out, exp, atol), (
        f"input {_short(inp)}: expected {_short(exp)}, got {_short(out)}")
    return True
