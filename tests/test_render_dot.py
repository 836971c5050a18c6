"""Graph → DOT: labels, quoting, determinism, highlighting, and snapshots.

The snapshot tests compare the DOT of the tutorial's figures with the files in
``tests/snapshots/`` byte for byte.  After an intended change to the figures,
regenerate them with::

    SYMGRAD_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_render_dot.py -k snapshot

and review the diff (``git diff tests/snapshots``) before committing.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import symgrad
from symgrad import Var
from symgrad.backprop import grad
from symgrad.errors import InputError, RenderError
from symgrad.graph import local_partial
from symgrad.ops import OPS
from symgrad.pathsum import paths
from symgrad.render import draw, quote, to_dot
from symgrad.render.backends import render
from symgrad.render.dot import HIGHLIGHT_COLOR, DotOptions
from symgrad.render.labels import fmt_number, format_expr, op_caption, partial_formula

SNAPSHOTS = Path(__file__).parent / "snapshots"
SVG = "{http://www.w3.org/2000/svg}"
_EDGE = re.compile(r'^  "(n\d+)" -> "(n\d+)" \[(.*)\];$')
_NODE = re.compile(r'^  "(n\d+)" \[(.*)\];$')
_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def unquote(text: str) -> str:
    """The inverse of quote() for the tests: DOT escapes back to text, lines to \\n,
    and the "&amp;" Graphviz reads as "&"."""
    text = re.sub(r"\\(.)", lambda m: {"n": "\n", "l": "\n"}.get(m[1], m[1]), text)
    return text.replace("&amp;", "&")


def edges(source: str) -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for line in source.splitlines():
        m = _EDGE.match(line)
        if m:
            out.append((m[1], m[2], {k: unquote(v) for k, v in _ATTR.findall(m[3])}))
    return out


def node_attrs(source: str) -> dict[str, dict[str, str]]:
    out = {}
    for line in source.splitlines():
        m = _NODE.match(line)
        if m:
            out[m[1]] = {k: unquote(v) for k, v in _ATTR.findall(m[2])}
    return out


def tutorial() -> Var:
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    return (x**2 + 3) ** 2 + y


def two_paths() -> tuple[Var, Var]:
    x = Var(2.0, name="x")
    return (x**2 + 3) ** 2 + x, x


def neuron() -> Var:
    w1, w2, b = Var(2.0, name="w1"), Var(-1.0, name="w2"), Var(-0.5, name="b")
    p, q = Var(1.0, name="p"), Var(0.5, name="q")
    out = (w1 * p + w2 * q + b).sigmoid()
    out.backward()
    return out


# -- what the tutorial's figure says ---------------------------------------------------

def test_tutorial_edges_say_the_right_value_and_derivative() -> None:
    src = to_dot(tutorial())
    labels = {(t, h): a["label"] for t, h, a in edges(src)}
    nodes_ = {n: a["label"] for n, a in node_attrs(src).items()}
    assert nodes_ == {"n0": "x = 2", "n1": "u²\n= 4", "n2": "u + 3\n= 7",
                      "n3": "u²\n= 49", "n4": "y = 1", "n5": "+\nf = 50"}
    assert labels == {
        ("n0", "n1"): "u = x = 2\n∂/∂u = 2u = 4",
        ("n1", "n2"): "u = 4\n∂/∂u = 1",
        ("n2", "n3"): "u = 7\n∂/∂u = 2u = 14",
        ("n3", "n5"): "u = 49\n∂/∂u = 1",
        ("n4", "n5"): "v = y = 1\n∂/∂v = 1",
    }


def test_edge_numbers_are_the_engines_local_partials() -> None:
    """Every edge's number is graph.local_partial of that edge, in a random-ish graph."""
    x, y = Var(0.7, name="x"), Var(1.3, name="y")
    out = ((x * y).sin() + (x / y).exp() - (y ** x).log() + x.tanh() * y.sigmoid()).sqrt()
    src = to_dot(out, DotOptions(show="number", digits=12))
    order = [v for v in symgrad.nodes(out) if not v.is_constant]
    ids = {f"n{k}": v for k, v in enumerate(order)}
    seen = 0
    for tail, head, attrs in edges(src):
        v, a = ids[head], ids[tail]
        arg, *rest = attrs["label"].split("\n")
        i = "uv".index(arg[0])
        assert v.inputs[i] is a
        assert rest == [f"∂/∂{arg[0]} = {fmt_number(local_partial(v, i), 12)}"]
        seen += 1
    assert seen == sum(1 for v in order for a in v.inputs if not a.is_constant)


