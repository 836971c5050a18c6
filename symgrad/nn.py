"""Neural networks from scratch: a neuron, a layer, an MLP, and two ways to train them.

A network here is nothing but a function built from :class:`~symgrad.Var` operations,
with its weights and biases as the graph's input Vars.  Training builds the loss graph
*once* — every data row pushed through the model, the squared errors summed — and then
repeats plain gradient descent on it: get the gradient of the loss with respect to
every parameter, move each parameter a little downhill, re-evaluate the graph.

The gradient comes one of two ways, and that is the point of the module:

* ``method="finite-difference"`` (the tutorial's way): nudge one parameter, re-evaluate
  the whole loss, see how much it moved, put the parameter back; once per parameter
  (twice for central differences).  The cost grows with the number of parameters.
* ``method="backprop"``: one reverse pass over the same graph gives every derivative
  at once, for a small constant multiple of one evaluation (see ``bench/training.py``).

Both give the same numbers (to about 1e-8 relative), so both learn the same way:

>>> model = Neuron(2, seed=0)                 # two weights and a bias, sigmoid output
>>> [p.name for p in model.parameters()]
['w0', 'w1', 'b']
>>> history = train(model, AND, method="backprop", lr=1.0, steps=2000, progress=False)
>>> history[0] > 0.5 > 0.05 > history[-1]     # loss before and after training
True
>>> [round(model(x).value) for x, _ in AND]   # AND learned
[0, 0, 0, 1]

Parameter order is stable and documented: layer by layer, neuron by neuron, each
neuron's weights ``w0, w1, ...`` (one per input, in input order) and then its bias
``b``.  Names follow the same path (``layer0.neuron1.w0``), so a drawn graph is
readable.  Initialisation draws every weight and bias from uniform(−1, 1) with a
private :class:`random.Random` (``seed=``), never the global generator, so a seed
always gives the same network.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import Any

from .backprop import grad, zero_grad
from .errors import DomainError, InputError, SymgradError
from .finite import numeric_gradients
from .graph import evaluate, nodes
from .var import Var, _as_float, constant

__all__ = [
    "ACTIVATIONS",
    "AND",
    "FD_METHODS",
    "LOSSES",
    "METHODS",
    "MLP",
    "NAND",
    "OR",
    "TASKS",
    "XOR",
    "DemoResult",
    "Layer",
    "Module",
    "Neuron",
    "Run",
    "demo",
    "gradient",
    "learned",
    "loss_graph",
    "mse",
    "plot_losses",
    "sse",
    "train",
]

#: The activations a neuron can apply to its weighted sum.
ACTIVATIONS: dict[str, Callable[[Var], Var]] = {
    "sigmoid": Var.sigmoid,
    "tanh": Var.tanh,
    "relu": Var.relu,
    "linear": lambda v: v,
}

#: How :func:`train` gets the gradient.
METHODS = ("backprop", "finite-difference")

#: The finite-difference formulas :func:`train` offers (see :mod:`symgrad.finite`).
FD_METHODS = ("central", "forward")

#: The truth tables, as ``(inputs, target)`` pairs.
AND = [([0, 0], 0), ([0, 1], 0), ([1, 0], 0), ([1, 1], 1)]
OR = [([0, 0], 0), ([0, 1], 1), ([1, 0], 1), ([1, 1], 1)]
NAND = [([0, 0], 1), ([0, 1], 1), ([1, 0], 1), ([1, 1], 0)]
XOR = [([0, 0], 0), ([0, 1], 1), ([1, 0], 1), ([1, 1], 0)]
#: The datasets :func:`demo` knows, by name.
TASKS = {"and": AND, "or": OR, "nand": NAND, "xor": XOR}

Input = Var | int | float
Target = int | float | Sequence[int | float]
Data = Sequence[tuple[Sequence[int | float], Target]]


# -- models --------------------------------------------------------------------------

def _check_count(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"{what} must be a positive integer, got {n!r}")
    return n


def _check_activation(activation: object) -> str:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise InputError(f"unknown activation: {activation!r} "
                         f"(must be one of {', '.join(map(repr, ACTIVATIONS))})")
    return activation


def _make_rng(seed: int | None, rng: Random | None) -> Random:
    if rng is not None:
        if seed is not None:
            raise InputError("pass seed= or rng=, not both")
        if not isinstance(rng, Random):
            raise InputError(f"rng must be a random.Random, got {type(rng).__name__}")
        return rng
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InputError(f"seed must be an integer or None, got {seed!r}")
    return Random(seed)


class Module:
    """What every model here shares: ``parameters()``, ``n_inputs``, ``n_outputs``."""

    n_inputs: int
    n_outputs: int

    def parameters(self) -> list[Var]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _forward(self, xs: list[Input]) -> list[Var]:  # pragma: no cover - overridden
        raise NotImplementedError

    def __call__(self, inputs: Sequence[Input]) -> Var | list[Var]:
        """The model's output for ``inputs``: a Var if it has one output, else a list."""
        outs = self._forward(self._check_inputs(inputs))
        return outs[0] if len(outs) == 1 else outs

    def _check_inputs(self, inputs: object) -> list[Input]:
        if isinstance(inputs, (Var, numbers.Number, str, bytes)) or not isinstance(
                inputs, Iterable):
            raise InputError(f"a model's inputs must be a list of {self.n_inputs} numbers "
                             f"or Vars, got {inputs!r}; wrap a single input in a list")
        xs = list(inputs)
        if len(xs) != self.n_inputs:
            raise InputError(f"the model takes {self.n_inputs} inputs, got {len(xs)}: "
                             f"{inputs!r}")
        for i, x in enumerate(xs):
            if not isinstance(x, Var):
                _as_float(x, f"input {i}")
        return xs

    def __len__(self) -> int:
        """The number of parameters."""
        return len(self.parameters())


