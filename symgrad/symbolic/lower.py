"""Lowering graphs to SymPy or SymEngine: every node once, sums built n-ary.

Each node becomes an expression by its op's *value* rule run on a backend's namespace
(:mod:`~symgrad.symbolic.backend`), so shared subexpressions stay shared.  Two things
keep the work bounded:

* **Sums are built once.**  A chain of ``+``/``−`` nodes that each feed only the next
  one (``x0 + x1 + ... + x4999``) becomes ONE n-ary sum instead of nested binary ones;
  SymPy re-flattens a sum at every binary ``Add``, which made wide sums quadratic.
  Which ops are sums is read off the op table (constant partials, a linear value rule).
* **Depth is checked before any symbolic work.**  SymPy recurses once per level of
  nested functions and powers (``sin(sin(...))``, ``x**x**x...``), and the derivative
  of such a nest grows with its cube; :func:`check_depth` refuses nests deeper than
  :func:`nesting_limit` (a tenth of Python's recursion limit: 100 by default) with an
  :class:`~symgrad.errors.UnsupportedError` before SymPy starts.  Arithmetic chains
  (sums, products) are not limited: SymPy flattens them.  SymEngine recurses in C++,
  where a very deep expression crashes the process instead of raising, so it is used
  only on graphs at most :data:`SYMENGINE_MAX_DEPTH` levels deep.

>>> from symgrad import Var
>>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
>>> to_sympy((x**2 + 3)**2 - x + y)
-x + y + (x**2 + 3)**2
"""

from __future__ import annotations

import sys
from typing import Any, NamedTuple

import sympy

from ..errors import InputError, UnsupportedError
from ..graph import check_var, leaf_named, nodes
from ..ops import CONST, OPS, Op
from ..var import Var
from .backend import SYMPY, Backend, resolve

__all__ = ["SYMENGINE_MAX_DEPTH", "Lowered", "check_depth", "deep_error", "lower", "lowered",
           "nesting_limit", "resolve_target", "to_sympy"]

#: SymEngine is used on graphs at most this many levels deep (longest path from the
#: output to an input); deeper graphs use SymPy.  Its C++ recursion crashes the process
#: on expressions a few thousand levels deep on a 512 KB thread stack.
SYMENGINE_MAX_DEPTH = 200


def _linear(op: Op) -> tuple[int, ...] | None:
    """The constant coefficients ``c`` when ``op`` is the sum ``c0·a0 + c1·a1`` (its
    partials are those integers, whatever the arguments), else None."""
    try:
        coefficients = tuple(rule(SYMPY, None, *[None] * op.arity) for rule in op.partials)
        if not all(type(c) is int for c in coefficients):
            return None
        symbols = sympy.symbols(f"a0:{op.arity}")
        value = op.value(SYMPY, *symbols)
    except (TypeError, AttributeError, ValueError, ArithmeticError):
        return None
    linear = sum(c * s for c, s in zip(coefficients, symbols, strict=True))
    return coefficients if sympy.expand(value - linear) == 0 else None


def _nesting(op: Op) -> tuple[int, ...]:
    """Per argument, how many functions and powers the op's SymPy form wraps it in
    (``sigmoid``: ``1/(1 + exp(-a))`` is 2; ``a/b``: 0 for ``a``, 1 for ``b``)."""
    symbols = sympy.symbols(f"a0:{op.arity}")
    depth = [0] * op.arity
    stack = [(op.value(SYMPY, *symbols), 0)]
    while stack:
        e, d = stack.pop()
        if e in symbols:
            i = symbols.index(e)
            depth[i] = max(depth[i], d)
            continue
        d += 0 if e.is_Add or e.is_Mul else 1
        stack.extend((a, d) for a in e.args)
    return tuple(depth)


#: Ops that are sums, with their coefficients: +, − and negation in today's table.
LINEAR = {op: c for op in OPS.values() if (c := _linear(op)) is not None}
_NESTING = {op: _nesting(op) for op in OPS.values()}


def nesting_limit() -> int:
    """How deep functions and powers may nest for symbolic work (100 by default)."""
    return sys.getrecursionlimit() // 10


def check_depth(order: list[Var]) -> int:
    """The depth of the graph (``order`` from :func:`symgrad.nodes`), after checking that
    its functions and powers nest no deeper than :func:`nesting_limit`.

    Iterative, so any depth is measured.

    >>> from symgrad import Var
    >>> x = Var(0.5, name="x")
    >>> check_depth(nodes((x * 2 + 1).sin()))       # x, ×, +, sin
    3
    """
    depth: dict[Var, int] = {}
    nest: dict[Var, int] = {}
    limit = nesting_limit()
    for node in order:
        op = node.op
        if op is None or op is CONST:
            depth[node] = nest[node] = 0
            continue
        weights = _NESTING.get(op) or _NESTING.setdefault(op, _nesting(op))
        inputs = node.inputs
        if len(inputs) == 1:
            (a,) = inputs
            depth[node] = depth[a] + 1
            n = nest[a] + weights[0]
        else:
            a, b = inputs
            da, db = depth[a], depth[b]
            depth[node] = (da if da > db else db) + 1
            n = max(nest[a] + weights[0], nest[b] + weights[1])
        nest[node] = n
        if n > limit:
            raise UnsupportedError(
                f"the expression nests functions and powers more than {limit} deep (at the "
                f"{op.name} node): SymPy recurses once per level and would hit Python's "
                f"recursion limit ({sys.getrecursionlimit()}), and the derivative of such a "
                "nest grows with the cube of its depth; numeric backprop (symgrad.grad, "
                "symgrad.gradcheck) has no such limit")
    return max(depth.values(), default=0)


