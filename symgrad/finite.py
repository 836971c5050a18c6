"""Finite differences: the naive way to a derivative, and a check on backprop.

:func:`numeric_grad` nudges one input, re-evaluates the whole graph and divides.
It needs one or two evaluations of the graph *per input*, where backprop needs one
reverse pass for all of them, and its answer carries two errors that pull against
each other: truncation error (which shrinks with the step ``h``) and rounding error
(which grows as ``h`` shrinks, about ``eps / h``).  The default steps balance the two:

================  ==========================  ================  ===========================
method            formula                     truncation error  default ``h``
================  ==========================  ================  ===========================
``"forward"``     ``(f(x+h) − f(x)) / h``     O(h)              ``√eps · max(1, |x|)``
``"backward"``    ``(f(x) − f(x−h)) / h``     O(h)              ``√eps · max(1, |x|)``
``"central"``     ``(f(x+h) − f(x−h)) / 2h``  O(h²)             ``∛eps · max(1, |x|)``
``"richardson"``  ``(4·D(h/2) − D(h)) / 3``   O(h⁴)             ``eps^(1/5) · max(1, |x|)``
================  ==========================  ================  ===========================

(``D`` is the central difference; eps ≈ 2.2e-16.)

>>> from symgrad import Var
>>> x = Var(2.0, name="x"); y = Var(1.0, name="y")
>>> z = (x**2 + 3)**2 + y
>>> round(numeric_grad(z, x), 6)
56.0
>>> gradcheck(z).ok
True
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .backprop import grad
from .errors import GradientMismatchError, InputError
from .graph import check_var, evaluate, leaves, nodes
from .var import Var

__all__ = [
    "METHODS",
    "GradcheckReport",
    "GradcheckRow",
    "default_step",
    "gradcheck",
    "numeric_grad",
]

_EPS = sys.float_info.epsilon
#: The finite-difference methods and the power of eps their default step uses.
METHODS = {"forward": 1 / 2, "backward": 1 / 2, "central": 1 / 3, "richardson": 1 / 5}


def default_step(x: float, method: str = "central") -> float:
    """The step that balances truncation against rounding error for ``method`` at ``x``.

    >>> default_step(0.0, "forward") == 2.0 ** -26
    True
    """
    return _check_method(method) * max(1.0, abs(x))


def _check_method(method: str) -> float:
    try:
        return float(_EPS ** METHODS[method])
    except (KeyError, TypeError):
        raise InputError(f"unknown finite-difference method: {method!r} "
                         f"(must be one of {', '.join(map(repr, METHODS))})") from None


def numeric_grad(out: Var, wrt: Var, h: float | None = None,
                 method: str = "central") -> float:
    """d out / d wrt by finite differences: perturb ``wrt``, re-evaluate, restore.

    ``wrt`` must be an input (leaf) of the graph.  Its value, and every value in the
    graph, are restored afterwards, even if an evaluation fails.  ``h`` defaults to
    :func:`default_step`.
    """
    check_var(wrt, "wrt")
    return numeric_gradients(out, [wrt], h=h, method=method)[0]


def numeric_gradients(out: Var, wrt: Sequence[Var], *, h: float | None = None,
                      method: str = "central", order: list[Var] | None = None) -> list[float]:
    """d out / d w for every input ``w`` in ``wrt``, by finite differences.

    Each input is nudged in turn and the graph re-evaluated: ``forward`` and
    ``backward`` cost one evaluation per input (plus one for the base value),
    ``central`` two, ``richardson`` four; backprop costs one reverse pass for all of
    them.  Pass ``order`` (from :func:`symgrad.nodes`) when calling this many times
    on the same graph.  Inputs are restored and the graph re-evaluated at the end,
    even if an evaluation fails.  An input the output does not depend on gets 0.

    >>> from symgrad import Var
    >>> x, y = Var(3.0, name="x"), Var(2.0, name="y")
    >>> [round(g, 6) for g in numeric_gradients(x * y + y, [x, y])]
    [2.0, 4.0]
    """
    check_var(out)
    _check_method(method)
    if h is not None and not (isinstance(h, (int, float)) and h > 0 and math.isfinite(h)):
        raise InputError(f"the step h must be a positive finite number, got {h!r}")
    for x in wrt:
        if check_var(x, "each wrt").op is not None:
            raise InputError(f"wrt must be input Vars of the graph, got {x!r}; finite "
                             "differences perturb inputs, not intermediate results")
    if order is None:
        order = nodes(out)
    members = set(order)
    try:
        base = evaluate(out, order) if method in ("forward", "backward") else 0.0
        return [_difference(out, x, order, h, method, base) if x in members else 0.0
                for x in wrt]
    finally:
        evaluate(out, order)


def _difference(out: Var, x: Var, order: list[Var], h: float | None, method: str,
                base: float) -> float:
    """One input's difference quotient; restores the input (not the graph)."""
    x0 = x.value

    def f(v: float) -> float:
        x.value = v
        return evaluate(out, order)

    try:
        return difference(f, x0, method, h, base=base)
    finally:
        x.value = x0