class Neuron(Module):
    """``activation(w0·x0 + w1·x1 + ... + b)``: one weight per input and a bias.

    Parameters are named ``w0, w1, ..., b``, prefixed by ``name`` and a dot when it
    is given (an :class:`MLP` names them ``layer0.neuron1.w0``).

    >>> n = Neuron(2, seed=0)
    >>> [p.name for p in n.parameters()], len(n)
    (['w0', 'w1', 'b'], 3)
    >>> n.w[0].value, n.w[1].value, n.b.value = 1.0, 1.0, -1.5
    >>> round(n([1, 1]).value, 4)                  # sigmoid(0.5)
    0.6225
    """

    def __init__(self, n_inputs: int, activation: str = "sigmoid", *,
                 seed: int | None = None, rng: Random | None = None, name: str = "") -> None:
        self.n_inputs = _check_count(n_inputs, "a neuron's number of inputs")
        self.n_outputs = 1
        self.activation = _check_activation(activation)
        rng = _make_rng(seed, rng)
        prefix = f"{name}." if name else ""
        self.w = [Var(rng.uniform(-1.0, 1.0), name=f"{prefix}w{i}") for i in range(n_inputs)]
        self.b = Var(rng.uniform(-1.0, 1.0), name=f"{prefix}b")

    def parameters(self) -> list[Var]:
        """``[w0, w1, ..., b]``."""
        return [*self.w, self.b]

    def _forward(self, xs: list[Input]) -> list[Var]:
        total = self.w[0] * xs[0]
        for w, x in zip(self.w[1:], xs[1:], strict=True):
            total = total + w * x
        return [ACTIVATIONS[self.activation](total + self.b)]

    def __repr__(self) -> str:
        return f"Neuron({self.n_inputs}, activation={self.activation!r})"


