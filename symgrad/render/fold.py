"""What a figure draws: folded scopes, focus, clusters and ranks, decided in one place.

:func:`build_scene` turns a graph and its :class:`~symgrad.render.options.DrawOptions`
into a :class:`Scene`: the nodes to draw (plain nodes, folded scopes, dimmed inputs),
the edges between them, the clusters that hold each scope's nodes and the folded nodes
that share a rank.  :mod:`symgrad.render.dot` only writes it out.

- ``fold=`` draws each folded scope (see :mod:`symgrad.fold`) as one node, with a port
  per output when it has several; the edges into it carry composite derivatives.
- ``focus=`` keeps the nodes on the paths from the output to one node; the other
  inputs of the ops kept are drawn small and dimmed, and the rest is left out.
- Scopes that are not folded are drawn as clusters, nested as the scopes are; the
  folded nodes of one cluster (a layer's neurons) share a rank.

Plain nodes keep the id they have unfolded (``n<k>``, the k-th drawn node), so ids do
not move when a scope folds; folded nodes are ``g<k>``.

>>> from symgrad import nn
>>> from symgrad.analysis import Analysis
>>> from symgrad.render.options import DrawOptions
>>> loss = nn.loss_graph(nn.MLP(2, [2, 1], seed=0), nn.XOR)
>>> scene = build_scene(Analysis(loss), DrawOptions(fold="neurons"))
>>> [n.group.scope for n in scene.nodes if n.group]
['layer0/neuron0', 'layer1/neuron0', 'layer0/neuron1']
>>> len(scene.nodes), len(scene.edges), [c.scope for c in scene.clusters]
(23, 31, ['layer1', 'layer0'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..analysis import Analysis
from ..fold import Folding, Group, folded_scope
from ..ops import CONST
from ..var import Var
from .labels import operand_names
from .options import DrawOptions

__all__ = ["FORMULA_CHARS", "FORMULA_OPS", "Cluster", "Edge", "Node", "Scene", "build_scene",
           "composite_formulas"]

#: A folded edge gets a formula only when its output depends on at most this many ops of
#: the scope ...
FORMULA_OPS = 12
#: ... and when the formula is at most this long; otherwise only the number is shown.
FORMULA_CHARS = 40


@dataclass(eq=False)
class Node:
    """A drawn node: a plain node (``var``) or a folded scope (``group``)."""

    id: str
    var: Var | None = None
    group: Group | None = None
    #: An input of a focused op that is not on the focused paths: drawn small and dim.
    dim: bool = False
    #: The scope whose cluster holds the node ("" for none).
    cluster: str = ""
    #: A folded node in the compact style: how many of its own parameters it holds.
    held: int = 0


@dataclass(eq=False)
class Edge:
    """A drawn edge: ``source``'s value flowing from ``tail`` into ``head``.

    ``position`` is the argument of ``head.var``, or the index of ``source`` in
    ``head.group.inputs``; ``port`` is the index of ``source`` in ``tail.group.outputs``
    when the tail's ports are drawn; ``count`` is how many edges it stands for (the
    compact style draws parallel edges between two folded nodes once).
    """

    tail: Node
    head: Node
    source: Var
    position: int
    port: int | None = None
    count: int = 1

    @property
    def dim(self) -> bool:
        return self.tail.dim


@dataclass(eq=False)
class Cluster:
    """A scope drawn as a box around its nodes; ``children`` are nested scopes."""

    scope: str
    id: str
    nodes: list[Node] = field(default_factory=list)
    children: list[Cluster] = field(default_factory=list)
    #: Folded nodes that share a rank (a layer's neurons), when none uses another.
    rank: list[Node] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.scope.rsplit("/", 1)[-1]


@dataclass(eq=False)
class Scene:
    """Everything :func:`~symgrad.render.dot.to_dot` writes, decided."""

    out: Var
    nodes: list[Node]
    edges: list[Edge]
    folding: Folding | None
    #: The operand names of the figure (``u``, ``v`` unless an input is called that).
    names: tuple[str, str]
    clusters: list[Cluster] = field(default_factory=list)
    #: Folded nodes outside every cluster that share a rank.
    rank: list[Node] = field(default_factory=list)
    focus: Var | None = None
    left_out: int = 0
    #: True when folded nodes with several outputs are drawn with a port per output.
    ports: bool = True

    def compacted(self, keep: Var | None = None) -> Scene:
        """This scene in the compact style: no ports, parallel edges drawn once, and each
        folded node holding its own parameters (the inputs built in its scope that only
        it uses; counted in :attr:`Node.held`), except ``keep``."""
        spec = self.folding.spec if self.folding is not None else None
        heads: dict[Node, set[Node]] = {}
        for e in self.edges:
            heads.setdefault(e.tail, set()).add(e.head)
        held: set[Node] = set()
        for node, users in heads.items():
            v = node.var
            if v is None or v.op is not None or v in (keep, self.focus) or node.dim \
                    or len(users) != 1:
                continue
            (user,) = users
            if user.group is not None and folded_scope(v.scope, spec) == user.group.scope:
                held.add(node)
                user.held += 1
        merged: dict[tuple[str, str], Edge] = {}
        edges = []
        for e in self.edges:
            if e.tail in held:
                continue
            if e.tail.group is None and e.head.group is None:
                edges.append(e)
                continue
            key = (e.tail.id, e.head.id)
            if key in merged:
                merged[key].count += 1
                continue
            e = Edge(e.tail, e.head, e.source, e.position)
            merged[key] = e
            edges.append(e)
        if held:
            for c in self._all_clusters():
                c.nodes = [n for n in c.nodes if n not in held]
        nodes = [n for n in self.nodes if n not in held]
        return Scene(self.out, nodes, edges, self.folding, self.names, self.clusters,
                     self.rank, self.focus, self.left_out, ports=False)

    def _all_clusters(self) -> list[Cluster]:
        found, stack = [], list(self.clusters)
        while stack:
            c = stack.pop()
            found.append(c)
            stack.extend(c.children)
        return found


def build_scene(an: Analysis, options: DrawOptions) -> Scene:
    """The scene of the graph ``an`` describes, drawn with ``options`` (full style)."""
    out, order = an.out, an.order
    inline = options.constants == "inline"
    folding = an.folding(options.fold) if options.fold is not None else None
    group_of = folding.group_of if folding else {}
    focus = an.node(options.focus, "focus")
    if focus is not None and folding is not None:
        folding.check_unit(focus, "focus")
    drawn = [v for v in order if not (inline and v.op is CONST and v is not out)]
    nodes: list[Node] = []
    unit: dict[Var, Node] = {}
    by_group: dict[Group, Node] = {}
    for k, v in enumerate(drawn):
        group = group_of.get(v)
        if group is None:
            node = Node(f"n{k}", var=v)
            nodes.append(node)
        else:
            node = by_group.get(group)  # type: ignore[assignment]
            if node is None:
                node = by_group[group] = Node(f"g{group.index}", group=group)
                nodes.append(node)
        unit[v] = node
    names = operand_names(v.name for v in order if v.op is None)
    scene = Scene(out, nodes, [], folding, names)
    keep = _focus(scene, focus, unit, an) if focus is not None else None
    for head in scene.nodes:
        if head.dim:
            continue
        sources = head.var.inputs if head.var is not None else head.group.inputs  # type: ignore[union-attr]
        for i, a in enumerate(sources):
            tail = unit.get(a)
            if tail is None or (keep is not None and tail not in keep):
                continue
            port = None
            if tail.group is not None and len(tail.group.outputs) > 1:
                port = tail.group.outputs.index(a)
            scene.edges.append(Edge(tail, head, a, i, port))
    _clusters(scene, folding)
    return scene


def _focus(scene: Scene, focus: Var, unit: dict[Var, Node], an: Analysis) -> set[Node]:
    """Keep the nodes on paths to ``focus``, dim the other inputs of the ops kept."""
    folding = scene.folding
    on = folding.on_paths(focus) if folding is not None else an.on_paths(focus)
    kept = {unit[v] for v in on if v in unit}
    dim: set[Node] = set()
    for node in kept:
        sources = node.var.inputs if node.var is not None else node.group.inputs  # type: ignore[union-attr]
        for a in sources:
            tail = unit.get(a)
            if tail is not None and tail not in kept:
                dim.add(tail)
    for node in dim:
        node.dim = True
    shown = [n for n in scene.nodes if n in kept or n in dim]
    scene.left_out = len(scene.nodes) - len(shown)
    scene.nodes = shown
    scene.focus = focus
    return kept | dim


def _parent(scope: str) -> str:
    return scope.rsplit("/", 1)[0] if "/" in scope else ""


def _clusters(scene: Scene, folding: Folding | None) -> None:
    """Put each node in the cluster of the innermost scope drawn open around it."""
    spec = folding.spec if folding is not None else None
    found: dict[str, Cluster] = {}
    top: list[Cluster] = []

    def cluster(scope: str) -> Cluster:
        chain = []
        while scope and scope not in found:
            chain.append(scope)
            scope = _parent(scope)
        for s in reversed(chain):
            c = found[s] = Cluster(s, f"cluster_{len(found)}")
            parent = _parent(s)
            (found[parent].children if parent else top).append(c)
        return found[chain[0] if chain else scope]

    for node in scene.nodes:
        if node.group is not None:
            scope = _parent(node.group.scope)
        else:
            scope = node.var.scope  # type: ignore[union-attr]
            outer = folded_scope(scope, spec)
            if outer:
                scope = _parent(outer)
        node.cluster = scope
        if scope:
            cluster(scope).nodes.append(node)
    scene.clusters = top
    # A layer's folded neurons share a rank, unless one uses another.
    linked = {(e.tail, e.head) for e in scene.edges}
    for nodes, holder in [(c.nodes, c) for c in found.values()] + [
            ([n for n in scene.nodes if not n.cluster], None)]:
        folded = [n for n in nodes if n.group is not None and not n.dim]
        if len(folded) > 1 and not any((a, b) in linked for a in folded for b in folded):
            if holder is None:
                scene.rank = folded
            else:
                holder.rank = folded


def composite_formulas(folding: Folding, port: Var, symbols: dict[Var, str]) -> dict[Var, str]:
    """The formula of ∂``port``/∂u for the group inputs u of ``port``, where it is short.

    Symbolic backprop over the group's own nodes, on SymPy (imported here, never by the
    core): an arithmetic op's local derivative is the op table's rule; a function op's
    is written ``f′(its argument)`` (``σ′(z)``), and an op of the group that is a
    function's argument is called ``z``.  ``symbols`` names each input (constants are
    written as their value).  Inputs whose formula would be longer than
    :data:`FORMULA_CHARS`, or ports that depend on more than :data:`FORMULA_OPS` ops,
    get none; the figure shows the engine's number alone.

    >>> from symgrad import Var, scope
    >>> x = Var(0.5, name="x")
    >>> with scope("neuron"):
    ...     w, b = Var(2.0, name="w"), Var(-1.0, name="b")
    ...     h = (w * x + b).sigmoid()
    >>> folding = Folding(h * 2, "neurons")
    >>> found = composite_formulas(folding, h, {w: "w", x: "x", b: "b"})
    >>> [(v.name, text) for v, text in found.items()]
    [('w', 'x·σ′(z)'), ('x', 'w·σ′(z)'), ('b', 'σ′(z)')]
    """
    import sympy as sp

    from .labels import exact_number, format_expr, formula_namespace, fresh

    order, inputs = folding.inner(port)
    if len(order) > FORMULA_OPS:
        return {}
    m = formula_namespace()
    inner = set(order)
    named = list(dict.fromkeys(a for v in order if v.op.function  # type: ignore[union-attr]
                               for a in v.inputs if a in inner))
    taken = list(symbols.values())
    zs = {a: fresh("z" if len(named) == 1 else f"z{_sub(k + 1)}", taken)
          for k, a in enumerate(named)}
    val: dict[Var, object] = {}

    def value(a: Var) -> object:
        if a in val:
            return val[a]
        return exact_number(a.value) if a.op is CONST else sp.Symbol(symbols[a])

    for v in order:
        op = v.op
        val[v] = sp.Symbol(zs[v]) if v in zs else (
            sp.Function(op.symbol)(*map(value, v.inputs)) if op.function  # type: ignore[union-attr]
            else op.value(m, *map(value, v.inputs)))  # type: ignore[union-attr]
    adj: dict[Var, object] = {port: sp.Integer(1)}
    for v in reversed(order):
        op, g = v.op, adj[v]
        args = [value(a) for a in v.inputs]
        for i, a in enumerate(v.inputs):
            if a.op is CONST:
                continue
            local = (sp.Function(op.symbol + "′")(*args) if op.function  # type: ignore[union-attr]
                     else op.partials[i](m, val[v], *args))  # type: ignore[union-attr]
            adj[a] = adj.get(a, 0) + local * g  # type: ignore[operator]
    found = {}
    for u in inputs:
        if u.op is not CONST:
            text = format_expr(sp.sympify(adj[u]))
            if len(text) <= FORMULA_CHARS:
                found[u] = text
    return found


def _sub(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
