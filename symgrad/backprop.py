"""Reverse accumulation: the chain rule, written once.

:func:`adjoints` visits the graph from the output down, each node only after every
node that uses it, and does ``adj[input] += local * adj[node]`` for every edge.  That
is the sum, over every path from the output to an input, of the product of the local
derivatives along the path.  The local derivatives come from the op table, evaluated in
a math namespace: floats for numbers, Vars for ``create_graph=True``, SymPy for
:func:`symgrad.derivative`.

:func:`symgrad.paths` (in :mod:`symgrad.pathsum`) lists those paths one by one, so
their sum can be seen to be the gradient:

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> z = (x**2 + 3)**2 + x
>>> from symgrad import paths
>>> [p.product for p in paths(z, x)]
[56.0, 1.0]
>>> grad(z, x)
57.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any, overload

from ._check import choice
from .errors import DomainError, InputError
from .forward import forward_grad
from .graph import check_var, nodes, partial_error
from .ops import CONST, FLOAT, Op, namespace
from .var import SCRATCH, Var, apply, constant, postorder

__all__ = ["adjoints", "backward", "grad", "reaches_input", "zero_grad"]

def adjoints(
    out: Var,
    seed: Any = 1.0,
    m: Any = FLOAT,
    value_of: Callable[[Var], Any] | None = None,
    order: list[Var] | None = None,
) -> dict[Var, Any]:
    """d out / d node for every node that is not a constant, by one reverse pass.

    The pass visits :func:`symgrad.nodes` backwards, so each node comes after every
    node that uses it and its adjoint is complete when it is reached; then for every
    edge it does ``adj[input] += local * adj[node]``.  ``m`` is the math namespace the
    op table's partial rules run in, and ``value_of(node)`` gives a node's value in
    that namespace; the defaults (``FLOAT`` and ``None``, meaning ``node.value``) give
    floats.  Constants get no adjoint and their partials are never computed.  Pass
    ``order`` (from :func:`symgrad.nodes`) when differentiating one graph many times.
    An ``order`` may also be a part of the graph, ending at ``out``: nodes its members
    use from outside it then receive adjoints but pass none on (a cut, as a folded
    scope's composite derivatives need).

    A namespace with a ``total`` function (SymPy's) gets each node's terms collected
    and summed once, when the node is reached: adding them one by one would
    re-flatten a growing SymPy sum at every step, quadratic in the number of uses.

    A local derivative that is undefined (or a gradient that is not finite) raises
    :class:`~symgrad.errors.DomainError`, except on an edge into a subexpression that
    reaches no input (``(−0.5)**(1 + 1)``): nothing flows from there to any input, so
    such a partial is never needed.
    """
    given = order is not None
    if order is None:
        order = postorder(out)
    if m is FLOAT and value_of is None:
        return _float_adjoints(out, seed, order, given)
    return _general_adjoints(out, seed, m, value_of, order)


def _general_adjoints(out: Var, seed: Any, m: Any, value_of: Callable[[Var], Any] | None,
                      order: list[Var]) -> dict[Var, Any]:
    """The reverse pass in any namespace, skipping partials into subexpressions that
    reach no input and naming the op whose needed partial is undefined."""
    adj: dict[Var, Any] = {out: seed}
    get = adj.get
    total = getattr(m, "total", None)
    # Compared with the namespace's own 0 and 1: SymEngine would convert a Python int
    # at every comparison (a fifth of a 337-parameter gradient's time).
    zero, one = getattr(m, "zero", 0), getattr(m, "one", 1)
    value = value_of or (lambda v: v.value)
    for node in reversed(order):
        op = node.op
        if op is CONST:
            continue
        g = get(node)
        if g is None:  # only partials that reach no input led here: nothing to pass on
            continue
        if total and node is not out:
            g = adj[node] = total(g)  # every consumer is done: sum the terms once
        if op is None:
            continue
        out_value = value(node)
        inputs = node.inputs
        args = [value(a) for a in inputs]
        constants = op.constant_partials
        for i, a in enumerate(inputs):
            if a.op is CONST:
                continue
            if constants:  # a number whatever the arguments: no rule to run
                local = constants[i]
                nothing, passed = local == 0, local == 1
            else:
                try:
                    local = op.partials[i](m, out_value, *args)
                except (ArithmeticError, ValueError) as exc:
                    if not reaches_input(a):
                        continue
                    raise partial_error(node, exc) from None
                nothing, passed = local == zero, local == one
            old = get(a)
            if nothing:  # nothing flows along this edge; exact, and spares SymPy a Mul
                if old is None:
                    adj[a] = [] if total else local
                continue
            term = g if passed else local * g
            if total:
                if old is None:
                    adj[a] = [term]
                else:
                    old.append(term)
            else:
                adj[a] = term if old is None else old + term
    return adj


def _float_adjoints(out: Var, seed: float, order: list[Var], given: bool) -> dict[Var, float]:
    """The reverse pass on floats: :func:`adjoints` with the default namespace."""
    with SCRATCH:
        below = _used_from_outside(order) if given else []
        for node in below:
            node._scratch = 0.0
        done = _reverse_in_place(out, seed, order)
        if done:
            adj = {node: node._scratch for node in reversed(order) if node.op is not CONST}
            adj.update((node, node._scratch) for node in below if node.op is not CONST)
    if not done:
        # Rare: redo this graph on the careful path, which skips partials that reach no
        # input and names the op whose partial is undefined.
        return _checked(_general_adjoints(out, seed, FLOAT, None, order))
    return _checked(adj)


def _used_from_outside(order: list[Var]) -> list[Var]:
    """The nodes outside ``order`` that its members use (none when ``order`` is a
    whole graph).  Needs SCRATCH held."""
    token = object()
    for node in order:
        node._scratch = token
    below = []
    for node in order:
        for a in (node._a, node._b):
            if a is not None and a._scratch is not token:
                a._scratch = token
                below.append(a)
    return below


def _reverse_in_place(out: Var, seed: float, order: list[Var]) -> bool:
    """The hot path of every ``backward()``: each node's adjoint, left in its scratch
    slot (0.0 for constants); False if a local derivative raised.  Needs SCRATCH held.

    It reads each node's input slots directly, and multiplies by the op's constant
    partials (``add``'s 1 and 1) instead of calling the rules that return them.
    """
    for node in order:
        node._scratch = 0.0
    out._scratch = seed
    m = FLOAT
    try:
        for node in reversed(order):
            a = node._a
            if a is None:  # an input or a constant: nothing below it
                continue
            g = node._scratch
            op = node.op
            b = node._b
            c = op.constant_partials  # type: ignore[union-attr]
            if b is None:
                if a.op is not CONST:
                    a._scratch += (c[0] if c else
                                   op.partials[0](m, node.value, a.value)) * g  # type: ignore[union-attr]
            elif c:
                if a.op is not CONST:
                    a._scratch += c[0] * g
                if b.op is not CONST:
                    b._scratch += c[1] * g
            else:
                rule_a, rule_b = op.partials  # type: ignore[union-attr]
                o, av, bv = node.value, a.value, b.value
                if a.op is not CONST:
                    a._scratch += rule_a(m, o, av, bv) * g
                if b.op is not CONST:
                    b._scratch += rule_b(m, o, av, bv) * g
    except (ArithmeticError, ValueError):
        return False
    return True


def _checked(adj: dict[Var, Any]) -> dict[Var, Any]:
    """``adj``, if every gradient that reaches an input is finite; else a DomainError."""
    total = sum(adj.values())  # one C loop: any inf or nan shows in the sum
    if total - total == 0.0:
        return adj
    for v, g in list(adj.items()):
        if g - g != 0.0:
            if not reaches_input(v):
                del adj[v]
                continue
            what = v.name if v.op is None else f"the {v.op.name} node"  # type: ignore[union-attr]
            raise DomainError(f"the gradient of the output with respect to {what} is {g!r}: "
                              "it overflows the float range (or is undefined); scale the "
                              "expression down, or check it symbolically with "
                              "symgrad.derivative")
    return adj


def reaches_input(v: Var) -> bool:
    """True when an input Var lies under ``v`` (``v`` depends on something variable).

    >>> from symgrad import Var, constant
    >>> reaches_input(constant(2) * 3), reaches_input(Var(1.0) * 3)
    (False, True)
    """
    seen = {v: None}
    stack = [v]
    while stack:
        node = stack.pop()
        if node.op is None:
            return True
        for a in node.inputs:
            if a not in seen:
                seen[a] = None
                stack.append(a)
    return False


def backward(out: Var) -> None:
    """Add d out / d node to ``node.grad`` for every node under ``out``.

    The gradient of ``out`` itself is seeded with 1.  Like PyTorch's leaves, ``grad``
    *accumulates*: a second ``backward()`` adds the same gradient again, so every
    ``.grad`` doubles.  Call :func:`zero_grad` (or ``out.zero_grad()``) first to start
    afresh.  Constants keep ``grad == 0``.

    >>> from symgrad import Var
    >>> x = Var(3.0, name="x"); y = x * x
    >>> y.backward(); x.grad
    6.0
    >>> y.backward(); x.grad
    12.0
    >>> y.zero_grad(); y.backward(); x.grad
    6.0
    """
    order = postorder(check_var(out))
    with SCRATCH:
        if _reverse_in_place(out, 1.0, order):
            total = sum([node._scratch for node in order])  # any inf or nan shows here
            if total - total == 0.0:
                for node in order:
                    node.grad += node._scratch  # constants add 0.0
                return
    # Undefined or non-finite somewhere: the careful path raises, or drops what
    # reaches no input.
    for node, g in adjoints(out, order=order).items():
        node.grad += g


def zero_grad(out: Var) -> None:
    """Set ``grad = 0.0`` on every node of the graph under ``out``."""
    for node in nodes(out):
        node.grad = 0.0


# Var's methods, installed here where they are implemented (var.py sits below this).
Var.backward = backward  # type: ignore[method-assign,assignment]
Var.zero_grad = zero_grad  # type: ignore[method-assign,assignment]


@overload
def grad(out: Var, wrt: Var, *, create_graph: bool = False, mode: str = "reverse") -> Any: ...
@overload
def grad(out: Var, wrt: Sequence[Var], *, create_graph: bool = False,
         mode: str = "reverse") -> list[Any]: ...


def grad(out: Var, wrt: Var | Sequence[Var], *, create_graph: bool = False,
         mode: str = "reverse") -> Any:
    """d out / d wrt, without touching any ``.grad``.

    ``wrt`` is a Var or a sequence of Vars (then a list is returned).  A Var the
    output does not depend on has derivative 0.  With ``create_graph=True`` each
    derivative is itself a :class:`Var` graph of the inputs, so it can be
    differentiated again.  ``mode="forward"`` gets the same numbers (to rounding) by
    forward mode: one sweep per Var in ``wrt`` (:func:`symgrad.forward.forward_grad`)
    instead of one reverse pass for all of them.

    >>> from symgrad import Var
    >>> x = Var(2.0, name="x")
    >>> f = x**3
    >>> grad(f, x)
    12.0
    >>> grad(grad(f, x, create_graph=True), x)     # 6x
    12.0
    >>> grad(f, x, mode="forward")
    12.0
    """
    check_var(out)
    choice("mode", mode, ("reverse", "forward"), keyword=True)
    if mode == "forward":
        if create_graph:
            raise InputError("create_graph=True needs mode='reverse'")
        return forward_grad(out, wrt)
    many = not isinstance(wrt, Var)
    targets = [check_var(t, "each wrt") for t in (wrt if many else [wrt])]  # type: ignore[union-attr]
    if create_graph:
        adj = adjoints(out, constant(1), VARS, _var_or_number)
        zero: Any = constant(0)
        result = [adj.get(t, zero) for t in targets]
    else:
        adj = adjoints(out)
        result = [float(adj.get(t, 0.0)) for t in targets]
    return result if many else result[0]


def _var_primitive(op: Op) -> Callable[..., Any]:
    numeric = op.numeric

    def f(*args: Any) -> Any:
        if any(isinstance(a, Var) for a in args):
            return apply(op, *args)
        return numeric(*args)
    return f


#: The Var namespace: the op table's rules run on it to build derivative graphs.
VARS: SimpleNamespace = namespace(_var_primitive)


def _var_or_number(node: Var) -> Var | float:
    # Constants enter the derivative graph as plain numbers, so arithmetic on them in
    # a rule (``b - 1`` in pow's) stays a number instead of becoming an op node.
    return node.value if node.op is CONST else node
