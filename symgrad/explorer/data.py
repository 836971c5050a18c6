"""The explorer's numbers: every value, local derivative and pass step, built in Python.

The page's script only reveals what this module computes, so the numbers a reader steps
through are the engine's own: values from the graph, local partials from
:func:`symgrad.graph.local_partial`, tangents from :func:`symgrad.forward.tangents`,
paths from :func:`symgrad.paths`, all read from one :class:`~symgrad.analysis.Analysis`.
:func:`build` returns one JSON-able dict,
compact on purpose (arrays, not a dict per step; each step holds only what changes):

``operands``
    How the figure writes an op's operands (``["u", "v"]``, or another pair when an
    input is called that; see :func:`symgrad.render.labels.operand_names`).
``nodes[k]``
    ``[kind, name, caption, op, value]`` for drawn node ``k`` (``n<k>`` in the DOT, in
    :func:`symgrad.graph.nodes` order); ``kind`` is ``"x"`` (input), ``"op"`` or ``"c"``.
``edges[j]``
    ``[consumer, position, input, local, formula, constant]``: one per argument of every
    drawn op; ``input`` is ``-1`` for a constant written into its op; ``local`` is
    d consumer / d input (``None`` for constants and where it is undefined);
    ``formula`` indexes ``formulas`` (``-1`` for none).
``values``
    The values pass: drawn node indices in topological order.
``reverse``
    ``{"steps": [[node, grad, [[edge, contribution, new running sum], ...]], ...],
    "error": text or None}``: one node per step, in ``reversed(nodes(out))`` order.
``forward[i]``
    For input ``inputs[i]``: ``{"steps": [[node, tangent, [[edge, contribution or None],
    ...]], ...], "error": ...}`` over the nodes that depend on it, or ``None`` when left
    out to keep the page small (see :data:`FORWARD_BUDGET`).
``paths[i]``
    ``{"count": "12", "list": [[[edge, ...], product], ...] or None, "sum": ...}``.

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> d = build((x**2 + 3)**2 + x, selected=x)
>>> [n[2] for n in d["nodes"]]
['x', 'u²', 'u + 3', 'u²', '+']
>>> d["reverse"]["steps"][-1][:2]          # the last step finishes x: df/dx
[0, 57.0]
"""

from __future__ import annotations

from typing import Any

from ..analysis import Analysis
from ..errors import DomainError
from ..forward import tangents
from ..graph import local_partial
from ..ops import CONST
from ..render.labels import fmt_number, op_caption, operand_names, partial_formula
from ..var import Var

__all__ = ["FORWARD_BUDGET", "MAX_NODES", "PATH_BUDGET", "PATH_LIST", "build", "drawn_nodes"]

#: ``explore`` refuses graphs with more drawn nodes than this.
MAX_NODES = 2_000
#: Forward passes are stored for the inputs, selected one first, until their edge entries
#: reach this many; the others say how to get theirs (``explore(out, wrt=...)``).
FORWARD_BUDGET = 20_000
#: At most this many paths are listed per input; above it only their count is shown.
PATH_LIST = 24
#: Path edges stored over all inputs, at most.
PATH_BUDGET = 20_000


def drawn_nodes(order: list[Var], out: Var, constants: str = "inline") -> list[Var]:
    """The nodes the figure draws, in the order of its ids ``n0, n1, ...``.

    With ``constants="inline"`` (draw's default) constants are written into their ops
    and not drawn, unless the output itself is one.

    >>> from symgrad import Var, nodes
    >>> x = Var(2.0, name="x")
    >>> f = 3 * x
    >>> len(nodes(f)), len(drawn_nodes(nodes(f), f)), len(drawn_nodes(nodes(f), f, "nodes"))
    (3, 2, 3)
    """
    inline = constants == "inline"
    return [v for v in order if not (inline and v.op is CONST and v is not out)]


def _node_row(v: Var, digits: int, names: tuple[str, str]) -> list[Any]:
    if v.op is None:
        return ["x", v.name, v.name, None, v.value]
    if v.op is CONST:
        return ["c", None, fmt_number(v.value, digits), None, v.value]
    consts = tuple(a.value if a.op is CONST else None for a in v.inputs)
    return ["op", None, op_caption(v.op, consts, digits, names), v.op.name, v.value]


