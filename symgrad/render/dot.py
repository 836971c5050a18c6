"""Graph → DOT text: a pure function, with all quoting in :func:`quote`.

:func:`to_dot` walks the graph once in :func:`symgrad.graph.nodes` order (iteratively,
so depth does not matter) and writes one DOT statement per node and per edge.  Node ids
are ``n0``, ``n1``, ... in that order, so the same graph always gives byte-identical
text, which the snapshot tests rely on.  Every string that reaches the DOT text (ids,
attribute values, labels, user-chosen names) goes through :func:`quote`; nothing else
escapes anything.

>>> from symgrad import Var
>>> x = Var(3.0, name="x")
>>> print(to_dot(x * x, DrawOptions(show="number")))      # doctest: +ELLIPSIS
digraph "symgrad" {
...
  "n0" [label="x = 3", ...];
  "n1" [label="×\\nf = 9", ...];
  "n0" -> "n1" [label="a = x = 3\\n∂/∂a = 3"];
  "n0" -> "n1" [label="b = x = 3\\n∂/∂b = 3"];
}
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Literal

from ..analysis import Analysis
from ..errors import DomainError
from ..graph import local_partial
from ..ops import CONST
from ..pathsum import count_text
from ..var import Var
from .labels import ARG_NAMES, fmt_number, op_caption, partial_formula
from .options import CHOICES, DrawOptions

__all__ = ["HIGHLIGHT_COLOR", "SHOW_CHOICES", "DotOptions", "quote", "to_dot"]

#: What ``show=`` may be: which parts of an edge's local derivative are written.
SHOW_CHOICES = CHOICES["show"]
#: The colour of the paths drawn by ``highlight=``.
HIGHLIGHT_COLOR = "#d62728"
_HIGHLIGHT_FILL = "#fde3e1"
_OUTPUT_FILL = "#e8f0fe"

_LEFT = "\\l"  # DOT's left-justified line break

Show = Literal["both", "formula", "number", "none"]

# Control characters have no business in a label; show them as their Unicode pictures
# (U+2400 ...) so they stay visible and cannot break the DOT text.
_CONTROL = {c: 0x2400 + c for c in range(0x20) if c != 0x0A}
_CONTROL[0x7F] = 0x2421
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"',
                          **{chr(k): chr(v) for k, v in _CONTROL.items()}})


def quote(text: str, newline: str = "\\n") -> str:
    """``text`` as a DOT double-quoted string: the one place anything is escaped.

    Backslashes and double quotes are escaped, so Graphviz shows them literally;
    line breaks become ``newline`` (``\\n`` centres a line, ``\\l`` left-justifies it);
    other control characters become their visible Unicode pictures (U+2400 block).
    Braces, ``<``, ``>``, ``&`` and any Unicode need nothing inside double quotes:
    labels here are never HTML-like, and Graphviz escapes them for SVG itself.

    >>> print(quote('say "hi"'), quote("a\\\\b"), quote("{x} <&>"), quote("two\\nlines"))
    "say \\"hi\\"" "a\\\\b" "{x} <&>" "two\\nlines"
    >>> print(quote("tab\\there"))
    "tab␉here"
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return '"' + text.translate(_ESCAPES).replace("\n", newline) + '"'


def _attrs(attrs: dict[str, str] | Iterable[tuple[str, str]]) -> str:
    items = attrs.items() if isinstance(attrs, dict) else attrs
    return ", ".join(f"{key}={quote(value)}" for key, value in items)


#: The former name of :class:`~symgrad.render.options.DrawOptions`.
DotOptions = DrawOptions


def _leaf_label(v: Var, o: DrawOptions) -> str:
    text = f"{v.name} = {fmt_number(v.value, o.digits)}"
    if o.grads:
        text += f"\ngrad = {fmt_number(v.grad, o.digits)}"
    return text


def _const_values(v: Var, o: DrawOptions) -> tuple[float | None, ...]:
    """Per argument of ``v``, the constant written into its caption (inline mode)."""
    if o.constants != "inline":
        return ()
    return tuple(a.value if a.op is CONST else None for a in v.inputs)


