"""The explorer's figure: ``symgrad.draw``'s SVG, tagged so the page's script finds its parts.

The figure is drawn by the same pipeline as :func:`symgrad.render.draw`.  Its DOT names
nodes ``n0, n1, ...`` in drawing order, and Graphviz writes each node as
``<g id="node1" class="node"><title>n0</title>...`` and each edge as
``<g id="edge1" class="edge"><title>n0->n1</title>...``.  :func:`annotate` reads those
titles with :mod:`xml.etree.ElementTree`, then adds ``data-node="<index>"`` to every node
group (and ``data-name="<name>"`` to inputs) and ``data-edge="<index>"`` to every edge
group, where an edge's index is its row in the data's ``edges`` table.  It also drops
what a page does not need: the XML prolog and doctype, comments, the ``<title>``
tooltips (``n0`` means nothing to a reader) and per-text font attributes (the
stylesheet sets the font once).

>>> svg = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><g id="graph0">'
...        '<g id="node1" class="node"><title>n0</title><text>x</text></g></g></svg>')
>>> print(annotate(svg, count=1, names={0: "x"}, edge_keys={}).replace("><", ">\\n<"))
<svg xmlns="http://www.w3.org/2000/svg">
<g id="graph0">
<g id="node1" class="node" data-node="0" data-name="x">
<text>x</text>
</g>
</g>
</svg>
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from ..errors import RenderError

__all__ = ["annotate"]

_NS = "{http://www.w3.org/2000/svg}"
_OPEN = re.compile(r'<g id="((?:node|edge)\d+)" class="(?:node|edge)">')
# What the page drops: titles (the page labels nodes itself), comments, font families
# (the page's stylesheet sets the font).
_DROP = re.compile(r'<title>[^<]*</title>\n?|<!--.*?-->\n?| font-family="[^"]*"', re.S)
_NODE_ID = re.compile(r"n(\d+)")
_EDGE_ID = re.compile(r"n(\d+)->n(\d+)")
_FOLDED = re.compile(r"(?:^|->)g\d+")


def annotate(svg: str, *, count: int, names: dict[int, str],
             edge_keys: dict[tuple[int, int], list[int]], partial: bool = False) -> str:
    """``svg`` with ``data-node``/``data-name``/``data-edge`` attributes on its groups.

    ``count`` is the number of nodes the DOT declared; ``names`` maps an input's node
    index to its name; ``edge_keys[(tail, head)]`` lists the data's edge indices from
    node ``tail`` into node ``head`` in argument order (``x * x`` has two), which is the
    order Graphviz writes them in.  A figure whose groups do not match what the DOT
    declared raises :class:`~symgrad.errors.RenderError`.  With ``partial`` (a figure
    drawn with ``fold=`` or ``focus=``) the figure may draw only some of the nodes and
    edges; its folded nodes (``g0``, ...) and their edges are left untagged.
    """
    start = svg.find("<svg")
    if start < 0:
        raise RenderError("the renderer returned no <svg> element")
    svg = svg[start:]
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise RenderError(f"the renderer returned SVG that does not parse: {exc}") from None
    attrs: dict[str, str] = {}
    seen: dict[tuple[int, int], int] = {}
    for g in root.iter(f"{_NS}g"):
        kind, gid = g.get("class"), g.get("id", "")
        title = g.findtext(f"{_NS}title") or ""
        if partial and _FOLDED.search(title):
            continue
        if kind == "node":
            m = _NODE_ID.fullmatch(title)
            if m is None:
                raise RenderError(f"unexpected node title {title!r} in the figure")
            k = int(m.group(1))
            extra = f' data-node="{k}"'
            if k in names:
                extra += f' data-name="{html.escape(names[k], quote=True)}"'
            attrs[gid] = extra
        elif kind == "edge":
            m = _EDGE_ID.fullmatch(title)
            if m is None:
                raise RenderError(f"unexpected edge title {title!r} in the figure")
            key = (int(m.group(1)), int(m.group(2)))
            nth = seen.get(key, 0)
            seen[key] = nth + 1
            candidates = edge_keys.get(key, [])
            if nth >= len(candidates):
                raise RenderError(f"the figure has an edge {title} the data does not know")
            attrs[gid] = f' data-edge="{candidates[nth]}"'
    found = sorted(int(a.split('"')[1]) for a in attrs.values() if "data-node" in a)
    if found != list(range(count)) and not (partial and set(found) <= set(range(count))):
        raise RenderError(f"the figure has {len(found)} nodes, the graph {count}")
    expected = sum(len(v) for v in edge_keys.values())
    if sum(seen.values()) != expected and not (partial and sum(seen.values()) < expected):
        raise RenderError(f"the figure has {sum(seen.values())} edges, the graph {expected}")

    def tag(m: re.Match[str]) -> str:
        return m.group(0)[:-1] + attrs.get(m.group(1), "") + ">"

    return _DROP.sub("", _OPEN.sub(tag, svg))