@pytest.mark.parametrize("show, expected", [
    ("both", "u = 7\n∂/∂u = 2u = 14"),
    ("formula", "u = 7\n∂/∂u = 2u"),
    ("number", "u = 7\n∂/∂u = 14"),
    ("none", "u = 7"),
])
def test_show_chooses_formula_number_both_or_none(show: str, expected: str) -> None:
    labels = {(t, h): a["label"] for t, h, a in edges(to_dot(tutorial(), DotOptions(show=show)))}
    assert labels[("n2", "n3")] == expected


def test_constants_as_nodes_keep_the_general_formula() -> None:
    src = to_dot(tutorial(), DotOptions(constants="nodes"))
    nodes_ = node_attrs(src)
    assert [a["label"] for a in nodes_.values() if a.get("shape") == "plaintext"] == \
        ["2", "3", "2"]
    labels = [a["label"] for _, _, a in edges(src)]
    assert "u = 7\n∂/∂u = v·u^(v−1) = 14" in labels
    assert "v = 2" in labels            # an edge from a constant carries only its value
    assert sum("∂" in lab for lab in labels) == 5


# -- formulas: the op table's rules, printed -----------------------------------------

FORMULAS = {
    "add": ("1", "1"), "sub": ("1", "−1"), "mul": ("v", "u"), "div": ("1/v", "−u/v²"),
    "pow": ("v·u^(v−1)", "u^v·log(u)"), "neg": ("−1",), "exp": ("exp(u)",),
    "log": ("1/u",), "sin": ("cos(u)",), "cos": ("−sin(u)",), "tanh": ("1 − tanh(u)²",),
    "sigmoid": ("σ(u)·(1 − σ(u))",), "relu": ("step(u)",), "sqrt": ("1/(2√u)",),
    "step": ("0",),
}


def test_every_op_has_a_formula() -> None:
    assert set(FORMULAS) == set(OPS), "a new op needs its expected formula here"


@pytest.mark.parametrize("name", sorted(OPS))
def test_formula_of_every_op(name: str) -> None:
    op = OPS[name]
    assert tuple(partial_formula(op, i) for i in range(op.arity)) == FORMULAS[name]


