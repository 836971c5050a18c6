"""Neural networks from scratch: a neuron, a layer, an MLP, and two ways to train them.

A network here is nothing but a function built from :class:`~symgrad.Var` operations,
with its weights and biases as the graph's input Vars.  Training builds the loss graph
*once* (every data row pushed through the model, the squared errors summed) and then
repeats plain gradient descent on it, taking the gradient by finite differences (the
tutorial's way) or by backprop.

>>> model = Neuron(2, seed=0)
>>> [p.name for p in model.parameters()]
['w0', 'w1', 'b']
>>> history = train(model, AND, method="backprop", lr=1.0, steps=2000)
>>> [round(model(x).value) for x, _ in AND]   # AND learned
[0, 0, 0, 1]

The modules: :mod:`~symgrad.nn.models`, :mod:`~symgrad.nn.losses` (and the truth
tables), :mod:`~symgrad.nn.train`.  The runnable tutorial with its progress bar and
plots is :mod:`symgrad.tutorial`, a face that uses this package.
"""

from __future__ import annotations

from .losses import AND, LOSSES, NAND, OR, TASKS, XOR, mse, sse
from .models import ACTIVATIONS, MLP, Layer, Module, Neuron
from .train import FD_METHODS, METHODS, gradient, learned, loss_graph, train

__all__ = [
    "ACTIVATIONS", "AND", "FD_METHODS", "LOSSES", "METHODS", "MLP", "NAND", "OR", "TASKS",
    "XOR", "Layer", "Module", "Neuron", "gradient", "learned", "loss_graph", "mse", "sse",
    "train",
]
