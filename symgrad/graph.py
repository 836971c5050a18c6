"""Walking a graph: topological order, leaves, local partials, re-evaluation, scopes.

Who uses each node (its consumers) is part of :class:`symgrad.analysis.Analysis`.

Every walk here is iterative, so a chain a million nodes deep is fine.

>>> from symgrad import Var
>>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
>>> z = (x**2 + 3)**2 + y
>>> [v.name for v in leaves(z)]
['x', 'y']
>>> len(nodes(z))              # x, 2, x**2, 3, +, 2, **, y, +
9
>>> x.value = 3.0
>>> evaluate(z)                # re-run every op with the new leaf value
145.0
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import DomainError, InputError
from .ops import CONST, FLOAT
from .scopes import current_scope, scope
from .var import Var, domain_error, forward, postorder

__all__ = ["check_var", "constants", "current_scope", "evaluate", "leaf_named", "leaves",
           "local_partial", "nodes", "partial_error", "scope"]


def check_var(x: object, what: str = "the output") -> Var:
    """Return ``x`` if it is a Var, else raise an :class:`~symgrad.errors.InputError`."""
    if not isinstance(x, Var):
        raise InputError(f"{what} must be a symgrad.Var, got {type(x).__name__}: {x!r}")
    return x


def nodes(out: Var) -> list[Var]:
    """Every node of the graph under ``out``, inputs before the ops that use them.

    The order is a depth-first post-order that visits inputs left to right, so it is
    deterministic: the same graph always gives the same list.  The reverse pass visits
    it backwards (:func:`symgrad.backprop.adjoints`), so every node comes after all
    the nodes that use it.
    """
    return postorder(check_var(out))


def leaves(out: Var) -> list[Var]:
    """The input Vars of the graph (not constants), in first-seen order, left to right."""
    return [v for v in nodes(out) if v.op is None]


def leaf_named(name: str, graph: Iterable[Var]) -> Var:
    """The input Var called ``name`` among the nodes ``graph`` (e.g. ``nodes(out)``).

    No such input, or several different inputs of that name, is an
    :class:`~symgrad.errors.InputError` that lists the inputs.

    >>> from symgrad import Var
    >>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
    >>> leaf_named("y", nodes(x * y)) is y
    True
    >>> leaf_named("z", nodes(x * y))
    Traceback (most recent call last):
    ...
    symgrad.errors.InputError: the expression has no input named 'z' (its inputs: x, y)
    """
    inputs = [v for v in graph if v.op is None]
    found = [v for v in inputs if v.name == name]
    if len(found) == 1:
        return found[0]
    if not found:
        names = ", ".join(str(v.name) for v in inputs) or "none"
        raise InputError(f"the expression has no input named {name!r} (its inputs: {names})")
    raise InputError(f"{name!r} names {len(found)} different inputs; pass the Var itself "
                     "instead of its name")


def constants(out: Var) -> list[Var]:
    """The constant nodes of the graph, in first-seen order."""
    return [v for v in nodes(out) if v.op is CONST]


def evaluate(out: Var, order: Iterable[Var] | None = None) -> float:
    """Recompute every op's value from the current leaf values; return ``out.value``.

    Pass ``order`` (from :func:`nodes`) when evaluating the same graph many times.
    A value outside an op's domain raises :class:`~symgrad.errors.DomainError`, and
    then every node keeps the value it had before the call: all or nothing.

    >>> from symgrad import Var
    >>> x = Var(2.0, name="x")
    >>> y = (x - 1).log()
    >>> x.value = 0.5
    >>> evaluate(y)
    Traceback (most recent call last):
    ...
    symgrad.errors.DomainError: log(-0.5) is undefined (math domain error); log needs ...
    >>> y.value                    # unchanged: still log(2 - 1)
    0.0
    """
    done: list[tuple[Var, float]] = []
    try:
        for node in nodes(out) if order is None else order:
            op = node.op
            if op is None or op is CONST:
                continue
            done.append((node, node.value))
            node.value = forward(op, node.inputs)
    except DomainError:
        for node, old in done:
            node.value = old
        raise
    return out.value


def partial_error(node: Var, exc: object) -> DomainError:
    err = str(domain_error(node.op, node.inputs, exc))  # type: ignore[arg-type]
    return DomainError(f"a local derivative of {err}")


def local_partial(node: Var, i: int) -> float:
    """The number d node / d node.inputs[i] at the current values (an edge's label).

    >>> from symgrad import Var
    >>> x = Var(3.0, name="x")
    >>> local_partial(x**2, 0)
    6.0
    """
    op = node.op
    if op is None or op is CONST:
        raise InputError(f"{node!r} is not an op node; only op nodes have local partials")
    try:
        return float(op.partials[i](FLOAT, node.value, *[a.value for a in node.inputs]))
    except (ArithmeticError, ValueError) as exc:
        raise partial_error(node, exc) from None
