"""Models: a neuron, a layer of neurons, a multi-layer perceptron.

A model is nothing but a function built from :class:`~symgrad.Var` operations, with
its weights and biases as the graph's input Vars.  Every model builds its nodes inside
a scope of its own (:func:`symgrad.scope`), so figures can fold a neuron or a layer
into one node: an MLP's nodes are tagged ``layer0/neuron1``, a lone neuron's
``neuron``.

Parameter order is stable and documented: layer by layer, neuron by neuron, each
neuron's weights ``w0, w1, ...`` (one per input, in input order) and then its bias
``b``.  Names follow the same path (``layer0.neuron1.w0``).  Initialisation draws every
weight and bias from uniform(−1, 1) with a private :class:`random.Random` (``seed=``),
never the global generator, so a seed always gives the same network;
:meth:`Module.set_parameters` sets chosen starting values instead (to reproduce a
tutorial's numbers).

>>> net = MLP(2, [2, 1], seed=0)
>>> net([0, 1]).scope
'layer1/neuron0'
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from random import Random
from typing import Any

from .._check import choice, integer, real
from ..errors import InputError
from ..graph import scope
from ..ops import FUNCTIONS, Op
from ..var import Var, apply

__all__ = ["ACTIVATIONS", "DEFAULT_ACTIVATION", "MLP", "Layer", "Module", "Neuron"]


def _activation(op: Op) -> Callable[[Var], Var]:
    return lambda v: apply(op, v)


#: The activations a neuron can apply to its weighted sum: every function of the op
#: table (``sigmoid``, ``tanh``, ``relu`` ...) and ``linear`` (none).
ACTIVATIONS: dict[str, Callable[[Var], Var]] = {
    **{name: _activation(op) for name, op in FUNCTIONS.items() if op.public},
    "linear": lambda v: v,
}
#: The tutorial's activation, the default everywhere.
DEFAULT_ACTIVATION = "sigmoid"

Input = Var | int | float


def _check_count(n: object, what: str) -> int:
    return integer(n, what, low=1)  # type: ignore[no-any-return]


def _check_activation(activation: object) -> str:
    return choice("activation", activation, ACTIVATIONS)  # type: ignore[return-value]


def _make_rng(seed: int | None, rng: Random | None) -> Random:
    if rng is not None:
        if seed is not None:
            raise InputError("pass seed= or rng=, not both")
        if not isinstance(rng, Random):
            raise InputError(f"rng must be a random.Random, got {type(rng).__name__}")
        return rng
    return Random(integer(seed, "seed", optional=True))

class Module:
    """What every model here shares: ``parameters()``, ``n_inputs``, ``n_outputs``.

    ``scope`` is the model's own scope name (``neuron1``); its nodes are built inside
    it, nested within the scopes of the models that contain it.
    """

    n_inputs: int
    n_outputs: int
    scope: str = "model"

    def parameters(self) -> list[Var]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _forward(self, xs: list[Input]) -> list[Var]:  # pragma: no cover - overridden
        raise NotImplementedError

    def __call__(self, inputs: Sequence[Input]) -> Var | list[Var]:
        """The model's output for ``inputs``: a Var if it has one output, else a list."""
        outs = self.forward(self._check_inputs(inputs))
        return outs[0] if len(outs) == 1 else outs

    def forward(self, xs: list[Input]) -> list[Var]:
        """The outputs for checked inputs, built inside this model's scope."""
        if not self.scope:
            return self._forward(xs)
        with scope(self.scope):
            return self._forward(xs)

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
                real(x, f"input {i}")
        return xs

    def __len__(self) -> int:
        """The number of parameters."""
        return len(self.parameters())

    def set_parameters(self, values: Sequence[float]) -> Module:
        """Set every parameter's value, in :meth:`parameters` order; return the model.

        For starting weights of your choice, e.g. to reproduce a tutorial's numbers.

        >>> n = Neuron(2).set_parameters([1.0, 1.0, -1.5])
        >>> [p.value for p in n.parameters()]
        [1.0, 1.0, -1.5]
        """
        params = self.parameters()
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise InputError(f"values must be a list of {len(params)} numbers, got "
                             f"{values!r:.60}")
        given = [real(v, f"parameter value {k}") for k, v in enumerate(values)]
        if len(given) != len(params):
            names = ", ".join(p.name or "?" for p in params[:6])
            raise InputError(f"the model has {len(params)} parameters ({names}"
                             f"{', ...' if len(params) > 6 else ''}), got {len(given)} "
                             "values; give one per parameter, in parameters() order")
        for p, v in zip(params, given, strict=True):
            p.value = v
        return self

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

    def __init__(self, n_inputs: int, activation: str = DEFAULT_ACTIVATION, *,
                 seed: int | None = None, rng: Random | None = None, name: str = "") -> None:
        self.n_inputs = _check_count(n_inputs, "a neuron's number of inputs")
        self.n_outputs = 1
        self.activation = _check_activation(activation)
        rng = _make_rng(seed, rng)
        prefix = f"{name}." if name else ""
        self.scope = name.rsplit(".", 1)[-1] if name else "neuron"
        with scope(self.scope):
            self.w = [Var(rng.uniform(-1.0, 1.0), name=f"{prefix}w{i}")
                      for i in range(n_inputs)]
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

    def __init__(self, n_inputs: int, n_outputs: int, activation: str = DEFAULT_ACTIVATION, *,
                 seed: int | None = None, rng: Random | None = None, name: str = "") -> None:
        self.n_inputs = _check_count(n_inputs, "a layer's number of inputs")
        self.n_outputs = _check_count(n_outputs, "a layer's number of neurons")
        self.activation = _check_activation(activation)
        rng = _make_rng(seed, rng)
        prefix = f"{name}." if name else ""
        self.scope = name.rsplit(".", 1)[-1] if name else "layer"
        with scope(self.scope):
            self.neurons = [Neuron(n_inputs, activation, rng=rng, name=f"{prefix}neuron{j}")
                            for j in range(n_outputs)]

    def parameters(self) -> list[Var]:
        """Every neuron's parameters, neuron by neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    def _forward(self, xs: list[Input]) -> list[Var]:
        return [n.forward(xs)[0] for n in self.neurons]

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
                 activation: str | Sequence[str] = DEFAULT_ACTIVATION, *,
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
        self.scope = ""  # an MLP's layers are the outermost scopes: layer0, layer1, ...
        self.layers = [Layer(i, o, a, rng=rng, name=f"layer{k}")
                       for k, (i, o, a) in enumerate(zip(fan_in, sizes, acts, strict=True))]
        self.n_outputs = sizes[-1]

    def parameters(self) -> list[Var]:
        """Every layer's parameters, layer by layer."""
        return [p for layer in self.layers for p in layer.parameters()]

    def _forward(self, xs: list[Input]) -> list[Var]:
        out: list[Any] = xs
        for layer in self.layers:
            out = layer.forward(out)
        return out

    def __repr__(self) -> str:
        sizes = [layer.n_outputs for layer in self.layers]
        acts = [layer.activation for layer in self.layers]
        act = acts[0] if len(set(acts)) == 1 else acts
        return f"MLP({self.n_inputs}, {sizes}, activation={act!r})"