@pytest.mark.parametrize("name", sorted(OPS))
def test_formula_evaluates_to_the_edge_number(name: str) -> None:
    """The formula's SymPy expression, at the edge's values, is local_partial's number."""
    import sympy

    from symgrad.render.labels import _symbols
    from symgrad.symbolic import SYMPY

    op = OPS[name]
    values = [(lo + hi) / 2 + 0.1 for lo, hi in op.domain]
    args = [Var(v, name=f"x{i}") for i, v in enumerate(values)]
    node = symgrad.var.apply(op, *args)
    syms, out = _symbols(op, ())
    impl = {sympy.Function(op.symbol): lambda *a: op.value(SYMPY, *a)} if op.function else {}
    for i in range(op.arity):
        expr = sympy.sympify(op.partials[i](SYMPY, out, *syms))
        if impl:
            expr = expr.replace(sympy.Function(op.symbol), impl[sympy.Function(op.symbol)])
        value = float(expr.subs(dict(zip(syms, values, strict=True))).doit().evalf())
        assert value == pytest.approx(local_partial(node, i), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("op, i, consts, expected", [
    ("pow", 0, (None, 2.0), "2u"),
    ("pow", 0, (None, 3.0), "3u²"),
    ("pow", 0, (None, 0.5), "1/(2√u)"),
    ("pow", 0, (None, -1.0), "−1/u²"),
    ("pow", 1, (2.0, None), "2^v·log(2)"),
    ("mul", 0, (None, 0.25), "1/4"),
    ("div", 1, (1.0, None), "−1/v²"),
])
def test_constants_are_substituted_into_formulas(op: str, i: int, consts: tuple,
                                                 expected: str) -> None:
    assert partial_formula(OPS[op], i, consts) == expected


def test_format_expr_cases() -> None:
    import sympy

    a, b = sympy.symbols("a b")
    assert format_expr(-(a + b) ** 3 / 2) == "−(a + b)³/2"
    assert format_expr((a + 1) / b) == "(a + 1)/b"
    assert format_expr(a / (b + 1) ** 2) == "a/(b + 1)²"
    assert format_expr(sympy.Rational(-3, 4)) == "−3/4"
    assert format_expr(a ** (b + 1)) == "a^(b+1)"
    assert format_expr(sympy.sqrt(a + b)) == "√(a + b)"


def test_numbers() -> None:
    assert [fmt_number(v) for v in (56.0, -3.0, 0.1966119332, 1e-7, 2.5e20, -0.0)] == \
        ["56", "−3", "0.1966", "1e−07", "2.5e+20", "0"]


def test_op_caption_writes_constants_where_they_go() -> None:
    assert op_caption(OPS["sub"], (1.0, None)) == "1 − v"
    assert op_caption(OPS["sub"], (None, 1.0)) == "u − 1"
    assert op_caption(OPS["sigmoid"], (None,)) == "σ"


def test_undefined_partial_is_said_not_raised() -> None:
    b = Var(2.0, name="b")
    out = (-2.0) ** b            # a negative base: d/db = out·log(a) is undefined
    labels = [a["label"] for _, _, a in edges(to_dot(out))]
    assert labels == ["v = b = 2\n∂/∂v = u^v·log(u) = undefined"]


def test_undefined_partial_on_a_highlighted_path() -> None:
    b = Var(2.0, name="b")
    src = draw((-2.0) ** b, highlight=b).source
    assert "1 path from f to b; ∂f/∂b is undefined: a local derivative of pow(" in src


@pytest.mark.parametrize("names", [
    ("x", "y"), ("a", "b"), ("u", "v"), ("w1", "v"), ("U", "q"), ("ｖ", "x"), ("v0", "v₁"),
    ("u", "v", "p", "q", "s", "t", "α", "β", "ξ", "η"),
])
def test_no_operand_reads_as_an_input_name(names: tuple[str, ...]) -> None:
    """An edge says which operand it feeds (u = x = 2; ∂/∂u = ...) and a caption where
    its operands go (u²): none of those symbols may be an input's name."""
    import unicodedata

    def key(t: str) -> str:
        return unicodedata.normalize("NFKC", t).casefold()

    leaves = [Var(float(k + 1) / 4, name=n) for k, n in enumerate(names)]
    out = leaves[0]
    for v in leaves[1:]:
        out = out * v + v**2 - 1 / v
    src = to_dot(out)
    taken = {key(n) for n in names}
    operands = set()
    for _, _, attrs in edges(src):
        first, *rest = attrs["label"].split("\n")
        operand = first.split(" = ")[0]
        operands.add(operand)
        assert key(operand) not in taken, attrs["label"]
        for line in rest:
            assert line.startswith(f"∂/∂{operand} = "), attrs["label"]
    assert len(operands) == 2
    for attrs in node_attrs(src).values():
        caption = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]", "", attrs["label"].split("\n")[0])
        if attrs.get("shape") == "ellipse":      # an op: only operands, digits, symbols
            words = {key(w) for w in re.findall(r"(?:[^\W\d_]|′)+", caption)}
            assert not words & taken, caption


def test_inputs_indexed_like_an_operand_block_it() -> None:
    v0, v1 = Var(2.0, name="v0"), Var(1.0, name="v1")
    labels = [a["label"] for _, _, a in edges(to_dot(v0 * v1))]
    assert labels == ["p = v0 = 2\n∂/∂p = q = 1", "q = v1 = 1\n∂/∂q = p = 2"]


def test_the_neuron_with_a_bias_called_v_uses_other_operand_names() -> None:
    w, x, v = Var(2.0, name="w"), Var(1.0, name="x"), Var(-0.5, name="v")
    labels = [a["label"] for _, _, a in edges(to_dot((w * x + v).sigmoid()))]
    assert labels[:2] == ["p = w = 2\n∂/∂p = q = 1", "q = x = 1\n∂/∂q = p = 2"]
    assert "q = v = −0.5\n∂/∂q = 1" in labels