def difference(f: Callable[[float], float], x0: float, method: str = "central",
               h: float | None = None, *, base: float | None = None) -> float:
    """The finite-difference estimate of f'(x0) for a plain function of one float.

    ``base`` is ``f(x0)`` when the caller already has it (forward and backward
    differences need it).  The step is made exact in binary: ``(x0 + h) - x0``.

    >>> import math
    >>> round(difference(math.exp, 0.0), 9), round(difference(math.exp, 0.0, "richardson"), 12)
    (1.0, 1.0)
    """
    _check_method(method)
    if h is None:
        h = default_step(x0, method)
    elif not (isinstance(h, (int, float)) and h > 0 and math.isfinite(h)):
        raise InputError(f"the step h must be a positive finite number, got {h!r}")

    def central(step: float) -> float:
        step = (x0 + step) - x0
        return (f(x0 + step) - f(x0 - step)) / (2 * step)

    if method == "central":
        return central(h)
    if method == "richardson":
        return (4 * central(h / 2) - central(h)) / 3
    step = (x0 + h) - x0
    if base is None:
        base = f(x0)
    if method == "forward":
        return (f(x0 + step) - base) / step
    return (base - f(x0 - step)) / step


@dataclass(frozen=True, slots=True)
class GradcheckRow:
    """One input's line of a :class:`GradcheckReport`."""

    name: str
    value: float
    backprop: float
    numeric: float
    abs_error: float
    rel_error: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.abs_error <= self.tolerance


@dataclass(frozen=True, slots=True)
class GradcheckReport:
    """Backprop against finite differences, one row per input; ``str`` is a table."""

    rows: tuple[GradcheckRow, ...]
    method: str

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def __str__(self) -> str:
        head = ("input", "value", "backprop", "numeric", "abs err", "rel err", "tol", "")
        body = [(r.name, f"{r.value:.6g}", f"{r.backprop:.10g}", f"{r.numeric:.10g}",
                 f"{r.abs_error:.2e}", f"{r.rel_error:.2e}", f"{r.tolerance:.2e}",
                 "ok" if r.ok else "MISMATCH") for r in self.rows]
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                 for row in [head, *body]]
        verdict = "all gradients agree" if self.ok else "gradients DISAGREE"
        return "\n".join([*lines, f"({self.method} differences; {verdict})"])


def gradcheck(out: Var, wrt: Sequence[Var] | None = None, *, rtol: float = 1e-6,
              atol: float = 1e-8, method: str = "richardson",
              raise_on_failure: bool = True) -> GradcheckReport:
    """Compare backprop with finite differences for every input of ``out``.

    An input passes when ``|backprop − numeric| <= atol + rtol·|numeric|``.  On a
    mismatch a :class:`~symgrad.errors.GradientMismatchError` carrying the table is
    raised, unless ``raise_on_failure=False``; the report is returned either way.
    """
    check_var(out)
    _check_method(method)
    targets = leaves(out) if wrt is None else [check_var(w, "each wrt") for w in wrt]
    exact = grad(out, targets)
    numeric = numeric_gradients(out, targets, method=method)
    rows = []
    for x, b, n in zip(targets, exact, numeric, strict=True):
        err = abs(b - n)
        rows.append(GradcheckRow(x.name or "?", x.value, b, n, err,
                                 err / abs(n) if n else err, atol + rtol * abs(n)))
    report = GradcheckReport(tuple(rows), method)
    if raise_on_failure and not report.ok:
        raise GradientMismatchError(f"backprop and finite differences disagree:\n{report}")
    return report
