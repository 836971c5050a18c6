"""Training: the loss graph built once, then gradient descent by one of two gradients.

* ``method="finite-difference"`` (the tutorial's way): nudge one parameter, re-evaluate
  the whole loss, see how much it moved, put the parameter back; once per parameter
  (twice for central differences).  The cost grows with the number of parameters.
* ``method="backprop"``: one reverse pass over the same graph gives every derivative
  at once, for a small constant multiple of one evaluation (see ``bench/training.py``).
* ``method="compiled"``: the same reverse pass, generated once as straight-line Python
  (:func:`symgrad.compile`) and called each step: the fastest, same numbers to 1e-12.

Both give the same numbers (to about 1e-8 relative), so both learn the same way:

>>> from symgrad.nn import Neuron, AND
>>> model = Neuron(2, seed=0)                 # two weights and a bias, sigmoid output
>>> history = train(model, AND, method="backprop", lr=1.0, steps=2000)
>>> history[0] > 0.5 > 0.05 > history[-1]     # loss before and after training
True
>>> [round(model(x).value) for x, _ in AND]   # AND learned
[0, 0, 0, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._check import choice, integer, number
from ..backprop import grad
from ..compile import compile
from ..errors import DomainError, InputError
from ..finite import numeric_gradients
from ..graph import evaluate, nodes
from ..var import Var
from .losses import LOSSES, Data, check_data
from .models import Module

__all__ = ["FD_METHODS", "METHODS", "check_method", "check_settings", "gradient", "learned",
           "loss_graph", "train"]

#: How :func:`train` gets the gradient.
METHODS = ("backprop", "finite-difference", "compiled")

#: The finite-difference formulas :func:`train` offers (see :mod:`symgrad.finite`).
FD_METHODS = ("central", "forward")

#: ``progress(step, loss)``: called after every training step.
Progress = Callable[[int, float], Any]


def _check_model(model: object) -> Module:
    if not isinstance(model, Module):
        raise InputError(f"model must be a symgrad.nn Neuron, Layer or MLP (or another "
                         f"nn.Module), got {type(model).__name__}: {model!r}")
    if not model.parameters():
        raise InputError(f"{model!r} has no parameters to train")
    return model


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

    >>> from symgrad.nn import Neuron, AND
    >>> net = Neuron(2, seed=0)
    >>> L = loss_graph(net, AND)
    >>> [v.name for v in __import__("symgrad").leaves(L)]
    ['w0', 'w1', 'b']
    """
    model = _check_model(model)
    rows = check_data(data, model)
    fn = _loss_fn(loss)
    predictions = [model.forward(xs) for xs, _ in rows]  # type: ignore[arg-type]
    out = fn(predictions, [ts for _, ts in rows])
    if not isinstance(out, Var):
        raise InputError(f"the loss function must return a Var, got {out!r}")
    return out


def check_method(method: object) -> str:
    """``method`` if it is one of :data:`METHODS`."""
    return choice("training method", method, METHODS)  # type: ignore[return-value]


def _check_fd(fd: object, h: object) -> None:
    choice("finite-difference formula", fd, FD_METHODS)
    number(h, "the step h", positive=True, optional=True)


def gradient(loss: Var, params: Sequence[Var], method: str = "backprop", *,
             h: float | None = None, fd: str = "central",
             order: list[Var] | None = None) -> list[float]:
    """d loss / d p for every ``p`` in ``params``, by backprop or by finite differences.

    This is the step :func:`train` repeats.  Finite differences re-evaluate the whole
    loss once per parameter (``fd="forward"``) or twice (``"central"``), with the step
    ``h`` defaulting to :func:`symgrad.finite.default_step`; pass ``order`` (from
    :func:`symgrad.nodes`) to skip the walk when calling it many times.  The graph is
    left evaluated at the current parameter values.

    >>> from symgrad.nn import MLP, XOR
    >>> net = MLP(2, [2, 1], seed=3)
    >>> L = loss_graph(net, XOR)
    >>> bp = gradient(L, net.parameters())
    >>> fd = gradient(L, net.parameters(), "finite-difference")
    >>> max(abs(a - b) for a, b in zip(bp, fd)) < 1e-8
    True
    """
    method = check_method(method)
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
    if method == "compiled":  # compiled afresh: train() compiles once for all its steps
        _, grads = compile(loss, wrt=params)(**{str(p.name): p.value for p in params})
        return [grads[str(p.name)] for p in params]  # type: ignore[index]
    return numeric_gradients(loss, params, h=h, method=fd, order=order)


