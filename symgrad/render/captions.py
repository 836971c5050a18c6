"""The words of a figure: what each node, each edge and the legend of a scene say.

Nothing here knows DOT (:mod:`symgrad.render.dot` quotes and places the text) and
nothing computes a derivative: values come from the graph, local partials from the
engine (:func:`symgrad.graph.local_partial`), composite derivatives from
:class:`symgrad.fold.Folding`, paths from :class:`symgrad.analysis.Analysis`.

An op's operands are written in the figure's operand names (``u``, ``v``; see
:func:`symgrad.render.labels.operand_names`).  A folded node's inputs are written by
their names when they are inputs (the last part of a dotted name, ``w0`` for
``layer0.neuron1.w0``, when that is unambiguous) and ``u₁``, ``u₂`` ... otherwise; its
outputs, when it has several, are ``out₁``, ``out₂`` ...

>>> from symgrad import Var
>>> from symgrad.analysis import Analysis
>>> from symgrad.render.fold import build_scene
>>> from symgrad.render.options import DrawOptions
>>> x = Var(3.0, name="x")
>>> o = DrawOptions(show="number", grads=False, compact=False)
>>> scene = build_scene(Analysis(x * x), o)
>>> words = Captions(scene, o, Analysis(x * x))
>>> [words.node(n) for n in scene.nodes], [words.edge(e) for e in scene.edges]
(['x = 3', '×\\nf = 9'], ['u = x = 3\\n∂/∂u = 3', 'v = x = 3\\n∂/∂v = 3'])
"""

from __future__ import annotations

from ..analysis import Analysis
from ..errors import DomainError
from ..graph import local_partial
from ..ops import CONST
from ..pathsum import count_text
from ..var import Var
from .fold import Edge, Node, Scene, composite_formulas
from .labels import fmt_number, fresh, op_caption, partial_formula
from .options import DrawOptions

__all__ = ["MAX_PORT_LINES", "Captions", "subscript"]

#: An edge into a folded node lists the derivatives of at most this many of its outputs.
MAX_PORT_LINES = 4

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(k: int) -> str:
    """``k`` in subscript digits: ``subscript(12) == "₁₂"``."""
    return str(k).translate(_SUBSCRIPT)


