"""One parametrized test over the whole op table: values against ``math``, partials
against finite differences, over each op's valid domain (as JAX tests its rules)."""

import math
import random

import pytest

import symgrad
from symgrad.ops import FLOAT, OPS
from symgrad.var import apply

# The reference each op's value is checked against: independent of the table.
REFERENCE = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "neg": lambda a: -a,
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sigmoid": lambda a: 1 / (1 + math.exp(-a)),
    "relu": lambda a: max(a, 0.0),
    "sqrt": math.sqrt,
    "step": lambda a: float(a > 0),
}


def test_every_op_has_a_reference():
    assert set(REFERENCE) == set(OPS)


def samples(op, n=25, seed=0):
    rng = random.Random(f"{op.name}-{seed}")
    for _ in range(n):
        args = [rng.uniform(lo, hi) for lo, hi in op.domain]
        # relu and step have a kink at 0: keep finite differences off it.
        if op.name in ("relu", "step") and abs(args[0]) < 1e-3:
            continue
        yield args


@pytest.mark.parametrize("name", sorted(OPS))
def test_value_matches_math(name):
    op = OPS[name]
    assert len(op.domain) == op.arity
    for args in samples(op):
        expected = REFERENCE[name](*args)
        assert op.value(FLOAT, *args) == pytest.approx(expected, rel=1e-14, abs=1e-15)
        node = apply(op, *[symgrad.Var(a) for a in args])
        assert node.value == pytest.approx(expected, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("name", sorted(OPS))
def test_partials_match_finite_differences(name):
    op = OPS[name]
    for args in samples(op):
        out = op.value(FLOAT, *args)
        for i, rule in enumerate(op.partials):
            def f(t, i=i, args=args):
                moved = list(args)
                moved[i] = t
                return REFERENCE[name](*moved)

            h = 1e-6 * max(1.0, abs(args[i]))
            numeric = (f(args[i] + h) - f(args[i] - h)) / (2 * h)
            assert rule(FLOAT, out, *args) == pytest.approx(numeric, rel=1e-6, abs=1e-7), (
                name, i, args)


@pytest.mark.parametrize("name", sorted(OPS))
def test_backprop_through_each_op_matches_gradcheck(name):
    op = OPS[name]
    for args in samples(op, n=5):
        leaves = [symgrad.Var(a, name=f"a{i}") for i, a in enumerate(args)]
        out = apply(op, *leaves)
        assert symgrad.gradcheck(out).ok


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.function))
def test_function_forms_agree(name):
    x = symgrad.Var(0.7, name="x")
    method = getattr(x, name, None)
    function = getattr(symgrad, name, None)
    if name == "step":  # internal: relu's derivative, not a user-facing function
        assert method is None
        return
    assert method().value == function(x).value == REFERENCE[name](0.7)
    assert function(0.7).value == REFERENCE[name](0.7)  # numbers become constants
