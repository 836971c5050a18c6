"""Losses and data: squared errors as graphs, the truth tables, and data checks.

>>> from symgrad import Var
>>> sse([Var(0.5), Var(0.25)], [1, 0]).value
0.3125
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .._check import real
from ..errors import InputError
from ..var import Var, constant
from .models import Module

__all__ = ["AND", "LOSSES", "NAND", "OR", "TASKS", "XOR", "check_data", "mse", "sse"]

#: The truth tables, as ``(inputs, target)`` pairs.
AND = [([0, 0], 0), ([0, 1], 0), ([1, 0], 0), ([1, 1], 1)]
OR = [([0, 0], 0), ([0, 1], 1), ([1, 0], 1), ([1, 1], 1)]
NAND = [([0, 0], 1), ([0, 1], 1), ([1, 0], 1), ([1, 1], 0)]
XOR = [([0, 0], 0), ([0, 1], 1), ([1, 0], 1), ([1, 1], 0)]
#: The datasets by name (``symgrad train xor``).
TASKS = {"and": AND, "or": OR, "nand": NAND, "xor": XOR}

Target = int | float | Sequence[int | float]
Data = Sequence[tuple[Sequence[int | float], Target]]
Input = Var | int | float


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
            real(t, f"target {i}")
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


#: The losses :func:`symgrad.nn.train` and :func:`symgrad.nn.loss_graph` accept by name.
LOSSES: dict[str, Callable[[Any, Any], Var]] = {"sse": sse, "mse": mse}


def check_data(data: object, model: Module) -> list[tuple[list[float], list[float]]]:
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
        xs = [real(x, f"input {j} of data row {i}") for j, x in enumerate(inputs)]
        if len(xs) != model.n_inputs:
            raise InputError(f"data row {i} has {len(xs)} inputs {inputs!r}, but the model "
                             f"takes {model.n_inputs}; give every row {model.n_inputs}")
        if isinstance(target, (str, bytes)) or not isinstance(
                target, (numbers.Number, Iterable)):
            raise InputError(f"the target of data row {i} must be a number, got {target!r}")
        many = not isinstance(target, numbers.Number)
        ts = [real(t, f"the target of data row {i}")
              for t in (target if many else [target])]  # type: ignore[union-attr]
        if len(ts) != model.n_outputs:
            raise InputError(f"data row {i} has {len(ts)} targets, but the model has "
                             f"{model.n_outputs} outputs; give one target per output")
        checked.append((xs, ts))
    return checked