class Layer(Module):
    """``n_outputs`` neurons that all see the same inputs.

    Parameters come neuron by neuron, named ``neuron0.w0``, ... (prefixed by ``name``).

    >>> layer = Layer(2, 3, activation="tanh", seed=1)
    >>> len(layer), layer.parameters()[3].name
    (9, 'neuron1.w0')
    >>> len(layer([0.5, -0.5]))
    3
    """

    def __init__(self, n_inputs: int, n_outputs: int, activation: str = "sigmoid", *,
                 seed: int | None = None, rng: Random | None = None, name: str = "") -> None:
        self.n_inputs = _check_count(n_inputs, "a layer's number of inputs")
        self.n_outputs = _check_count(n_outputs, "a layer's number of neurons")
        self.activation = _check_activation(activation)
        rng = _make_rng(seed, rng)
        prefix = f"{name}." if name else ""
        self.neurons = [Neuron(n_inputs, activation, rng=rng, name=f"{prefix}neuron{j}")
                        for j in range(n_outputs)]

    def parameters(self) -> list[Var]:
        """Every neuron's parameters, neuron by neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    def _forward(self, xs: list[Input]) -> list[Var]:
        return [n._forward(xs)[0] for n in self.neurons]

    def __repr__(self) -> str:
        return f"Layer({self.n_inputs}, {self.n_outputs}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: ``layer_sizes[-1]`` outputs from ``n_inputs`` inputs.

    ``activation`` is one name for every layer or a list with one name per layer; the
    output layer applies its activation too (the tutorial's networks).  Parameters are
    named ``layer0.neuron1.w0`` and come layer by layer.

    >>> net = MLP(2, [2, 1], seed=0)              # the XOR network: 2 inputs, 2 hidden, 1 out
    >>> len(net), [p.name for p in net.parameters()][:4]
    (9, ['layer0.neuron0.w0', 'layer0.neuron0.w1', 'layer0.neuron0.b', 'layer0.neuron1.w0'])
    >>> MLP(2, [2, 1], seed=0)([0, 1]).value == net([0, 1]).value    # same seed, same net
    True
    >>> MLP(3, [4, 4, 2], activation=["relu", "relu", "linear"])
    MLP(3, [4, 4, 2], activation=['relu', 'relu', 'linear'])
    """

    def __init__(self, n_inputs: int, layer_sizes: Sequence[int],
                 activation: str | Sequence[str] = "sigmoid", *,
                 seed: int | None = None, rng: Random | None = None) -> None:
        self.n_inputs = _check_count(n_inputs, "the number of inputs")
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Iterable):
            raise InputError(f"layer_sizes must be a list of positive integers (one per "
                             f"layer, the last is the output), got {layer_sizes!r}")
        sizes = [_check_count(s, "each layer size") for s in layer_sizes]
        if not sizes:
            raise InputError("layer_sizes is empty; give at least the output layer, "
                             "e.g. [1]")
        if isinstance(activation, str):
            acts = [activation] * len(sizes)
        elif isinstance(activation, Iterable):
            acts = list(activation)
            if len(acts) != len(sizes):
                raise InputError(f"activation lists {len(acts)} names for {len(sizes)} "
                                 "layers; give one per layer, or a single name for all")
        else:
            raise InputError(f"activation must be a name or a list of names, got "
                             f"{activation!r}")
        acts = [_check_activation(a) for a in acts]
        rng = _make_rng(seed, rng)
        fan_in = [self.n_inputs, *sizes[:-1]]
        self.layers = [Layer(i, o, a, rng=rng, name=f"layer{k}")
                       for k, (i, o, a) in enumerate(zip(fan_in, sizes, acts, strict=True))]
        self.n_outputs = sizes[-1]

    def parameters(self) -> list[Var]:
        """Every layer's parameters, layer by layer."""
        return [p for layer in self.layers for p in layer.parameters()]

    def _forward(self, xs: list[Input]) -> list[Var]:
        out: list[Any] = xs
        for layer in self.layers:
            out = layer._forward(out)
        return out

    def __repr__(self) -> str:
        sizes = [layer.n_outputs for layer in self.layers]
        acts = [layer.activation for layer in self.layers]
        act = acts[0] if len(set(acts)) == 1 else acts
        return f"MLP({self.n_inputs}, {sizes}, activation={act!r})"


def _describe(model: Module) -> str:
    n = len(model)
    if isinstance(model, Neuron):
        return f"a single {model.activation} neuron ({n} parameters)"
    if isinstance(model, MLP):
        shape = "-".join(str(s) for s in [model.n_inputs,
                                          *(layer.n_outputs for layer in model.layers)])
        acts = sorted({layer.activation for layer in model.layers})
        return f"a {shape} {'/'.join(acts)} network ({n} parameters)"
    return f"{model!r} ({n} parameters)"


# -- losses --------------------------------------------------------------------------

