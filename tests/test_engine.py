"""The engine: Var construction, operators, backprop, paths, re-evaluation, errors."""

import math

import pytest

import symgrad
import symgrad.pathsum
from symgrad import Var
from symgrad.errors import (
    DomainError,
    GradientMismatchError,
    InputError,
    PathLimitError,
    SymgradError,
)
from symgrad.ops import Op
from symgrad.var import apply


@pytest.fixture
def xy():
    return Var(2.0, name="x"), Var(1.0, name="y")


# -- building ----------------------------------------------------------------------------

def test_chain_rule_example(xy):
    x, y = xy
    z = (x**2 + 3) ** 2 + y
    assert z.value == 50.0
    z.backward()
    assert (x.grad, y.grad) == (56.0, 1.0)


@pytest.mark.parametrize(("build", "value"), [
    (lambda x: 2 + x, 5.0), (lambda x: x + 2, 5.0),
    (lambda x: 2 - x, -1.0), (lambda x: x - 2, 1.0),
    (lambda x: 2 * x, 6.0), (lambda x: x * 2, 6.0),
    (lambda x: 1 / x, 1 / 3), (lambda x: x / 2, 1.5),
    (lambda x: 2**x, 8.0), (lambda x: x**2, 9.0),
    (lambda x: x**x, 27.0), (lambda x: -x, -3.0), (lambda x: +x, 3.0),
])
def test_operators_and_reflected_forms(build, value):
    x = Var(3.0, name="x")
    out = build(x)
    assert out.value == pytest.approx(value)
    assert symgrad.gradcheck(out).ok


def test_in_place_forms_build_new_nodes():
    x = Var(3.0, name="x")
    c = x
    c += 1
    c *= x
    c -= 2
    c /= 2
    c **= 2
    assert c is not x and x.value == 3.0
    assert c.value == ((3 + 1) * 3 - 2) / 2 / 1 * ((3 + 1) * 3 - 2) / 2
    assert symgrad.grad(c, x) == pytest.approx(2 * 5 * (2 * 3 + 1) / 2)


def test_inputs_are_ordered_tuples_and_x_times_x_has_two_edges():
    x = Var(3.0, name="x")
    y = x * x
    assert y.inputs == (x, x)
    assert symgrad.count_paths(y, x) == 2
    assert symgrad.grad(y, x) == 6.0


def test_plain_numbers_become_constants_and_get_no_gradient():
    x = Var(3.0, name="x")
    y = 2 * x
    const = y.inputs[0]
    assert const.is_constant and not const.is_leaf and const.value == 2.0
    y.backward()
    assert const.grad == 0.0
    assert symgrad.leaves(y) == [x]
    assert symgrad.constant(2.5).is_constant


def test_names_and_identity():
    a, b = Var(1.0), Var(1.0)
    assert a.name != b.name and a.name.startswith("v")
    assert a != b and a == a and len({a, b}) == 2  # hashable by identity
    assert Var(1.0, name="w").name == "w"
    assert "x" in repr(Var(1.0, name="x"))


@pytest.mark.parametrize("bad", ["2", None, 1 + 2j, float("nan"), float("inf"), True, [1]])
def test_bad_values_are_input_errors(bad):
    with pytest.raises(InputError, match="Var's value"):
        Var(bad)


def test_bad_operands_are_input_errors():
    x = Var(1.0, name="x")
    with pytest.raises(InputError, match="constant"):
        x + "a"
    with pytest.raises(InputError, match="name"):
        Var(1.0, name=3)


# -- domain policy: a clear error, never a silent nan/inf ---------------------------------

@pytest.mark.parametrize(("build", "message"), [
    (lambda x: symgrad.log(x - 2), "log.*positive"),
    (lambda x: symgrad.log(-x), "log"),
    (lambda x: x / (x - 2), "div.*nonzero"),
    (lambda x: symgrad.sqrt(-x), "sqrt"),
    (lambda x: (-x) ** 0.5, "pow"),
    (lambda x: symgrad.exp(x * 1000), "exp"),
    (lambda x: (x * 1e200) * 1e200, "not finite"),
])
def test_domain_errors_name_the_op(build, message):
    x = Var(2.0, name="x")
    with pytest.raises(DomainError, match=message):
        build(x)