def build(out: Var, *, selected: Var | None = None, output_name: str = "f",
          digits: int = 4, constants: str = "inline",
          analysis: Analysis | None = None) -> dict[str, Any]:
    """The page's data for the graph under ``out`` (see the module docstring).

    ``selected`` is the input whose forward pass is stored first (and highlighted when
    the page opens).  A local derivative that is undefined ends the reverse pass (and
    that input's forward pass) at the node where it is needed, with the engine's
    :class:`~symgrad.errors.DomainError` message as the pass's ``error``.

    >>> from symgrad import Var, sqrt
    >>> x = Var(2.0, name="x")
    >>> d = build(sqrt(x - 2) + x)                 # d sqrt(a)/da is undefined at a = 0
    >>> len(d["reverse"]["steps"]), d["reverse"]["error"][:34]
    (1, 'a local derivative of sqrt(0.0) is')
    """
    an = analysis or Analysis(out)
    order = an.order
    drawn = drawn_nodes(order, out, constants)
    names = operand_names(v.name for v in order if v.op is None)  # as the figure writes them
    idx = {v: k for k, v in enumerate(drawn)}
    formulas: list[str] = []
    formula_idx: dict[str, int] = {}
    edges: list[list[Any]] = []
    eidx: dict[tuple[Var, int], int] = {}
    local: dict[tuple[Var, int], float | None] = {}
    why: dict[tuple[Var, int], str] = {}
    for v in drawn:
        if v.op is None or v.op is CONST:
            continue
        consts = tuple(a.value if a.op is CONST else None for a in v.inputs)
        for i, a in enumerate(v.inputs):
            key = (v, i)
            eidx[key] = len(edges)
            if a.op is CONST:
                edges.append([idx[v], i, idx.get(a, -1), None, -1, a.value])
                continue
            try:
                number: float | None = local_partial(v, i)
                if number - number != 0.0:  # type: ignore[operator]
                    why[key] = f"the local derivative d/d{names[i]} is {number!r}"
                    number = None
            except DomainError as exc:
                number, why[key] = None, str(exc)
            local[key] = number
            text = partial_formula(v.op, i, consts, names)
            if text not in formula_idx:
                formula_idx[text] = len(formulas)
                formulas.append(text)
            edges.append([idx[v], i, idx[a], number, formula_idx[text], None])
    inputs = [v for v in drawn if v.op is None]
    order_in = sorted(range(len(inputs)), key=lambda k: inputs[k] is not selected)
    forward: list[Any] = [None] * len(inputs)
    found: list[Any] = [None] * len(inputs)
    spent = [0, 0]
    for k in order_in:
        if spent[0] < FORWARD_BUDGET:
            forward[k] = _forward(out, order, idx, eidx, local, inputs[k], spent)
        found[k] = _paths(an, inputs[k], eidx, spent)
    return {
        "version": 1,
        "output": output_name,
        "digits": digits,
        "out": idx[out],
        "operands": list(names),
        "nodes": [_node_row(v, digits, names) for v in drawn],
        "edges": edges,
        "formulas": formulas,
        "inputs": [idx[v] for v in inputs],
        "selected": inputs.index(selected) if selected in inputs else -1,
        "values": [idx[v] for v in drawn if v.op is not CONST],
        "reverse": _reverse(out, order, idx, eidx, local, why),
        "forward": forward,
        "paths": found,
    }


def _reverse(out: Var, order: list[Var], idx: dict[Var, int],
             eidx: dict[tuple[Var, int], int], local: dict[tuple[Var, int], float | None],
             why: dict[tuple[Var, int], str]) -> dict[str, Any]:
    """Backprop replayed one node per step, in ``reversed(nodes(out))`` order."""
    adj: dict[Var, float] = {out: 1.0}
    steps: list[list[Any]] = []
    for v in reversed(order):
        if v.op is CONST:
            continue
        g = adj[v]  # complete: every consumer of v came before it
        sends: list[list[Any]] = []
        for i, a in enumerate(v.inputs):
            if a.op is CONST:
                continue
            number = local[(v, i)]
            if number is None:
                return {"steps": steps, "error": why[(v, i)]}
            c = number * g
            old = adj.get(a)
            adj[a] = new = c if old is None else old + c
            sends.append([eidx[(v, i)], c, new])
        steps.append([idx[v], g, sends])
    return {"steps": steps, "error": None}


def _forward(out: Var, order: list[Var], idx: dict[Var, int],
             eidx: dict[tuple[Var, int], int], local: dict[tuple[Var, int], float | None],
             x: Var, spent: list[int]) -> dict[str, Any]:
    """Tangents d node / d x over the nodes that depend on ``x``, in topological order."""
    try:
        tan = tangents(out, x, order)
    except DomainError as exc:
        return {"steps": [], "error": str(exc)}
    reach = {x}
    steps: list[list[Any]] = [[idx[x], 1.0, []]]
    for v in order:
        if v.op is None or v.op is CONST or not any(a in reach for a in v.inputs):
            continue
        reach |= {v}
        sends: list[list[Any]] = []
        for i, a in enumerate(v.inputs):
            if a in reach:
                # The same product tangents() summed; None where nothing flows (tangent 0).
                number = local[(v, i)]
                c = None if tan[a] == 0.0 or number is None else number * tan[a]
                sends.append([eidx[(v, i)], c])
        spent[0] += len(sends) + 1
        steps.append([idx[v], tan[v], sends])
    return {"steps": steps, "error": None}


def _paths(an: Analysis, x: Var, eidx: dict[tuple[Var, int], int], spent: list[int]
           ) -> dict[str, Any]:
    """The paths from the output down to ``x`` as edge lists, or only their count."""
    count = an.count_paths(x)
    entry: dict[str, Any] = {"count": str(count), "list": None, "sum": None, "error": None}
    if count > PATH_LIST or spent[1] >= PATH_BUDGET:
        return entry
    try:
        found = an.paths(x, PATH_LIST)
    except DomainError as exc:
        entry["error"] = str(exc)
        return entry
    listed, total = [], 0.0
    for p in found:
        route = [eidx[(p.nodes[k], pos)] for k, pos in enumerate(p.positions)]
        spent[1] += len(route) + 1
        listed.append([route, p.product])
        total += p.product
    entry["list"], entry["sum"] = listed, total
    return entry
