"""The explorer page: its data in Python, and the page itself driven in headless Chromium."""

from __future__ import annotations

import html
import itertools
import json
import math
import re
import statistics
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import symgrad
from symgrad import Var, nn
from symgrad.backprop import adjoints
from symgrad.errors import InputError, RenderError
from symgrad.explorer import MAX_NODES, Explorer, explore
from symgrad.explorer import data as explore_data
from symgrad.explorer.browser import missing as browser_missing
from symgrad.explorer.browser import start as start_browser
from symgrad.explorer.data import PATH_LIST, drawn_nodes
from symgrad.explorer.page import safe_json
from symgrad.forward import tangents
from symgrad.graph import leaf_named, local_partial
from symgrad.render.labels import fmt_number

HOSTILE = "</script><script>window.pwned=1</script>"
SHOTS = Path("/tmp/explore-shots")


def chain() -> tuple[Var, Var]:
    x = Var(2.0, name="x")
    return (x**2 + 3) ** 2 + x, x


def shared() -> Var:
    """Shared subexpressions, two inputs, constants inlined into several ops."""
    return symgrad.parse("(x*y + 3)**2 + x*y + sin(x*y) / (1 + exp(-x))", x=0.7, y=-1.3)


def xor_loss() -> Var:
    model = nn.MLP(2, [2, 1], seed=0)
    return nn.loss_graph(model, nn.XOR)


def wide(n: int = 660) -> Var:
    """A wide sum (balanced, so it lays out quickly) of products of neighbouring inputs."""
    xs = [Var(((i * 7) % 11) / 5 - 1, name=f"x{i}") for i in range(n)]
    terms = [xs[i] * xs[(i + 1) % n] for i in range(n)]
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                 for i in range(0, len(terms), 2)]
    return terms[0]


def data_block(page: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="symgrad-data">(.*?)</script>', page,
                  re.S)
    assert m is not None
    return json.loads(m.group(1))  # type: ignore[no-any-return]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


# -- the page as text ----------------------------------------------------------------------

def test_page_is_self_contained() -> None:
    out, _ = chain()
    page = explore(out, wrt="x").html()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert 'http-equiv="Content-Security-Policy"' in page
    assert "default-src &#x27;none&#x27;" in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    # The SVG and XLink namespaces are names, not addresses; nothing else may look like one.
    rest = page.replace("http://www.w3.org/2000/svg", "").replace(
        "http://www.w3.org/1999/xlink", "")
    for bad in ("http:", "https:", "<link", "@import", "url(", "src=", "href="):
        assert bad not in rest, bad
    assert not re.search(r"""=\s*["']?//""", rest)
    assert page.count("<script") == 2  # the data block and the script, nothing more


def test_hostile_name_is_escaped() -> None:
    x, y = Var(2.0, name=HOSTILE), Var(3.0, name="y")
    e = explore(x * y + x, wrt=HOSTILE, output_name="<b>f</b>")
    page = e.html()
    assert HOSTILE not in page and "<b>f</b>" not in page
    assert html.escape(HOSTILE) in page  # the option text and data-name attribute
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "\\u003c/script\\u003e" in page
    assert data_block(page)["nodes"][0][1] == HOSTILE  # the JSON still carries it exactly


def test_safe_json_escapes_line_separators() -> None:
    text = safe_json({"a": "x\u2028y\u2029z<>&"})
    assert "\u2028" not in text and "\u2029" not in text and "<" not in text
    assert json.loads(text) == {"a": "x\u2028y\u2029z<>&"}


@pytest.mark.parametrize("make", [lambda: chain()[0], shared, xor_loss],
                         ids=["chain", "shared", "xor"])
