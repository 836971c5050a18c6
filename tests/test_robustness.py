"""Regression tests for the defects an outside review found in the engine: wrong answers,
copies, overflow, huge numbers and all-or-nothing evaluation.  Each failed before its fix."""

import copy
import math
import pickle

import pytest

import symgrad
from symgrad import Var, grad, parse
from symgrad.errors import DomainError, InputError, PathLimitError


def inputs(out, *names):
    found = {v.name: v for v in symgrad.leaves(out)}
    return [found[n] for n in names]


# -- a partial that cannot reach any input is never evaluated ------------------------------

@pytest.mark.parametrize(("text", "at", "wrt", "expected"), [
    ("x + (-0.5)**(1 + 1)", {"x": 1}, "x", 1.0),
    ("(x - 3)**2**3", {"x": 1}, "x", -1024.0),          # d/dx (x-3)**8 at 1 = 8·(−2)**7
    ("a*b + b**(2 + 3)", {"a": 0.7, "b": -1.5}, "b", 0.7 + 5 * (-1.5) ** 4),
])
def test_constant_valued_exponents_need_no_log_of_the_base(text, at, wrt, expected):
    out = parse(text, **at)
    (v,) = inputs(out, wrt)
    assert grad(out, v) == pytest.approx(expected, rel=1e-14)
    assert grad(out, v, mode="forward") == pytest.approx(expected, rel=1e-14)
    out.backward()
    assert v.grad == pytest.approx(expected, rel=1e-14)
    # the same through create_graph and symbolic backprop
    assert grad(out, v, create_graph=True).value == pytest.approx(expected, rel=1e-14)
    d = symgrad.derivative(out, wrt)
    assert float(d.subs({s: at[s.name] for s in d.free_symbols})) == pytest.approx(
        expected, rel=1e-12)


def test_second_derivative_through_a_constant_exponent():
    out = parse("a*b + b**(2 + 3)", a=0.7, b=-1.5)
    (b,) = inputs(out, "b")
    assert grad(grad(out, b, create_graph=True), b) == pytest.approx(20 * (-1.5) ** 3)


def test_a_needed_undefined_partial_still_raises():
    x = Var(-2.0, name="x")
    with pytest.raises(DomainError, match="local derivative of pow"):
        grad(2 ** x + (-0.5) ** x * 0 + x ** x, x)


# -- the power rule at 0 -----------------------------------------------------------------

def test_power_rule_with_exponent_zero_at_zero():
    x = Var(0.0, name="x")
    assert grad(x**0, x) == 0.0
    assert grad(x**0, x, mode="forward") == 0.0


def test_third_derivative_of_a_square_at_zero_is_zero():
    x = Var(0.0, name="x")
    g1 = grad(x**2, x, create_graph=True)
    g2 = grad(g1, x, create_graph=True)
    assert (g1.value, g2.value, grad(g2, x)) == (0.0, 2.0, 0.0)


# -- copies and pickles are exact -----------------------------------------------------------

def chain_rule():
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    return (x**2 + 3) ** 2 + y


@pytest.mark.parametrize("duplicate", [copy.deepcopy,
                                       lambda z: pickle.loads(pickle.dumps(z)),
                                       copy.copy], ids=["deepcopy", "pickle", "copy"])
def test_copies_of_a_graph_compute_exactly_as_the_original(duplicate):
    z = chain_rule()
    c = duplicate(z)
    assert symgrad.evaluate(c) == 50.0
    assert str(symgrad.to_sympy(c)) == "y + (x**2 + 3)**2"
    assert grad(c, symgrad.leaves(c)) == [56.0, 1.0]
    assert symgrad.draw(c).source == symgrad.draw(z).source


def test_a_deep_copy_shares_its_inputs_like_the_original_and_keeps_list_identity():
    z = chain_rule()
    x = symgrad.leaves(z)[0]
    zc, xc = copy.deepcopy([z, x])
    assert symgrad.leaves(zc)[0] is xc and xc is not x
    xc.value = 3.0
    assert symgrad.evaluate(zc) == 145.0 and symgrad.evaluate(z) == 50.0


def test_pickles_and_copies_work_at_any_depth():
    x = Var(1.0, name="x")
    y = x
    for _ in range(50_000):
        y = y * 1.0 + 0.0
    for c in (pickle.loads(pickle.dumps(y)), copy.deepcopy(y)):
        assert symgrad.evaluate(c) == 1.0 and grad(c, symgrad.leaves(c)[0]) == 1.0


# -- gradients obey the domain policy --------------------------------------------------------

def test_an_overflowing_gradient_raises_instead_of_returning_inf():
    x = Var(1.0, name="x")
    with pytest.raises(DomainError, match="overflows"):
        grad(10 * x**1e308, x)


def test_an_undefined_gradient_never_reaches_grad():
    x = Var(1.0, name="x")
    w = 10 * x**1e308 - 10 * x**1e308
    with pytest.raises(DomainError):
        w.backward()
    assert x.grad == 0.0 and all(math.isfinite(v.grad) for v in symgrad.nodes(w))


def test_an_overflowing_path_product_raises():
    x = Var(1.0, name="x")
    w = 10 * x**1e308 - 10 * x**1e308
    with pytest.raises(DomainError, match="path"):
        symgrad.paths(w, x)


# -- huge numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: Var(10**400), lambda: symgrad.constant(10**400),
                                  lambda: Var(1.0) ** 10**400, lambda: 10**400 * Var(1.0)])
def test_integers_beyond_floats_are_input_errors(make):
    with pytest.raises(InputError, match="401 digits"):
        make()


def test_more_paths_than_python_can_print_is_a_path_limit_error():
    x = Var(1.0, name="x")
    y = x
    for _ in range(15_000):  # 2**15000 paths: more than 10**4300
        y = y * y
    with pytest.raises(PathLimitError, match=r"about 2\.8e\+4515 paths"):
        symgrad.paths(y, x)
    assert symgrad.count_paths(y, x) == 2**15_000


# -- evaluate is all or nothing -------------------------------------------------------------

def test_evaluate_leaves_the_graph_as_it_was_when_it_fails():
    x = Var(2.0, name="x")
    a = x * 3
    b = (a - 5).log()
    out = a + b
    before = [v.value for v in symgrad.nodes(out)]
    x.value = 1.0                 # a = 3, then log(3 - 5) fails
    with pytest.raises(DomainError):
        symgrad.evaluate(out)
    assert [v.value for v in symgrad.nodes(out) if v is not x] == \
        [v for v, n in zip(before, symgrad.nodes(out), strict=True) if n is not x]
