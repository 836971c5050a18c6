"""Figures of scoped graphs: folded nodes, composite edge labels, focus, clusters, ranks."""

from __future__ import annotations

import math
import re

import pytest

import symgrad
from symgrad import Var, nn, scope
from symgrad.analysis import Analysis
from symgrad.errors import InputError
from symgrad.ops import CONST
from symgrad.render import draw
from symgrad.render.labels import fmt_number

_EDGE = re.compile(r'^  "([ng]\d+)"(?::"(p\d+)":"\w")? -> "([ng]\d+)"(?: \[(.*)\])?;$')
_NODE = re.compile(r'^  "([ng]\d+)" \[(.*)\];$')
_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def unquote(text: str) -> str:
    text = re.sub(r"\\(.)", lambda m: {"n": "\n", "l": "\n"}.get(m[1], m[1]), text)
    return text.replace("&amp;", "&")


def parse(source: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str | None, str,
                                                                        dict[str, str]]]]:
    nodes, edges = {}, []
    for line in source.splitlines():
        if m := _EDGE.match(line):
            edges.append((m[1], m[2], m[3], {k: unquote(v) for k, v in _ATTR.findall(m[4] or "")}))
        elif m := _NODE.match(line):
            nodes[m[1]] = {k: unquote(v) for k, v in _ATTR.findall(m[2])}
    return nodes, edges


def xor_loss() -> Var:
    return nn.loss_graph(nn.MLP(2, [2, 1], seed=0), nn.XOR)


def neuron_on_vars() -> tuple[Var, list[Var]]:
    x0, x1 = Var(0.5, name="x0"), Var(-1.5, name="x1")
    n = nn.Neuron(2, seed=4)
    return n([x0, x1]) * 2.0, [x0, x1, *n.parameters()]  # type: ignore[operator]


# -- folding -------------------------------------------------------------------------------

def test_the_xor_loss_folded_by_neurons() -> None:
    d = draw(xor_loss(), fold="neurons")
    nodes, edges = parse(d.source)
    folded = {k: a for k, a in nodes.items() if k.startswith("g")}
    assert len(folded) == 3 and all(a["shape"] == "record" for a in folded.values())
    assert sorted(a["label"].split("|")[0].lstrip("{") for a in folded.values()) == [
        "layer0/neuron0", "layer0/neuron1", "layer1/neuron0"]
    assert all(a["label"].count("<p") == 4 for a in folded.values())  # one port per row
    assert len(nodes) == 23 and repr(d).startswith("<Diagram: 23 nodes, 31 edges")
    # each hidden port feeds the output neuron once: 2 neurons x 4 rows
    into_out = [e for e in edges if e[0] in ("g0", "g2") and e[2] == "g1"]
    assert len(into_out) == 8 and {e[1] for e in into_out} == {"p0", "p1", "p2", "p3"}
    assert "σ′(z)" in d.source


def test_composite_edge_numbers_are_backprop_inside_the_scope() -> None:
    out, _ = neuron_on_vars()
    an = Analysis(out)
    folding = an.folding("neurons")
    (group,) = folding.groups
    (port,) = group.outputs
    src = draw(out, fold="neurons", digits=12).source
    nodes, edges = parse(src)
    labels = {nodes[t]["label"].split(" = ")[0]: a["label"] for t, _, h, a in edges
              if h.startswith("g")}
    assert set(labels) == {"x0", "x1", "w0", "w1", "b"}
    jac = folding.jacobian(port)
    for u in jac:
        first, second = labels[u.name].split("\n")
        assert first == f"{u.name} = {fmt_number(u.value, 12)}"
        assert second.startswith(f"∂/∂{u.name} = ")
        assert second.endswith(f" = {fmt_number(jac[u], 12)}")
        s = port.value
        partner = {"w0": "x0", "w1": "x1", "x0": "w0", "x1": "w1"}
        expected = s * (1 - s) * (next(v for v in jac if v.name == partner[u.name]).value
                                  if u.name in partner else 1.0)
        assert math.isclose(jac[u], expected, rel_tol=1e-12)
    assert labels["w0"].split("\n")[1].startswith("∂/∂w0 = x0·σ′(z) = ")
    assert labels["b"].split("\n")[1].startswith("∂/∂b = σ′(z) = ")