def test_data_final_reverse_grads_equal_the_engine(make: Any) -> None:
    out = make()
    e = explore(out)
    drawn = drawn_nodes(symgrad.nodes(out), out)
    adj = adjoints(out)
    steps = e.data["reverse"]["steps"]
    assert [drawn[s[0]] for s in steps] == [v for v in reversed(symgrad.nodes(out))
                                            if not v.is_constant]
    final = {s[0]: s[1] for s in steps}
    for k, v in enumerate(drawn):
        assert close(final[k], adj[v]), (k, final[k], adj[v])
        assert close(final[k], symgrad.grad(out, v))
    running: dict[int, float] = {}
    for node, g, sends in steps:
        assert running.get(node, 1.0 if node == e.data["out"] else None) == g
        for j, contribution, new in sends:
            consumer, pos, child = e.data["edges"][j][:3]
            assert consumer == node and contribution == local_partial(drawn[node], pos) * g
            running[child] = new


@pytest.mark.parametrize("make", [lambda: chain()[0], shared, xor_loss],
                         ids=["chain", "shared", "xor"])
def test_data_forward_tangents_equal_the_gradient(make: Any) -> None:
    out = make()
    e = explore(out)
    drawn = drawn_nodes(symgrad.nodes(out), out)
    for i, k in enumerate(e.data["inputs"]):
        x = drawn[k]
        fwd = e.data["forward"][i]
        assert fwd is not None and fwd["error"] is None
        last = fwd["steps"][-1]
        assert last[0] == e.data["out"] and close(last[1], symgrad.grad(out, x))
        t = tangents(out, x)
        assert all(t[drawn[node]] == tan for node, tan, _ in fwd["steps"])
        paths = e.data["paths"][i]
        if paths["list"] is not None:
            assert close(paths["sum"], symgrad.grad(out, x)) or abs(paths["sum"]) < 1e-12


def test_values_pass_and_svg_mapping() -> None:
    out = shared()
    e = explore(out, wrt="y")
    drawn = drawn_nodes(symgrad.nodes(out), out)
    assert e.data["values"] == list(range(len(drawn)))
    assert e.data["selected"] == 1 and e.data["nodes"][e.data["inputs"][1]][1] == "y"
    root = ET.fromstring(e.svg)
    ns = "{http://www.w3.org/2000/svg}"
    groups = [g for g in root.iter(f"{ns}g") if g.get("data-node") is not None]
    assert sorted(int(g.get("data-node", "")) for g in groups) == list(range(len(drawn)))
    for g in groups:
        v = drawn[int(g.get("data-node", ""))]
        texts = " ".join(t.text or "" for t in g.iter(f"{ns}text"))
        assert fmt_number(v.value) in texts  # the right node: its value is in its label
        assert g.get("data-name") == (v.name if v.is_leaf else None)
    edges = [g for g in root.iter(f"{ns}g") if g.get("data-edge") is not None]
    drawn_edges = [j for j, row in enumerate(e.data["edges"]) if row[2] >= 0]
    assert sorted(int(g.get("data-edge", "")) for g in edges) == drawn_edges


@pytest.mark.parametrize("option", [{"fold": "neurons"}, {"fold": 1},
                                    {"focus": "layer0.neuron1.w0"}])
def test_fold_and_focus_reach_the_figure_and_the_data_stays_unfolded(option: Any) -> None:
    out = xor_loss()
    e = explore(out, **option)
    drawn = drawn_nodes(symgrad.nodes(out), out)
    assert len(e.data["nodes"]) == len(drawn) == 80       # every node, every step
    root = ET.fromstring(e.svg)
    ns = "{http://www.w3.org/2000/svg}"
    nodes = [g for g in root.iter(f"{ns}g") if g.get("class") == "node"]
    tagged = [g for g in nodes if g.get("data-node") is not None]
    assert 0 < len(tagged) < len(drawn)
    for g in tagged:                                       # each tag names the right node
        v = drawn[int(g.get("data-node", ""))]
        assert fmt_number(v.value) in " ".join(t.text or "" for t in g.iter(f"{ns}text"))
    texts = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    if "fold" in option:
        assert "layer1/neuron0" in texts or "layer1" in texts
        assert len(nodes) - len(tagged) == (3 if option["fold"] == "neurons" else 2)
    else:
        assert "focus on layer0.neuron1.w0" in texts and len(nodes) == len(tagged)
    with pytest.raises(InputError, match="fold=3 folds no scope"):
        explore(out, fold=3)


