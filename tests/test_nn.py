"""symgrad.nn: models, losses, gradients by both methods, training, the tutorial's claims."""

import itertools
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

import symgrad
from symgrad import Var, nn, tutorial
from symgrad.errors import DomainError, InputError, SymgradError

ROOT = Path(__file__).resolve().parent.parent


def predictions(model, data):
    return [model(x).value for x, _ in data]


# -- models --------------------------------------------------------------------------

def test_parameter_counts_and_names():
    neuron = nn.Neuron(2, seed=0)
    assert len(neuron) == 3
    assert [p.name for p in neuron.parameters()] == ["w0", "w1", "b"]
    net = nn.MLP(2, [2, 1], seed=0)
    assert len(net) == 9
    assert [p.name for p in net.parameters()] == [
        "layer0.neuron0.w0", "layer0.neuron0.w1", "layer0.neuron0.b",
        "layer0.neuron1.w0", "layer0.neuron1.w1", "layer0.neuron1.b",
        "layer1.neuron0.w0", "layer1.neuron0.w1", "layer1.neuron0.b",
    ]
    assert len(nn.MLP(2, [8, 1])) == 33
    assert len(nn.MLP(2, [16, 16, 1])) == 337
    assert [p.name for p in nn.Layer(3, 2).parameters()][4:] == [
        "neuron1.w0", "neuron1.w1", "neuron1.w2", "neuron1.b"]
    # Every parameter is a distinct input Var.
    params = net.parameters()
    assert len(set(params)) == 9 and all(p.is_leaf for p in params)


def test_parameter_order_is_the_order_of_use():
    net = nn.MLP(2, [3, 2], seed=4)
    first = net.layers[0].neurons[2]
    assert net.parameters()[6:9] == [*first.w, first.b]
    assert net.parameters()[-1] is net.layers[1].neurons[1].b


def test_seeds_are_reproducible_and_leave_the_global_generator_alone():
    random.seed(1234)
    state = random.getstate()
    a = [p.value for p in nn.MLP(2, [2, 1], seed=7).parameters()]
    b = [p.value for p in nn.MLP(2, [2, 1], seed=7).parameters()]
    c = [p.value for p in nn.MLP(2, [2, 1], seed=8).parameters()]
    assert random.getstate() == state
    assert a == b != c
    assert all(-1.0 <= v <= 1.0 for v in a + c)
    # An explicit generator is used as given.
    rng1, rng2 = random.Random(3), random.Random(3)
    assert ([p.value for p in nn.Neuron(4, rng=rng1).parameters()]
            == [p.value for p in nn.Neuron(4, rng=rng2).parameters()])


def test_neuron_computes_its_formula():
    n = nn.Neuron(3, seed=1)
    w, b = [p.value for p in n.w], n.b.value
    x = [0.5, -1.0, 2.0]
    z = sum(wi * xi for wi, xi in zip(w, x, strict=True)) + b
    assert n(x).value == pytest.approx(1 / (1 + math.exp(-z)), rel=1e-14)
    for act, f in [("tanh", math.tanh), ("relu", lambda v: max(v, 0.0)),
                   ("linear", lambda v: v)]:
        m = nn.Neuron(3, act, seed=1)
        assert m(x).value == pytest.approx(f(z), rel=1e-14, abs=1e-15)


def test_per_layer_activations_and_list_outputs():
    net = nn.MLP(2, [3, 2], activation=["tanh", "linear"], seed=5)
    out = net([0.3, -0.7])
    assert isinstance(out, list) and len(out) == 2
    hidden = [math.tanh(n.w[0].value * 0.3 + n.w[1].value * -0.7 + n.b.value)
              for n in net.layers[0].neurons]
    for o, n in zip(out, net.layers[1].neurons, strict=True):
        expect = sum(w.value * h for w, h in zip(n.w, hidden, strict=True)) + n.b.value
        assert o.value == pytest.approx(expect, rel=1e-13)
    assert repr(net) == "MLP(2, [3, 2], activation=['tanh', 'linear'])"
    assert isinstance(nn.Layer(2, 1, seed=0)([1, 2]), Var)