def test_undefined_local_derivative_is_a_domain_error():
    x = Var(0.0, name="x")
    s = symgrad.sqrt(x)  # defined at 0, its derivative is not
    with pytest.raises(DomainError, match="local derivative of sqrt"):
        s.backward()
    n = Var(2.0, name="n")
    with pytest.raises(DomainError, match="pow"):
        symgrad.grad(Var(-1.0, name="q") ** n, n)
    # ... but differentiating by the base alone never touches log(base).
    q = Var(-1.0, name="q")
    assert symgrad.grad(q**2, q) == -2.0


def test_errors_are_symgrad_errors_and_builtin_ones():
    assert issubclass(DomainError, SymgradError) and issubclass(DomainError, ArithmeticError)
    assert issubclass(InputError, ValueError)
    assert issubclass(GradientMismatchError, AssertionError)


# -- backward semantics ----------------------------------------------------------------------

def test_second_backward_accumulates_exactly_twice(xy):
    x, y = xy
    mid = x**2 + 3
    z = mid**2 + y
    z.backward()
    first = {v: v.grad for v in symgrad.nodes(z)}
    z.backward()
    for v in symgrad.nodes(z):
        assert v.grad == 2 * first[v]
    symgrad.zero_grad(z)
    assert all(v.grad == 0.0 for v in symgrad.nodes(z))
    z.backward()
    assert mid.grad == 2 * mid.value and x.grad == 56.0


def test_grad_does_not_touch_dot_grad(xy):
    x, y = xy
    z = x * y + x
    assert symgrad.grad(z, [x, y]) == [2.0, 2.0]
    assert x.grad == y.grad == 0.0
    assert symgrad.grad(z, Var(5.0)) == 0.0  # independent of z


def test_grad_of_intermediate_node(xy):
    x, _ = xy
    mid = x**2
    z = mid * 3 + mid
    assert symgrad.grad(z, mid) == 4.0


@pytest.mark.parametrize(("f", "d1", "d2"), [
    (lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x),
    (lambda x: symgrad.sin(x) * x, lambda x: math.cos(x) * x + math.sin(x),
     lambda x: -math.sin(x) * x + 2 * math.cos(x)),
    (lambda x: symgrad.tanh(x), lambda x: 1 - math.tanh(x) ** 2,
     lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    (lambda x: symgrad.sigmoid(x), lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s),
     lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s)),
    (lambda x: symgrad.relu(x) * x, lambda x: 2 * x if x > 0 else 0.0,
     lambda x: 2.0 if x > 0 else 0.0),
])
def test_create_graph_gives_higher_derivatives(f, d1, d2):
    for value in (0.7, -1.3):
        x = Var(value, name="x")
        first = symgrad.grad(f(x), x, create_graph=True)
        assert isinstance(first, Var)
        assert first.value == pytest.approx(d1(value), rel=1e-12)
        assert symgrad.grad(first, x) == pytest.approx(d2(value), rel=1e-12, abs=1e-15)
        third = symgrad.grad(symgrad.grad(first, x, create_graph=True), x)
        assert third == pytest.approx(symgrad.numeric_grad(
            symgrad.grad(first, x, create_graph=True), x), rel=1e-5, abs=1e-6)


def test_create_graph_mixed_partials():
    x, y = Var(1.5, name="x"), Var(-0.5, name="y")
    f = x**2 * y**3
    dfdx = symgrad.grad(f, x, create_graph=True)  # 2xy³
    assert symgrad.grad(dfdx, y) == pytest.approx(2 * 1.5 * 3 * 0.25)  # 6xy²


# -- no recursion on depth, no quadratic step on width -------------------------------------

def test_chain_a_million_ops_deep():
    x = Var(0.5, name="x")
    c = symgrad.constant(0.999999)
    y = x
    for _ in range(1_000_000):
        y = y * c
    assert symgrad.count_paths(y, x) == 1
    y.backward()
    assert x.grad == pytest.approx(0.999999**1_000_000, rel=1e-9)
    assert symgrad.leaves(y) == [x]
    assert len(symgrad.nodes(y)) == 1_000_002
    assert symgrad.evaluate(y) == y.value
    assert symgrad.numeric_grad(y, x) == pytest.approx(x.grad, rel=1e-6)


def test_node_with_a_hundred_thousand_consumers():
    x = Var(0.1, name="x")
    total = x * 0
    for i in range(100_000):
        total = total + x * (i % 7)
    assert symgrad.grad(total, x) == sum(i % 7 for i in range(100_000))
    assert symgrad.count_paths(total, x) == 100_001


# -- paths ---------------------------------------------------------------------------------