def test_constants_as_nodes() -> None:
    out, _ = chain()
    e = explore(out, constants="nodes")
    kinds = [n[0] for n in e.data["nodes"]]
    assert kinds.count("c") == 3 and e.svg.count("data-node=") == len(kinds)


def test_too_many_paths_are_counted_not_listed() -> None:
    x = Var(1.1, name="x")
    y = x
    for _ in range(6):
        y = y * y  # 2**6 = 64 paths, more than PATH_LIST
    e = explore(y, wrt="x")
    (found,) = e.data["paths"]
    assert found["count"] == "64" and found["list"] is None and found["sum"] is None
    assert PATH_LIST < 64


def test_undefined_local_derivative_ends_the_passes() -> None:
    x, y = Var(2.0, name="x"), Var(3.0, name="y")
    out = symgrad.sqrt(x - 2) + x * y  # d sqrt(a)/da is undefined at a = 0
    e = explore(out, wrt="x")
    reverse = e.data["reverse"]
    assert "local derivative of sqrt" in reverse["error"]
    assert len(reverse["steps"]) < len(e.data["nodes"])
    fwd_x, fwd_y = e.data["forward"]
    assert "sqrt" in fwd_x["error"] and fwd_x["steps"] == []
    assert fwd_y["error"] is None and fwd_y["steps"][-1][1] == 2.0  # y never meets sqrt
    assert "sqrt" in e.data["paths"][0]["error"]
    undefined = [row for row in e.data["edges"] if row[2] >= 0 and row[3] is None]
    assert len(undefined) == 1


