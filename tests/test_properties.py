"""Property-based tests: random expression DAGs with shared subexpressions.

Backprop must agree with central differences, and with an independent reference
implementation of reverse accumulation that visits the nodes in another valid order.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import symgrad
from symgrad import Var
from symgrad.ops import CONST, FLOAT

# Ops whose domain is all of R (or made safe below), so random graphs stay defined.
UNARY = ["sin", "cos", "tanh", "sigmoid", "neg", "exp_small", "square", "log1p_sq"]
BINARY = ["add", "sub", "mul", "div_safe", "pow_int"]


def apply_unary(name, a):
    if name == "exp_small":
        return symgrad.exp(symgrad.tanh(a))  # bounded, no overflow
    if name == "square":
        return a * a  # two edges to the same node
    if name == "log1p_sq":
        return symgrad.log(1 + a * a)
    if name == "neg":
        return -a
    return getattr(symgrad, name)(a)


def apply_binary(name, a, b):
    if name == "div_safe":
        return a / (1.5 + symgrad.sin(b))  # the divisor stays in [0.5, 2.5]
    if name == "pow_int":
        return symgrad.sigmoid(a) ** 2 + b  # pow with a positive base
    if name == "add":
        return a + b
    if name == "sub":
        return a - b
    return a * b


@st.composite
def dags(draw):
    """A random DAG: each new node picks its inputs among ALL earlier nodes (sharing)."""
    values = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=3))
    leaves = [Var(v, name=f"x{i}") for i, v in enumerate(values)]
    pool = list(leaves)
    for _ in range(draw(st.integers(1, 12))):
        pick = st.sampled_from(pool)
        if draw(st.booleans()):
            pool.append(apply_unary(draw(st.sampled_from(UNARY)), draw(pick)))
        else:
            pool.append(apply_binary(draw(st.sampled_from(BINARY)), draw(pick), draw(pick)))
    # Sum a few late nodes so that several of them share inputs with the output.
    out = pool[-1]
    for extra in draw(st.lists(st.sampled_from(pool), max_size=3)):
        out = out * 0.5 + extra
    return out, leaves


def reference_grads(out):
    """Reverse accumulation written independently: visit nodes in reversed topo order."""
    adj = {node: 0.0 for node in symgrad.nodes(out)}
    adj[out] = 1.0
    for node in reversed(symgrad.nodes(out)):
        if node.op is None or node.op is CONST:
            continue
        args = [a.value for a in node.inputs]
        for i, child in enumerate(node.inputs):
            adj[child] += node.op.partials[i](FLOAT, node.value, *args) * adj[node]
    return adj


@given(dags())
def test_backprop_matches_central_differences(dag):
    out, leaves = dag
    exact = symgrad.grad(out, leaves)
    for leaf, g in zip(leaves, exact, strict=True):
        numeric = symgrad.numeric_grad(out, leaf, method="richardson")
        assert g == pytest.approx(numeric, rel=1e-6, abs=1e-7)


@given(dags())
def test_backprop_is_independent_of_visiting_order(dag):
    out, leaves = dag
    ref = reference_grads(out)
    exact = symgrad.grad(out, leaves)
    for leaf, g in zip(leaves, exact, strict=True):
        assert g == pytest.approx(ref.get(leaf, 0.0), rel=1e-12, abs=1e-12)


@given(dags())
def test_paths_sum_to_backprop(dag):
    out, leaves = dag
    for leaf in leaves:
        if symgrad.count_paths(out, leaf) > 2000:
            continue
        total = math.fsum(p.product for p in symgrad.paths(out, leaf))
        assert total == pytest.approx(symgrad.grad(out, leaf), rel=1e-9, abs=1e-9)
        assert len(symgrad.paths(out, leaf)) == symgrad.count_paths(out, leaf)


@given(dags())
def test_backward_equals_grad_and_wrt_order_does_not_matter(dag):
    out, leaves = dag
    forward = symgrad.grad(out, leaves)
    backward = symgrad.grad(out, leaves[::-1])[::-1]
    assert forward == backward
    symgrad.zero_grad(out)
    out.backward()
    assert [leaf.grad for leaf in leaves] == forward


@given(dags(), st.floats(-1.5, 1.5))
def test_re_evaluation_matches_a_fresh_build(dag, shift):
    out, leaves = dag
    before = out.value
    leaves[0].value += shift
    try:
        moved = symgrad.evaluate(out)
    except symgrad.errors.DomainError:
        return
    leaves[0].value -= shift
    assert symgrad.evaluate(out) == pytest.approx(before, rel=1e-12, abs=1e-12)
    assert math.isfinite(moved)