def _flat(xs: object, what: str) -> list[Any]:
    if isinstance(xs, (Var, numbers.Number)):
        return [xs]
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Iterable):
        raise InputError(f"{what} must be a number, a Var or a list of them, got {xs!r}")
    out: list[Any] = []
    for x in xs:
        if isinstance(x, (Var, numbers.Number)):
            out.append(x)
        elif isinstance(x, Iterable) and not isinstance(x, (str, bytes)):
            out.extend(x)
        else:
            raise InputError(f"{what} must hold numbers or Vars, got {x!r}")
    return out


def _squared_errors(predictions: object, targets: object) -> list[Any]:
    ps = _flat(predictions, "predictions")
    ts = _flat(targets, "targets")
    if len(ps) != len(ts):
        raise InputError(f"{len(ps)} predictions but {len(ts)} targets; give one target "
                         "per prediction")
    if not ps:
        raise InputError("no predictions: a loss needs at least one (prediction, target)")
    for i, t in enumerate(ts):
        if not isinstance(t, Var):
            _as_float(t, f"target {i}")
    return [(p - t) ** 2 for p, t in zip(ps, ts, strict=True)]


def _sum(terms: list[Any]) -> Var:
    total = terms[0] if isinstance(terms[0], Var) else constant(terms[0])
    for t in terms[1:]:
        total = total + t
    return total


def sse(predictions: Input | Sequence[Any], targets: Target | Sequence[Any]) -> Var:
    """The sum of squared errors ``Σ (prediction − target)²``, as a graph (the tutorial's loss).

    Both arguments may be one value, a list, or a list of lists (multi-output rows).

    >>> sse([Var(0.5), Var(0.25)], [1, 0]).value
    0.3125
    """
    return _sum(_squared_errors(predictions, targets))


def mse(predictions: Input | Sequence[Any], targets: Target | Sequence[Any]) -> Var:
    """The mean of the squared errors: :func:`sse` divided by their number.

    >>> mse([Var(0.5), Var(0.25)], [1, 0]).value
    0.15625
    """
    terms = _squared_errors(predictions, targets)
    return _sum(terms) / len(terms)


#: The losses :func:`train` and :func:`loss_graph` accept by name.
LOSSES: dict[str, Callable[[Any, Any], Var]] = {"sse": sse, "mse": mse}


def _check_model(model: object) -> Module:
    if not isinstance(model, Module):
        raise InputError(f"model must be a symgrad.nn Neuron, Layer or MLP (or another "
                         f"nn.Module), got {type(model).__name__}: {model!r}")
    if not model.parameters():
        raise InputError(f"{model!r} has no parameters to train")
    return model


def _check_data(data: object, model: Module) -> list[tuple[list[float], list[float]]]:
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Iterable):
        raise InputError(f"data must be a list of (inputs, target) pairs such as nn.XOR, "
                         f"got {data!r}")
    rows = list(data)
    if not rows:
        raise InputError("data is empty; pass at least one (inputs, target) pair, "
                         "e.g. nn.XOR")
    checked = []
    for i, row in enumerate(rows):
        try:
            inputs, target = row
        except (TypeError, ValueError):
            raise InputError(f"data row {i} must be an (inputs, target) pair, "
                             f"got {row!r}") from None
        if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
            raise InputError(f"the inputs of data row {i} must be a list of numbers, "
                             f"got {inputs!r}")
        xs = [_as_float(x, f"input {j} of data row {i}") for j, x in enumerate(inputs)]
        if len(xs) != model.n_inputs:
            raise InputError(f"data row {i} has {len(xs)} inputs {inputs!r}, but the model "
                             f"takes {model.n_inputs}; give every row {model.n_inputs}")
        if isinstance(target, (str, bytes)) or not isinstance(
                target, (numbers.Number, Iterable)):
            raise InputError(f"the target of data row {i} must be a number, got {target!r}")
        many = not isinstance(target, numbers.Number)
        ts = [_as_float(t, f"the target of data row {i}")
              for t in (target if many else [target])]  # type: ignore[union-attr]
        if len(ts) != model.n_outputs:
            raise InputError(f"data row {i} has {len(ts)} targets, but the model has "
                             f"{model.n_outputs} outputs; give one target per output")
        checked.append((xs, ts))
    return checked


