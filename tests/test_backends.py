"""The symbolic backends: SymEngine gives the same derivatives as SymPy, the reference.

Both backends run the op table's rules; results come back as SymPy either way.  They
are held equal on every op of the table and on random DAGs: numerically at random
points (30-digit evaluation, to 1e-12) and, where it is cheap, symbolically.  The
tests that need SymEngine skip when it is not installed.
"""

import random

import pytest
import sympy
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import symgrad
from symgrad import Var
from symgrad.errors import DomainError, InputError, UnsupportedError
from symgrad.graph import leaves
from symgrad.ops import OPS
from symgrad.symbolic import Partials, derivative, gradient, path_terms, to_sympy, verify
from symgrad.symbolic import backend as backends
from symgrad.symbolic.compare import float_value
from symgrad.symbolic.lower import SYMENGINE_MAX_DEPTH, lower
from symgrad.symbolic.tidy import tree_size
from symgrad.var import apply

needs_symengine = pytest.mark.skipif(not backends.available(),
                                     reason="symengine is not installed")


def at(expr, point):
    """``expr`` at ``point`` (by symbol name), with 30-digit arithmetic."""
    subs = {s: sympy.Float(point[s.name], 30) for s in expr.free_symbols}
    z = complex(expr.evalf(30, subs=subs))
    assert abs(z.imag) <= 1e-20 * max(1.0, abs(z.real))
    return z.real


def symbolically_equal(a, b, positive=False):
    """``a == b`` proven by algebra: cancel after expanding and combining powers, or
    ``simplify`` on small differences.  None when the difference is too big to try.

    With ``positive`` the symbols are taken as positive reals (the DAGs' inputs are),
    so that ``sqrt(1/y) = 1/sqrt(y)`` and friends hold."""
    d = a - b
    if d == 0:
        return True
    if tree_size(d, 151) > 150:
        return None
    if positive:
        d = d.xreplace({s: sympy.Symbol(s.name, positive=True) for s in d.free_symbols})
    if sympy.cancel(sympy.powsimp(sympy.expand(d), force=True)) == 0:
        return True
    return sympy.simplify(d) == 0


def assert_same(a, b, points):
    assert isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)
    for p in points:
        assert at(a, p) == pytest.approx(at(b, p), rel=1e-12, abs=1e-15)
    assert symbolically_equal(a, b) in (True, None), (a, b)


def _points(op, count, seed):
    rng = random.Random(seed)
    for _ in range(count):
        yield {n: v + (0.5 if op.kinks and abs(v) < 0.1 else 0.0)
               for n, v in zip("ab", (rng.uniform(lo, hi) for lo, hi in op.domain),
                               strict=False)}


# -- the whole op table -----------------------------------------------------------------------

@needs_symengine
@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_is_the_same_on_both_backends(name):
    op = OPS[name]
    first, *others = _points(op, 4, seed=sum(map(ord, name)))
    args = [Var(v, name=n) for n, v in first.items()]
    node = apply(op, *args)
    engine = backends.resolve("symengine")
    # lowering: the op's SymEngine form comes back as its SymPy form
    (lowered,) = engine.to_sympy([lower(node, engine)[node]])
    assert_same(lowered, to_sympy(node), [first, *others])
    for leaf in args:
        for raw in (True, False):
            ours = derivative(node, leaf, raw=raw, backend="symengine")
            reference = derivative(node, leaf, raw=raw, backend="sympy")
            assert_same(ours, reference, [first, *others])
        assert symbolically_equal(ours, reference) is True
    g_se, g_sp = gradient(node, backend="symengine"), gradient(node, backend="sympy")
    assert list(g_se) == list(g_sp) == args
    assert g_se.backend == "symengine" and g_sp.backend == "sympy"
    assert all(type(e).__module__.startswith("symengine") for e in g_se.native.values())
    assert all(isinstance(e, sympy.Expr) for e in g_sp.native.values())
    assert gradient(node) == g_se  # auto is SymEngine, read the same way
    for leaf in args:
        assert_same(g_se[leaf], g_sp[leaf], [first])
        assert at(g_se[leaf], first) == pytest.approx(symgrad.grad(node, leaf), rel=1e-12,
                                                      abs=1e-15)
    # path terms too, when asked for explicitly
    for leaf in args:
        for a, b in zip(path_terms(node, leaf, backend="symengine"),
                        path_terms(node, leaf, backend="sympy"), strict=True):
            assert_same(a, b, [first])