def _op_label(v: Var, o: DrawOptions, is_out: bool, consts: tuple[float | None, ...]) -> str:
    caption = op_caption(v.op, consts, o.digits)  # type: ignore[arg-type]
    value = fmt_number(v.value, o.digits)
    text = f"{caption}\n{o.output_name} = {value}" if is_out else f"{caption}\n= {value}"
    if o.grads and not o.compact:
        text += f"\ngrad = {fmt_number(v.grad, o.digits)}"
    return text


def _edge_label(v: Var, i: int, o: DrawOptions, consts: tuple[float | None, ...]) -> str:
    """The two lines of an edge: the value it carries, and the local derivative."""
    a = v.inputs[i]
    arg = ARG_NAMES[i]
    value = fmt_number(a.value, o.digits)
    named = a.op is None and a.name != arg  # a leaf called "b" in position b is just b
    first = f"{arg} = {a.name} = {value}" if named else f"{arg} = {value}"
    if a.op is CONST or o.show == "none":
        return first
    number = formula = ""
    if o.show in ("both", "number"):
        try:
            number = fmt_number(local_partial(v, i), o.digits)
        except DomainError:
            number = "undefined"
    if o.show in ("both", "formula"):
        formula = partial_formula(v.op, i, consts)  # type: ignore[arg-type]
    parts = [p for p in (formula, number) if p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    return f"{first}\n∂/∂{arg} = {' = '.join(parts)}"


def _short(v: Var, o: DrawOptions, consts: tuple[float | None, ...], is_out: bool) -> str:
    """A node as one word in the legend: a leaf's name, an op's caption."""
    if v.op is None:
        return v.name or "?"
    return o.output_name if is_out else op_caption(v.op, consts, o.digits)  # type: ignore[arg-type]


def _legend(an: Analysis, target: Var, o: DrawOptions, consts_of: dict[Var, tuple]) -> str:
    """The chain-rule sum written out: each path's product, and their total."""
    if target.op is None:
        name = target.name or "?"
    else:  # an intermediate: its caption and value, "(× = 6)"
        caption = op_caption(target.op, consts_of[target], o.digits)  # type: ignore[arg-type]
        name = f"({caption} = {fmt_number(target.value, o.digits)})"
    d = f"∂{o.output_name}/∂{name}"
    out = an.out
    total = an.count_paths(target)
    if total == 0:
        return f"no path from {o.output_name} to {name}: {d} = 0"
    if total > o.path_limit:
        try:
            g = fmt_number(an.grad(target), o.digits)
        except DomainError as exc:
            return f"{count_text(total)} paths from {o.output_name} to {name}; {d} is " \
                f"undefined: {exc}"
        return (f"{count_text(total)} paths from {o.output_name} to {name} (more than "
                f"path_limit={o.path_limit}, so not listed)\n"
                f"sum of their products = {g} = {d}")
    many = f"{total} path{'s' if total != 1 else ''}"
    try:
        found = an.paths(target, o.path_limit)
    except DomainError as exc:
        return f"{many} from {o.output_name} to {name}; {d} is undefined: {exc}"
    lines = [f"{many} from {o.output_name} to {name} (factors from the output down):"]
    sum_ = 0.0
    for k, p in enumerate(found, 1):
        route = " → ".join(_short(v, o, consts_of[v], v is out) for v in p.nodes)
        factors = " · ".join(fmt_number(f, o.digits) for f in p.factors) or "1"
        lines.append(f"path {k} ({route}): {factors} = {fmt_number(p.product, o.digits)}")
        sum_ += p.product
    lines.append(f"sum = {fmt_number(sum_, o.digits)} = {d}")
    return "\n".join(lines)


def to_dot(out: Var, options: DrawOptions | None = None,
           analysis: Analysis | None = None) -> str:
    """The DOT text of the graph under ``out``: deterministic, quoted in one place.

    Leaves are boxes with name and value (and ``grad`` when ``options.grads``); each op
    is an ellipse with the op table's symbol and its value; each edge input → op says
    the value it carries (``a = x = 2``) and the local derivative of the op with
    respect to it (``∂/∂a = 2a = 4``).  See :func:`symgrad.draw` for the options;
    ``"auto"`` for ``grads`` shows them once backward has run, and for ``compact`` means
    the full style (:func:`symgrad.draw` decides it by size).  Pass the graph's
    ``analysis`` when you have one; it is made otherwise.
    """
    o = options or DrawOptions()
    an = analysis or Analysis(out)
    order = an.order
    grads = an.has_grads if o.grads == "auto" else bool(o.grads)
    if grads != o.grads or o.compact == "auto":
        o = replace(o, grads=grads, compact=o.compact is True)
    inline = o.constants == "inline"
    drawn = [v for v in order if not (inline and v.op is CONST and v is not out)]
    ids = {v: f"n{k}" for k, v in enumerate(drawn)}
    consts_of = {v: _const_values(v, o) for v in order}
    target = an.leaf(o.highlight) if isinstance(o.highlight, str) else o.highlight
    reach = an.on_paths(target) if target is not None else set()
    red = HIGHLIGHT_COLOR

    small = o.compact
    lines = [f"digraph {quote('symgrad')} {{"]
    graph_attrs = [("rankdir", o.rankdir), ("fontname", o.fontname),
                   ("fontsize", "10" if small else "12")]
    if small:
        # Fewer crossing-minimisation and network-simplex rounds: big graphs lay out in
        # seconds instead of minutes, and a compact figure is an overview anyway.
        graph_attrs += [("nodesep", "0.08"), ("ranksep", "0.25"), ("splines", "line"),
                        ("mclimit", "0.1"), ("nslimit", "2"), ("nslimit1", "2")]
    else:
        graph_attrs += [("nodesep", "0.4"), ("ranksep", "0.4")]
    if target is not None:
        graph_attrs += [("labelloc", "b"), ("labeljust", "l")]
    lines.append(f"  graph [{_attrs(graph_attrs)}];")
    node_attrs = [("fontname", o.fontname), ("fontsize", "8" if small else "12")]
    if small:
        node_attrs += [("margin", "0.02,0.01"), ("height", "0.2"), ("width", "0.3")]
    else:
        node_attrs += [("margin", "0.08,0.04")]
    lines.append(f"  node [{_attrs(node_attrs)}];")
    edge_attrs = [("fontname", o.fontname), ("fontsize", "11"), ("color", "#555555")]
    if small:
        edge_attrs += [("arrowsize", "0.4")]
    else:
        edge_attrs += [("arrowsize", "0.7")]
    lines.append(f"  edge [{_attrs(edge_attrs)}];")

    for v in drawn:
        is_out = v is out
        if v.op is None:
            attrs = {"label": _leaf_label(v, o), "shape": "box", "style": "rounded"}
        elif v.op is CONST:
            attrs = {"label": fmt_number(v.value, o.digits), "shape": "plaintext"}
        else:
            attrs = {"label": _op_label(v, o, is_out, consts_of[v]), "shape": "ellipse"}
        if is_out:
            attrs.update(peripheries="2", style="filled", fillcolor=_OUTPUT_FILL)
        if v in reach:
            attrs.update(color=red, penwidth="1.8")
            if v is target:
                attrs.update(style="rounded,filled" if v.op is None else "filled",
                             fillcolor=_HIGHLIGHT_FILL)
        lines.append(f"  {quote(ids[v])} [{_attrs(attrs)}];")

    for v in drawn:
        for i, a in enumerate(v.inputs):
            if a not in ids:
                continue
            edge = {} if small else {"label": _edge_label(v, i, o, consts_of[v])}
            if a in reach and v in reach:
                edge.update(color=red, fontcolor=red, penwidth="2.2")
            tail = f"  {quote(ids[a])} -> {quote(ids[v])}"
            lines.append(f"{tail} [{_attrs(edge)}];" if edge else f"{tail};")

    if target is not None:
        legend = _legend(an, target, o, consts_of) + "\n"
        lines.append(f"  label={quote(legend, newline=_LEFT)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