def test_inputs_may_be_vars_and_gradients_reach_them():
    net = nn.MLP(2, [2, 1], seed=0)
    x0, x1 = Var(0.2, name="x0"), Var(0.9, name="x1")
    y = net([x0, x1])
    g = symgrad.grad(y, [x0, x1])
    assert g == pytest.approx([symgrad.numeric_grad(y, x0), symgrad.numeric_grad(y, x1)],
                              rel=1e-7)


# -- losses --------------------------------------------------------------------------

def test_sse_and_mse():
    ps = [Var(0.5), Var(0.25), Var(1.0)]
    assert nn.sse(ps, [1, 0, 1]).value == pytest.approx(0.25 + 0.0625)
    assert nn.mse(ps, [1, 0, 1]).value == pytest.approx((0.25 + 0.0625) / 3)
    assert nn.sse([[Var(1.0), Var(2.0)], [Var(0.0), Var(1.0)]],
                  [[0, 0], [0, 0]]).value == 6.0
    single = nn.sse(Var(3.0), 1)
    assert isinstance(single, Var) and single.value == 4.0
    with pytest.raises(InputError, match="2 predictions but 3 targets"):
        nn.sse([Var(1.0), Var(2.0)], [1, 2, 3])
    with pytest.raises(InputError, match="targets must hold numbers or Vars, got 'x'"):
        nn.sse([Var(1.0), Var(2.0)], [1, "x"])


def test_loss_graph_has_the_parameters_as_its_inputs():
    net = nn.MLP(2, [2, 1], seed=0)
    loss = nn.loss_graph(net, nn.XOR)
    leaves = symgrad.leaves(loss)
    assert len(leaves) == 9 and set(leaves) == set(net.parameters())
    assert loss.value == pytest.approx(
        sum((p - t) ** 2 for p, (_, t) in zip(predictions(net, nn.XOR), nn.XOR, strict=True)))
    assert nn.loss_graph(net, nn.XOR, "mse").value == pytest.approx(loss.value / 4)


# -- gradients -----------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_finite_differences_agree_with_backprop_on_the_xor_net(seed):
    net = nn.MLP(2, [2, 1], seed=seed)
    params = net.parameters()
    loss = nn.loss_graph(net, nn.XOR)
    bp = nn.gradient(loss, params)
    assert bp == symgrad.grad(loss, params)
    central = nn.gradient(loss, params, "finite-difference")
    forward = nn.gradient(loss, params, "finite-difference", fd="forward")
    scale = max(abs(g) for g in bp)
    for b, c, f in zip(bp, central, forward, strict=True):
        assert c == pytest.approx(b, rel=1e-5, abs=1e-9 * scale)
        assert f == pytest.approx(b, rel=1e-3, abs=1e-6 * scale)
    # Nothing was left nudged: parameters and the graph's value are as before.
    assert [p.value for p in params] == [p.value for p in nn.MLP(2, [2, 1], seed=seed)
                                         .parameters()]
    assert loss.value == symgrad.evaluate(loss)


def test_gradient_with_an_explicit_step():
    net = nn.Neuron(2, seed=0)
    loss = nn.loss_graph(net, nn.AND)
    coarse = nn.gradient(loss, net.parameters(), "finite-difference", fd="forward", h=0.1)
    fine = nn.gradient(loss, net.parameters())
    assert coarse != pytest.approx(fine, rel=1e-4)      # a big step is visibly off ...
    assert coarse == pytest.approx(fine, rel=0.2, abs=0.02)  # ... but not wrong


# -- training: the tutorial's claims ---------------------------------------------------

@pytest.mark.parametrize("method", nn.METHODS)
def test_a_single_neuron_learns_and(method):
    neuron = nn.Neuron(2, seed=0)
    history = nn.train(neuron, nn.AND, method, lr=1.0, steps=2000, progress=False)
    assert len(history) == 2001
    assert history[0] > 0.5 and history[-1] < 0.01
    assert nn.learned(neuron, nn.AND, tolerance=0.1)
    assert [round(p) for p in predictions(neuron, nn.AND)] == [0, 0, 0, 1]


