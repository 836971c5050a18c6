"""One analysis of a graph, shared by every face that reads it.

Drawing a figure needs the graph's order, which nodes use which, the gradient, path
counts to a highlighted input and the paths themselves; the explorer, folding and the
command line need the same.  :class:`Analysis` walks the graph once and computes each
of these at most once, on first use, so the faces read one analysis instead of each
re-deriving it from its own entry point.

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> a = Analysis((x**2 + 3)**2 + x)
>>> len(a.order), a.grad(x), a.count_paths(x), [p.product for p in a.paths(x)]
(8, 57.0, 2, [56.0, 1.0])
"""

from __future__ import annotations

from functools import cached_property

from .backprop import adjoints
from .errors import InputError
from .fold import Fold, Folding, check_fold
from .graph import check_var, leaf_named
from .ops import CONST
from .pathsum import DEFAULT_PATH_LIMIT, Path, path_counts, paths
from .var import Var, postorder

__all__ = ["Analysis"]


class Analysis:
    """The graph under ``out``, walked once; everything else computed lazily from it.

    ``order`` is :func:`symgrad.nodes` (inputs before the ops using them).  The
    gradient comes from one reverse pass, path counts from one pass over ``order`` per
    target; nothing is recomputed.  The analysis describes the graph as it was when a
    property was first read: make a new one after changing values.
    """

    def __init__(self, out: Var, order: list[Var] | None = None) -> None:
        self.out = check_var(out)
        self.order: list[Var] = postorder(out) if order is None else order
        self._counts: dict[Var, dict[Var, int]] = {}
        self._foldings: dict[object, Folding] = {}

    @cached_property
    def index(self) -> dict[Var, int]:
        """Each node's position in ``order``."""
        return {v: k for k, v in enumerate(self.order)}

    @cached_property
    def consumers(self) -> dict[Var, list[tuple[Var, int]]]:
        """For each node, the ``(op node, argument position)`` pairs that use it."""
        found: dict[Var, list[tuple[Var, int]]] = {v: [] for v in self.order}
        for v in self.order:
            for i, a in enumerate(v.inputs):
                found[a].append((v, i))
        return found

    @cached_property
    def leaves(self) -> list[Var]:
        """The input Vars, in first-seen order."""
        return [v for v in self.order if v.op is None]

    @cached_property
    def adjoints(self) -> dict[Var, float]:
        """d out / d node for every node (one reverse pass; may raise DomainError)."""
        return adjoints(self.out, order=self.order)

    def grad(self, node: Var) -> float:
        """d out / d ``node`` (0 for a node the output does not depend on)."""
        return float(self.adjoints.get(node, 0.0))

    def path_counts(self, wrt: Var) -> dict[Var, int]:
        """How many paths lead from each node down to ``wrt``."""
        counts = self._counts.get(wrt)
        if counts is None:
            counts = self._counts[wrt] = path_counts(self.order, wrt)
        return counts

    def count_paths(self, wrt: Var) -> int:
        """The number of paths from the output to ``wrt``."""
        return self.path_counts(wrt).get(self.out, 0)

    def on_paths(self, wrt: Var) -> set[Var]:
        """The nodes that lie on some path from the output to ``wrt``."""
        # Every node of order is reachable from the output, so a node is on a path to
        # wrt exactly when some path leads from it down to wrt.
        return {v for v, n in self.path_counts(wrt).items() if n}

    def paths(self, wrt: Var, limit: int = DEFAULT_PATH_LIMIT, fold: Fold = None) -> list[Path]:
        """Every path from the output to ``wrt`` (see :func:`symgrad.paths`), folded by
        ``fold`` when given."""
        if fold is not None:
            return paths(self.out, wrt, limit=limit, folding=self.folding(fold))
        return paths(self.out, wrt, limit=limit, counts=self.path_counts(wrt))

    def folding(self, fold: Fold) -> Folding:
        """The graph with ``fold``'s scopes folded (:class:`symgrad.fold.Folding`), made
        once per ``fold``.

        >>> from symgrad import Var, scope
        >>> with scope("neuron"):
        ...     h = Var(1.0, name="w").tanh()
        >>> Analysis(h * 2).folding("neurons")
        <Folding fold='neurons': 1 groups>
        """
        key = check_fold(fold)
        found = self._foldings.get(key)
        if found is None:
            found = self._foldings[key] = Folding(self.out, key, self.order)
        return found

    @cached_property
    def scopes(self) -> dict[str, list[Var]]:
        """The nodes of each scope (by full scope path), constants included."""
        found: dict[str, list[Var]] = {}
        for v in self.order:
            if v.scope:
                found.setdefault(v.scope, []).append(v)
        return found

    def leaf(self, name: str) -> Var:
        """The input called ``name`` (an InputError naming the inputs if none)."""
        return leaf_named(name, self.order)

    def node(self, ref: Var | str | None, what: str, *, input_only: bool = False
             ) -> Var | None:
        """``ref`` (a node of this graph, or an input's name) checked, or ``None``.

        ``what`` names the argument in messages (``highlight``, ``focus``, ``wrt``);
        with ``input_only`` the node must be an input Var.

        >>> from symgrad import Var
        >>> x = Var(2.0, name="x")
        >>> Analysis(x * 3).node("x", "focus") is x
        True
        """
        if ref is None:
            return None
        if isinstance(ref, str):
            try:
                return self.leaf(ref)
            except InputError as exc:
                raise InputError(f"{what}={ref!r}: {exc}") from None
        if not isinstance(ref, Var):
            kind = "an input Var of the graph or its name" if input_only else \
                "a Var or a leaf's name"
            raise InputError(f"{what} must be {kind}, got {type(ref).__name__}: {ref!r}")
        inputs = ", ".join(str(v.name) for v in self.leaves) or "none"
        if ref.op is CONST:
            raise InputError(f"{what}={ref!r} is a constant: {what} must not be a constant, "
                             f"constants have no derivative (its inputs: {inputs})")
        if ref not in self.index:
            raise InputError(f"{what}={ref!r} is not a node of this graph (its inputs: "
                             f"{inputs})")
        if input_only and ref.op is not None:
            raise InputError(f"{what}={ref!r} is an op node; pass one of the graph's inputs "
                             f"(its inputs: {inputs})")
        return ref

    @cached_property
    def has_grads(self) -> bool:
        """True once backward has run: some node that is not a constant has a grad."""
        return any(v.grad != 0.0 for v in self.order if v.op is not CONST)

    def __repr__(self) -> str:
        return f"<Analysis of {len(self.order)} nodes>"