# -- random DAGs ----------------------------------------------------------------------------------

@st.composite
def dags(draw):
    """A random DAG over x, y, z using every op of the table; nodes share inputs."""
    values = [draw(st.floats(0.2, 1.5)) for _ in range(3)]
    pool = [Var(v, name=n) for v, n in zip(values, "xyz", strict=True)]
    ops = sorted(OPS)
    try:
        for _ in range(draw(st.integers(1, 9))):
            op = OPS[draw(st.sampled_from(ops))]
            args = [draw(st.sampled_from(pool)) for _ in range(op.arity)]
            if op.arity == 2 and draw(st.booleans()):
                args[1] = symgrad.constant(draw(st.sampled_from([2, 3, 0.5, -1])))
            pool.append(apply(op, *args))
        out = pool[-1]
        for extra in draw(st.lists(st.sampled_from(pool), max_size=2)):
            out = out * extra if draw(st.booleans()) else out + extra
        symgrad.grad(out, leaves(out))  # numerically defined here
    except DomainError:
        reject()
    if abs(out.value) > 1e8 or any(v.op is not None and v.op.kinks and
                                   v.inputs[0].value in v.op.kinks for v in symgrad.nodes(out)):
        reject()
    return out


@needs_symengine
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(dags(), st.randoms(use_true_random=False))
def test_random_dags_are_the_same_on_both_backends(out, rng):
    expr = to_sympy(out)
    if expr.has(sympy.zoo, sympy.nan, sympy.oo):
        reject()  # e.g. 0**y: degenerate for either backend
    g_se, g_sp = gradient(out), gradient(out, backend="sympy")
    assert g_se.backend == "symengine"  # auto, on these shallow graphs
    assert list(g_se) == list(g_sp)
    # read lazily in a random order, the shared conversions give what converting each
    # partial on its own gives
    engine = backends.resolve("symengine")
    for leaf in rng.sample(list(g_se), len(g_se)):
        assert g_se[leaf] == engine.to_sympy([g_se.native[leaf]])[0]
    here = {v.name: v.value for v in leaves(out)}
    there = {n: v * rng.uniform(0.8, 1.2) for n, v in here.items()}
    for leaf, reference in g_sp.items():
        ours = g_se[leaf]
        assert at(ours, here) == pytest.approx(at(reference, here), rel=1e-12, abs=1e-15)
        try:
            expected = at(reference, there)
        except (AssertionError, TypeError):
            continue  # undefined at the second point
        assert at(ours, there) == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert symbolically_equal(ours, reference, positive=True) in (True, None), \
            (ours, reference)


# -- choosing a backend -----------------------------------------------------------------------

def example():
    x, y = Var(0.5, name="x"), Var(1.5, name="y")
    return (x * y).sigmoid() + x.relu() * y, x


@pytest.mark.parametrize("call", [
    lambda z, x: derivative(z, x, backend="maple"),
    lambda z, x: gradient(z, backend="maple"),
    lambda z, x: path_terms(z, x, backend="maple"),
    lambda z, x: verify(z, backend="maple"),
])
def test_an_unknown_backend_is_named(call):
    z, x = example()
    with pytest.raises(InputError, match=r"unknown backend='maple' \(must be one of 'auto', "
                                         r"'sympy', 'symengine'\)"):
        call(z, x)


def test_without_symengine_auto_is_sympy_and_symengine_is_refused(monkeypatch):
    monkeypatch.setitem(backends._CACHE, "symengine", None)
    assert not backends.available()
    assert backends.resolve("auto").name == "sympy"
    z, x = example()
    assert derivative(z, x) == derivative(z, x, backend="sympy")
    g = gradient(z)
    assert g.backend == "sympy" and g == gradient(z, backend="sympy")
    assert all(isinstance(e, sympy.Expr) for e in g.native.values())
    with pytest.raises(UnsupportedError, match=r"needs the symengine package.*pip install"):
        gradient(z, backend="symengine")
    assert verify(z).diff_by == "sympy.diff"


@needs_symengine
def test_auto_is_symengine_and_results_are_sympy():
    z, x = example()
    assert backends.resolve("auto").name == "symengine"
    for d in [derivative(z, x), *gradient(z).values(), *path_terms(z, x)]:
        assert isinstance(d, sympy.Expr)
        assert "symengine" not in type(d).__module__
    # relu's derivative is step, SymPy's Heaviside(a, 0), through SymEngine too
    assert derivative(z, x, raw=True).has(sympy.Heaviside)