@pytest.mark.parametrize("method", nn.METHODS)
def test_a_single_neuron_fails_on_xor(method):
    neuron = nn.Neuron(2, seed=0)
    history = nn.train(neuron, nn.XOR, method, progress=False)
    assert not nn.learned(neuron, nn.XOR)
    assert history[-1] == pytest.approx(1.0, abs=0.01)   # 4 rows x (0.5)^2
    assert predictions(neuron, nn.XOR) == pytest.approx([0.5] * 4, abs=0.05)


def test_the_hidden_layer_learns_xor_the_same_way_by_both_methods():
    runs = {}
    for method in nn.METHODS:
        net = nn.MLP(2, [2, 1], seed=0)
        runs[method] = (nn.train(net, nn.XOR, method, progress=False), net)
        assert nn.learned(net, nn.XOR, tolerance=0.1)
        assert runs[method][0][-1] < 0.01
    (h1, n1), *others = runs.values()
    for h2, n2 in others:
        assert h1 == pytest.approx(h2, rel=1e-6, abs=1e-9)
        assert [p.value for p in n1.parameters()] == pytest.approx(
            [p.value for p in n2.parameters()], rel=1e-6)


def _xor_sweep(method):
    return [nn.learned(net, nn.XOR) for net in
            (nn.MLP(2, [2, 1], seed=s) for s in range(10))
            if nn.train(net, nn.XOR, method, progress=False)]


def test_xor_is_learned_for_most_seeds_by_backprop():
    learned = _xor_sweep("backprop")
    assert sum(learned) >= 6, learned


@pytest.mark.slow
def test_xor_is_learned_for_the_same_seeds_by_finite_differences():
    assert _xor_sweep("finite-difference") == _xor_sweep("backprop")


def test_history_and_in_place_updates():
    net = nn.Neuron(2, seed=3)
    before = [p.value for p in net.parameters()]
    loss0 = nn.loss_graph(net, nn.AND).value
    history = nn.train(net, nn.AND, steps=5, progress=False)
    assert len(history) == 6 and history[0] == loss0
    assert [p.value for p in net.parameters()] != before
    assert history[-1] == pytest.approx(nn.loss_graph(net, nn.AND).value, rel=1e-15)
    assert all(a > b for a, b in itertools.pairwise(history))


def test_one_step_is_exactly_gradient_descent():
    net = nn.MLP(2, [2, 1], seed=1)
    params = net.parameters()
    start = [p.value for p in params]
    g = nn.gradient(nn.loss_graph(net, nn.XOR), params)
    nn.train(net, nn.XOR, steps=1, lr=0.5, progress=False)
    assert [p.value for p in params] == pytest.approx(
        [v - 0.5 * gi for v, gi in zip(start, g, strict=True)], rel=1e-15)


def test_target_loss_stops_early():
    history = nn.train(nn.MLP(2, [2, 1], seed=0), nn.XOR, target_loss=0.1, progress=False)
    assert len(history) < 2001
    assert history[-1] <= 0.1 < min(history[:-1])
    assert nn.train(nn.Neuron(2, seed=0), nn.AND, target_loss=100, progress=False) == [
        pytest.approx(nn.loss_graph(nn.Neuron(2, seed=0), nn.AND).value)]


def test_mse_custom_losses_and_several_outputs():
    gates = [([a, b], [a & b, a | b]) for a in (0, 1) for b in (0, 1)]
    layer = nn.MLP(2, [2], seed=0)               # one layer: an AND neuron and an OR neuron
    history = nn.train(layer, gates, loss="mse", lr=4.0, steps=2000, progress=False)
    assert history[-1] < 0.01
    assert nn.learned(layer, gates, tolerance=0.2)

    def absolute(ps, ts):
        terms = [((p - t) ** 2 + 1e-6).sqrt() for row_p, row_t in zip(ps, ts, strict=True)
                 for p, t in zip(row_p, row_t, strict=True)]
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return total
    neuron = nn.Neuron(2, seed=0)
    h = nn.train(neuron, nn.AND, loss=absolute, lr=0.5, steps=500, progress=False)
    assert h[-1] < h[0] and nn.learned(neuron, nn.AND)


