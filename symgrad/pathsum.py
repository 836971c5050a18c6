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
from dataclasses import dataclass

from .errors import DomainError, InputError, PathLimitError
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
    """

    nodes: tuple[Var, ...]
    positions: tuple[int, ...]
    factors: tuple[float, ...]
    product: float

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
          counts: dict[Var, int] | None = None) -> list[Path]:
    """Every path from ``out`` to ``wrt`` with its local factors and their product.

    The products sum to ``grad(out, wrt)``.  The number of paths can grow
    exponentially with depth, so when it exceeds ``limit`` a
    :class:`~symgrad.errors.PathLimitError` is raised at once, saying how many there
    are.  Paths come out in a fixed order: left arguments first.  ``counts`` may be
    given when already known (:func:`path_counts` of the graph's order).
    """
    check_var(out)
    check_var(wrt, "wrt")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise InputError(f"limit must be a non-negative integer, got {limit!r}")
    if counts is None:
        counts = path_counts(nodes(out), wrt)
    total = counts[out]
    if total > limit:
        raise PathLimitError(
            f"there are {count_text(total)} paths from the output to {wrt.name!r}, more "
            f"than the limit of {limit}; raise the limit, or use count_paths() / grad() "
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
            if product - product != 0.0:  # inf or nan: the domain policy holds here too
                raise DomainError(f"the product of the local derivatives along path "
                                  f"{len(found) + 1} to {wrt.name!r} is {product!r}: it "
                                  "overflows the float range; scale the expression down")
            found.append(Path(tuple(trail), tuple(positions), tuple(factors), product))
        trail.pop()
        next_arg.pop()
        if positions:
            positions.pop()
            factors.pop()
    return found