def _loss_fn(loss: str | Callable[[Any, Any], Var]) -> Callable[[Any, Any], Var]:
    if callable(loss):
        return loss
    if not isinstance(loss, str) or loss not in LOSSES:
        raise InputError(f"unknown loss: {loss!r} (must be one of "
                         f"{', '.join(map(repr, LOSSES))}, or a function "
                         "(predictions, targets) -> Var)")
    return LOSSES[loss]


def loss_graph(model: Module, data: Data, loss: str | Callable[[Any, Any], Var] = "sse"
               ) -> Var:
    """The loss of ``model`` over every row of ``data``, as one graph.

    The data become constants; the model's parameters are the graph's inputs, so the
    graph can be re-evaluated after the parameters change, drawn, or differentiated.

    >>> net = Neuron(2, seed=0)
    >>> L = loss_graph(net, AND)
    >>> [v.name for v in __import__("symgrad").leaves(L)]
    ['w0', 'w1', 'b']
    """
    model = _check_model(model)
    rows = _check_data(data, model)
    fn = _loss_fn(loss)
    predictions = [model._forward(xs) for xs, _ in rows]  # type: ignore[arg-type]
    out = fn(predictions, [ts for _, ts in rows])
    if not isinstance(out, Var):
        raise InputError(f"the loss function must return a Var, got {out!r}")
    return out


# -- gradients -----------------------------------------------------------------------

def _check_fd(fd: object, h: object) -> None:
    if fd not in FD_METHODS:
        raise InputError(f"unknown finite-difference formula: fd={fd!r} "
                         f"(must be one of {', '.join(map(repr, FD_METHODS))})")
    if h is not None and (isinstance(h, bool) or not isinstance(h, (int, float))
                          or not math.isfinite(h) or h <= 0):
        raise InputError(f"the step h must be a positive finite number (or None for the "
                         f"default), got {h!r}")


def _check_method(method: object) -> str:
    if method not in METHODS:
        raise InputError(f"unknown training method: {method!r} "
                         f"(must be one of {', '.join(map(repr, METHODS))})")
    return method  # type: ignore[return-value]


def gradient(loss: Var, params: Sequence[Var], method: str = "backprop", *,
             h: float | None = None, fd: str = "central",
             order: list[Var] | None = None) -> list[float]:
    """d loss / d p for every ``p`` in ``params``, by backprop or by finite differences.

    This is the step :func:`train` repeats.  Finite differences re-evaluate the whole
    loss once per parameter (``fd="forward"``) or twice (``"central"``), with the step
    ``h`` defaulting to :func:`symgrad.finite.default_step`; pass ``order`` (from
    :func:`symgrad.nodes`) to skip the walk when calling it many times.  The graph is
    left evaluated at the current parameter values.

    >>> net = MLP(2, [2, 1], seed=3)
    >>> L = loss_graph(net, XOR)
    >>> bp = gradient(L, net.parameters())
    >>> fd = gradient(L, net.parameters(), "finite-difference")
    >>> max(abs(a - b) for a, b in zip(bp, fd)) < 1e-8
    True
    """
    method = _check_method(method)
    _check_fd(fd, h)
    if not isinstance(loss, Var):
        raise InputError(f"loss must be a symgrad.Var, got {loss!r}")
    params = list(params)
    for p in params:
        if not isinstance(p, Var) or p.op is not None:
            raise InputError(f"each parameter must be an input Var (a leaf), got {p!r}")
    if order is None:
        order = nodes(loss)
    evaluate(loss, order)
    if method == "backprop":
        return grad(loss, params)  # type: ignore[no-any-return]
    return numeric_gradients(loss, params, h=h, method=fd, order=order)


# -- training ------------------------------------------------------------------------