def test_divergence_is_a_clear_domain_error():
    net = nn.MLP(2, [1], activation="linear", seed=0)
    with pytest.raises(DomainError, match=r"diverged at step \d+ \(lr=1e\+100\).*smaller lr"):
        nn.train(net, nn.AND, lr=1e100, steps=50, progress=False)


def test_a_deep_graph_does_not_recurse():
    # A 100,000-input neuron: its weighted sum is a chain 200,000 nodes deep.
    n = 100_000
    neuron = nn.Neuron(n, activation="linear", seed=0)
    x = [1.0 / n] * n
    history = nn.train(neuron, [(x, 1.0)], steps=2, lr=0.1, progress=False)
    assert history[-1] < history[0]


# -- progress ------------------------------------------------------------------------

def test_progress_bar_on_request_and_silence_otherwise(capsys):
    bar = tutorial.ProgressBar(50, enabled=True, columns=80)
    nn.train(nn.Neuron(2, seed=0), nn.AND, steps=50, progress=bar)
    bar.close()
    err = capsys.readouterr().err
    assert "50/50" in err and "[" + "#" * 30 + "]" in err and err.endswith("\n")
    nn.train(nn.Neuron(2, seed=0), nn.AND, steps=50, progress=False)
    quiet = tutorial.ProgressBar(50)                          # stderr is not a terminal here
    nn.train(nn.Neuron(2, seed=0), nn.AND, steps=50, progress=quiet)
    quiet.close()
    assert capsys.readouterr() == ("", "")


def test_train_reports_every_step_to_a_callback():
    seen = []
    history = nn.train(nn.Neuron(2, seed=0), nn.AND, steps=7,
                       progress=lambda step, loss: seen.append((step, loss)))
    assert [s for s, _ in seen] == list(range(1, 8))
    assert [loss for _, loss in seen] == history[1:]


@pytest.mark.parametrize("columns", [20, 50, 80])
def test_progress_bar_fits_the_terminal(columns):
    import io

    out = io.StringIO()
    bar = tutorial.ProgressBar(2000, enabled=True, label="finite-difference", stream=out,
                               columns=columns)
    for step in (1, 1000, 2000):
        bar(step, 0.123456789, force=True)
    bar.close()
    lines = out.getvalue().replace("\n", "").split("\r")[1:]
    assert lines and all(len(line) < columns for line in lines), lines
    assert "2000/2000" in lines[-1] or columns < 30


# -- bad input -----------------------------------------------------------------------