def deep_error(what: str) -> UnsupportedError:
    return UnsupportedError(
        f"SymPy hit Python's recursion limit while {what}: the expression is too deeply "
        "nested for SymPy (nested functions beyond a few hundred levels, or a printer "
        "or simplifier on a very deep expression); symgrad's numeric backprop, "
        "symgrad.grad and symgrad.gradcheck have no such limit")


def lower(out: Var, engine: Backend | None = None, order: list[Var] | None = None
          ) -> dict[Var, Any]:
    """Every node of the graph as an expression of ``engine`` (SymPy by default),
    built once each (shared stays shared).

    A ``+``/``−`` node that only feeds the next one of a sum is folded into that sum's
    one n-ary expression; its own entry is ``None``.  (Only the sum rules, whose
    partials are constants, ever see such an entry.)
    """
    engine = engine or resolve("sympy")
    m = engine.m
    if order is None:
        order = nodes(out)
    uses: dict[Var, int] = {}
    consumer: dict[Var, Var] = {}
    for node in order:
        for a in node.inputs:
            uses[a] = uses.get(a, 0) + 1
            consumer[a] = node
    memo: dict[Var, Any] = {}
    by_name: dict[str, Var] = {}
    try:
        for node in order:
            op = node.op
            if op is None:
                memo[node] = engine.symbol(_name(node, by_name))
            elif op is CONST:
                memo[node] = engine.number(node.value)
            elif op not in LINEAR:
                memo[node] = op.value(m, *[memo[a] for a in node.inputs])
            elif node is not out and uses[node] == 1 and consumer[node].op in LINEAR:
                memo[node] = None  # folded into its consumer's sum
            else:
                memo[node] = m.total(_terms(node, memo))
    except RecursionError:
        raise deep_error("building the expression") from None
    return memo


def _name(node: Var, by_name: dict[str, Var]) -> str:
    name = node.name
    if not isinstance(name, str) or not name:
        raise InputError(f"the input {node!r} has no name; give every input Var a name to "
                         "lower it to SymPy")
    other = by_name.setdefault(name, node)
    if other is not node:
        raise InputError(f"two different input Vars are both named {name!r}, so SymPy "
                         "could not tell them apart; give them distinct names")
    return name


def _terms(top: Var, memo: dict[Var, Any]) -> list[Any]:
    """The terms of the sum ``top`` heads, walking down the nodes folded into it."""
    terms = []
    stack = [(top, 1)]
    while stack:
        node, sign = stack.pop()
        for a, c in zip(node.inputs, LINEAR[node.op], strict=True):  # type: ignore[index]
            c *= sign
            value = memo[a]
            if value is None:
                stack.append((a, c))
            else:
                terms.append(value if c == 1 else -value if c == -1 else c * value)
    return terms


class Lowered(NamedTuple):
    """A graph lowered for symbolic work: its expressions, their backend, its order."""

    memo: dict[Var, Any]
    engine: Backend
    order: list[Var]


def lowered(out: Var, backend: str = "sympy") -> Lowered:
    """The graph lowered for symbolic differentiation with ``backend``.

    Checks the depth first (:func:`check_depth`); ``"auto"`` takes SymEngine when it is
    installed and the graph is at most :data:`SYMENGINE_MAX_DEPTH` levels deep.
    """
    order = nodes(out)
    depth = check_depth(order)
    shallow = depth <= SYMENGINE_MAX_DEPTH
    engine = resolve(backend, fast=shallow)
    if engine.name == "symengine" and not shallow:
        raise UnsupportedError(
            f"the graph is {depth} levels deep, deeper than SymEngine is used for "
            f"({SYMENGINE_MAX_DEPTH}: it recurses in C++, where a too-deep expression "
            "crashes Python); pass backend='sympy' or 'auto'")
    return Lowered(lower(out, engine, order), engine, order)


def to_sympy(out: Var) -> sympy.Expr:
    """The graph under ``out`` as one SymPy expression, built by the op table's value rules.

    Input Vars become ``Symbol(name)``; constants are exact where they were integers
    or short decimals (``0.1`` becomes ``1/10``) and Floats otherwise.  Every node is
    lowered once, so shared subexpressions are shared in the result too, and a sum of
    many terms is built as one n-ary ``Add``.  Two different input Vars with the same
    name are an :class:`~symgrad.errors.InputError`.

    >>> from symgrad import Var
    >>> x = Var(0.5, name="x")
    >>> to_sympy(x.sigmoid() * 0.1 + x**2 / 3)
    x**2/3 + 1/(10*(1 + exp(-x)))
    """
    check_var(out)
    return lower(out)[out]


def resolve_target(wrt: Var | str, memo: dict[Var, Any]) -> Var | None:
    """The node to differentiate by: a Var (None when not in the graph) or a leaf name."""
    if isinstance(wrt, str):
        return leaf_named(wrt, memo)
    check_var(wrt, "wrt")
    if wrt.op is CONST:
        raise InputError(f"wrt is a constant ({wrt!r}); differentiate by an input Var")
    return wrt if wrt in memo else None
