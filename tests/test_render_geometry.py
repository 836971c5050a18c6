"""No edge is drawn through a node it does not touch: checked on the rendered SVG.

Every figure of the docs (each ``symgrad-graph`` and ``symgrad-model`` directive, the
example scripts' figures) and figures in the compact style are rendered with the
embedded renderer and with system ``dot`` (``needs_dot``), and
:func:`symgrad.render.geometry.edges_through_nodes` samples each edge's Béziers against
every other node's bounding box.
"""

from __future__ import annotations

import random
import re
import shutil
import sys
from pathlib import Path

import pytest

from symgrad import nn
from symgrad.parse import parse, parse_values
from symgrad.render import Diagram, draw
from symgrad.render.diagram import draw_with
from symgrad.render.geometry import edge_paths, edges_through_nodes, node_boxes
from symgrad.render.options import DrawOptions, parse_fold

ROOT = Path(__file__).resolve().parent.parent
needs_dot = [pytest.mark.needs_dot,
             pytest.mark.skipif(shutil.which("dot") is None,
                                reason="needs a system Graphviz `dot` on PATH")]
RENDERER = ["embedded", pytest.param("dot", marks=needs_dot)]
_DIRECTIVE = re.compile(r"^(\s*)\.\. symgrad-graph:: (.+)$")
_OPTION = re.compile(r"^\s+:(\w+):\s*(.*)$")


def directives() -> list[tuple[str, str, dict[str, str]]]:
    """``(where, expression, options)`` for every symgrad-graph directive of the docs."""
    found = []
    for page in sorted((ROOT / "docs").rglob("*.rst")):
        lines = page.read_text(encoding="utf-8").splitlines()
        for k, line in enumerate(lines):
            m = _DIRECTIVE.match(line)
            if not m or "``" in line:
                continue
            options: dict[str, str] = {}
            last = None
            for more in lines[k + 1:]:
                if not more.strip():
                    break
                o = _OPTION.match(more)
                if o:
                    last = o[1]
                    options[last] = o[2]
                elif last is not None:          # an option's continuation line
                    options[last] += " " + more.strip()
            found.append((f"{page.relative_to(ROOT)}:{k + 1}", m[2].strip(), options))
    return found


def directive_figure(expression: str, options: dict[str, str]) -> Diagram:
    """The figure the symgrad-graph directive draws for ``options``."""
    out = parse(expression, **parse_values(options.get("at", "")))
    grads = "grads" in options
    if grads:
        out.backward()
    return draw_with(out, DrawOptions(
        show=options.get("show", "both"), rankdir=options.get("rankdir", "LR"),
        constants=options.get("constants", "inline"), highlight=options.get("wrt"),
        grads=grads, output_name=options.get("output", "f"),
        fold=parse_fold(options["fold"]) if "fold" in options else None,
        focus=options.get("focus")))


def example_figures() -> dict[str, Diagram]:
    sys.path.insert(0, str(ROOT / "examples"))
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        import chain_rule
        import folded_mlp
        import symgrad_docs
    finally:
        del sys.path[:2]
    figures = {name: make() for name, make in chain_rule.FIGURES.items()}
    figures["folded_mlp"] = folded_mlp.folded_mlp()
    for name in symgrad_docs.MODELS:
        figures[f"model {name}"] = symgrad_docs.model_diagram(name, {"fold": "neurons"})
    return figures


def random_points(n: int, seed: int = 1) -> list[tuple[list[float], float]]:
    rng = random.Random(seed)
    return [([rng.uniform(-2, 2), rng.uniform(-2, 2)], rng.choice([0.0, 1.0]))
            for _ in range(n)]


def compact_figures() -> dict[str, Diagram]:
    xor5 = nn.loss_graph(nn.MLP(2, [5, 1], seed=0), nn.XOR)            # 176 drawn nodes
    big = nn.loss_graph(nn.MLP(2, [16, 16, 1], seed=0), random_points(50))
    return {
        "MLP 2-5-1 on XOR, compact": draw(xor5),
        "MLP 2-2-1 on XOR, compact": draw(nn.loss_graph(nn.MLP(2, [2, 1], seed=0), nn.XOR),
                                          compact=True),
        "MLP 2-16-16-1 on 50 points, folded by neurons": draw(big, fold="neurons"),
        "MLP 2-16-16-1 on 50 points, folded by layers": draw(big, fold=1),
    }


DIRECTIVES = directives()
EXAMPLES = example_figures()
COMPACT = compact_figures()


def test_every_docs_figure_is_found() -> None:
    assert len(DIRECTIVES) >= 14
    assert all(d.compact for d in COMPACT.values())


@pytest.mark.parametrize("renderer", RENDERER)
@pytest.mark.parametrize("where, expression, options", DIRECTIVES, ids=[d[0] for d in DIRECTIVES])
def test_no_edge_crosses_a_node_in_the_docs(where: str, expression: str,
                                            options: dict[str, str], renderer: str) -> None:
    d = directive_figure(expression, options)
    d.renderer = renderer
    assert edges_through_nodes(d.svg()) == []


@pytest.mark.parametrize("renderer", RENDERER)
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_no_edge_crosses_a_node_in_the_example_figures(name: str, renderer: str) -> None:
    d = EXAMPLES[name]
    d.renderer = renderer
    assert edges_through_nodes(d.svg()) == []


@pytest.mark.parametrize("renderer", RENDERER)
@pytest.mark.parametrize("name", sorted(COMPACT))
def test_no_edge_crosses_a_node_in_the_compact_style(name: str, renderer: str) -> None:
    d = COMPACT[name]
    d.renderer = renderer
    svg = d.svg()
    assert len(node_boxes(svg)) == len(re.findall(r'^  "[ng]\d+" \[', d.source, re.M))
    assert edges_through_nodes(svg) == []


def test_the_check_finds_edges_drawn_straight_through_nodes() -> None:
    """Straight lines (the compact style's former splines=line) cross nodes; the check
    must see it, or the tests above prove nothing."""
    d = COMPACT["MLP 2-5-1 on XOR, compact"]
    straight = Diagram(d.source.replace('splines="true"', 'splines="line"'))
    bad = edges_through_nodes(straight.svg())
    assert len(bad) > 10
    edge, node = bad[0]
    tail, head = (part.split(":")[0] for part in edge.split("->"))
    assert node not in (tail, head)


def test_edge_paths_follow_the_beziers() -> None:
    svg = draw(nn.loss_graph(nn.Neuron(1, seed=0), [([1.0], 0)])).svg()
    boxes = node_boxes(svg)
    for title, tail, head, points in edge_paths(svg):
        assert len(points) > 20, title
        start, end = points[0], points[-1]
        # each path starts at its tail's border and ends near its head's (arrowhead aside)
        assert boxes[tail].holds(*start, margin=-2.0), (title, start, boxes[tail])
        assert boxes[head].holds(*end, margin=-12.0), (title, end, boxes[head])
