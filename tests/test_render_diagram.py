"""Diagram and draw(): saving, Jupyter display, options, big graphs, the example script."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import symgrad
from symgrad import Var
from symgrad.errors import InputError, RenderError
from symgrad.render import COMPACT_ABOVE, MAX_WORK, Diagram, Renderer, draw, layout_work

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def tutorial() -> Var:
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    return (x**2 + 3) ** 2 + y


def mlp_loss(n_in: int, hidden: list[int], samples: int, seed: int = 0) -> Var:
    """A tanh MLP's squared-error loss over a few samples, from plain Vars."""
    rng = random.Random(seed)
    sizes = [n_in, *hidden, 1]
    layers = [[([Var(rng.uniform(-1, 1)) for _ in range(sizes[k])], Var(rng.uniform(-1, 1)))
               for _ in range(sizes[k + 1])] for k in range(len(sizes) - 1)]
    loss: Var | float = 0.0
    for s in range(samples):
        acts: list = [rng.choice([0.0, 1.0]) for _ in range(n_in)]
        for k, layer in enumerate(layers):
            zs = []
            for ws, b in layer:
                z = b
                for w, a in zip(ws, acts, strict=True):
                    z = z + w * a
                zs.append(z if k == len(layers) - 1 else z.tanh())
            acts = zs
        loss = loss + (acts[0] - float(s % 2)) ** 2
    assert isinstance(loss, Var)
    return loss


# -- saving ----------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".svg", ".png", ".dot", ".SVG", ".Png"])
def test_save_picks_the_format_from_the_suffix(tmp_path: Path, suffix: str) -> None:
    d = draw(tutorial())
    path = d.save(tmp_path / f"fig{suffix}")
    data = path.read_bytes()
    kind = suffix.lower()
    if kind == ".svg":
        root = ET.fromstring(data)
        assert root.tag == f"{SVG}svg"
    elif kind == ".png":
        assert data.startswith(PNG_MAGIC)
    else:
        assert data == d.source.encode("utf-8")


def test_save_accepts_str_paths(tmp_path: Path) -> None:
    assert draw(tutorial()).save(str(tmp_path / "f.dot")) == tmp_path / "f.dot"