GOOD = nn.AND


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"data": [([0, 0], 0), ([0, 1, 1], 1)]}, r"data row 1 has 3 inputs.*takes 2"),
    ({"data": [([0], 0)]}, r"data row 0 has 1 inputs"),
    ({"data": [([0, 0], "zero")]}, r"target of data row 0 must be a.*number"),
    ({"data": [([0, 0], None)]}, r"target of data row 0 must be a number"),
    ({"data": [([0, 0], [0, 1])]}, r"2 targets.*1 outputs"),
    ({"data": [([0, "a"], 0)]}, r"input 1 of data row 0 must be a finite real number"),
    ({"data": [([0, 0], math.nan)]}, r"target of data row 0 must be a finite real number"),
    ({"data": [([0, 0],)]}, r"data row 0 must be an \(inputs, target\) pair"),
    ({"data": [0, 1]}, r"data row 0 must be an \(inputs, target\) pair"),
    ({"data": []}, r"data is empty"),
    ({"data": "xor"}, r"data must be a list of \(inputs, target\) pairs"),
    ({"lr": 0}, r"learning rate lr must be a positive"),
    ({"lr": -1.0}, r"learning rate lr must be a positive"),
    ({"lr": math.inf}, r"learning rate lr must be a positive finite"),
    ({"lr": "1"}, r"learning rate lr"),
    ({"steps": 0}, r"steps must be a positive integer, got 0"),
    ({"steps": -3}, r"steps must be a positive integer"),
    ({"steps": 2.5}, r"steps must be a positive integer"),
    ({"steps": True}, r"steps must be a positive integer"),
    ({"method": "adam"}, r"unknown training method: 'adam' \(must be one of 'backprop', "
                         r"'finite-difference', 'compiled'\)"),
    ({"fd": "backward"}, r"unknown finite-difference formula"),
    ({"h": -0.1}, r"step h must be a positive finite number"),
    ({"h": 0}, r"step h must be a positive"),
    ({"loss": "l1"}, r"unknown loss: 'l1'"),
    ({"target_loss": -1}, r"target_loss must be a non-negative"),
    ({"progress": "yes"}, r"progress must be a function progress\(step, loss\) or None"),
])
def test_bad_training_input(kwargs, message):
    args = {"data": GOOD, **kwargs}
    data = args.pop("data")
    with pytest.raises(InputError, match=message):
        nn.train(nn.Neuron(2, seed=0), data, **args)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: nn.Neuron(0), r"number of inputs must be a positive integer, got 0"),
    (lambda: nn.Neuron(2, activation="softmax"), r"unknown activation: 'softmax'"),
    (lambda: nn.MLP(2, []), r"layer_sizes is empty"),
    (lambda: nn.MLP(2, [2, 0]), r"each layer size must be a positive integer"),
    (lambda: nn.MLP(2, 3), r"layer_sizes must be a list"),
    (lambda: nn.MLP(2, [2, 1], activation=["tanh"]), r"1 names for 2 layers"),
    (lambda: nn.MLP(2, [2, 1], seed="a"), r"seed must be an integer"),
    (lambda: nn.Neuron(2, seed=1, rng=random.Random(1)), r"seed= or rng=, not both"),
    (lambda: nn.Neuron(2)([1, 2, 3]), r"takes 2 inputs, got 3"),
    (lambda: nn.Neuron(2)(1.0), r"wrap a single input in a list"),
    (lambda: nn.Neuron(2)([1, "x"]), r"input 1 must be a finite real number"),
    (lambda: nn.train(lambda x: x, GOOD), r"model must be a symgrad.nn Neuron"),
    (lambda: nn.learned(nn.Neuron(2), GOOD, tolerance=0), r"tolerance must be a positive"),
    (lambda: nn.gradient(1.0, []), r"loss must be a symgrad.Var"),
    (lambda: nn.gradient(Var(1.0) * 2, [Var(1.0) * 2]), r"must be an input Var"),
    (lambda: tutorial.demo("nor", echo=None), r"unknown task: 'nor'"),
    (lambda: tutorial.demo("xor", hidden=-1, echo=None), r"hidden must be a non-negative"),
    (lambda: tutorial.demo("xor", method="sgd", echo=None), r"unknown training method"),
    (lambda: tutorial.plot_losses({}, "x.png"), r"no loss history"),
])
def test_bad_model_and_demo_input(build, message):
    with pytest.raises(SymgradError, match=message):
        build()


def test_demo_checks_settings_before_printing():
    lines = []
    with pytest.raises(InputError, match="steps must be a positive integer"):
        tutorial.demo("xor", steps=0, echo=lines.append)
    assert lines == []


def test_missing_matplotlib_is_a_clear_error(monkeypatch, tmp_path):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(SymgradError, match=r"pip install 'symgrad\[plot\]'"):
        tutorial.plot_losses([1.0, 0.5], tmp_path / "loss.png")
    lines = []
    with pytest.raises(SymgradError, match="matplotlib"):     # before any training
        tutorial.demo("and", plot=tmp_path / "loss.png", echo=lines.append)
    assert lines == []


# -- the demo and the examples --------------------------------------------------------

def test_demo_prints_the_tutorial_and_returns_the_numbers():
    lines = []
    r = tutorial.demo("xor", hidden=0, steps=2000, echo=lines.append)
    text = "\n".join(lines)
    assert r.description == "a single sigmoid neuron (3 parameters)"
    assert text.count("predicted: ") == 8 and "real value: 1" in text
    assert "  [0, 1]  predicted: 0.50, real value: 1" in text     # after training
    assert not r.learned and r.final_loss == pytest.approx(1.0, abs=0.01)
    assert r.before == pytest.approx(predictions(nn.Neuron(2, seed=0), nn.XOR))
    assert r.after == pytest.approx([0.5] * 4, abs=0.05)
    assert "XOR NOT learned" in text