# -- determinism and structure ----------------------------------------------------------

def test_same_graph_same_bytes_and_ids_in_topological_order() -> None:
    first, second = to_dot(tutorial()), to_dot(tutorial())
    assert first == second
    ids = [m[1] for m in map(_NODE.match, first.splitlines()) if m]
    assert ids == [f"n{k}" for k in range(len(ids))]


def test_x_times_x_has_two_edges() -> None:
    x = Var(3.0, name="x")
    got = [(t, h, a["label"]) for t, h, a in edges(to_dot(x * x))]
    assert got == [("n0", "n1", "u = x = 3\n∂/∂u = v = 3"),
                   ("n0", "n1", "v = x = 3\n∂/∂v = u = 3")]


def test_grads_shown_on_every_node() -> None:
    out = tutorial()
    assert "grad =" not in draw(out).source        # auto: backward has not run
    out.backward()
    labels = {n: a["label"] for n, a in node_attrs(draw(out).source).items()}
    assert labels["n0"] == "x = 2\ngrad = 56"
    assert labels["n3"] == "u²\n= 49\ngrad = 1"
    assert "grad =" not in draw(out, grads=False).source


def test_leaf_and_constant_outputs() -> None:
    x = Var(5.0, name="x")
    assert node_attrs(to_dot(x))["n0"]["label"] == "x = 5"
    c = symgrad.constant(2.5)
    assert node_attrs(to_dot(c))["n0"]["label"] == "2.5"
    both = symgrad.var.apply(OPS["mul"], 2.0, 3.0)       # an op on two constants
    assert node_attrs(to_dot(both))["n0"]["label"] == "2 × 3\nf = 6"


def test_deep_chain_builds_without_recursion(watchdog) -> None:
    x = Var(0.5, name="x")
    y = x
    for _ in range(100_000):
        y = y + 1.0
    with watchdog():
        src = to_dot(y, DotOptions(compact=True))
    assert src.count(" -> ") == 100_000
    with pytest.raises(RenderError, match=r"too big to lay out.*sub-expression"):
        draw(y)


# -- highlight -------------------------------------------------------------------------

def test_highlight_colours_exactly_the_paths_and_sums_them() -> None:
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    out = (x**2 + 3) ** 2 + x * y + y
    src = draw(out, highlight=x).source
    red = {(t, h) for t, h, a in edges(src) if a.get("color") == HIGHLIGHT_COLOR}
    grey = {(t, h) for t, h, a in edges(src) if a.get("color") != HIGHLIGHT_COLOR}
    # nodes: x n0, ^ n1, + n2, ^ n3, y n4, × n5, + n6, + n7 (output)
    assert red == {("n0", "n1"), ("n1", "n2"), ("n2", "n3"), ("n3", "n6"), ("n0", "n5"),
                   ("n5", "n6"), ("n6", "n7")}
    assert grey == {("n4", "n5"), ("n4", "n7")}
    legend = unquote(re.search(r'^  label="(.*)";$', src, re.M)[1])
    assert legend.splitlines() == [
        "2 paths from f to x (factors from the output down):",
        "path 1 (f → + → u² → u + 3 → u² → x): 1 · 1 · 14 · 1 · 4 = 56",
        "path 2 (f → + → × → x): 1 · 1 · 1 = 1",
        "sum = 57 = ∂f/∂x",
    ]
    assert sum(p.product for p in paths(out, x)) == grad(out, x) == 57.0
    assert src.endswith('\\l";\n}\n')             # lines left-justified in DOT


def test_highlight_by_name_and_output_name() -> None:
    out, x = two_paths()
    assert draw(out, highlight="x", output_name="g").source == \
        draw(out, highlight=x, output_name="g").source
    assert "sum = 57 = ∂g/∂x" in draw(out, highlight="x", output_name="g").source


def test_highlight_beyond_path_limit_gives_count_and_gradient() -> None:
    x = Var(1.1, name="x")
    y = x
    for _ in range(5):
        y = y * y                                 # 32 paths
    src = draw(y, highlight=x, path_limit=10).source
    assert "32 paths from f to x (more than path_limit=10, so not listed)" in src
    assert f"sum of their products = {fmt_number(grad(y, x))} = ∂f/∂x" in src
    assert "path 1" not in src
    assert src.count(HIGHLIGHT_COLOR) > 5