def test_paths_sum_to_the_gradient():
    x = Var(2.0, name="x")
    z = (x**2 + 3) ** 2 + x
    found = symgrad.paths(z, x)
    assert [p.product for p in found] == [56.0, 1.0]
    assert found[0].factors == (1.0, 14.0, 1.0, 4.0)
    assert found[0].nodes[0] is z and found[0].nodes[-1] is x
    assert len(found[0].positions) == len(found[0].factors) == len(found[0].nodes) - 1
    assert sum(p.product for p in found) == symgrad.grad(z, x) == 57.0
    assert str(found[0]) == "1 · 14 · 1 · 4 = 56"


def test_x_times_x_paths_are_told_apart_by_position():
    x = Var(3.0, name="x")
    found = symgrad.paths(x * x, x)
    assert [p.positions for p in found] == [(0,), (1,)]
    assert [p.product for p in found] == [3.0, 3.0]


def test_paths_to_an_unrelated_var_and_to_itself():
    x, y = Var(1.0, name="x"), Var(2.0, name="y")
    assert symgrad.paths(x * 2, y) == []
    (only,) = symgrad.paths(x, x)
    assert only.product == 1.0 and only.factors == ()


def test_astronomical_path_counts_refuse_at_once(monkeypatch):
    x = Var(1.0, name="x")
    y = x
    for _ in range(80):
        y = y * y
    assert symgrad.count_paths(y, x) == 2**80

    def no_enumeration(node, i):
        raise AssertionError("paths() started enumerating instead of refusing")

    with monkeypatch.context() as m:
        m.setattr(symgrad.pathsum, "local_partial", no_enumeration)
        with pytest.raises(PathLimitError, match=str(2**80)):
            symgrad.paths(y, x)
    small = x * x * x
    assert len(symgrad.paths(small, x, limit=3)) == 3
    with pytest.raises(PathLimitError, match="the limit of 2"):
        symgrad.paths(small, x, limit=2)
    with pytest.raises(InputError):
        symgrad.paths(small, x, limit=-1)


# -- graph utilities -------------------------------------------------------------------------

def test_leaves_and_nodes_orders(xy):
    x, y = xy
    z = y * (x + y)
    assert symgrad.leaves(z) == [y, x]
    order = symgrad.nodes(z)
    assert order[-1] is z
    seen = set()
    for node in order:
        assert all(i in seen for i in node.inputs)
        seen.add(node)


def test_evaluate_with_new_leaf_values(xy):
    x, y = xy
    z = (x**2 + 3) ** 2 + y
    x.value, y.value = 1.0, 0.0
    assert symgrad.evaluate(z) == 16.0
    assert z.value == 16.0
    w = symgrad.log(x + 1)
    x.value = -1.0
    with pytest.raises(DomainError, match="log"):
        symgrad.evaluate(w)


def test_non_var_arguments_are_input_errors():
    with pytest.raises(InputError, match=r"symgrad\.Var"):
        symgrad.grad(3.0, Var(1.0))
    with pytest.raises(InputError, match="wrt"):
        symgrad.grad(Var(1.0), [Var(1.0), 2])
    with pytest.raises(InputError):
        symgrad.leaves("x")


# -- finite differences ----------------------------------------------------------------------

@pytest.mark.parametrize(("method", "rel"), [
    ("forward", 1e-6), ("backward", 1e-6), ("central", 1e-9), ("richardson", 1e-11),
])
def test_numeric_grad_methods(method, rel, xy):
    x, y = xy
    z = symgrad.exp(x / 3) * symgrad.sin(y) + x**3
    exact = symgrad.grad(z, x)
    before = [v.value for v in symgrad.nodes(z)]
    assert symgrad.numeric_grad(z, x, method=method) == pytest.approx(exact, rel=rel)
    assert [v.value for v in symgrad.nodes(z)] == before  # everything restored


def test_numeric_grad_restores_values_after_a_failure():
    x = Var(1e-7, name="x")
    z = symgrad.log(x)
    with pytest.raises(DomainError):
        symgrad.numeric_grad(z, x, h=1.0)
    assert x.value == 1e-7 and z.value == math.log(1e-7)


def test_numeric_grad_bad_arguments(xy):
    x, y = xy
    z = x * y
    with pytest.raises(InputError, match="unknown finite-difference method"):
        symgrad.numeric_grad(z, x, method="sideways")
    with pytest.raises(InputError, match="step h"):
        symgrad.numeric_grad(z, x, h=0)
    with pytest.raises(InputError, match="input Var"):
        symgrad.numeric_grad(z, z.inputs[0] * 1)
    assert symgrad.numeric_grad(z, Var(1.0)) == 0.0


