"""Scene → DOT text: a pure function, with all quoting in :func:`quote`.

:func:`to_dot` writes the :class:`~symgrad.render.fold.Scene` of a graph (what is
drawn: plain nodes, folded scopes, dimmed inputs, clusters; see
:mod:`symgrad.render.fold`) as one DOT statement per node and per edge, with the words
of :mod:`symgrad.render.captions`.  Node ids are ``n0``, ``n1``, ... in
:func:`symgrad.graph.nodes` order (``g0``, ``g1`` ... for folded scopes), so the same
graph always gives byte-identical text, which the snapshot tests rely on.  Every string
that reaches the DOT text (ids, attribute values, labels, user-chosen names) goes
through :func:`quote`; nothing else escapes anything.

>>> from symgrad import Var
>>> x = Var(3.0, name="x")
>>> print(to_dot(x * x, DrawOptions(show="number")))      # doctest: +ELLIPSIS
digraph "symgrad" {
...
  "n0" [label="x = 3", ...];
  "n1" [label="×\\nf = 9", ...];
  "n0" -> "n1" [label="u = x = 3\\n∂/∂u = 3"];
  "n0" -> "n1" [label="v = x = 3\\n∂/∂v = 3"];
}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Literal

from ..analysis import Analysis
from ..ops import CONST
from ..var import Var
from .captions import Captions
from .fold import Cluster, Edge, Node, Scene, build_scene
from .options import CHOICES, DrawOptions

__all__ = ["HIGHLIGHT_COLOR", "SHOW_CHOICES", "DotOptions", "quote", "to_dot"]

#: What ``show=`` may be: which parts of an edge's local derivative are written.
SHOW_CHOICES = CHOICES["show"]
#: The colour of the paths drawn by ``highlight=``.
HIGHLIGHT_COLOR = "#d62728"
_HIGHLIGHT_FILL = "#fde3e1"
_OUTPUT_FILL = "#e8f0fe"
_FOLD_FILL = "#f1ecfa"
_DIM = "#a0a0a0"

_LEFT = "\\l"  # DOT's left-justified line break

Show = Literal["both", "formula", "number", "none"]

# Control characters have no business in a label; show them as their Unicode pictures
# (U+2400 ...) so they stay visible and cannot break the DOT text.  Code points that
# UTF-8 or XML cannot carry (lone surrogates, U+FFFE, U+FFFF) become U+FFFD.  "&" is
# written "&amp;", which Graphviz reads back as "&": otherwise it would decode "&#x1;"
# in a name into a character that no XML document may hold.
_CONTROL = {c: 0x2400 + c for c in range(0x20) if c != 0x0A}
_CONTROL[0x7F] = 0x2421
_UNSAFE = {c: 0xFFFD for c in (*range(0xD800, 0xE000), 0xFFFE, 0xFFFF)}
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "&": "&amp;",
                          **{chr(k): chr(v) for k, v in {**_CONTROL, **_UNSAFE}.items()}})
_RECORD = str.maketrans({c: "\\" + c for c in "{}|<>"})


def quote(text: str, newline: str = "\\n",
          record: Sequence[tuple[str, str]] | None = None) -> str:
    """``text`` as a DOT double-quoted string: the one place anything is escaped.

    Backslashes and double quotes are escaped, so Graphviz shows them literally;
    line breaks become ``newline`` (``\\n`` centres a line, ``\\l`` left-justifies it);
    other control characters become their visible Unicode pictures (U+2400 block);
    code points no SVG may hold become U+FFFD; ``&`` becomes ``&amp;``, which Graphviz
    shows as ``&``.  Braces, ``<`` and ``>`` need nothing inside double quotes: labels
    here are never HTML-like, and Graphviz escapes them for SVG itself.

    With ``record``, a list of ``(port, text)`` pairs, the result is a record label:
    ``text`` is its title field and each pair a field named ``port``, with the record's
    own special characters escaped in every field.

    >>> print(quote('say "hi"'), quote("a\\\\b"), quote("{x} <&>"), quote("two\\nlines"))
    "say \\"hi\\"" "a\\\\b" "{x} <&amp;>" "two\\nlines"
    >>> print(quote("tab\\there"), quote("\\ud800"))
    "tab␉here" "\ufffd"
    >>> print(quote("f|g", record=[("p0", "out₁ = 1"), ("p1", "{2}")]))
    "{f\\|g|{<p0> out₁ = 1|<p1> \\{2\\}}}"
    """

    def clean(part: str) -> str:
        part = part.replace("\r\n", "\n").replace("\r", "\n").translate(_ESCAPES)
        return part.translate(_RECORD) if record is not None else part

    if record is None:
        body = clean(text)
    else:
        fields = "|".join(f"<{clean(port)}> {clean(field)}" for port, field in record)
        body = "{" + clean(text) + "|{" + fields + "}}"
    return '"' + body.replace("\n", newline) + '"'


def _attrs(attrs: dict[str, str] | Iterable[tuple[str, str]]) -> str:
    items = attrs.items() if isinstance(attrs, dict) else attrs
    return ", ".join(f"{key}={quote(value)}" for key, value in items)


#: The former name of :class:`~symgrad.render.options.DrawOptions`.
DotOptions = DrawOptions

#: Where an edge leaves a folded node's port, by ``rankdir``.
_COMPASS = {"LR": "e", "RL": "w", "TB": "s", "BT": "n"}


def _graph_attrs(o: DrawOptions, legend: bool) -> list[tuple[str, str]]:
    small = o.compact
    attrs = [("rankdir", o.rankdir), ("fontname", o.fontname),
             ("fontsize", "10" if small else "12")]
    if small:
        # Fewer crossing-minimisation and network-simplex rounds: big graphs lay out in
        # seconds instead of minutes, and a compact figure is an overview anyway.
        # Splines are routed around nodes, so no edge crosses a node it does not touch.
        attrs += [("nodesep", "0.12"), ("ranksep", "0.3"), ("splines", "true"),
                  ("mclimit", "0.1"), ("nslimit", "2"), ("nslimit1", "2")]
    else:
        attrs += [("nodesep", "0.4"), ("ranksep", "0.4")]
    if legend:
        attrs += [("labelloc", "b"), ("labeljust", "l")]
    return attrs


def _node_label(node: Node, words: Captions) -> str:
    """The quoted label: a record with a field per output for a folded node with ports."""
    group = node.group
    if group is not None and words.scene.ports and len(group.outputs) > 1:
        return quote(words.node(node), record=[(f"p{k}", text)
                                               for k, text in enumerate(words.ports(node))])
    return quote(words.node(node))


def _node_attrs(node: Node, words: Captions, scene: Scene, reach: set[Var],
                target: Var | None) -> dict[str, str]:
    v, group = node.var, node.group
    o = words.o
    if group is not None:
        shape = "record" if scene.ports and len(group.outputs) > 1 else "box"
        attrs = {"shape": shape, "style": "filled", "fillcolor": _FOLD_FILL,
                 "penwidth": "1.3"}
        units = set(group.outputs)
    else:
        assert v is not None
        attrs = ({"shape": "box", "style": "rounded"} if v.op is None else
                 {"shape": "plaintext"} if v.op is CONST else {"shape": "ellipse"})
        units = {v}
    if node.dim:
        style = [s for s in attrs.get("style", "").split(",") if s and s != "filled"]
        attrs.pop("fillcolor", None)
        attrs.update(color=_DIM, fontcolor=_DIM, fontsize="8" if o.compact else "9",
                     style=",".join([*style, "dashed"]))
        return attrs
    if scene.out in units:
        attrs.update(peripheries="2", style="filled", fillcolor=_OUTPUT_FILL)
    if units & reach:
        attrs.update(color=HIGHLIGHT_COLOR, penwidth="1.8")
        if target in units:
            attrs.update(style="rounded,filled" if v is not None and v.op is None
                         else "filled", fillcolor=_HIGHLIGHT_FILL)
    return attrs


def _edge_line(e: Edge, words: Captions, reach: set[Var], compass: str) -> str:
    tail = quote(e.tail.id)
    if e.port is not None and words.scene.ports:
        tail += f":{quote(f'p{e.port}')}:{quote(compass)}"
    head = e.head.var if e.head.var is not None else None
    attrs: dict[str, str] = {}
    if e.dim:
        attrs.update(color=_DIM, style="dashed", arrowsize="0.4")
    elif not words.o.compact:
        attrs["label"] = words.edge(e)
    head_units = {head} if head is not None else set(e.head.group.outputs)  # type: ignore[union-attr]
    if not e.dim and e.source in reach and head_units & reach:
        attrs.update(color=HIGHLIGHT_COLOR, fontcolor=HIGHLIGHT_COLOR, penwidth="2.2")
    if e.count > 1:
        attrs["penwidth"] = "1.6"
    line = f"  {tail} -> {quote(e.head.id)}"
    return f"{line} [{_attrs(attrs)}];" if attrs else f"{line};"


def _cluster_lines(c: Cluster, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [f"{pad}subgraph {quote(c.id)} {{",
             f"{pad}  graph [{_attrs([('label', c.label), ('style', 'rounded,dashed'), ('color', '#b8b8b8'), ('fontcolor', '#666666')])}];"]  # noqa: E501
    if c.nodes:
        lines.append(pad + "  " + " ".join(f"{quote(n.id)};" for n in c.nodes))
    for child in c.children:
        lines += _cluster_lines(child, depth + 1)
    if c.rank:
        lines.append(f"{pad}  {{rank={quote('same')}; "
                     + " ".join(f"{quote(n.id)};" for n in c.rank) + "}")
    lines.append(f"{pad}}}")
    return lines


def to_dot(out: Var, options: DrawOptions | None = None,
           analysis: Analysis | None = None, scene: Scene | None = None) -> str:
    """The DOT text of the graph under ``out``: deterministic, quoted in one place.

    Leaves are boxes with name and value (and ``grad`` when ``options.grads``); each op
    is an ellipse with the op table's symbol and its value; each edge input → op says
    the value it carries (``u = x = 2``) and the local derivative of the op with
    respect to it (``∂/∂u = 2u = 4``).  A folded scope is a filled box (a record with a
    port per output when it has several) whose edges in carry composite derivatives.
    See :func:`symgrad.draw` for the options; ``"auto"`` for ``grads`` shows them once
    backward has run, and for ``compact`` means the full style (:func:`symgrad.draw`
    decides it by size).  Pass the graph's ``analysis`` (and its ``scene``) when you
    have them; they are made otherwise.
    """
    o = options or DrawOptions()
    an = analysis or Analysis(out)
    grads = an.has_grads if o.grads == "auto" else bool(o.grads)
    if grads != o.grads or o.compact == "auto":
        o = replace(o, grads=grads, compact=o.compact is True)
    target = an.node(o.highlight, "highlight")
    if scene is None:
        scene = build_scene(an, o)
        if o.compact:
            scene = scene.compacted(keep=target)
    words = Captions(scene, o, an)
    folding = scene.folding
    if target is not None and folding is not None:
        folding.check_unit(target, "highlight")
    reach: set[Var] = set()
    if target is not None:
        reach = folding.on_paths(target) if folding is not None else an.on_paths(target)
    notes = [words.legend(target)] if target is not None else []
    if scene.focus is not None:
        notes.insert(0, words.focus_note())

    small = o.compact
    lines = [f"digraph {quote('symgrad')} {{"]
    lines.append(f"  graph [{_attrs(_graph_attrs(o, bool(notes)))}];")
    node_attrs = [("fontname", o.fontname), ("fontsize", "8" if small else "12")]
    if small:
        node_attrs += [("margin", "0.02,0.01"), ("height", "0.2"), ("width", "0.3")]
    else:
        node_attrs += [("margin", "0.08,0.04")]
    lines.append(f"  node [{_attrs(node_attrs)}];")
    edge_attrs = [("fontname", o.fontname), ("fontsize", "11"), ("color", "#555555"),
                  ("arrowsize", "0.4" if small else "0.7")]
    lines.append(f"  edge [{_attrs(edge_attrs)}];")
    for node in scene.nodes:
        attrs = _attrs(_node_attrs(node, words, scene, reach, target))
        lines.append(f"  {quote(node.id)} [label={_node_label(node, words)}, {attrs}];")
    compass = _COMPASS[o.rankdir]
    lines += [_edge_line(e, words, reach, compass) for e in scene.edges]
    for c in scene.clusters:
        lines += _cluster_lines(c, 1)
    if scene.rank:
        lines.append(f"  {{rank={quote('same')}; "
                     + " ".join(f"{quote(n.id)};" for n in scene.rank) + "}")
    if notes:
        lines.append(f"  label={quote(chr(10).join(notes) + chr(10), newline=_LEFT)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