def test_folded_figures_with_highlight_list_folded_paths_that_sum_to_the_gradient() -> None:
    loss = xor_loss()
    w = next(p for p in symgrad.leaves(loss) if p.name == "layer0.neuron1.b")
    src = draw(loss, fold="neurons", highlight=w, path_limit=20).source
    legend = unquote(re.search(r'^  label="(.*)";$', src, re.M)[1]).splitlines()
    assert legend[0] == "4 folded paths from f to layer0.neuron1.b (factors from the " \
        "output down):"
    assert "layer1/neuron0 (out₂) → layer0/neuron1 (out₂) → layer0.neuron1.b" in legend[2]
    total = math.fsum(p.product for p in symgrad.paths(loss, w, fold="neurons"))
    assert legend[-1] == f"sum = {fmt_number(total)} = ∂f/∂layer0.neuron1.b"
    assert math.isclose(total, symgrad.grad(loss, w), rel_tol=1e-12)


def test_fold_by_depth_and_by_name() -> None:
    loss = xor_loss()
    nodes, _ = parse(draw(loss, fold=1).source)
    folded = [a["label"] for k, a in nodes.items() if k.startswith("g")]
    assert sorted(f.split("|")[0].lstrip("{") for f in folded) == ["layer0", "layer1"]
    nodes, _ = parse(draw(loss, fold=["layer1/neuron0"]).source)
    assert [k for k in nodes if k.startswith("g")] == ["g0"]


def test_a_single_output_scope_is_a_plain_folded_box() -> None:
    out, _ = neuron_on_vars()
    nodes, _ = parse(draw(out, fold="neurons").source)
    (g,) = [a for k, a in nodes.items() if k.startswith("g")]
    assert g["shape"] == "box" and g["label"].startswith("neuron\n= ")


def test_grads_on_folded_nodes_after_backward() -> None:
    loss = xor_loss()
    loss.backward()
    nodes, _ = parse(draw(loss, fold="neurons").source)
    g1 = next(a["label"] for k, a in nodes.items() if "layer1/neuron0" in a["label"])
    assert g1.count("grad = ") == 4


def test_highlight_inside_a_folded_scope_is_refused() -> None:
    x = Var(1.0, name="x")
    with scope("neuron"):
        mid = x * 2.0
        h = mid.tanh()
    with pytest.raises(InputError, match="highlight is inside the folded scope 'neuron'"):
        draw(h + x, fold="neurons", highlight=mid)


# -- compact -------------------------------------------------------------------------------

def test_compact_folded_nodes_hold_their_parameters_and_edges_merge() -> None:
    loss = xor_loss()
    d = draw(loss, fold="neurons", compact=True)
    nodes, edges = parse(d.source)
    assert not any(a.get("shape") == "record" for a in nodes.values())
    labels = [a["label"] for k, a in nodes.items() if k.startswith("g")]
    assert all("3 parameters inside\n4 outputs" in lab for lab in labels)
    assert not any(a["label"].startswith("layer") and a.get("shape") == "box"
                   and "=" in a["label"] for a in nodes.values())   # no parameter boxes
    pairs = [(t, h) for t, _, h, _ in edges]
    assert pairs.count(("g0", "g1")) == 1 and pairs.count(("g2", "g1")) == 1
    w = symgrad.leaves(loss)[0]
    kept, _ = parse(draw(loss, fold="neurons", compact=True, highlight=w).source)
    assert len(kept) == len(nodes) + 1             # the highlighted input stays drawn


# -- focus ---------------------------------------------------------------------------------

def drawn_ids(out: Var) -> dict[Var, str]:
    drawn = [v for v in symgrad.nodes(out) if v.op is not CONST or v is out]
    return {v: f"n{k}" for k, v in enumerate(drawn)}


@pytest.mark.parametrize("pick", [0, 3, 7])
def test_focus_keeps_exactly_the_nodes_on_paths(pick: int) -> None:
    loss = xor_loss()
    an = Analysis(loss)
    target = an.leaves[pick]
    ids = drawn_ids(loss)
    d = draw(loss, focus=target)
    nodes, edges = parse(d.source)
    on = {ids[v] for v in an.on_paths(target) if v in ids}
    kept = {k for k, a in nodes.items() if "dashed" not in a.get("style", "")}
    dim = set(nodes) - kept
    assert kept == on
    users = {v: [c for c, _ in an.consumers[v]] for v in ids}
    expected_dim = {ids[a] for v in an.on_paths(target) if v in ids for a in v.inputs
                    if a in ids and ids[a] not in on}
    assert dim == expected_dim
    assert all(any(ids[c] in kept for c in users[v]) for v in ids if ids[v] in dim)
    for tail, _, head, attrs in edges:
        assert head in kept
        assert (tail in dim) == (attrs.get("style") == "dashed")
    note = unquote(re.search(r'^  label="(.*)";$', d.source, re.M)[1]).splitlines()[0]
    left = len(ids) - len(kept) - len(dim)
    assert note == (f"focus on {target.name}: {len(kept)} nodes on the paths from f, "
                    f"{len(dim)} other inputs dimmed, {left} nodes left out")