class Captions:
    """The text of every part of ``scene``, drawn with the resolved ``options``."""

    def __init__(self, scene: Scene, options: DrawOptions, analysis: Analysis) -> None:
        self.scene = scene
        self.o = options
        self.an = analysis
        self.names = scene.names
        self._symbols: dict[object, dict[Var, str]] = {}
        self._formulas: dict[Var, dict[Var, str]] = {}

    # -- nodes -------------------------------------------------------------------------

    def consts(self, v: Var) -> tuple[float | None, ...]:
        """Per argument of ``v``, the constant written into its caption (inline mode)."""
        if self.o.constants != "inline":
            return ()
        return tuple(a.value if a.op is CONST else None for a in v.inputs)

    def caption(self, v: Var) -> str:
        return op_caption(v.op, self.consts(v), self.o.digits, self.names)  # type: ignore[arg-type]

    def number(self, value: float) -> str:
        return fmt_number(value, self.o.digits)

    def node(self, node: Node) -> str:
        """The label of a node (for a folded node with ports: its title field)."""
        o = self.o
        if node.group is not None:
            group = node.group
            lines = [group.scope]
            if node.held:
                lines.append(f"{node.held} parameter{'s' if node.held != 1 else ''} inside")
            if len(group.outputs) > 1:
                if not self.scene.ports:
                    lines.append(f"{len(group.outputs)} outputs")
                return "\n".join(lines)
            port = group.outputs[0]
            lines.append(self._value(port))
            if o.grads and not o.compact:
                lines.append(f"grad = {self.number(port.grad)}")
            return "\n".join(lines)
        v = node.var
        assert v is not None
        if v.op is None:
            text = f"{v.name} = {self.number(v.value)}"
            return text + (f"\ngrad = {self.number(v.grad)}" if o.grads and not node.dim
                           else "")
        if v.op is CONST:
            return self.number(v.value)
        text = f"{self.caption(v)}\n{self._value(v)}"
        if o.grads and not o.compact and not node.dim:
            text += f"\ngrad = {self.number(v.grad)}"
        return text

    def _value(self, v: Var) -> str:
        name = self.o.output_name if v is self.scene.out else ""
        return f"{name} = {self.number(v.value)}" if name else f"= {self.number(v.value)}"

    def ports(self, node: Node) -> list[str]:
        """The fields of a folded node's outputs: ``out₁ = 0.73`` (and its grad)."""
        fields = []
        for k, port in enumerate(node.group.outputs, 1):  # type: ignore[union-attr]
            name = self.o.output_name if port is self.scene.out else f"out{subscript(k)}"
            text = f"{name} = {self.number(port.value)}"
            if self.o.grads:
                text += f"\ngrad = {self.number(port.grad)}"
            fields.append(text)
        return fields

    def short(self, v: Var, scope: str = "") -> str:
        """A node as one word in the legend: an input's name, an op's caption, a scope."""
        if scope:
            group = self.scene.folding.group_of[v]  # type: ignore[union-attr]
            if len(group.outputs) > 1:
                return f"{scope} (out{subscript(group.outputs.index(v) + 1)})"
            return scope
        if v.op is None:
            return v.name or "?"
        return self.o.output_name if v is self.scene.out else self.caption(v)

    # -- edges -------------------------------------------------------------------------

    def edge(self, e: Edge) -> str:
        """The value an edge carries and its local derivative (composite into a fold)."""
        if e.head.group is not None:
            return self._into_group(e)
        v, i = e.head.var, e.position
        assert v is not None
        a = v.inputs[i]
        arg = self.names[i]
        value = self.number(a.value)
        first = f"{arg} = {a.name} = {value}" if a.op is None else f"{arg} = {value}"
        if a.op is CONST or self.o.show == "none":
            return first
        formula = partial_formula(v.op, i, self.consts(v), self.names) \
            if self.o.show in ("both", "formula") else ""  # type: ignore[arg-type]
        return f"{first}\n∂/∂{arg} = {self._join(formula, lambda: local_partial(v, i))}"

    def _join(self, formula: str, number: object) -> str:
        parts = [formula] if formula else []
        if self.o.show in ("both", "number"):
            try:
                text = self.number(number())  # type: ignore[operator]
            except DomainError:
                text = "undefined"
            if text != formula:
                parts.append(text)
        return " = ".join(parts)

    def symbols(self, node: Node) -> dict[Var, str]:
        """How a folded node's inputs are written: names, or ``u₁``, ``u₂`` ..."""
        group = node.group
        found = self._symbols.get(group)
        if found is None:
            leaves = [u for u in group.inputs if u.op is None]  # type: ignore[union-attr]
            shorts = [str(u.name).rsplit(".", 1)[-1] or str(u.name) for u in leaves]
            found = {u: s if shorts.count(s) == 1 else str(u.name)
                     for u, s in zip(leaves, shorts, strict=True)}
            taken = [str(v.name) for v in self.an.leaves]
            others = [u for u in group.inputs  # type: ignore[union-attr]
                      if u.op is not None and u.op is not CONST]
            for k, u in enumerate(others, 1):
                found[u] = fresh(f"{self.names[0]}{subscript(k)}", taken)
            self._symbols[group] = found
        return found

    def _into_group(self, e: Edge) -> str:
        group, u = e.head.group, e.source
        assert group is not None
        if u.op is CONST:
            return self.number(u.value)
        sym = self.symbols(e.head)[u]
        first = f"{sym} = {self.number(u.value)}"
        if self.o.show == "none":
            return first
        folding = self.scene.folding
        assert folding is not None
        ports = [(k, p) for k, p in enumerate(group.outputs, 1) if u in folding.inner(p)[1]]
        lines = [first]
        for k, port in ports[:MAX_PORT_LINES]:
            formula = ""
            if self.o.show in ("both", "formula"):
                if port not in self._formulas:
                    self._formulas[port] = composite_formulas(folding, port,
                                                              self.symbols(e.head))
                formula = self._formulas[port].get(u, "")
            d = "∂" if len(group.outputs) == 1 else f"∂out{subscript(k)}"
            text = self._join(formula, lambda port=port: folding.jacobian(port)[u])
            lines.append(f"{d}/∂{sym} = {text or '…'}")
        if len(ports) > MAX_PORT_LINES:
            lines.append(f"… and {len(ports) - MAX_PORT_LINES} more outputs")
        return "\n".join(lines)

    # -- the graph's label -------------------------------------------------------------

    def legend(self, target: Var) -> str:
        """The chain-rule sum written out: each path's product, and their total."""
        o, an, out = self.o, self.an, self.scene.out
        if target.op is None:
            name = target.name or "?"
        else:  # an intermediate: its caption and value, "(× = 6)"
            name = f"({self.caption(target)} = {self.number(target.value)})"
        d = f"∂{o.output_name}/∂{name}"
        folding = self.scene.folding
        counts = folding.path_counts(target) if folding else an.path_counts(target)
        total = counts.get(out, 0)
        folded = " folded" if folding else ""
        if total == 0:
            return f"no path from {o.output_name} to {name}: {d} = 0"
        if total > o.path_limit:
            try:
                g = self.number(an.grad(target))
            except DomainError as exc:
                return f"{count_text(total)}{folded} paths from {o.output_name} to {name}; " \
                    f"{d} is undefined: {exc}"
            return (f"{count_text(total)}{folded} paths from {o.output_name} to {name} (more "
                    f"than path_limit={o.path_limit}, so not listed)\n"
                    f"sum of their products = {g} = {d}")
        many = f"{total}{folded} path{'s' if total != 1 else ''}"
        try:
            found = an.paths(target, o.path_limit, fold=o.fold)
        except DomainError as exc:
            return f"{many} from {o.output_name} to {name}; {d} is undefined: {exc}"
        lines = [f"{many} from {o.output_name} to {name} (factors from the output down):"]
        sum_ = 0.0
        for k, p in enumerate(found, 1):
            scopes = p.folded or ("",) * len(p.nodes)
            route = " → ".join(self.short(v, s) for v, s in zip(p.nodes, scopes, strict=True))
            factors = " · ".join(self.number(f) for f in p.factors) or "1"
            lines.append(f"path {k} ({route}): {factors} = {self.number(p.product)}")
            sum_ += p.product
        lines.append(f"sum = {self.number(sum_)} = {d}")
        return "\n".join(lines)

    def focus_note(self) -> str:
        """What focus left out: ``focus on x: 7 nodes on its paths, ...``."""
        scene = self.scene
        target = scene.focus
        assert target is not None
        name = self.short(target, self.scene.folding.scope_of(target)
                          if self.scene.folding else "")
        dim = sum(1 for n in scene.nodes if n.dim)
        kept = len(scene.nodes) - dim
        return (f"focus on {name}: {kept} node{'s' if kept != 1 else ''} on the paths from "
                f"{self.o.output_name}, {dim} other input{'s' if dim != 1 else ''} dimmed, "
                f"{scene.left_out} node{'s' if scene.left_out != 1 else ''} left out")
