"""Reverse accumulation: the chain rule, written once.

:func:`adjoints` visits the graph from the output down, each node only after every
node that uses it, and does ``adj[input] += local * adj[node]`` for every edge.  That
is the sum, over every path from the output to an input, of the product of the local
derivatives along the path.  The local derivatives come from the op table, evaluated in
a math namespace: floats for numbers, Vars for ``create_graph=True``, SymPy for
:func:`symgrad.derivative`.

:func:`paths` lists those paths one by one, so their sum can be seen to be the
gradient:

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> z = (x**2 + 3)**2 + x
>>> [p.product for p in paths(z, x)]
[56.0, 1.0]
>>> grad(z, x)
57.0
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from .errors import DomainError, InputError, PathLimitError
from .graph import check_var, consumer_counts, nodes
from .ops import CONST, FLOAT
from .var import VARS, Var, _domain_error, constant

__all__ = [
    "DEFAULT_PATH_LIMIT",
    "Path",
    "adjoints",
    "backward",
    "count_paths",
    "grad",
    "local_partial",
    "paths",
    "zero_grad",
]

#: :func:`paths` refuses to list more paths than this unless told otherwise.
DEFAULT_PATH_LIMIT = 10_000


def adjoints(
    out: Var,
    seed: Any = 1.0,
    m: Any = FLOAT,
    value_of: Callable[[Var], Any] | None = None,
) -> dict[Var, Any]:
    """d out / d node for every node that is not a constant, by one reverse pass.

    ``m`` is the math namespace the op table's partial rules run in, and
    ``value_of(node)`` gives a node's value in that namespace.  The defaults
    (``FLOAT`` and ``None``, meaning ``node.value``) give floats.  Constants get no
    adjoint and their partials are never computed.

    A namespace with a ``total`` function (SymPy's) gets each node's terms collected
    and summed once, when the node's adjoint is complete: adding them one by one would
    re-flatten a growing SymPy sum at every step, quadratic in the number of uses.
    """
    pending = consumer_counts(out)
    adj: dict[Var, Any] = {out: seed}
    get = adj.get
    ready = [out]
    pop, push = ready.pop, ready.append
    floats = value_of is None
    total = getattr(m, "total", None)

    def add(child: Var, local: Any, g: Any) -> None:
        if local == 0:  # nothing flows along this edge; exact, and spares SymPy a Mul
            if child not in adj:
                adj[child] = [] if total else local
            return
        term = g if local == 1 else local * g
        old = get(child)
        if total:
            if old is None:
                adj[child] = [term]
            else:
                old.append(term)
        else:
            adj[child] = term if old is None else old + term

    try:
        while ready:
            node = pop()
            op = node.op
            if total and node is not out and op is not CONST:
                adj[node] = total(adj[node])  # every consumer is done: sum the terms once
            if op is None or op is CONST:
                continue
            g = adj[node]
            inputs = node.inputs
            # Unpacked by arity: this loop is the hot path of every backward pass.
            if len(inputs) == 2:
                a, b = inputs
                if floats:
                    o, av, bv = node.value, a.value, b.value
                else:
                    o, av, bv = value_of(node), value_of(a), value_of(b)  # type: ignore[misc]
                rule_a, rule_b = op.partials
                if a.op is not CONST:
                    add(a, rule_a(m, o, av, bv), g)
                if b.op is not CONST:
                    add(b, rule_b(m, o, av, bv), g)
                left = pending[b] - 1
                pending[b] = left
                if not left:
                    push(b)
            else:
                (a,) = inputs
                if a.op is not CONST:
                    if floats:
                        add(a, op.partials[0](m, node.value, a.value), g)
                    else:
                        add(a, op.partials[0](m, value_of(node), value_of(a)), g)  # type: ignore[misc]
            left = pending[a] - 1
            pending[a] = left
            if not left:
                push(a)
    except (ArithmeticError, ValueError) as exc:
        raise _partial_error(node, exc) from None
    return adj


def _partial_error(node: Var, exc: object) -> DomainError:
    err = str(_domain_error(node.op, node.inputs, exc))  # type: ignore[arg-type]
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
        raise _partial_error(node, exc) from None


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
    for node, g in adjoints(check_var(out)).items():
        node.grad += g


def zero_grad(out: Var) -> None:
    """Set ``grad = 0.0`` on every node of the graph under ``out``."""
    for node in consumer_counts(check_var(out)):
        node.grad = 0.0


@overload
def grad(out: Var, wrt: Var, *, create_graph: bool = False) -> Any: ...
@overload
def grad(out: Var, wrt: Sequence[Var], *, create_graph: bool = False) -> list[Any]: ...


def grad(out: Var, wrt: Var | Sequence[Var], *, create_graph: bool = False) -> Any:
    """d out / d wrt, without touching any ``.grad``.

    ``wrt`` is a Var or a sequence of Vars (then a list is returned).  A Var the
    output does not depend on has derivative 0.  With ``create_graph=True`` each
    derivative is itself a :class:`Var` graph of the inputs, so it can be
    differentiated again.

    >>> from symgrad import Var
    >>> x = Var(2.0, name="x")
    >>> f = x**3
    >>> grad(f, x)
    12.0
    >>> grad(grad(f, x, create_graph=True), x)     # 6x
    12.0
    """
    check_var(out)
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


def _var_or_number(node: Var) -> Var | float:
    # Constants enter the derivative graph as plain numbers, so arithmetic on them in
    # a rule (``b - 1`` in pow's) stays a number instead of becoming an op node.
    return node.value if node.op is CONST else node


@dataclass(frozen=True, slots=True)
class Path:
    """One path from the output down to ``wrt``.

    ``nodes`` runs from the output to ``wrt``; ``positions[k]`` is which argument of
    ``nodes[k]`` the path leaves by (so the two edges of ``x * x`` are told apart);
    ``factors[k]`` is that edge's local derivative; ``product`` is their product.
    """

    nodes: tuple[Var, ...]
    positions: tuple[int, ...]
    factors: tuple[float, ...]
    product: float

    def __str__(self) -> str:
        factors = " · ".join(f"{f:g}" for f in self.factors) or "1"
        return f"{factors} = {self.product:g}"


def _path_counts(out: Var, wrt: Var) -> dict[Var, int]:
    """How many paths lead from each node down to ``wrt`` (0 where none)."""
    counts: dict[Var, int] = {}
    for node in nodes(out):
        counts[node] = 1 if node is wrt else sum(counts[c] for c in node.inputs)
    return counts


def count_paths(out: Var, wrt: Var) -> int:
    """The number of paths from ``out`` to ``wrt``, by dynamic programming.

    Each edge counts, so ``x * x`` has two paths to ``x``.  The count is exact even
    when it is astronomically large, and nothing is enumerated.

    >>> from symgrad import Var
    >>> x = Var(1.0, name="x")
    >>> y = x
    >>> for _ in range(80):
    ...     y = y * y
    >>> count_paths(y, x) == 2**80
    True
    """
    check_var(out)
    check_var(wrt, "wrt")
    return _path_counts(out, wrt)[out]


def paths(out: Var, wrt: Var, *, limit: int = DEFAULT_PATH_LIMIT) -> list[Path]:
    """Every path from ``out`` to ``wrt`` with its local factors and their product.

    The products sum to ``grad(out, wrt)``.  The number of paths can grow
    exponentially with depth, so when it exceeds ``limit`` a
    :class:`~symgrad.errors.PathLimitError` is raised at once, saying how many there
    are.  Paths come out in a fixed order: left arguments first.
    """
    check_var(out)
    check_var(wrt, "wrt")
    if not isinstance(limit, int) or limit < 0:
        raise InputError(f"limit must be a non-negative integer, got {limit!r}")
    counts = _path_counts(out, wrt)
    total = counts[out]
    if total > limit:
        raise PathLimitError(
            f"there are {total} paths from the output to {wrt.name!r}, more than "
            f"limit={limit}; pass a larger limit=, or use count_paths() / grad() "
            "which never enumerate")
    found: list[Path] = []
    if not total:
        return found
    # Depth-first, keeping the current path in lists: the work is the size of the output.
    trail, positions, factors, next_arg = [out], [], [], [0]
    while trail:
        node = trail[-1]
        i = next_arg[-1]
        if node is not wrt:
            inputs = node.inputs
            while i < len(inputs) and not counts[inputs[i]]:
                i += 1
            if i < len(inputs):
                next_arg[-1] = i + 1
                trail.append(inputs[i])
                positions.append(i)
                factors.append(local_partial(node, i))
                next_arg.append(0)
                continue
        else:
            product = 1.0
            for f in factors:
                product *= f
            found.append(Path(tuple(trail), tuple(positions), tuple(factors), product))
        trail.pop()
        next_arg.pop()
        if positions:
            positions.pop()
            factors.pop()
    return found