def test_highlight_of_an_intermediate() -> None:
    x, y = Var(2.0, name="x"), Var(3.0, name="y")
    u = x * y
    out = u * x
    src = draw(out, highlight=u).source
    assert "1 path from f to (× = 6)" in src
    assert "sum = 2 = ∂f/∂(× = 6)" in src
    red = {(t, h) for t, h, a in edges(src) if a.get("color") == HIGHLIGHT_COLOR}
    assert red == {("n2", "n3")}                   # only u → output; not x, y → u


@pytest.mark.parametrize("bad, message", [
    ("z", r"highlight='z': .*no input named 'z' \(its inputs: x, y\)"),
    (Var(1.0, name="w"), "not a node of this graph"),
    (3, "must be a Var or a leaf's name"),
    (symgrad.constant(2.0), "must not be a constant"),
])
def test_bad_highlight(bad: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        draw(tutorial(), highlight=bad)


def test_ambiguous_highlight_name() -> None:
    x1, x2 = Var(1.0, name="x"), Var(2.0, name="x")
    with pytest.raises(InputError, match="names 2 different inputs; pass the Var"):
        draw(x1 + x2, highlight="x")


# -- quoting ---------------------------------------------------------------------------

HOSTILE = [
    'say "hi"', "back\\slash", "trailing\\", "{braces}", "<b>bold</b>", "a & b",
    "two\nlines", "x₀ ∂σ", "tab\there", '"]; evil -> x [label="', "\\n not a newline",
    "-- // /* */ #", "</text><script>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_quote_is_a_single_valid_dot_string(text: str) -> None:
    q = quote(text)
    assert q.startswith('"') and q.endswith('"')
    body = q[1:-1]
    # no unescaped quote inside, and every backslash starts an escape we meant
    assert re.fullmatch(r'(?:[^"\\]|\\[\\"n])*', body), body
    assert unquote(body) == text.replace("\t", "␉")


def test_hostile_names_render_as_themselves() -> None:
    """graphviz-pure accepts the escaped DOT, and the SVG shows each name literally."""
    leaves = [Var(float(k), name=name) for k, name in enumerate(HOSTILE, 1)]
    out = leaves[0]
    for v in leaves[1:]:
        out = out + v
    src = to_dot(out, DotOptions(show="none"))
    svg = render(src, "svg", "embedded").decode("utf-8")
    root = ET.fromstring(svg)
    shown = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            title = g.find(f"{SVG}title").text
            shown[title] = "\n".join(t.text or "" for t in g.iter(f"{SVG}text"))
    for k, (v, name) in enumerate(zip(leaves, HOSTILE, strict=True)):
        node_id = next(n for n, a in node_attrs(src).items()
                       if a.get("shape") == "box" and a["label"].endswith(f" = {k + 1}")
                       and a["label"].startswith(name.replace("\t", "␉")))
        expected = f"{name.replace(chr(9), '␉')} = {k + 1}"
        assert shown[node_id] == expected, (v, shown[node_id])


# -- snapshots -------------------------------------------------------------------------

def _snapshot_figures() -> dict[str, str]:
    out, x = two_paths()
    return {
        "chain_rule": to_dot(tutorial()),
        "two_paths": draw(out, highlight=x, output_name="g").source,
        "neuron": draw(neuron(), output_name="y").source,
    }


@pytest.mark.parametrize("name", ["chain_rule", "two_paths", "neuron"])
def test_snapshot(name: str) -> None:
    got = _snapshot_figures()[name]
    path = SNAPSHOTS / f"{name}.dot"
    if os.environ.get("SYMGRAD_UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_bytes(got.encode("utf-8"))
    assert path.exists(), f"missing {path}; run with SYMGRAD_UPDATE_SNAPSHOTS=1 to create it"
    assert got.encode("utf-8") == path.read_bytes(), (
        f"the DOT of {name} changed; if intended, regenerate with "
        "SYMGRAD_UPDATE_SNAPSHOTS=1 (see this module's docstring)")