@pytest.mark.parametrize("name", ["fig.gif", "fig", "fig.svg.bak", "fig.jpeg"])
def test_save_refuses_unknown_suffixes(tmp_path: Path, name: str) -> None:
    with pytest.raises(RenderError, match=r"unknown suffix .*\(must be one of \.svg, \.png, "
                                          r"\.pdf, \.dot\)"):
        draw(tutorial()).save(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_save_into_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot write the figure to .*folder exists"):
        draw(tutorial()).save(tmp_path / "no" / "such" / "fig.svg")


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs a system Graphviz `dot`")
@pytest.mark.needs_dot
def test_save_pdf(tmp_path: Path) -> None:
    assert draw(tutorial()).save(tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")


# -- what the SVG shows ----------------------------------------------------------------

def test_svg_edges_carry_the_tutorial_labels() -> None:
    root = ET.fromstring(draw(tutorial()).svg())
    by_edge = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "edge":
            title = g.find(f"{SVG}title").text
            by_edge[title] = [t.text for t in g.iter(f"{SVG}text")]
    assert by_edge == {
        "n0->n1": ["u = x = 2", "∂/∂u = 2u = 4"],
        "n1->n2": ["u = 4", "∂/∂u = 1"],
        "n2->n3": ["u = 7", "∂/∂u = 2u = 14"],
        "n3->n5": ["u = 49", "∂/∂u = 1"],
        "n4->n5": ["v = y = 1", "∂/∂v = 1"],
    }


def test_rendering_is_cached_per_source() -> None:
    d = draw(tutorial())
    first = d.svg()
    assert d._render("svg") is d._render("svg")          # rendered once
    d.source = d.source.replace("f = 50", "out = 50")     # a changed source renders again
    assert "out = 50" in d.svg() and "out = 50" not in first


# -- Jupyter ---------------------------------------------------------------------------

def test_mimebundle_has_svg_and_text() -> None:
    bundle = draw(tutorial())._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert bundle["image/svg+xml"].startswith("<?xml")
    assert bundle["text/plain"] == "<Diagram: 6 nodes, 5 edges; .source, .svg(), .png(), " \
        ".pdf(), .save(path)>"


def test_mimebundle_never_raises() -> None:
    class Broken(Renderer):
        name = "broken"
        formats = ("svg",)

        def available(self) -> bool:
            return True

        def render(self, source: str, fmt: str, *, timeout: float = 60.0,
                   dpi: float | None = None) -> bytes:
            raise RenderError("the broken renderer failed: it always does")

    bundle = draw(tutorial(), renderer=Broken())._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert "could not render the figure: the broken renderer failed" in bundle["text/plain"]
    bundle = Diagram("digraph { a -> }")._repr_mimebundle_()
    assert "syntax error in line 1" in bundle["text/plain"]


# -- options ---------------------------------------------------------------------------

@pytest.mark.parametrize("option, value, message", [
    ("show", "numbers", r"unknown show='numbers' \(must be one of 'both', 'formula', "
                        r"'number', 'none'\)"),
    ("rankdir", "lr", "unknown rankdir='lr'"),
    ("constants", "hide", "unknown constants='hide'"),
    ("grads", "yes", "unknown grads='yes'"),
    ("compact", "maybe", "unknown compact='maybe'"),
    ("renderer", "cairo", r"unknown renderer='cairo' \(must be one of 'auto', 'embedded', 'dot'"),
    ("timeout", 0, "timeout must be a positive finite number"),
    ("timeout", "60", "timeout must be a positive finite number"),
    ("digits", 0, "digits must be an integer from 1 to 17"),
    ("digits", 2.5, "digits must be an integer from 1 to 17"),
    ("path_limit", -1, "path_limit must be a non-negative integer"),
    ("max_work", 0, "max_work must be a positive integer or None"),
    ("output_name", "", "output_name must be a non-empty string"),
])
def test_bad_options_name_the_option(option: str, value: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        draw(tutorial(), **{option: value})


def test_not_a_var() -> None:
    with pytest.raises(InputError, match=r"must be a symgrad\.Var, got float"):
        draw(3.0)  # type: ignore[arg-type]


def test_png_dpi_is_checked() -> None:
    with pytest.raises(InputError, match="dpi must be a number from 10 to 1200"):
        draw(tutorial()).png(dpi=0)


def test_rankdir_and_digits_reach_the_dot() -> None:
    x = Var(1 / 3, name="x")
    src = draw(x * 3, rankdir="TB", digits=2).source
    assert 'rankdir="TB"' in src and "x = 0.33" in src


def test_symgrad_draw_is_the_render_draw() -> None:
    assert symgrad.draw is draw and symgrad.Diagram is Diagram


def test_import_and_number_drawing_do_not_load_sympy() -> None:
    code = ("import sys, symgrad; from symgrad.render import draw; "
            "x = symgrad.Var(2.0, name='x'); s = draw(x * x + 1, show='number').svg(); "
            "print('sympy' in sys.modules, len(s) > 100)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["False", "True"]


# -- big graphs ------------------------------------------------------------------------

def test_compact_above_the_threshold() -> None:
    x = Var(0.1, name="x")
    y = x
    for _ in range(COMPACT_ABOVE):                # COMPACT_ABOVE + 1 drawn nodes
        y = y * 0.5
    d = draw(y)
    assert d.compact and "label=\"u = " not in d.source and "∂" not in d.source
    assert repr(d).startswith("<Diagram (compact): 151 nodes, 150 edges")
    assert not draw(y, compact=False).compact
    short = x * 0.5
    assert not draw(short).compact and draw(short, compact=True).compact


def test_layout_work_counts_long_edges() -> None:
    x = Var(2.0, name="x")
    g = (x**2 + 3) ** 2 + x
    assert layout_work(g, compact=True) == 5 + 3           # x → + spans three ranks
    assert layout_work(g, compact=False) == 3 * (5 + 5 + 2 * 3)
    assert layout_work(g, compact=True, constants="nodes") > layout_work(g, compact=True)


def test_mlp_500_renders_with_full_labels() -> None:
    loss = mlp_loss(3, [6, 4], 4)                   # 477 drawn nodes
    n = sum(1 for v in symgrad.nodes(loss) if not v.is_constant)
    assert 400 < n < 600
    d = draw(loss, compact=False)
    svg = d.svg()  # its time is measured by bench/render.py, not asserted here
    assert svg.count('class="edge"') == d.source.count(" -> ")
    assert draw(loss).compact                     # auto: above COMPACT_ABOVE


def test_too_big_is_refused_with_advice(watchdog) -> None:
    loss = mlp_loss(4, [16, 12], 16)               # ~9,400 nodes, work > MAX_WORK compact
    with watchdog(), pytest.raises(RenderError) as info:
        draw(loss)
    message = str(info.value)
    assert f"max_work={MAX_WORK:,}" in message
    assert "sub-expression" in message and "max_work=None" in message
    with pytest.raises(RenderError, match="compact=True"):
        draw(mlp_loss(4, [10, 8], 10), compact=False)     # full style too slow, compact not


# -- the example script ----------------------------------------------------------------

def test_chain_rule_example_writes_the_figures(tmp_path: Path) -> None:
    # The script imports the symgrad of this checkout, wherever symgrad is installed.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "chain_rule.py"),
                           "--out", str(tmp_path), "--formats", "svg", "png", "dot"],
                          capture_output=True, text=True, check=True, env=env)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f"{n}.{f}" for n in ("chain_rule", "two_paths", "neuron")
                           for f in ("svg", "png", "dot"))
    assert done.stdout.count("wrote ") == 9
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes().startswith(PNG_MAGIC)
    snapshots = ROOT / "tests" / "snapshots"
    for name in ("chain_rule", "two_paths", "neuron"):
        assert (tmp_path / f"{name}.dot").read_bytes() == \
            (snapshots / f"{name}.dot").read_bytes()