def test_refuses_more_than_max_nodes() -> None:
    xs = [Var(1.0, name=f"x{i}") for i in range(MAX_NODES // 2 + 1)]
    out = xs[0]
    for v in xs[1:]:
        out = out + v
    assert len(symgrad.nodes(out)) == MAX_NODES + 1
    advice = r"2,001 drawn nodes.*sub-expression.*fold=.neurons.*focus="
    with pytest.raises(RenderError, match=advice):
        explore(out)


def test_bad_arguments() -> None:
    out, x = chain()
    c = next(v for v in symgrad.nodes(out) if v.is_constant)
    cases: list[tuple[Any, dict[str, Any], str]] = [
        (3.0, {}, "must be a symgrad.Var"),
        (out, {"wrt": "z"}, "no input named 'z'"),
        (out, {"wrt": c}, "is a constant"),
        (out, {"wrt": out}, "is an op node"),
        (out, {"wrt": Var(1.0, name="other")}, "not a node of this graph"),
        (out, {"wrt": 1.5}, "wrt must be an input Var"),
        (out, {"digits": 0}, "digits"),
        (out, {"digits": True}, "digits"),
        (out, {"output_name": ""}, "output_name"),
        (out, {"colour": "red"}, "unknown option colour="),
        (out, {"highlight": x}, "use wrt="),
        (out, {"grads": True}, "writes every gradient"),
        (out, {"rankdir": "XY"}, "rankdir"),
        (out, {"renderer": "nope"}, "renderer"),
    ]
    for target, kwargs, message in cases:
        with pytest.raises(InputError, match=re.escape(message)):
            explore(target, **kwargs)


def test_save_and_errors(tmp_path: Path) -> None:
    out, _ = chain()
    e = explore(out)
    p = e.save(tmp_path / "page.html")
    assert p.read_text(encoding="utf-8") == e.html()
    assert e.save(str(tmp_path / "again.html")).exists()
    with pytest.raises(InputError, match="folder exists"):
        e.save(tmp_path / "missing" / "page.html")
    with pytest.raises(InputError, match=r"str or os\.PathLike"):
        e.save(42)  # type: ignore[arg-type]


def test_repr_html_is_an_isolated_iframe() -> None:
    out, _ = chain()
    e = explore(out, wrt="x")
    frame = e._repr_html_()
    m = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" [^<>]*></iframe>', frame)
    assert m is not None
    assert "<" not in m.group(1) and html.unescape(m.group(1)) == e.html()
    assert isinstance(e, Explorer) and "input x selected" in repr(e)


@pytest.fixture(scope="module")
def wide_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Var]:
    out = wide()
    path = explore(out).save(tmp_path_factory.mktemp("wide") / "wide.html")
    return path, out


def test_dense_graph_page_size() -> None:
    """An MLP loss near the node limit: every input reaches most of the graph, so only
    some forward passes fit in the page, the selected one first."""
    loss = nn.loss_graph(nn.MLP(2, [13, 12, 1], seed=0), nn.XOR)
    e = explore(loss, wrt="layer2.neuron0.b")
    size = len(e.html().encode("utf-8"))
    stored = [k for k, f in enumerate(e.data["forward"]) if f is not None]
    print(f"\n{len(e.data['nodes'])} drawn nodes, {len(stored)} of {len(e.data['forward'])} "
          f"forward passes stored: page {size / 1e6:.2f} MB")
    assert size < 3_000_000 and e.data["selected"] in stored
    assert 0 < len(stored) < len(e.data["forward"])


def test_wide_graph_page_size(wide_page: tuple[Path, Var]) -> None:
    path, out = wide_page
    n = len(drawn_nodes(symgrad.nodes(out), out))
    size = path.stat().st_size
    print(f"\n{n} drawn nodes: page {size / 1e6:.2f} MB")
    assert 1900 <= n <= MAX_NODES and size < 3_000_000


# -- the page in a real browser -----------------------------------------------------------

def _browser_or_skip() -> Any:
    problem = browser_missing()
    if problem:
        pytest.skip(problem)
    return start_browser(log_network=True)


@pytest.fixture(scope="module")
def browser() -> Any:
    driver = _browser_or_skip()
    yield driver
    driver.quit()


_pages = itertools.count()


def load(driver: Any, page: Explorer | Path, tmp_path: Path, fragment: str = "") -> str:
    """Open ``page`` from ``file://``; each page gets its own file, so that a new fragment
    on the same address cannot turn a load into a same-document navigation."""
    path = page if isinstance(page, Path) else page.save(tmp_path / f"page{next(_pages)}.html")
    url = path.resolve().as_uri()
    driver.get(url + fragment)
    return url


def state(driver: Any) -> dict[str, Any]:
    return driver.execute_script("return window.symgrad.state()")  # type: ignore[no-any-return]


needs_chromium = pytest.mark.needs_chromium


@needs_chromium
@pytest.mark.parametrize("make", [lambda: chain()[0], shared, xor_loss],
                         ids=["chain", "shared", "xor"])
def test_browser_reverse_pass_grads(browser: Any, tmp_path: Path, make: Any) -> None:
    out = make()
    drawn = drawn_nodes(symgrad.nodes(out), out)
    load(browser, explore(out), tmp_path, "#pass=reverse")
    s = state(browser)
    assert s["pass"] == "reverse" and s["step"] == 0
    assert all(n["grad"] is None and not n["done"] for n in s["nodes"])
    browser.execute_script("window.symgrad.run()")
    s = state(browser)
    adj = adjoints(out)
    assert s["step"] == s["steps"] == len(drawn)
    for n in s["nodes"]:
        v = drawn[n["id"]]
        assert n["done"] and close(n["grad"], adj[v]) and close(n["grad"], symgrad.grad(out, v))
        assert n["value"] == v.value
    # The numbers written on the graph are the engine's, formatted as the figure does.
    texts = browser.execute_script(
        "var o = {}; document.querySelectorAll('[data-ov]').forEach(function (t) {"
        " o[t.getAttribute('data-ov')] = t.textContent; }); return o;")
    for k, text in texts.items():
        assert text.startswith(f"grad = {fmt_number(adj[drawn[int(k)]])}"), text


@needs_chromium
def test_browser_reverse_running_sums_step_by_step(browser: Any, tmp_path: Path) -> None:
    """After each step every node shows the sum of the contributions received so far,
    recomputed here from the engine's adjoints and local partials."""
    out = xor_loss()
    drawn = drawn_nodes(symgrad.nodes(out), out)
    index = {v: k for k, v in enumerate(drawn)}
    adj = adjoints(out)
    load(browser, explore(out), tmp_path, "#pass=reverse")
    received: dict[int, list[float]] = {index[out]: [1.0]}
    finished: set[int] = set()
    for v in reversed(symgrad.nodes(out)):
        if v.is_constant:
            continue
        assert browser.execute_script("return window.symgrad.step()") is True
        finished.add(index[v])
        for i, a in enumerate(v.inputs):
            if not a.is_constant:
                received.setdefault(index[a], []).append(local_partial(v, i) * adj[v])
        for n in state(browser)["nodes"]:
            terms = received.get(n["id"])
            assert n["done"] == (n["id"] in finished)
            if terms is None:
                assert n["grad"] is None
            else:
                assert abs(n["grad"] - math.fsum(terms)) <= 1e-12 * sum(map(abs, terms))
    assert browser.execute_script("return window.symgrad.step()") is False


@needs_chromium
@pytest.mark.parametrize("digits", [4, 2, 7])
def test_browser_numbers_are_written_as_the_figure_writes_them(browser: Any, tmp_path: Path,
                                                              digits: int) -> None:
    ks = [1e-7, -2.5e-5, 0.000123456, 2 / 3, -1234.5678, 98765.4321, 1.5e20, -3.14159e-12,
          7.0, 0.1 + 0.2, 123456789.0, -0.0999951]
    xs = [Var(1.0, name=f"x{i}") for i in range(len(ks))]
    out = xs[0] * ks[0]
    for x, k in zip(xs[1:], ks[1:], strict=True):
        out = out + x * k
    drawn = drawn_nodes(symgrad.nodes(out), out)
    load(browser, explore(out, digits=digits), tmp_path, "#pass=reverse&run")
    texts = browser.execute_script(
        "var o = {}; document.querySelectorAll('[data-ov]').forEach(function (t) {"
        " o[t.getAttribute('data-ov')] = t.textContent; }); return o;")
    for x, k in zip(xs, ks, strict=True):
        assert texts[str(drawn.index(x))] == f"grad = {fmt_number(k, digits)}"


@needs_chromium
@pytest.mark.parametrize("case", ["leaf", "constant", "undefined", "nodes", "omitted", "fold",
                                  "focus"])
def test_browser_edge_cases_raise_no_script_error(browser: Any, tmp_path: Path, case: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    x = Var(2.0, name="x")
    if case == "omitted":  # room for one forward pass only: y's is left out
        monkeypatch.setattr(explore_data, "FORWARD_BUDGET", 1)
        e = explore(x * Var(3.0, name="y"), wrt="x")
        assert e.data["forward"][1] is None
    elif case == "leaf":
        e = explore(x, wrt=x)
    elif case == "constant":
        e = explore(symgrad.constant(3.0))
    elif case == "undefined":
        e = explore(symgrad.sqrt(x - 2) + x, wrt="x")
    elif case == "fold":  # the figure folded, the steps inside neurons only in the panels
        e = explore(xor_loss(), fold="neurons", wrt="layer0.neuron0.w0")
    elif case == "focus":
        e = explore(xor_loss(), focus="layer0.neuron1.b", wrt="layer0.neuron1.b")
    else:
        e = explore(chain()[0], constants="nodes", wrt="x")
    browser.get_log("browser")
    load(browser, e, tmp_path)
    for name in ("values", "reverse", "forward"):
        browser.execute_script(f"window.symgrad.pass('{name}'); window.symgrad.run();"
                               "window.symgrad.back(); window.symgrad.step();")
        s = state(browser)
        assert s["step"] == s["steps"]
        if case == "undefined" and name != "values":
            status = browser.execute_script("return document.getElementById('sg-status')"
                                            ".textContent")
            assert "sqrt" in status
    if case == "omitted":
        browser.execute_script("window.symgrad.select('y')")
        status = browser.execute_script("return document.getElementById('sg-status')"
                                        ".textContent")
        assert "not stored in this page" in status and 'wrt="y"' in status
        assert state(browser)["steps"] == 0
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


@needs_chromium
def test_browser_forward_pass(browser: Any, tmp_path: Path) -> None:
    out = shared()
    drawn = drawn_nodes(symgrad.nodes(out), out)
    y = leaf_named("y", drawn)
    load(browser, explore(out, wrt="x"), tmp_path)
    browser.execute_script("window.symgrad.pass('forward'); window.symgrad.select('y');"
                           "window.symgrad.run();")
    s = state(browser)
    assert s["pass"] == "forward" and s["selected"] == "y"
    t = tangents(out, y)
    for n in s["nodes"]:
        assert n["tangent"] == t[drawn[n["id"]]]
    assert close(s["nodes"][drawn.index(out)]["tangent"], symgrad.grad(out, y))
    assert close(s["sum"], symgrad.grad(out, y))
    assert [p["product"] for p in s["paths"]] == [p.product for p in symgrad.paths(out, y)]


@needs_chromium
@pytest.mark.parametrize("name", ["values", "reverse", "forward"])
def test_browser_step_then_back_restores_the_state(browser: Any, tmp_path: Path,
                                                   name: str) -> None:
    load(browser, explore(xor_loss(), wrt="layer0.neuron1.w0"), tmp_path, f"#pass={name}")
    js = "window.symgrad"
    start = state(browser)
    for k in (1, 7, 30):
        browser.execute_script(f"for (var i = 0; i < {k}; i++) {js}.step();")
        middle = state(browser)
        assert middle["step"] == k and middle != start
        browser.execute_script(f"for (var i = 0; i < 5; i++) {js}.step();"
                               f"for (var i = 0; i < 5; i++) {js}.back();")
        assert state(browser) == middle
        browser.execute_script(f"for (var i = 0; i < {k}; i++) {js}.back();")
        assert state(browser) == start
    assert browser.execute_script(f"return {js}.back()") is False


@needs_chromium
def test_browser_url_fragment(browser: Any, tmp_path: Path) -> None:
    out, x = chain()
    load(browser, explore(out), tmp_path, "#pass=reverse&select=x&run")
    s = state(browser)
    assert (s["pass"], s["selected"], s["step"]) == ("reverse", "x", s["steps"])
    assert s["nodes"][0]["grad"] == 57.0 and s["sum"] == 57.0
    assert [p["factors"] for p in s["paths"]] == [list(p.factors) for p in symgrad.paths(out, x)]


@needs_chromium
def test_browser_hostile_name_does_not_run(browser: Any, tmp_path: Path) -> None:
    x, y = Var(2.0, name=HOSTILE), Var(3.0, name="y")
    load(browser, explore(x * y + x, wrt=HOSTILE), tmp_path, "#pass=reverse&run")
    assert browser.execute_script("return typeof window.pwned") == "undefined"
    s = state(browser)
    assert s["selected"] == HOSTILE and s["nodes"][0]["name"] == HOSTILE
    shown = browser.execute_script(
        "var sel = document.getElementById('sg-input');"
        "return [sel.options[sel.selectedIndex].textContent,"
        " document.querySelector('g[data-node=\"0\"]').getAttribute('data-name'),"
        " document.getElementById('sg-paths').textContent];")
    assert shown[0] == HOSTILE and shown[1] == HOSTILE and HOSTILE in shown[2]


@needs_chromium
def test_browser_makes_no_network_request(browser: Any, tmp_path: Path) -> None:
    out, _ = chain()
    browser.get_log("performance")  # drop what earlier pages logged
    url = load(browser, explore(out, wrt="x"), tmp_path, "#pass=forward&select=x&run")
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    requested = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    assert requested and all(u.split("#")[0] == url for u in requested), requested


@needs_chromium
def test_browser_click_and_keyboard(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    out, _ = chain()
    load(browser, explore(out, wrt="x"), tmp_path, "#pass=reverse")
    browser.find_element(By.ID, "sg-step").click()
    assert state(browser)["step"] == 1
    browser.find_element(By.CSS_SELECTOR, 'g[data-name="x"]').click()
    detail = browser.find_element(By.ID, "sg-detail").text
    assert "input x" in detail and "∂/∂u" not in detail
    browser.find_element(By.CSS_SELECTOR, 'g[data-node="4"]').click()  # the output
    detail = browser.find_element(By.ID, "sg-detail").text
    assert "output f" in detail and "grad ∂f/∂node\n1" in detail
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    body.send_keys(Keys.ARROW_RIGHT)
    assert state(browser)["step"] == 3
    body.send_keys(Keys.ARROW_LEFT)
    assert state(browser)["step"] == 2
    body.send_keys("r")
    assert state(browser)["step"] == 0
    browser.find_element(By.ID, "sg-play").click()
    browser.find_element(By.ID, "sg-run").click()
    assert state(browser)["step"] == 5
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


@needs_chromium
def test_browser_step_time_on_2000_nodes(browser: Any, wide_page: tuple[Path, Var],
                                         watchdog: Any, tmp_path: Path) -> None:
    path, _ = wide_page
    with watchdog(300):
        load(browser, path, tmp_path, "#pass=reverse")
        times = browser.execute_script(
            "var t = [];"
            "for (var i = 0; i < 40; i++) { var a = performance.now(); window.symgrad.step();"
            "  document.body.getBoundingClientRect(); t.push(performance.now() - a); }"
            "return t;")
        run = browser.execute_script(
            "var a = performance.now(); window.symgrad.run();"
            "document.body.getBoundingClientRect(); return performance.now() - a;")
    s = state(browser)
    print(f"\n{len(s['nodes'])} nodes, {path.stat().st_size / 1e6:.2f} MB: step median "
          f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms; run() {run:.0f} ms")
    assert s["step"] == s["steps"] and close(s["nodes"][-1]["grad"], 1.0)


@needs_chromium
def test_browser_screenshots(browser: Any, tmp_path: Path) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    out, _ = chain()
    load(browser, explore(out, wrt="x"), tmp_path, "#pass=reverse&select=x&step=3")
    s = state(browser)
    assert [n["grad"] for n in s["nodes"]] == [1.0, 14.0, 14.0, 1.0, 1.0]
    browser.save_screenshot(str(SHOTS / "chain-reverse-mid.png"))
    browser.execute_script("window.symgrad.run()")
    browser.save_screenshot(str(SHOTS / "chain-reverse-end.png"))
    browser.execute_script("window.symgrad.pass('forward'); window.symgrad.run()")
    assert state(browser)["nodes"][4]["tangent"] == 57.0
    browser.save_screenshot(str(SHOTS / "chain-forward-end.png"))
    loss = xor_loss()
    load(browser, explore(loss, wrt="layer1.neuron0.w0"), tmp_path, "#pass=reverse&step=12")
    browser.save_screenshot(str(SHOTS / "xor-reverse-mid.png"))
    browser.execute_script("window.symgrad.run(); document.getElementById('sg-zoom-fit').click()")
    browser.save_screenshot(str(SHOTS / "xor-reverse-end-fit.png"))
    for name in ("chain-reverse-mid", "chain-reverse-end", "xor-reverse-mid"):
        assert (SHOTS / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_page_names_operands_as_its_figure_does() -> None:
    v0, x = Var(2.0, name="v0"), Var(3.0, name="x")
    e = explore(v0 * x + v0**2)
    assert e.data["operands"] == ["p", "q"]                 # v0 blocks u, v
    captions = [row[2] for row in e.data["nodes"] if row[0] == "op"]
    assert "p²" in captions and not any("u" in c or "v" in c for c in captions)
    assert "∂/∂p = q = 3" in e.svg
    assert explore(x * x).data["operands"] == ["u", "v"]


@needs_chromium
def test_browser_status_uses_the_figures_operand_names(browser: Any, tmp_path: Path) -> None:
    v0, x = Var(2.0, name="v0"), Var(3.0, name="x")
    load(browser, explore((v0 * x).sin()), tmp_path, "#pass=reverse")
    browser.execute_script("window.symgrad.step(); window.symgrad.step();")
    status = browser.execute_script("return document.getElementById('sg-status').textContent")
    assert "upstream to p (v0)" in status and "q (x)" in status, status
