"""Folding: a scope of the graph seen as one node, with composite local derivatives.

Models build their nodes inside scopes (:func:`symgrad.scope`; an MLP's are tagged
``layer0/neuron1``).  *Folding* a scope treats every op node built inside it as one
node, a *group*.  The group's inputs are the nodes outside it that its ops use (input
Vars, such as the neuron's own weights, are never folded: they stay inputs); its
outputs are the ops inside it that something outside uses (or the graph's output).  A
neuron used on four data rows has four outputs, one per row: one node, four ports.

The local derivative of a group output ``o`` with respect to a group input ``u`` is
the *composite* ∂o/∂u: backprop run inside the group, the engine's
:func:`~symgrad.backprop.adjoints` seeded at ``o`` over the group's own nodes only.
The chain rule holds at the folded level: every path of the graph enters a group at an
output and leaves it at an input, so the products along the folded paths, with the
composites as factors, sum to the gradient.

Which scopes fold (``fold=``):

- ``"neurons"``: every scope whose last part starts with ``neuron``;
- a depth ``d`` (an int ≥ 1): every scope with ``d`` parts (``1``: ``layer0``, ...);
- a list of scope paths (``["layer0/neuron1", "layer1"]``).

A node belongs to the outermost folded scope that contains its scope.

>>> from symgrad import Var, scope, grad
>>> x = Var(0.5, name="x")
>>> with scope("neuron"):
...     w, b = Var(2.0, name="w"), Var(-1.0, name="b")
...     h = (w * x + b).sigmoid()
>>> f = h * h
>>> folding = Folding(f, "neurons")
>>> g = folding.groups[0]
>>> g.scope, [v.name for v in g.inputs], len(g.members), g.outputs == [h]
('neuron', ['w', 'x', 'b'], 3, True)
>>> round(folding.jacobian(h)[w], 6) == round(grad(h, w), 6)     # σ'(z)·x
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .backprop import adjoints
from .errors import InputError
from .graph import check_var, local_partial
from .ops import CONST
from .var import Var, postorder

__all__ = ["NEURONS", "Fold", "Folding", "Group", "check_fold", "describe", "folded_scope"]

#: ``fold=NEURONS`` folds every scope whose last part starts with "neuron".
NEURONS = "neurons"

Fold = str | int | Sequence[str] | None


def check_fold(fold: object) -> str | int | tuple[str, ...] | None:
    """``fold`` checked and normalised: ``None``, ``"neurons"``, a depth, or a tuple.

    >>> check_fold(["layer1", "layer0/neuron0", "layer1"]), check_fold(2)
    (('layer1', 'layer0/neuron0'), 2)
    >>> check_fold("layer0")
    Traceback (most recent call last):
    ...
    symgrad.errors.InputError: fold='layer0' is not 'neurons'; to fold one scope pass a ...
    """
    if fold is None:
        return None
    if isinstance(fold, str):
        if fold == NEURONS:
            return NEURONS
        raise InputError(f"fold={fold!r} is not {NEURONS!r}; to fold one scope pass a "
                         f"list: fold=[{fold!r}]")
    if isinstance(fold, bool):
        raise InputError(f"fold must be 'neurons', a depth (an integer >= 1) or a list of "
                         f"scope names, got {fold!r}")
    if isinstance(fold, int):
        if fold < 1:
            raise InputError(f"fold={fold} is not a depth: give an integer >= 1 (1 folds "
                             "the outermost scopes, such as layer0)")
        return fold
    if isinstance(fold, Iterable) and not isinstance(fold, bytes | dict):
        names = list(fold)
        for name in names:
            if not isinstance(name, str) or not name or any(
                    not part or part != part.strip() for part in name.split("/")):
                raise InputError(f"fold lists {name!r}, which is not a scope name: give "
                                 "scope paths such as 'layer0' or 'layer0/neuron1'")
        if not names:
            raise InputError("fold=[] names no scope; give scope names, or fold=None")
        return tuple(dict.fromkeys(names))
    raise InputError(f"fold must be 'neurons', a depth (an integer >= 1) or a list of "
                     f"scope names, got {type(fold).__name__}: {fold!r}")


def folded_scope(scope: str, fold: str | int | tuple[str, ...] | None) -> str:
    """The outermost scope folded by ``fold`` (normalised) that contains ``scope``, or "".

    >>> folded_scope("layer0/neuron1", "neurons"), folded_scope("layer0/neuron1", 1)
    ('layer0/neuron1', 'layer0')
    >>> folded_scope("layer0/neuron1", ("layer1",)), folded_scope("", "neurons")
    ('', '')
    """
    if not scope or fold is None:
        return ""
    parts = scope.split("/")
    if fold == NEURONS:
        for k, part in enumerate(parts):
            if part.startswith("neuron"):
                return "/".join(parts[:k + 1])
        return ""
    if isinstance(fold, int):
        return "/".join(parts[:fold]) if len(parts) >= fold else ""
    for k in range(1, len(parts) + 1):
        prefix = "/".join(parts[:k])
        if prefix in fold:
            return prefix
    return ""


class Group:
    """One folded scope: its op nodes, the nodes it takes in, the nodes it gives out.

    ``members`` are in the graph's order; ``inputs`` are the nodes outside the group
    that its members use (constants included), in first-seen order; ``outputs`` are
    the members used outside the group, or the graph's output, in order.
    """

    __slots__ = ("index", "inputs", "members", "outputs", "scope")

    def __init__(self, scope: str, index: int) -> None:
        self.scope = scope
        self.index = index
        self.members: list[Var] = []
        self.inputs: list[Var] = []
        self.outputs: list[Var] = []

    def __repr__(self) -> str:
        return (f"<Group {self.scope!r}: {len(self.members)} ops, {len(self.inputs)} inputs, "
                f"{len(self.outputs)} outputs>")


class Folding:
    """The graph under ``out`` with the scopes ``fold`` names seen as one node each.

    The folded graph's *units* are the nodes outside every group and the groups'
    outputs (each output stands for its group at that port).  :meth:`children` and
    :meth:`factor` give its edges and their local derivatives; :meth:`path_counts` and
    :meth:`on_paths` count paths over it, as :mod:`symgrad.pathsum` does unfolded.
    Composite derivatives are computed on first use and kept.  ``fold`` must fold at
    least one scope of the graph (an :class:`~symgrad.errors.InputError` lists the
    graph's scopes otherwise).
    """

    def __init__(self, out: Var, fold: Fold, order: list[Var] | None = None) -> None:
        self.out = check_var(out)
        self.spec = check_fold(fold)
        self.order: list[Var] = postorder(out) if order is None else order
        where: dict[str, str] = {}
        self.group_of: dict[Var, Group] = {}
        by_scope: dict[str, Group] = {}
        for v in self.order:
            if v.op is None or v.op is CONST or not v.scope:
                continue
            key = where.get(v.scope)
            if key is None:
                key = where[v.scope] = folded_scope(v.scope, self.spec)
            if key:
                group = by_scope.get(key)
                if group is None:
                    group = by_scope[key] = Group(key, len(by_scope))
                group.members.append(v)
                self.group_of[v] = group
        self.groups: list[Group] = list(by_scope.values())
        self._check_matches()
        group_of = self.group_of
        outputs: set[Var] = set()
        seen: set[tuple[Group, Var]] = set()
        for v in self.order:
            home = group_of.get(v)
            for a in v.inputs:
                there = group_of.get(a)
                if there is not None and there is not home:
                    outputs.add(a)
                if home is not None and there is not home and (home, a) not in seen:
                    seen.add((home, a))
                    home.inputs.append(a)
        if out in group_of:
            outputs.add(out)
        for group in self.groups:
            group.outputs = [m for m in group.members if m in outputs]
        self.ports = outputs
        self._inner: dict[Var, tuple[list[Var], list[Var]]] = {}
        self._jacobians: dict[Var, dict[Var, float]] = {}
        self._counts: dict[Var, dict[Var, int]] = {}
        self._index: dict[Group, dict[Var, int]] = {}

    def _check_matches(self) -> None:
        if isinstance(self.spec, tuple):
            scopes = {v.scope for v in self.order if v.scope}
            known = {"/".join(s.split("/")[:k + 1]) for s in scopes
                     for k in range(s.count("/") + 1)}
            unknown = [s for s in self.spec if s not in known]
            if unknown:
                raise InputError(f"fold names {', '.join(map(repr, unknown))}, not a scope "
                                 f"of this graph (its scopes: {_listed(known)})")
        elif not self.groups:
            scopes = {v.scope for v in self.order if v.scope}
            what = (f"no scope of this graph (its scopes: {_listed(scopes)})" if scopes
                    else "nothing: the graph has no scopes")
            raise InputError(f"fold={self.spec!r} folds {what}; build the graph inside "
                             "symgrad.scope(...) or with symgrad.nn, whose models scope "
                             "their nodes")

    @property
    def units(self) -> list[Var]:
        """The folded graph's nodes, inputs before the units that use them."""
        return [v for v in self.order if v not in self.group_of or v in self.ports]

    def inner(self, port: Var) -> tuple[list[Var], list[Var]]:
        """``(order, inputs)``: the group's members ``port`` depends on without leaving the
        group (inputs before users, ``port`` last), and the group inputs they use, in
        first-seen order.  Iterative."""
        found = self._inner.get(port)
        if found is None:
            group = self.group_of[port]
            member = self.group_of
            order: list[Var] = []
            reached: dict[Var, None] = {}
            seen = {port}
            stack = [(port, iter(port.inputs))]
            while stack:
                node, rest = stack[-1]
                for a in rest:
                    if member.get(a) is not group:
                        reached[a] = None
                    elif a not in seen:
                        seen.add(a)
                        stack.append((a, iter(a.inputs)))
                        break
                else:
                    stack.pop()
                    order.append(node)
            found = self._inner[port] = (order, list(reached))
        return found

    def jacobian(self, port: Var) -> dict[Var, float]:
        """∂port/∂u for every group input ``u`` that ``port`` depends on (constants
        excluded): backprop seeded at ``port`` over the group's own nodes.  May raise
        :class:`~symgrad.errors.DomainError` where a local derivative is undefined."""
        found = self._jacobians.get(port)
        if found is None:
            order, inputs = self.inner(port)
            adj = adjoints(port, order=order)
            found = self._jacobians[port] = {u: float(adj.get(u, 0.0)) for u in inputs
                                             if u.op is not CONST}
        return found

    def children(self, unit: Var) -> list[tuple[Var, int]]:
        """The edges out of ``unit`` in the folded graph, as ``(child, position)``.

        A plain node's children are its inputs, by argument position; a group output's
        are the group inputs it depends on, by their index in ``Group.inputs``.
        Constants are left out: no derivative flows into them.
        """
        group = self.group_of.get(unit)
        if group is None:
            return [(a, i) for i, a in enumerate(unit.inputs) if a.op is not CONST]
        index = self._index.get(group)
        if index is None:
            index = self._index[group] = {u: k for k, u in enumerate(group.inputs)}
        return [(u, index[u]) for u in self.inner(unit)[1] if u.op is not CONST]

    def factor(self, unit: Var, position: int) -> float:
        """The local derivative along the edge ``(unit, position)`` of :meth:`children`."""
        group = self.group_of.get(unit)
        if group is None:
            return local_partial(unit, position)
        return self.jacobian(unit)[group.inputs[position]]

    def check_unit(self, node: Var, what: str = "wrt") -> Var:
        """``node`` if it is a unit of the folded graph, else an InputError saying why."""
        group = self.group_of.get(node)
        if group is not None and node not in self.ports:
            raise InputError(f"{what} is inside the folded scope {group.scope!r}, which is "
                             "drawn as one node; choose a node outside it, or leave that "
                             "scope unfolded")
        return node

    def path_counts(self, wrt: Var) -> dict[Var, int]:
        """How many folded paths lead from each unit down to ``wrt`` (one pass)."""
        counts = self._counts.get(wrt)
        if counts is None:
            self.check_unit(wrt)
            counts = {}
            for u in self.units:
                counts[u] = 1 if u is wrt else sum(counts.get(c, 0) for c, _ in
                                                    self.children(u))
            self._counts[wrt] = counts
        return counts

    def on_paths(self, wrt: Var) -> set[Var]:
        """The units on some folded path from the output to ``wrt``."""
        return {u for u, n in self.path_counts(wrt).items() if n}

    def scope_of(self, unit: Var) -> str:
        """The folded scope ``unit`` stands for ("" for a node outside every group)."""
        group = self.group_of.get(unit)
        return group.scope if group is not None else ""

    def __repr__(self) -> str:
        return f"<Folding fold={self.spec!r}: {len(self.groups)} groups>"


def _listed(names: Iterable[str], limit: int = 8) -> str:
    names = sorted(names)
    if not names:
        return "none"
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def describe(fold: Any) -> str:
    """``fold`` as the text a message or a flag shows (``neurons``, ``1``, ``a,b``)."""
    spec = check_fold(fold)
    return ",".join(spec) if isinstance(spec, tuple) else str(spec)
