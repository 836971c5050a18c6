"""Folding (symgrad.fold): scopes as one node, composite derivatives, folded paths.

The folded chain rule is checked on random scoped DAGs (hypothesis) and on nn models:
the products of the folded paths sum to the gradient.  Composite derivatives are
checked against an independent rebuild of each scope's subgraph on fresh input Vars.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import symgrad
from symgrad import Var, nn, scope
from symgrad.analysis import Analysis
from symgrad.errors import InputError
from symgrad.fold import Folding, check_fold, folded_scope
from symgrad.ops import CONST
from symgrad.var import apply, constant

UNARY = ["sin", "tanh", "sigmoid", "neg", "square"]
BINARY = ["add", "sub", "mul"]
SCOPES = ["", "s0", "s0/neuron1", "s0/neuron1/t", "s2", "neuron3", "s2/neuron0"]


def unary(name: str, a: Var) -> Var:
    if name == "square":
        return a * a
    if name == "neg":
        return -a
    return getattr(symgrad, name)(a)


def binary(name: str, a: Var, b: Var) -> Var:
    if name == "add":
        return a + b
    return a - b if name == "sub" else a * b


def in_scope(path: str):
    """Enter the nested scopes of ``path`` ("" for none); returns the context stack."""
    import contextlib

    stack = contextlib.ExitStack()
    for part in [p for p in path.split("/") if p]:
        stack.enter_context(scope(part))
    return stack


@st.composite
def scoped_dags(draw):
    """A random DAG whose nodes are built in random (nested) scopes, sharing inputs."""
    values = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=3))
    leaves = []
    for i, v in enumerate(values):
        with in_scope(draw(st.sampled_from(SCOPES))):
            leaves.append(Var(v, name=f"x{i}"))
    pool = list(leaves)
    for _ in range(draw(st.integers(1, 14))):
        pick = st.sampled_from(pool)
        with in_scope(draw(st.sampled_from(SCOPES))):
            if draw(st.booleans()):
                pool.append(unary(draw(st.sampled_from(UNARY)), draw(pick)))
            else:
                pool.append(binary(draw(st.sampled_from(BINARY)), draw(pick), draw(pick)))
    out = pool[-1]
    for extra in draw(st.lists(st.sampled_from(pool), max_size=3)):
        with in_scope(draw(st.sampled_from(SCOPES))):
            out = out * 0.5 + extra
    folds = ["neurons", 1, 2, ["s0"], ["s0/neuron1", "s2"], ["neuron3", "s0/neuron1/t"]]
    return out, leaves, draw(st.sampled_from(folds))


def folds_something(out: Var, fold) -> bool:
    try:
        Folding(out, fold)
    except InputError:
        return False
    return True


def close(total: float, g: float, terms: list[float]) -> bool:
    """Equal to rounding: relative 1e-12 of the larger of the result and its terms."""
    scale = max([abs(g), abs(total), *map(abs, terms)], default=0.0)
    return abs(total - g) <= 1e-12 * max(scale, 1e-300) or total == g


def rebuilt(folding: Folding, port: Var) -> tuple[Var, dict[Var, Var]]:
    """The scope's subgraph under ``port`` rebuilt on fresh leaves, one per group input:
    an independent graph whose gradient is the composite derivative."""
    order, inputs = folding.inner(port)
    fresh = {u: constant(u.value) if u.op is CONST else Var(u.value, name=f"in{k}")
             for k, u in enumerate(inputs)}
    copy: dict[Var, Var] = dict(fresh)
    for v in order:
        copy[v] = apply(v.op, *[copy[a] for a in v.inputs])
    return copy[port], fresh


@given(scoped_dags())
def test_folded_path_products_sum_to_the_gradient(dag) -> None:
    out, leaves, fold = dag
    if not folds_something(out, fold):
        return
    for x in leaves:
        found = symgrad.paths(out, x, fold=fold)
        products = [p.product for p in found]
        g = symgrad.grad(out, x)
        assert close(math.fsum(products), g, products), (fold, x.name, products, g)
        assert len(found) == Analysis(out).folding(fold).path_counts(x).get(out, 0)


@given(scoped_dags())
def test_composite_derivatives_are_backprop_inside_the_scope(dag) -> None:
    out, _, fold = dag
    if not folds_something(out, fold):
        return
    folding = Folding(out, fold)
    for group in folding.groups:
        assert group.outputs, group
        for port in group.outputs:
            copy, fresh = rebuilt(folding, port)
            assert math.isclose(copy.value, port.value, rel_tol=1e-12, abs_tol=1e-300)
            jac = folding.jacobian(port)
            assert set(jac) == {u for u in folding.inner(port)[1] if u.op is not CONST}
            for u, d in jac.items():
                expected = symgrad.grad(copy, fresh[u])
                assert math.isclose(d, expected, rel_tol=1e-12, abs_tol=1e-15), (u, d)


MODELS = [
    (lambda: nn.loss_graph(nn.MLP(2, [2, 1], seed=0), nn.XOR), "neurons"),
    (lambda: nn.loss_graph(nn.MLP(2, [2, 1], seed=0), nn.XOR), 1),
    (lambda: nn.loss_graph(nn.MLP(3, [4, 3, 1], activation="tanh", seed=1),
                           [([0.5, -1, 2], 1), ([1, 1, 0], 0)]), "neurons"),
    (lambda: nn.loss_graph(nn.MLP(2, [3, 2], activation=["relu", "linear"], seed=2),
                           [([0.3, -0.2], [1, 0])]), ["layer0", "layer1/neuron1"]),
    (lambda: nn.loss_graph(nn.Neuron(2, seed=3), nn.AND), "neurons"),
]


@pytest.mark.parametrize("make, fold", MODELS)
def test_models_folded_paths_sum_to_grad(make, fold) -> None:
    loss = make()
    an = Analysis(loss)
    for p in an.leaves:
        found = an.paths(p, fold=fold)
        products = [q.product for q in found]
        assert close(math.fsum(products), an.grad(p), products), p.name
        assert all(len(q.folded) == len(q.nodes) for q in found)
        if fold in ("neurons", 1):  # every parameter lives in a folded scope
            assert all(any(q.folded) for q in found)


def test_a_neuron_folds_into_one_node_per_scope_with_a_port_per_row() -> None:
    loss = nn.loss_graph(nn.MLP(2, [2, 1], seed=0), nn.XOR)
    folding = Folding(loss, "neurons")
    assert sorted(g.scope for g in folding.groups) == [
        "layer0/neuron0", "layer0/neuron1", "layer1/neuron0"]
    for g in folding.groups:
        assert len(g.outputs) == 4                         # one per row of XOR
        assert all(m.scope.startswith(g.scope) for m in g.members)
        assert not any(v.op is None for v in g.members)    # parameters stay inputs
    out_neuron = next(g for g in folding.groups if g.scope == "layer1/neuron0")
    hidden = [u for u in out_neuron.inputs if u.op is not None and u.op is not CONST]
    assert len(hidden) == 8 and all(folding.group_of[u].scope.startswith("layer0/")
                                    for u in hidden)


def test_a_neuron_composite_is_sigma_prime_times_the_weight() -> None:
    x = Var(0.7, name="x")
    with scope("neuron"):
        w, b = Var(-1.3, name="w"), Var(0.2, name="b")
        h = (w * x + b).sigmoid()
    folding = Folding(h * 3.0, "neurons")
    s = h.value
    assert folding.jacobian(h)[x] == pytest.approx(s * (1 - s) * w.value, rel=1e-15)
    assert folding.jacobian(h)[w] == pytest.approx(s * (1 - s) * x.value, rel=1e-15)
    assert folding.jacobian(h)[b] == pytest.approx(s * (1 - s), rel=1e-15)


def test_a_path_that_leaves_a_scope_and_comes_back() -> None:
    x = Var(0.4, name="x")
    with scope("neuron"):
        inner = (x * 2.0).tanh()
    outside = inner.sin()                       # leaves the scope ...
    with scope("neuron"):
        back = (outside * inner).sigmoid()      # ... and comes back into it
    out = back + x
    folding = Folding(out, "neurons")
    (group,) = folding.groups
    assert set(group.outputs) == {inner, back}   # inner is used outside: a port
    found = symgrad.paths(out, x, fold="neurons")
    assert math.isclose(sum(p.product for p in found), symgrad.grad(out, x), rel_tol=1e-12)
    assert any(p.folded.count("neuron") == 2 for p in found)


@pytest.mark.parametrize("fold, message", [
    ("layer0", r"fold='layer0' is not 'neurons'; to fold one scope pass a list"),
    (0, r"fold=0 is not a depth"),
    (True, r"fold must be 'neurons', a depth"),
    ([], r"fold=\[\] names no scope"),
    (["layer0/"], r"fold lists 'layer0/', which is not a scope name"),
    (2.5, r"fold must be 'neurons', a depth .* got float"),
])
def test_bad_fold_names_the_fix(fold, message) -> None:
    with pytest.raises(InputError, match=message):
        check_fold(fold)


def test_fold_matching_nothing_lists_the_scopes() -> None:
    loss = nn.loss_graph(nn.MLP(2, [2, 1], seed=0), nn.XOR)
    with pytest.raises(InputError, match=r"fold names 'layer7', not a scope of this graph "
                                         r"\(its scopes: layer0, layer0/neuron0"):
        Folding(loss, ["layer7"])
    with pytest.raises(InputError, match="fold=3 folds no scope of this graph"):
        Folding(loss, 3)
    x = Var(1.0, name="x")
    with pytest.raises(InputError, match="the graph has no scopes"):
        symgrad.paths(x * x, x, fold="neurons")


def test_wrt_inside_a_folded_scope_is_refused() -> None:
    x = Var(1.0, name="x")
    with scope("neuron"):
        mid = x * 2.0
        h = mid.tanh()
    with pytest.raises(InputError, match="inside the folded scope 'neuron'"):
        symgrad.paths(h + 1, mid, fold="neurons")


def test_folded_scope_is_the_outermost() -> None:
    assert folded_scope("a/neuron1/neuron2", "neurons") == "a/neuron1"
    assert folded_scope("a/b/c", ("a/b", "a/b/c")) == "a/b"
    assert folded_scope("a/b", 3) == ""


def test_deep_chain_in_one_scope_folds_without_recursion(watchdog) -> None:
    x = Var(0.5, name="x")
    with scope("neuron"):
        y = x
        for _ in range(50_000):
            y = y * 1.0 + 0.0
    with watchdog():
        found = symgrad.paths(y * 2.0, x, fold="neurons")
    assert len(found) == 1 and found[0].folded == ("", "neuron", "")
    assert found[0].product == pytest.approx(symgrad.grad(y * 2.0, x))