def check_settings(lr: object, steps: object, fd: object, h: object,
                   target_loss: object = None, progress: object = None) -> None:
    """Validate :func:`train`'s settings (the tutorial checks them before it prints)."""
    number(lr, "the learning rate lr", positive=True)
    integer(steps, "steps", low=1)
    _check_fd(fd, h)
    if target_loss is not None and not number(target_loss, "target_loss") >= 0:  # type: ignore[operator]
        raise InputError(f"target_loss must be a non-negative number or None, "
                         f"got {target_loss!r}")
    if progress not in (None, False) and not callable(progress):
        raise InputError(f"progress must be a function progress(step, loss) or None, got "
                         f"{progress!r}; symgrad.tutorial.ProgressBar(steps) draws a bar")


def train(model: Module, data: Data, method: str = "backprop", *, lr: float = 1.0,
          steps: int = 2000, loss: str | Callable[[Any, Any], Var] = "sse",
          h: float | None = None, fd: str = "central", target_loss: float | None = None,
          progress: Progress | bool | None = None) -> list[float]:
    """Plain gradient descent on ``model``'s parameters; returns the loss history.

    The loss graph is built once (:func:`loss_graph`); each step takes the
    :func:`gradient` by ``method`` (``"backprop"`` or ``"finite-difference"`` with the
    ``fd`` formula ``"central"`` or ``"forward"`` and step ``h``), moves every
    parameter by ``-lr * gradient`` in place, and re-evaluates the graph.

    ``history[0]`` is the loss before training and ``history[k]`` the loss after ``k``
    steps, so a full run returns ``steps + 1`` numbers.  With ``target_loss``, training
    stops as soon as the loss is at or below it (the history is then shorter).
    ``progress(step, loss)``, if given, is called after every step
    (:class:`symgrad.tutorial.ProgressBar` draws a bar on a terminal).

    >>> from symgrad.nn import MLP, XOR
    >>> net = MLP(2, [2, 1], seed=0)
    >>> history = train(net, XOR, steps=2000)
    >>> len(history), history[-1] < 0.05 < 0.9 < history[0]
    (2001, True)
    >>> history = train(MLP(2, [2, 1], seed=0), XOR, target_loss=0.1)
    >>> len(history) < 2001 and history[-1] <= 0.1 < history[-2]
    True
    """
    model = _check_model(model)
    method = check_method(method)
    check_settings(lr, steps, fd, h, target_loss, progress)
    report = progress if callable(progress) else None

    L = loss_graph(model, data, loss)
    params = model.parameters()
    order = nodes(L)
    history = [L.value]
    step = 0
    compiled = compile(L, wrt=params) if method == "compiled" else None
    try:
        # One call of compiled code gives the loss and the gradient at the same point.
        latest = compiled(**{str(p.name): p.value for p in params}) if compiled else None
        while step < steps and not (target_loss is not None and history[-1] <= target_loss):
            if latest is not None:
                grads = [latest[1][str(p.name)] for p in params]  # type: ignore[index]
            elif method == "backprop":
                grads = grad(L, params)
            else:
                grads = numeric_gradients(L, params, h=h, method=fd, order=order)
            for p, g in zip(params, grads, strict=True):
                p.value -= lr * g
            if compiled is None:
                history.append(evaluate(L, order))
            else:
                latest = compiled(**{str(p.name): p.value for p in params})
                history.append(latest[0])
            step += 1
            if report is not None:
                report(step, history[-1])
        if compiled is not None:
            evaluate(L, order)  # the graph's values follow the parameters, as the others do
    except DomainError as exc:
        raise DomainError(f"training diverged at step {step + 1} (lr={lr}): {exc}; "
                          "try a smaller lr") from None
    return history


def learned(model: Module, data: Data, tolerance: float = 0.5) -> bool:
    """True when every output of ``model`` is within ``tolerance`` of its target.

    With the default 0.5 and 0/1 targets this means every rounded prediction is right.

    >>> from symgrad.nn import Neuron, AND
    >>> net = Neuron(2, seed=0)
    >>> learned(net, AND)
    False
    >>> _ = train(net, AND)
    >>> learned(net, AND), learned(net, AND, tolerance=0.2)
    (True, True)
    """
    model = _check_model(model)
    rows = check_data(data, model)
    number(tolerance, "tolerance", positive=True)
    return all(abs(p.value - t) < tolerance
               for xs, ts in rows
               for p, t in zip(model.forward(xs), ts, strict=True))  # type: ignore[arg-type]