class _Progress:
    """A one-line progress bar on stderr, redrawn at most ten times a second.

    ``enabled=None`` shows it only when stderr is a terminal and the run has lasted
    half a second; ``True`` always; ``False`` never.
    """

    def __init__(self, total: int, enabled: bool | None, label: str) -> None:
        self.stream = sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        tty = bool(isatty and isatty())
        self.on = enabled is True or (enabled is None and tty)
        self.delay = 0.5 if enabled is None else 0.0
        self.total, self.label = total, label
        self.start = time.perf_counter()
        self.last = -math.inf  # the first update past the delay draws at once
        self.drawn = False

    def update(self, step: int, loss: float, force: bool = False) -> None:
        if not self.on:
            return
        now = time.perf_counter()
        if not force and (now - self.start < self.delay or now - self.last < 0.1):
            return
        self.last = now
        width = 30
        filled = width * step // self.total
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {step}/{self.total} loss {loss:.6g}")
        self.stream.flush()
        self.drawn = True

    def close(self, step: int, loss: float) -> None:
        if self.drawn:
            self.update(step, loss, force=True)
            self.stream.write("\n")
            self.stream.flush()


def _check_settings(lr: object, steps: object, fd: object, h: object, target_loss: object,
                    progress: object) -> None:
    """Validate :func:`train`'s settings (also done by :func:`demo` before it prints)."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (
            math.isfinite(lr) and lr > 0):
        raise InputError(f"the learning rate lr must be a positive finite number, "
                         f"got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InputError(f"steps must be a positive integer, got {steps!r}")
    _check_fd(fd, h)
    if target_loss is not None and (
            isinstance(target_loss, bool) or not isinstance(target_loss, (int, float))
            or not target_loss >= 0):
        raise InputError(f"target_loss must be a non-negative number or None, "
                         f"got {target_loss!r}")
    if progress is not None and not isinstance(progress, bool):
        raise InputError(f"progress must be True, False or None, got {progress!r}")


def train(model: Module, data: Data, method: str = "backprop", *, lr: float = 1.0,
          steps: int = 2000, loss: str | Callable[[Any, Any], Var] = "sse",
          h: float | None = None, fd: str = "central", target_loss: float | None = None,
          progress: bool | None = None) -> list[float]:
    """Plain gradient descent on ``model``'s parameters; returns the loss history.

    The loss graph is built once (:func:`loss_graph`); each step takes the
    :func:`gradient` by ``method`` (``"backprop"`` or ``"finite-difference"`` with the
    ``fd`` formula ``"central"`` or ``"forward"`` and step ``h``), moves every
    parameter by ``-lr * gradient`` in place, and re-evaluates the graph.

    ``history[0]`` is the loss before training and ``history[k]`` the loss after ``k``
    steps, so a full run returns ``steps + 1`` numbers.  With ``target_loss``, training
    stops as soon as the loss is at or below it (the history is then shorter).
    ``progress``: ``None`` shows a progress bar on stderr for runs longer than half a
    second when stderr is a terminal, ``True`` always, ``False`` never.

    >>> net = MLP(2, [2, 1], seed=0)
    >>> history = train(net, XOR, steps=2000, progress=False)
    >>> len(history), history[-1] < 0.05 < 0.9 < history[0]
    (2001, True)
    >>> history = train(MLP(2, [2, 1], seed=0), XOR, target_loss=0.1, progress=False)
    >>> len(history) < 2001 and history[-1] <= 0.1 < history[-2]
    True
    """
    model = _check_model(model)
    method = _check_method(method)
    _check_settings(lr, steps, fd, h, target_loss, progress)

    L = loss_graph(model, data, loss)
    params = model.parameters()
    order = nodes(L)
    history = [L.value]
    bar = _Progress(steps, progress, method)
    step = 0
    try:
        while step < steps and not (target_loss is not None and history[-1] <= target_loss):
            if method == "backprop":
                grads = grad(L, params)
            else:
                grads = numeric_gradients(L, params, h=h, method=fd, order=order)
            for p, g in zip(params, grads, strict=True):
                p.value -= lr * g
            history.append(evaluate(L, order))
            step += 1
            bar.update(step, history[-1])
    except DomainError as exc:
        raise DomainError(f"training diverged at step {step + 1} (lr={lr}): {exc}; "
                          "try a smaller lr") from None
    finally:
        bar.close(step, history[-1])
    return history


def learned(model: Module, data: Data, tolerance: float = 0.5) -> bool:
    """True when every output of ``model`` is within ``tolerance`` of its target.

    With the default 0.5 and 0/1 targets this means every rounded prediction is right.

    >>> net = Neuron(2, seed=0)
    >>> learned(net, AND)
    False
    >>> _ = train(net, AND, progress=False)
    >>> learned(net, AND), learned(net, AND, tolerance=0.2)
    (True, True)
    """
    model = _check_model(model)
    rows = _check_data(data, model)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not (
            tolerance > 0):
        raise InputError(f"tolerance must be a positive number, got {tolerance!r}")
    return all(abs(p.value - t) < tolerance
               for xs, ts in rows
               for p, t in zip(model._forward(xs), ts, strict=True))  # type: ignore[arg-type]


# -- figures -------------------------------------------------------------------------

def _matplotlib() -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise SymgradError("plotting loss curves needs matplotlib: "
                           "pip install 'symgrad[plot]'") from None
    return FigureCanvasAgg, Figure


def plot_losses(histories: Sequence[float] | Mapping[str, Sequence[float]],
                path: str | os.PathLike[str],
                *, title: str | None = None, log_scale: bool = True,
                ylabel: str = "loss (sum of squared errors)") -> str | os.PathLike[str]:
    """Draw loss curves (one history, or ``{label: history}``) to an image file.

    Needs matplotlib (``pip install 'symgrad[plot]'``); it draws on an off-screen
    Agg canvas, so it never touches pyplot's global state or needs a display.  The
    format follows the extension (``.png``, ``.svg``, ``.pdf``).  Returns ``path``.
    """
    FigureCanvasAgg, Figure = _matplotlib()
    curves = dict(histories) if isinstance(histories, Mapping) else {"loss": histories}
    if not curves:
        raise InputError("no loss history to plot")
    fig = Figure(figsize=(6.4, 4.0), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    styles = ["-", "--", ":", "-."]
    for k, (label, history) in enumerate(curves.items()):
        values = [_as_float(v, f"loss {i} of {label!r}") for i, v in enumerate(history)]
        if not values:
            raise InputError(f"the loss history {label!r} is empty")
        ax.plot(range(len(values)), values, styles[k % len(styles)], linewidth=1.8,
                label=label)
    every = [v for h in curves.values() for v in h]
    if log_scale and min(every) > 0 and max(every) > 10 * min(every):
        ax.set_yscale("log")  # only when the loss spans more than a decade
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if isinstance(histories, Mapping):
        ax.legend()
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    try:
        fig.savefig(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"could not write the loss plot to {path!r}: {exc}") from None
    return path


# -- the tutorial, runnable ------------------------------------------------------------

@dataclass
class Run:
    """One training run of :func:`demo`."""

    method: str
    model: Module
    history: list[float]
    predictions: list[float]
    seconds: float
    learned: bool

    @property
    def final_loss(self) -> float:
        return self.history[-1]


@dataclass
class DemoResult:
    """What :func:`demo` did: the data, the untrained predictions, and each run."""

    task: str
    description: str
    data: list[tuple[list[float], float]]
    before: list[float]
    runs: dict[str, Run] = field(default_factory=dict)

    @property
    def run(self) -> Run:
        """The first (usually only) run."""
        return next(iter(self.runs.values()))

    @property
    def history(self) -> list[float]:
        return self.run.history

    @property
    def after(self) -> list[float]:
        return self.run.predictions

    @property
    def learned(self) -> bool:
        return self.run.learned

    @property
    def final_loss(self) -> float:
        return self.run.final_loss


def _model_for(task: str, hidden: int, seed: int) -> Module:
    if hidden == 0:
        return Neuron(2, seed=seed)
    return MLP(2, [hidden, 1], seed=seed)


def _fmt_inputs(xs: Sequence[float]) -> str:
    return "[" + ", ".join(f"{x:g}" for x in xs) + "]"


def demo(task: str, *, method: str = "backprop", hidden: int | None = None,
         steps: int = 2000, lr: float = 1.0, seed: int = 0, fd: str = "central",
         h: float | None = None, plot: str | os.PathLike[str] | None = None,
         graph: str | os.PathLike[str] | None = None, progress: bool | None = None,
         echo: Callable[[str], Any] | None = print) -> DemoResult:
    """The tutorial: untrained predictions, training, trained predictions.

    ``task`` is ``"and"``, ``"or"``, ``"nand"`` or ``"xor"``.  ``hidden`` is the size of
    the hidden layer; ``0`` means a single neuron (the default for the linearly
    separable gates), and XOR defaults to 2 (the 2-2-1 network, 9 parameters).
    ``method`` is ``"backprop"``, ``"finite-difference"`` or ``"both"`` (two copies of
    the same initial network, one per method, timed side by side).  ``plot`` is a path
    for a loss-curve image (needs matplotlib); ``graph`` a path (.svg .png .pdf .dot) for
    the computation graph of the untrained network's loss, every node showing its
    gradient (the tutorial's figure).  Every line goes through ``echo``
    (``None`` for silence); the numbers come back in a :class:`DemoResult`.

    >>> r = demo("and", steps=2000, echo=None)
    >>> r.description, r.learned, r.final_loss < 0.05
    ('a single sigmoid neuron (3 parameters)', True, True)
    """
    if not isinstance(task, str) or task.lower() not in TASKS:
        raise InputError(f"unknown task: {task!r} "
                         f"(must be one of {', '.join(map(repr, TASKS))})")
    task = task.lower()
    if method != "both":
        _check_method(method)
    methods = list(METHODS) if method == "both" else [method]
    if hidden is None:
        hidden = 2 if task == "xor" else 0
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 0:
        raise InputError(f"hidden must be a non-negative integer (0 for a single neuron), "
                         f"got {hidden!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"seed must be an integer, got {seed!r}")
    _check_settings(lr, steps, fd, h, None, progress)
    if plot is not None:
        if not isinstance(plot, (str, os.PathLike)):
            raise InputError(f"plot must be a file path, got {plot!r}")
        _matplotlib()  # fail before training, not after
    if graph is not None and not isinstance(graph, (str, os.PathLike)):
        raise InputError(f"graph must be a file path, got {graph!r}")
    say = echo if echo is not None else (lambda line: None)
    data = TASKS[task]
    first = _model_for(task, hidden, seed)
    result = DemoResult(task, _describe(first), [(list(map(float, x)), float(t))
                                                 for x, t in data], [])

    def show(model: Module) -> list[float]:
        preds = []
        for xs, t in data:
            p = model(xs).value  # type: ignore[union-attr]
            preds.append(p)
            say(f"  {_fmt_inputs(xs)}  predicted: {p:.2f}, real value: {t:g}")
        return preds

    if graph is not None:
        from .render import draw

        loss = loss_graph(first, data)
        loss.backward()  # so every node shows d loss / d node
        draw(loss, output_name="loss", show="number").save(graph)
        zero_grad(loss)
        say(f"computation graph of the untrained loss written to {graph}")
    say(f"{task.upper()} with {result.description}, seed {seed}")
    say("untrained:")
    result.before = show(first)
    for k, m in enumerate(methods):
        model = first if k == 0 else _model_for(task, hidden, seed)
        how = m if m == "backprop" else f"{m} ({fd})"
        say(f"training by {how}: {steps} steps of gradient descent, lr {lr:g}, "
            "sum of squared errors")
        t0 = time.perf_counter()
        history = train(model, data, m, lr=lr, steps=steps, h=h, fd=fd,
                        progress=progress)
        seconds = time.perf_counter() - t0
        say(f"loss {history[0]:.4f} -> {history[-1]:.4f} in {seconds:.2f} s")
        say("trained:")
        preds = show(model)
        ok = learned(model, data)
        say(f"{task.upper()} learned: every prediction is within 0.5 of its target" if ok
            else f"{task.upper()} NOT learned: a prediction is 0.5 or more from its target")
        result.runs[m] = Run(m, model, history, preds, seconds, ok)
    if len(methods) > 1:
        bp, fdr = result.runs["backprop"], result.runs["finite-difference"]
        gap = max(abs(a - b) for a, b in zip(bp.history, fdr.history, strict=True))
        say(f"finite differences took {fdr.seconds / bp.seconds:.1f}x as long as backprop; "
            f"the two loss curves differ by at most {gap:.2g}")
    if plot is not None:
        plot_losses({f"{m} ({r.seconds:.2f} s)": r.history for m, r in result.runs.items()},
                    plot,
                    title=f"{task.upper()}: {result.description}, lr {lr:g}, seed {seed}")
        say(f"loss curve written to {plot}")
    return result