def mlp_loss():
    """A small sigmoid MLP's loss: its partials share many subexpressions."""
    net = symgrad.nn.MLP(2, [3, 1], seed=0)
    return symgrad.nn.loss_graph(net, symgrad.nn.XOR), net.parameters()


@needs_symengine
def test_gradient_converts_to_sympy_only_what_is_read(monkeypatch):
    loss, params = mlp_loss()
    engine = backends.resolve("symengine")
    real = backends.Backend.to_sympy
    calls = []

    def counting(self, exprs, memo=None):
        calls.append((list(exprs), memo))
        return real(self, exprs, memo)

    def size(exprs):
        converted = {}
        real(engine, exprs, converted)
        return len(converted)

    monkeypatch.setattr(backends.Backend, "to_sympy", counting)
    g = gradient(loss)
    assert g.backend == "symengine"
    native = g.native
    assert list(g) == leaves(loss) and len(g) == len(params) == 13
    assert all(p in g and p.name in g for p in params)
    assert not calls  # len, iteration, `in` and .native convert nothing
    first = params[0]
    g[first]
    ((roots, memo),) = calls
    assert roots == [native[first]]
    assert len(memo) == size([native[first]]) < size(list(native.values()))
    before = len(memo)
    assert g[first.name] == g[first] and len(memo) == before  # read again: nothing new
    values = list(g.values())  # the rest, sharing the one memo
    assert all(m is memo for _, m in calls)
    assert len(memo) == size(list(native.values())) < sum(size([e]) for e in native.values())
    assert values == real(engine, list(native.values()))


@needs_symengine
def test_a_partial_sympy_cannot_hold_fails_when_read_and_only_then(monkeypatch):
    import symengine as se

    x, y = Var(0.5, name="x"), Var(1.5, name="y")
    z = (x * y).sin() + y
    g = gradient(z)
    sx = se.Symbol("x")
    undone = se.Function("f")(sx).diff(sx)  # a Derivative SymEngine left undone
    broken = Partials(backends.resolve("symengine"), {x: undone, y: g.native[y]})
    assert len(broken) == 2 and list(broken) == [x, y]
    with pytest.raises(UnsupportedError, match=r"cannot convert SymEngine's Derivative"):
        broken[x]
    assert broken[y] == g[y]  # the others stay readable
    with pytest.raises(UnsupportedError):
        str(broken)

    def too_deep(self, exprs, memo=None):
        raise RecursionError

    monkeypatch.setattr(backends.Backend, "to_sympy", too_deep)
    lazy = gradient(z)  # nothing converted yet: no error
    assert len(lazy) == 2
    with pytest.raises(UnsupportedError, match=r"recursion limit while converting to SymPy"):
        lazy[x]


@needs_symengine
def test_verify_uses_symengines_diff_and_sympy_where_symengine_cannot():
    x, y = Var(0.5, name="x"), Var(1.5, name="y")
    smooth = verify((x * y).sigmoid() + x.tanh(), backend="symengine")
    assert smooth.ok and smooth.diff_by == "symengine.diff"
    assert "symengine.diff" in str(smooth).splitlines()[0]
    # compared at points: SymPy's cancel is slow on SymEngine's forms
    assert {r.agreement for r in smooth.rows} <= {"identical", "equal at 4 random points"}
    kinked = verify((x * y).relu() + x, backend="symengine")  # max(0, x)' is undone
    assert kinked.ok and kinked.diff_by == "sympy.diff"
    # auto is SymPy for verify: its cancel proves the columns equal
    auto = verify((x * y).sigmoid() + x.tanh())
    assert auto.diff_by == "sympy.diff"
    assert {r.agreement for r in auto.rows} <= {"identical", "cancel(a - b) = 0"}


@needs_symengine
def test_graphs_too_deep_for_symengine_use_sympy():
    x = Var(0.5, name="x")
    z = x
    for _ in range(SYMENGINE_MAX_DEPTH + 1):
        z = z * x + 1  # deep, but no nested functions: SymPy is fine
    d = derivative(z, x, raw=True)
    assert float_value(d, {"x": 0.5}) == pytest.approx(symgrad.grad(z, x), rel=1e-9)
    with pytest.raises(UnsupportedError, match=r"levels deep.*backend='sympy'"):
        derivative(z, x, backend="symengine")