def test_demo_both_methods_and_the_loss_plot(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "loss.png"
    lines = []
    r = tutorial.demo("and", method="both", steps=300, plot=path, echo=lines.append)
    assert set(r.runs) == {"backprop", "finite-difference"}
    assert r.runs["backprop"].history == pytest.approx(r.runs["finite-difference"].history,
                                                       rel=1e-6)
    assert r.runs["finite-difference"].model is not r.runs["backprop"].model
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any("finite differences took" in line for line in lines)
    svg = tutorial.plot_losses([3.0, 1.0, 0.01], tmp_path / "one.svg", title="T")
    assert "<svg" in Path(svg).read_text()


def _example(*args, timeout=120):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def test_examples_run(tmp_path):
    r = _example("examples/and_gate.py", "--steps", "2000", "--method", "finite-difference")
    assert r.returncode == 0, r.stderr
    assert "AND learned" in r.stdout and r.stdout.count("predicted:") == 8
    r = _example("examples/xor.py", "--hidden", "0", "--steps", "500")
    assert r.returncode == 0, r.stderr
    assert "XOR NOT learned" in r.stdout
    r = _example("examples/xor.py", "--lr", "0")
    assert r.returncode == 2 and r.stderr.startswith("symgrad train: error: the learning rate")
    assert "Traceback" not in r.stderr


def test_and_example_draws_the_loss_graph(tmp_path):
    pytest.importorskip("symgrad.render", reason="symgrad.draw is not available")
    out = tmp_path / "and.dot"
    r = _example("examples/and_gate.py", "--steps", "1", "--graph", str(out))
    assert r.returncode == 0, r.stderr
    dot = out.read_text()
    assert dot.lstrip().startswith("digraph") and "w0" in dot and "loss" in dot


def test_compiled_training_follows_backprop_step_for_step():
    histories = {}
    for method in ("backprop", "compiled"):
        net = nn.MLP(2, [3, 1], seed=4)
        histories[method] = nn.train(net, nn.XOR, method=method, steps=300)
        histories[method + " params"] = [p.value for p in net.parameters()]
        histories[method + " graph"] = nn.loss_graph(net, nn.XOR).value
    assert len(histories["compiled"]) == 301
    assert histories["compiled"] == pytest.approx(histories["backprop"], rel=1e-12, abs=1e-15)
    assert histories["compiled params"] == pytest.approx(histories["backprop params"],
                                                         rel=1e-12)
    assert histories["compiled"][-1] == pytest.approx(histories["compiled graph"], rel=1e-12)
    net = nn.MLP(2, [2, 1], seed=1)
    loss = nn.loss_graph(net, nn.XOR)
    assert nn.gradient(loss, net.parameters(), "compiled") == pytest.approx(
        nn.gradient(loss, net.parameters()), rel=1e-12)


def test_a_model_takes_chosen_starting_weights():
    """A tutorial's numbers can be reproduced: set every parameter, in parameters() order."""
    net = nn.MLP(2, [2, 1], seed=0)
    weights = [0.15, 0.2, 0.35, 0.25, 0.3, 0.35, 0.4, 0.45, 0.6]
    assert net.set_parameters(weights) is net
    assert [p.value for p in net.parameters()] == weights
    h0 = 1 / (1 + math.exp(-(0.15 * 0.05 + 0.2 * 0.1 + 0.35)))
    h1 = 1 / (1 + math.exp(-(0.25 * 0.05 + 0.3 * 0.1 + 0.35)))
    assert net([0.05, 0.1]).value == pytest.approx(1 / (1 + math.exp(-(0.4 * h0 + 0.45 * h1
                                                                       + 0.6))), rel=1e-15)
    with pytest.raises(InputError, match=r"9 parameters .* got 8 values"):
        net.set_parameters(weights[:-1])
    with pytest.raises(InputError, match="finite real number"):
        net.set_parameters([*weights[:-1], math.nan])
    assert [p.value for p in net.parameters()] == weights      # a refused call changes none