def test_focus_on_a_folded_figure() -> None:
    loss = xor_loss()
    b = next(p for p in symgrad.leaves(loss) if p.name == "layer0.neuron0.b")
    nodes, _ = parse(draw(loss, fold="neurons", focus=b).source)
    kept = {k for k, a in nodes.items() if "dashed" not in a.get("style", "")}
    assert {k for k in kept if k.startswith("g")} == {"g0", "g1"}   # neuron0, the output
    assert any(k.startswith("g") and "dashed" in a["style"] for k, a in nodes.items())


@pytest.mark.parametrize("focus, message", [
    ("nope", r"focus='nope': .*no input named 'nope'"),
    (symgrad.constant(1.0), "focus must not be a constant"),
    (Var(1.0, name="w"), "not a node of this graph"),
    (3, "focus must be a Var or a leaf's name"),
])
def test_bad_focus(focus: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        draw(xor_loss(), focus=focus)


# -- clusters and ranks --------------------------------------------------------------------

def test_unfolded_scopes_are_nested_clusters() -> None:
    src = draw(xor_loss(), compact=True).source
    assert src.count("subgraph ") == 5            # layer0, layer1 and their 3 neurons
    blocks = re.findall(r'subgraph "(cluster_\d+)" \{\n\s+graph \[label="([^"]+)"', src)
    assert sorted(label for _, label in blocks) == ["layer0", "layer1", "neuron0", "neuron0",
                                                    "neuron1"]
    layer0 = src[src.index('label="layer0"'):]
    assert layer0.index('label="neuron0"') < layer0.index('label="neuron1"')


def test_folded_neurons_of_one_layer_share_a_rank() -> None:
    src = draw(xor_loss(), fold="neurons").source
    assert re.search(r'\{rank="same"; "g0"; "g2";\}', src), src


def test_graphs_without_scopes_have_no_clusters() -> None:
    x = Var(2.0, name="x")
    assert "subgraph" not in draw(x * x + 1).source


def test_every_composite_number_in_the_xor_figure_is_the_folding_jacobian() -> None:
    loss = xor_loss()
    folding = Analysis(loss).folding("neurons")
    ids = drawn_ids(loss)
    plain = {i: v for v, i in ids.items()}
    by_id = {f"g{g.index}": g for g in folding.groups}
    _, edges = parse(draw(loss, fold="neurons", digits=12).source)
    checked = 0
    for tail, port, head, attrs in edges:
        if head not in by_id:
            continue
        group = by_id[head]
        u = plain[tail] if port is None else by_id[tail].outputs[int(port[1:])]
        first, *lines = attrs["label"].split("\n")
        assert first.endswith(f" = {fmt_number(u.value, 12)}")
        for line in lines:
            k = int(re.match(r"∂out(\S+)/", line)[1].translate(str.maketrans(
                "₀₁₂₃₄₅₆₇₈₉", "0123456789")))
            number = folding.jacobian(group.outputs[k - 1])[u]
            assert line.endswith(f" = {fmt_number(number, 12)}") or (
                number == 0 and line.endswith(" = 0")), line
            checked += 1
    assert checked == 9 * 4 + 8     # each parameter reaches its neuron's 4 outputs


def test_a_long_composite_gets_its_number_only() -> None:
    from symgrad.render.fold import FORMULA_OPS

    x = Var(0.3, name="x")
    with scope("deep"):
        y = x
        for _ in range(FORMULA_OPS + 1):
            y = (y * 0.9).sin()
    label = next(a["label"] for _, _, h, a in parse(draw(y + x, fold=["deep"]).source)[1]
                 if h.startswith("g"))
    number = Analysis(y + x).folding(["deep"]).jacobian(y)[x]
    assert label.split("\n")[1] == f"∂/∂x = {fmt_number(number)}"