def test_step_size_trade_off_is_visible(xy):
    """Too large a step: truncation error; too small: rounding error."""
    x, _ = xy
    z = symgrad.exp(x)
    exact = symgrad.grad(z, x)
    errors = {h: abs(symgrad.numeric_grad(z, x, h=h, method="forward") - exact)
              for h in (1e-1, 1e-8, 1e-14)}
    assert errors[1e-8] < errors[1e-1] and errors[1e-8] < errors[1e-14]


def test_gradcheck_report(xy):
    x, y = xy
    report = symgrad.gradcheck(x * y + symgrad.tanh(x))
    assert report.ok and [r.name for r in report.rows] == ["x", "y"]
    text = str(report)
    assert "backprop" in text and "numeric" in text and "all gradients agree" in text
    assert all(r.tolerance > 0 and r.abs_error <= r.tolerance for r in report.rows)


def test_gradcheck_catches_a_wrong_rule():
    wrong = Op("square", "²", lambda m, a: a * a, (lambda m, out, a: 3 * a,),
               domain=((-1, 1),))
    x = Var(0.5, name="x")
    with pytest.raises(GradientMismatchError, match="MISMATCH") as info:
        symgrad.gradcheck(apply(wrong, x))
    assert "x" in str(info.value)
    report = symgrad.gradcheck(apply(wrong, x), raise_on_failure=False)
    assert not report.ok and report.rows[0].backprop == 1.5
    assert report.rows[0].numeric == pytest.approx(1.0)


# -- the engine's working slot ---------------------------------------------------------------

def test_ops_with_constant_partials_are_found_by_probing_their_rules():
    from symgrad.ops import OPS
    assert OPS["add"].constant_partials == (1, 1)
    assert OPS["sub"].constant_partials == (1, -1)
    assert OPS["neg"].constant_partials == (-1,)
    assert OPS["mul"].constant_partials is None  # its partials are its arguments
    assert OPS["exp"].constant_partials is None  # its partial is its output
    assert OPS["step"].constant_partials is None  # its rule calls the namespace
    twice = Op("twice", "2·", lambda m, a: 2 * a, (lambda m, out, a: 2,))
    x = Var(1.5, name="x")
    y = apply(twice, apply(twice, x) * x)
    assert twice.constant_partials == (2,)
    assert symgrad.grad(y, x) == 8 * 1.5  # d(4x²)/dx, multiplied by the constant 2s


def test_a_part_of_a_graph_is_differentiated_as_a_cut():
    """``adjoints(out, order=part)``: nodes the part uses from outside receive adjoints
    but pass none on, whatever an earlier pass left in their working slots."""
    from symgrad.backprop import adjoints
    x, y = Var(2.0, name="x"), Var(3.0, name="y")
    h = x * y
    out = h.sin() * h
    symgrad.grad(out, [x, y])  # leaves adjoints in every node's slot
    part = [n for n in symgrad.nodes(out) if n is not h and n.op is not None]
    adj = adjoints(out, order=part)
    assert set(adj) == {h, *part}
    assert adj[h] == pytest.approx(math.cos(6.0) * 6.0 + math.sin(6.0))
    assert x not in adj and y not in adj


def test_grad_is_right_while_other_threads_differentiate_the_same_graph():
    """The reverse pass and the walk use a working slot on each node; a lock keeps two
    threads from sharing it (without it this fails: the sums interleave)."""
    import sys
    import threading

    xs = [Var(0.01 * k, name=f"x{k}") for k in range(200)]
    out = xs[0]
    for k in range(6000):
        out = (out * xs[k % 200] + xs[(k * 7) % 200]).tanh()
    expected = symgrad.grad(out, xs)
    wrong: list[str] = []
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        def work() -> None:
            for _ in range(6):
                try:
                    if symgrad.grad(out, xs) != expected:
                        wrong.append("a different gradient")
                    out.backward()
                except Exception as exc:  # a pass that read another's working slot
                    wrong.append(repr(exc))
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert not wrong
    assert xs[3].grad == pytest.approx(24 * expected[3], rel=1e-12)  # 4 threads x 6 backwards


def test_a_node_is_one_object_with_its_inputs_in_slots():
    import gc
    x = Var(2.0, name="x")
    y = x * 3
    assert not hasattr(y, "__dict__")
    assert y.inputs == (x, y._b) and y._b.is_constant and x.inputs == ()
    assert gc.get_referents(y).count(x) == 1  # x directly, not through a tuple
    assert not any(type(r) is tuple for r in gc.get_referents(y))
