"""Where a rendered figure put things: node boxes and edge paths, read from its SVG.

A figure is only readable if no edge runs through a node it does not touch: the reader
would take the edge to enter that node.  :func:`edges_through_nodes` checks that on the
SVG Graphviz wrote (either renderer): it reads each node's bounding box from its shapes
(ellipses, polygons, paths; the text of a shapeless node), samples each edge's path
along its cubic Béziers, and lists every edge that passes through the box of a node
other than its two ends.  The tests and ``bench/render.py`` use it.

>>> svg = '''<svg xmlns="http://www.w3.org/2000/svg"><g class="graph">
... <g class="node"><title>a</title><ellipse cx="0" cy="0" rx="10" ry="5"/></g>
... <g class="node"><title>b</title><polygon points="90,-5 110,-5 110,5 90,5"/></g>
... <g class="node"><title>c</title><ellipse cx="50" cy="0" rx="10" ry="5"/></g>
... <g class="edge"><title>a&#45;&gt;b</title><path d="M10,0C30,0 70,0 90,0"/></g>
... </g></svg>'''
>>> edges_through_nodes(svg)
[('a->b', 'c')]
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ..errors import RenderError

__all__ = ["Box", "edge_paths", "edges_through_nodes", "node_boxes"]

_NS = "{http://www.w3.org/2000/svg}"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_COMMAND = re.compile(r"[MCLmcl]|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in the SVG's coordinates."""

    x0: float
    y0: float
    x1: float
    y1: float

    def holds(self, x: float, y: float, margin: float = 0.0) -> bool:
        """True when ``(x, y)`` is inside the box shrunk by ``margin`` on every side."""
        return (self.x0 + margin < x < self.x1 - margin
                and self.y0 + margin < y < self.y1 - margin)


def _points(text: str) -> list[tuple[float, float]]:
    nums = [float(n) for n in _NUMBER.findall(text)]
    return list(zip(nums[::2], nums[1::2], strict=False))


def _box_of(g: ET.Element) -> Box | None:
    xs: list[float] = []
    ys: list[float] = []
    for el in g.iter():
        tag = el.tag.removeprefix(_NS)
        if tag == "ellipse":
            cx, cy = float(el.get("cx", 0)), float(el.get("cy", 0))
            rx, ry = float(el.get("rx", 0)), float(el.get("ry", 0))
            xs += [cx - rx, cx + rx]
            ys += [cy - ry, cy + ry]
        elif tag in ("polygon", "polyline"):
            for x, y in _points(el.get("points", "")):
                xs.append(x)
                ys.append(y)
        elif tag == "path":
            for x, y in _points(el.get("d", "")):
                xs.append(x)
                ys.append(y)
    if not xs:  # a shapeless node (plaintext): the extent of its text, roughly
        for t in g.iter(f"{_NS}text"):
            size = float(t.get("font-size", 10))
            x, y = float(t.get("x", 0)), float(t.get("y", 0))
            half = 0.3 * size * len(t.text or "")
            xs += [x - half, x + half]
            ys += [y - size, y + 0.3 * size]
    if not xs:
        return None
    return Box(min(xs), min(ys), max(xs), max(ys))


def _root(svg: str) -> ET.Element:
    try:
        return ET.fromstring(svg.encode("utf-8") if isinstance(svg, str) else svg)
    except ET.ParseError as exc:
        raise RenderError(f"the figure's SVG does not parse: {exc}") from None


def node_boxes(svg: str) -> dict[str, Box]:
    """Each node's bounding box, by its id (the ``<title>`` Graphviz gives it)."""
    boxes = {}
    for g in _root(svg).iter(f"{_NS}g"):
        if g.get("class") == "node":
            box = _box_of(g)
            if box is not None:
                boxes[g.findtext(f"{_NS}title") or ""] = box
    return boxes


def _bezier(d: str, samples: int) -> list[tuple[float, float]]:
    """Points along an SVG path of ``M`` and ``C`` commands (what Graphviz writes)."""
    tokens = _COMMAND.findall(d)
    out: list[tuple[float, float]] = []
    nums: list[float] = []
    command = ""
    here = (0.0, 0.0)

    def flush() -> None:
        nonlocal here
        if command == "M" and len(nums) >= 2:
            here = (nums[0], nums[1])
            out.append(here)
        elif command == "L":
            for k in range(0, len(nums) - 1, 2):
                end = (nums[k], nums[k + 1])
                out.extend((here[0] + (end[0] - here[0]) * t / samples,
                            here[1] + (end[1] - here[1]) * t / samples)
                           for t in range(1, samples + 1))
                here = end
        elif command == "C":
            for k in range(0, len(nums) - 5, 6):
                p1, p2, p3 = (nums[k], nums[k + 1]), (nums[k + 2], nums[k + 3]), \
                    (nums[k + 4], nums[k + 5])
                for i in range(1, samples + 1):
                    t = i / samples
                    s = 1 - t
                    out.append((s**3 * here[0] + 3 * s * s * t * p1[0] + 3 * s * t * t * p2[0]
                                + t**3 * p3[0],
                                s**3 * here[1] + 3 * s * s * t * p1[1] + 3 * s * t * t * p2[1]
                                + t**3 * p3[1]))
                here = p3

    for tok in tokens:
        if tok in "MCLmcl":
            flush()
            command, nums = tok.upper(), []
        else:
            nums.append(float(tok))
    flush()
    return out


Point = tuple[float, float]


def edge_paths(svg: str, samples: int = 24) -> list[tuple[str, str, str, list[Point]]]:
    """``(title, tail id, head id, points)`` for every edge; ports are dropped from the ids
    (``g0:p1`` is node ``g0``)."""
    found = []
    for g in _root(svg).iter(f"{_NS}g"):
        if g.get("class") != "edge":
            continue
        title = g.findtext(f"{_NS}title") or ""
        tail, _, head = title.partition("->")
        points: list[Point] = []
        for path in g.iter(f"{_NS}path"):
            points += _bezier(path.get("d", ""), samples)
        found.append((title, tail.split(":")[0], head.split(":")[0], points))
    return found


def edges_through_nodes(svg: str, margin: float = 1.0,
                        samples: int = 24) -> list[tuple[str, str]]:
    """``(edge title, node id)`` for every edge that passes through the bounding box of a
    node other than its two ends (the box shrunk by ``margin`` points, so an edge that
    only grazes a border does not count).  An empty list means a clean figure."""
    boxes = node_boxes(svg)
    cell = 40.0
    grid: dict[tuple[int, int], list[str]] = {}
    for name, b in boxes.items():
        for i in range(int(b.x0 // cell), int(b.x1 // cell) + 1):
            for j in range(int(b.y0 // cell), int(b.y1 // cell) + 1):
                grid.setdefault((i, j), []).append(name)
    bad: list[tuple[str, str]] = []
    for title, tail, head, points in edge_paths(svg, samples):
        hit: set[str] = set()
        for x, y in points:
            for name in grid.get((int(x // cell), int(y // cell)), ()):
                if name not in (tail, head) and name not in hit \
                        and boxes[name].holds(x, y, margin):
                    hit.add(name)
                    bad.append((title, name))
    return bad
