"""Paths: the chain rule's terms, one by one.

d out / d x is a sum over every path from ``out`` down to ``x`` of the product of the
local derivatives along it.  :func:`paths` lists those paths with their factors and
products; :func:`count_paths` counts them without enumerating (there can be
astronomically many), by one pass over the graph's order.

>>> from symgrad import Var, grad
>>> x = Var(2.0, name="x")
>>> z = (x**2 + 3)**2 + x
>>> [p.product for p in paths(z, x)], grad(z, x)
([56.0, 1.0], 57.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .errors import DomainError, InputError, PathLimitError
from .fold import Fold, Folding
from .graph import check_var, local_partial, nodes
from .var import Var

__all__ = ["DEFAULT_PATH_LIMIT", "Path", "count_paths", "count_text", "path_counts", "paths"]

#: :func:`paths` refuses to list more paths than this unless told otherwise.
DEFAULT_PATH_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Path:
    """One path from the output down to ``wrt``.

    ``nodes`` runs from the output to ``wrt``; ``positions[k]`` is which argument of
    ``nodes[k]`` the path leaves by (so the two edges of ``x * x`` are told apart);
    ``factors[k]`` is that edge's local derivative; ``product`` is their product.
    On a folded path (``paths(..., fold=...)``) ``folded[k]`` is the scope that
    ``nodes[k]`` stands for ("" for a node outside every folded scope); a position
    into a folded node is the index of the input in its group's ``inputs``.
    """

    nodes: tuple[Var, ...]
    positions: tuple[int, ...]
    factors: tuple[float, ...]
    product: float
    folded: tuple[str, ...] = ()

    def __str__(self) -> str:
        factors = " · ".join(f"{f:g}" for f in self.factors) or "1"
        return f"{factors} = {self.product:g}"


def path_counts(order: list[Var], wrt: Var) -> dict[Var, int]:
    """How many paths lead from each node of ``order`` (:func:`symgrad.nodes`) down to
    ``wrt`` (0 where none): one pass over the order, no walk of the graph."""
    counts: dict[Var, int] = {}
    for node in order:
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
    return path_counts(nodes(out), wrt)[out]


def count_text(count: int) -> str:
    """A path count for a message: exact, or its order of magnitude when astronomical.

    >>> count_text(12), count_text(2**20000)
    ('12', 'about 4.0e+6020')
    """
    if count < 10**30:
        return str(count)
    power = math.log10(count)  # exact enough, and no decimal digits of a huge int
    exponent = math.floor(power)
    return f"about {10 ** (power - exponent):.1f}e+{exponent}"


def paths(out: Var, wrt: Var, *, limit: int = DEFAULT_PATH_LIMIT,
          counts: dict[Var, int] | None = None, fold: Fold = None,
          folding: Folding | None = None) -> list[Path]:
    """Every path from ``out`` to ``wrt`` with its local factors and their product.

    The products sum to ``grad(out, wrt)``.  The number of paths can grow
    exponentially with depth, so when it exceeds ``limit`` a
    :class:`~symgrad.errors.PathLimitError` is raised at once, saying how many there
    are.  Paths come out in a fixed order: left arguments first.  ``counts`` may be
    given when already known (:func:`path_counts` of the graph's order).

    ``fold`` (``"neurons"``, a depth, or scope names; see :mod:`symgrad.fold`) lists
    the paths of the folded graph instead: a folded scope is one node, and the factor
    of an edge into it is the composite derivative of its output with respect to that
    input.  Their products still sum to the gradient.  ``Path.folded`` names the scope
    each node stands for.  ``folding`` may be given when already made.

    >>> from symgrad import Var, scope, grad
    >>> x = Var(0.5, name="x")
    >>> with scope("neuron"):
    ...     h = (x * 2.0 + 1.0).tanh()
    >>> found = paths(h * x, x, fold="neurons")
    >>> [p.folded for p in found]
    [('', 'neuron', ''), ('', '')]
    >>> abs(sum(p.product for p in found) - grad(h * x, x)) < 1e-12
    True
    """
    check_var(out)
    check_var(wrt, "wrt")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InputError(f"limit must be a non-negative integer, got {limit!r}")
    if folding is None and fold is not None:
        folding = Folding(out, fold)
    children: Callable[[Var], list[tuple[Var, int]]]
    factor: Callable[[Var, int], float]
    if folding is not None:
        counts = folding.path_counts(wrt)
        children, factor = folding.children, folding.factor
    else:
        if counts is None:
            counts = path_counts(nodes(out), wrt)
        children, factor = _plain_children, local_partial
    total = counts.get(out, 0)
    if total > limit:
        raise PathLimitError(
            f"there are {count_text(total)} paths from the output to {wrt.name!r}, more "
            f"than the limit of {limit}; raise the limit, or use count_paths() / grad() "
            "which never enumerate")
    found: list[Path] = []
    if not total:
        return found
    # Depth-first, keeping the current path in lists: the work is the size of the output.
    trail, positions, factors = [out], [], []
    pending = [_live(children(out), counts) if out is not wrt else []]
    while trail:
        node = trail[-1]
        todo = pending[-1]
        if todo:
            child, i = todo.pop()
            trail.append(child)
            positions.append(i)
            factors.append(factor(node, i))
            pending.append(_live(children(child), counts) if child is not wrt else [])
            continue
        if node is wrt:
            product = 1.0
            for f in factors:
                product *= f
            if product - product != 0.0:  # inf or nan: the domain policy holds here too
                raise DomainError(f"the product of the local derivatives along path "
                                  f"{len(found) + 1} to {wrt.name!r} is {product!r}: it "
                                  "overflows the float range; scale the expression down")
            scopes = tuple(folding.scope_of(v) for v in trail) if folding else ()
            found.append(Path(tuple(trail), tuple(positions), tuple(factors), product,
                              scopes))
        trail.pop()
        pending.pop()
        if positions:
            positions.pop()
            factors.pop()
    return found


def _plain_children(node: Var) -> list[tuple[Var, int]]:
    return [(a, i) for i, a in enumerate(node.inputs)]


def _live(children: list[tuple[Var, int]], counts: dict[Var, int]) -> list[tuple[Var, int]]:
    """The children that lead to the target, last first (a stack pops them in order)."""
    return [c for c in reversed(children) if counts.get(c[0], 0)]
