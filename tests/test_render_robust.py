"""Hostile names: every SVG symgrad writes is well-formed XML, with both renderers.

Names, output names and scope names may hold anything a Python string can: lone
surrogates (no UTF-8 for them), control characters and the noncharacters U+FFFE and
U+FFFF (no XML document may hold them), text that looks like a character reference
(``&#x1;``, which Graphviz would decode into U+0001) or markup (``]]>``, ``<script>``).
Each must render, parse with :mod:`xml.etree.ElementTree` and show visibly.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

from symgrad import Var, draw, nn, scope
from symgrad.render.backends import RENDERERS

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = [pytest.mark.needs_dot,
             pytest.mark.skipif(shutil.which("dot") is None,
                                reason="needs a system Graphviz `dot` on PATH")]
RENDERER = ["embedded", pytest.param("dot", marks=needs_dot)]

HOSTILE = [
    "\ud800", "lone \udfff surrogate", "\x01", "a\x01b", "&#x1;", "x&#x1;y", "&#0;",
    "\ufffe", "\uffff", "&#xFFFE;", "]]>", "<script>alert(1)</script>", "&amp;", "&lt;b&gt;",
    "\x7f", "\x85", "\u2028", "\x1b[31m", "a & b",
]


def shown(name: str) -> str:
    """What a figure shows for ``name``: control characters as their pictures, what XML
    cannot hold as U+FFFD, everything else as it is."""
    out = []
    for c in name:
        k = ord(c)
        if k < 0x20 and c != "\n":
            out.append(chr(0x2400 + k))
        elif k == 0x7F:
            out.append("\u2421")
        elif 0xD800 <= k < 0xE000 or k in (0xFFFE, 0xFFFF):
            out.append("\ufffd")
        else:
            out.append(c)
    return "".join(out)


def texts(svg: str) -> dict[str, str]:
    """Each node's and edge's text, by its <title>, from an SVG that must parse."""
    root = ET.fromstring(svg.encode("utf-8"))
    found = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") in ("node", "edge", "cluster"):
            title = g.findtext(f"{SVG}title") or ""
            found[title] = "\n".join(t.text or "" for t in g.iter(f"{SVG}text"))
    found["graph"] = "\n".join(t.text or "" for t in root.iter(f"{SVG}text"))
    return found


def test_a_lone_surrogate_renders_as_a_replacement_character() -> None:
    x = Var(1.0, name="\ud800")
    svg = draw(x * 2).svg()                      # raised UnicodeEncodeError before
    assert texts(svg)["n0"] == "\ufffd = 1"


@pytest.mark.parametrize("renderer", RENDERER)
@pytest.mark.parametrize("name", HOSTILE, ids=ascii)
def test_hostile_names_give_well_formed_svg(renderer: str, name: str) -> None:
    x, y = Var(2.0, name=name), Var(3.0, name="y")
    d = draw(x * y + x, highlight=x, output_name=name, renderer=renderer)
    found = texts(d.svg())
    assert found["n0"] == f"{shown(name)} = 2"
    assert f"u = {shown(name)} = 2" in found["n0->n2"]
    assert f"{shown(name)} = 8" in found["n3"]                      # the output's name
    assert f"∂{shown(name)}/∂{shown(name)}" in found["graph"]       # the legend


@pytest.mark.parametrize("renderer", RENDERER)
def test_hostile_scope_names_in_clusters_and_folded_nodes(renderer: str) -> None:
    name = "<b>&#x1;\x01\ufffe]]>"
    x = Var(0.5, name="x")
    with scope(name):
        h = (x * 2.0).tanh()
    out = h * h + h
    for fold in (None, [name]):
        svg = draw(out, fold=fold, renderer=renderer, output_name="&#xFFFF;").svg()
        found = texts(svg)
        assert shown(name) in found["graph"], fold
    with scope("{a|b}<c> \\"):     # a record's own special characters, in a record
        h1 = Var(0.5, name="x").tanh()
        h2 = h1 * 2.0
    d = draw(h1 + h2, fold=["{a|b}<c> \\"], renderer=renderer)
    assert 'shape="record"' in d.source
    assert "{a|b}<c> \\" in texts(d.svg())["graph"]
    with scope("neuron&#x1;"):
        n = nn.Neuron(1, seed=0, name="neuron&#x1;")
    loss = nn.loss_graph(n, [([0.0], 1), ([1.0], 0)])
    svg = draw(loss, fold="neurons", output_name="]]>&#x1;", renderer=renderer).svg()
    assert "neuron&#x1;" in texts(svg)["graph"]


def test_every_renderer_listed_is_tested() -> None:
    assert set(RENDERERS) == {"embedded", "dot"}


SPHINX_PAGE = """\
Hostile output names
====================

.. symgrad-graph:: x * y + x
   :at: x=2, y=3
   :wrt: x
   :output: &#x1;]]><script>alert(1)</script>

.. symgrad-graph:: x * y
   :at: x=2, y=3
   :output: a\x01b\ufffe\uffff&#xFFFE;
"""


def test_a_sphinx_build_ships_well_formed_svg(tmp_path) -> None:
    from test_sphinxext import build, project

    src = project(tmp_path, {"index.rst": SPHINX_PAGE})
    result = build(src, tmp_path / "html")
    assert result.returncode == 0, result.stderr
    svgs = sorted((tmp_path / "html" / "_images").glob("*.svg"))
    assert len(svgs) == 2
    shown_all = [texts(p.read_text(encoding="utf-8"))["graph"] for p in svgs]
    assert any("&#x1;]]><script>alert(1)</script> = 8" in t for t in shown_all)
    assert any(f"{shown('a' + chr(1) + 'b' + chr(0xFFFE) + chr(0xFFFF))}&#xFFFE; = 6" in t
               for t in shown_all), shown_all
