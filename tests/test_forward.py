"""Forward mode (symgrad.forward) against reverse mode (symgrad.grad)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import symgrad
from symgrad import Var
from symgrad.errors import DomainError, InputError
from symgrad.forward import forward_grad, tangents
from symgrad.graph import local_partial, nodes
from symgrad.ops import CONST, OPS
from symgrad.var import apply, constant


def _scale(out: Var, wrt: Var) -> float:
    """Σ over paths of |product|: how big rounding in either mode's sum can be."""
    t: dict[Var, float] = {}
    for v in nodes(out):
        if v is wrt:
            t[v] = 1.0
        elif v.op is None or v.op is CONST:
            t[v] = 0.0
        else:
            t[v] = sum(abs(local_partial(v, i)) * t[a] for i, a in enumerate(v.inputs) if t[a])
    return t[out]


def _agree(out: Var, wrt: Var) -> None:
    fwd, rev = forward_grad(out, wrt), symgrad.grad(out, wrt)
    tol = 1e-12 * max(abs(rev), _scale(out, wrt)) + 1e-300
    assert abs(fwd - rev) <= tol, (fwd, rev)


# -- hand examples ---------------------------------------------------------------------

def test_chain_rule_example() -> None:
    x = Var(2.0, name="x")
    z = (x**2 + 3) ** 2 + x
    t = tangents(z, x)
    assert t[z] == 57.0 == symgrad.grad(z, x)
    inner = z.inputs[0].inputs[0]  # x**2 + 3
    assert t[inner] == 4.0 and t[x] == 1.0
    assert all(t[c] == 0.0 for c in nodes(z) if c.op is CONST)


def test_several_inputs_and_list_result() -> None:
    x, y = Var(2.0, name="x"), Var(-1.5, name="y")
    f = symgrad.exp(x * y) + x / y - symgrad.sin(y) * x
    assert forward_grad(f, [x, y]) == pytest.approx(symgrad.grad(f, [x, y]), rel=1e-12)
    assert tangents(f, y)[x] == 0.0


def test_neuron() -> None:
    w0, w1, b = Var(0.3, name="w0"), Var(-0.7, name="w1"), Var(0.1, name="b")
    out = (w0 * 1.0 + w1 * 0.5 + b).sigmoid()
    for p in (w0, w1, b):
        _agree(out, p)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op(name: str) -> None:
    op = OPS[name]
    args = [Var((lo + hi) / 2 + 0.137, name=f"a{i}") for i, (lo, hi) in enumerate(op.domain)]
    out = apply(op, *args)
    for i, a in enumerate(args):
        assert tangents(out, a)[out] == pytest.approx(local_partial(out, i), rel=1e-12)
        _agree(out, a)


def test_inner_node_is_seeded_and_its_inputs_ignored() -> None:
    x = Var(2.0, name="x")
    h = x * x            # the wrt: an inner node
    f = h * 3 + x        # x reaches f both through h and directly
    t = tangents(f, h)
    assert t[h] == 1.0 and t[x] == 0.0 and t[f] == 3.0
    assert forward_grad(f, h) == symgrad.grad(f, h) == 3.0


def test_var_outside_the_graph_and_constant_give_zero() -> None:
    x, other = Var(2.0, name="x"), Var(1.0, name="other")
    f = x * 2
    assert forward_grad(f, other) == 0.0 == symgrad.grad(f, other)
    c = f.inputs[1]
    assert c.op is CONST and forward_grad(f, c) == 0.0


def test_bad_arguments() -> None:
    x = Var(1.0, name="x")
    with pytest.raises(InputError, match="output"):
        tangents(3.0, x)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="wrt"):
        tangents(x * x, "x")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="wrt"):
        forward_grad(x * x, "x")  # type: ignore[call-overload]
    with pytest.raises(InputError, match="each wrt"):
        forward_grad(x * x, [x, 2.0])  # type: ignore[list-item]


# -- errors and skipped edges ------------------------------------------------------------

def test_undefined_partial_on_the_path_raises_domain_error() -> None:
    x = Var(2.0, name="x")
    f = symgrad.sqrt(x - 2)  # sqrt at 0: its derivative 1/(2√a) is infinite
    with pytest.raises(DomainError, match=r"local derivative of sqrt\(0\.0\)"):
        tangents(f, x)


def test_non_finite_partial_raises_domain_error() -> None:
    a, b = Var(1e10, name="a"), Var(1e-160, name="b")
    with pytest.raises(DomainError, match=r"div\(a=10000000000\.0, b=1e-160\)"):
        forward_grad(a / b, b)  # −a/b² overflows to −inf without an exception


def test_undefined_partial_off_the_path_is_never_evaluated() -> None:
    x, c = Var(2.0, name="x"), Var(0.0, name="c")
    f = x * 3 + symgrad.sqrt(c)  # d sqrt/dc is undefined at c = 0, but f's x-branch is fine
    with pytest.raises(DomainError):
        symgrad.grad(f, x)  # reverse mode evaluates every partial, so it must fail here
    assert forward_grad(f, x) == 3.0  # forward mode never touches the sqrt edge
    with pytest.raises(DomainError, match="sqrt"):
        forward_grad(f, c)


def test_deep_chain_is_iterative() -> None:
    x = Var(0.5, name="x")
    y = x
    n = 100_000
    for _ in range(n):
        y = y * 1.00001 + 0.001
    assert forward_grad(y, x) == pytest.approx(1.00001**n, rel=1e-9)
    _agree(y, x)


# -- random DAGs with shared subexpressions, over the whole op table ---------------------

_NAMES = sorted(OPS)


@st.composite
def dags(draw: st.DrawFn) -> tuple[Var, list[Var], list[Var]]:
    """A random graph: leaves, op nodes picking earlier nodes (so sharing is common) when
    their value lies in the op's domain, else a fresh leaf or constant from the domain."""
    value = lambda lo, hi: draw(st.floats(lo, hi, allow_nan=False))
    leaves = [Var(value(-2.5, 2.5), name=f"x{i}") for i in range(draw(st.integers(1, 4)))]
    pool: list[Var] = list(leaves)
    used: set[Var] = set()
    for _ in range(draw(st.integers(1, 14))):
        op = OPS[draw(st.sampled_from(_NAMES))]
        args: list[Var] = []
        for lo, hi in op.domain:
            pick = pool[draw(st.integers(0, len(pool) - 1))]
            if lo <= pick.value <= hi:
                args.append(pick)
            elif draw(st.booleans()):
                args.append(constant(value(lo, hi)))
            else:
                leaves.append(Var(value(lo, hi), name=f"x{len(leaves)}"))
                args.append(leaves[-1])
        node = apply(op, *args)
        used.update(args)
        pool.append(node)
    inner = [v for v in pool if v.op is not None]
    top = [v for v in pool if v not in used] or pool[-1:]
    out = top[0]
    for v in top[1:]:
        out = out + v
    return out, leaves, inner


@given(dags(), st.data())
def test_forward_equals_reverse_on_random_dags(dag: tuple[Var, list[Var], list[Var]],
                                              data: st.DataObject) -> None:
    out, leaves, inner = dag
    graph = set(nodes(out))
    for x in leaves:
        _agree(out, x)
    assert forward_grad(out, leaves) == pytest.approx(symgrad.grad(out, leaves), rel=1e-9,
                                                      abs=1e-9)
    v = data.draw(st.sampled_from(inner))
    if v in graph:
        _agree(out, v)
        t = tangents(out, v)
        assert set(t) == graph and t[v] == 1.0
        assert all(math.isfinite(val) for val in t.values())
