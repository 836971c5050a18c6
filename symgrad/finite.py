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
import numbers
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._check import real
from .backprop import grad
from .errors import GradientMismatchError, InputError
from .graph import check_var, evaluate, leaves, nodes
from .var import Var

__all__ = ["METHODS", "GradcheckReport", "GradcheckRow", "default_step", "difference",
           "difference_error", "function_gradcheck", "gradcheck", "numeric_grad",
           "numeric_gradients", "tolerances"]

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


def difference_error(f: Callable[[float], float], x0: float, h: float | None = None
                     ) -> tuple[float, float]:
    """Richardson's estimate of f'(x0) (as ``difference(f, x0, "richardson", h)``) and an
    estimate of its own error: how far it moves when the step is halved, plus the
    rounding error of its differences, about ``3·eps·max|f| / h``.

    Where ``f`` changes too fast for the step (``exp(exp(exp(exp(x))))``), or rounding
    swamps the differences, the error estimate is as large as the disagreement.

    >>> import math
    >>> value, error = difference_error(math.exp, 0.0)
    >>> round(value, 12), error < 1e-10
    (1.0, True)
    """
    if h is None:
        h = default_step(x0, "richardson")
    seen: list[float] = []

    def central(step: float) -> float:
        step = (x0 + step) - x0
        up, down = f(x0 + step), f(x0 - step)
        seen.extend((abs(up), abs(down)))
        return (up - down) / (2 * step)

    d1, d2, d4 = central(h), central(h / 2), central(h / 4)
    coarse, fine = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
    return coarse, abs(coarse - fine) + 3 * _EPS * max(seen) / h


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


def _result(value: object, what: str) -> float:
    if isinstance(value, Var):
        value = value.value
    return real(value, what)


def tolerances(rtol: object, atol: object) -> tuple[float, float]:
    """``(rtol, atol)`` checked: non-negative, finite, not both 0."""
    r, a = real(rtol, "rtol"), real(atol, "atol")
    if r < 0 or a < 0 or (r == 0 and a == 0):
        raise InputError(f"rtol and atol must be non-negative and not both 0, got "
                         f"rtol={rtol!r}, atol={atol!r}")
    return r, a


def function_gradcheck(
    f: Callable[..., Any],
    point: float | Sequence[float] | Mapping[str, float],
    grad: Callable[..., Any] | None = None,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    method: str = "richardson",
    h: float | None = None,
) -> GradcheckReport:
    """Check the gradient of a plain Python function against finite differences.

    The contract:

    * ``point`` is one number, a sequence of numbers, or a mapping of names to numbers.
      ``f`` is called as ``f(x)``, ``f(*point)`` or ``f(**point)`` accordingly, and
      must return a real number (a :class:`~symgrad.Var` result counts by its value).
    * ``grad=None``: ``f`` is called once more with :class:`~symgrad.Var` inputs in
      place of the numbers, and backprop through what it builds is the gradient.  So
      ``f`` must work on floats and on Vars alike: write it with arithmetic and
      symgrad's functions (``symgrad.exp(x)``, ``symgrad.sigmoid(x)``, which take
      numbers too), not ``math.exp`` or Var methods.
    * ``grad`` a function: called like ``f``, it returns the gradient: one number for
      one input, else a sequence of numbers in the order of ``point`` (or a mapping by
      name for a mapping ``point``).
    * Each coordinate is differenced with ``method`` (``"forward"``, ``"backward"``,
      ``"central"`` or ``"richardson"``, the default) and step ``h`` (by default the
      method's balanced step, :func:`symgrad.finite.default_step`), and passes when
      ``|gradient − numeric| <= atol + rtol·|numeric|``.

    Returns the :class:`GradcheckReport` (its ``backprop`` column holds the gradient
    checked); :func:`symgrad.testing.assert_close_to_finite_differences` raises on a
    mismatch.

    >>> function_gradcheck(lambda x, y: x * y**2, [3.0, 2.0]).ok
    True
    >>> import math
    >>> function_gradcheck(math.sin, 1.0, grad=math.sin).ok
    False
    """
    if not callable(f):
        raise InputError(f"f must be a function of numbers, got {type(f).__name__}: {f!r}")
    if grad is not None and not callable(grad):
        raise InputError(f"grad must be None or a function returning the gradient, got "
                         f"{type(grad).__name__}: {grad!r}")
    r, a = tolerances(rtol, atol)
    _check_method(method)
    if h is not None and not (real(h, "h") > 0):
        raise InputError(f"the step h must be a positive finite number, got {h!r}")

    if isinstance(point, Mapping):
        names = [str(k) for k in point]
        x0 = [real(v, f"point[{k!r}]") for k, v in point.items()]

        def call(fn: Callable[..., Any], xs: Sequence[Any]) -> Any:
            return fn(**dict(zip(names, xs, strict=True)))
    elif isinstance(point, (str, bytes)) or not isinstance(point, (Sequence, numbers.Real)):
        raise InputError(f"point must be a number, a sequence of numbers or a mapping of "
                         f"names to numbers, got {type(point).__name__}: {point!r}")
    else:
        scalar = not isinstance(point, Sequence)
        seq = [point] if scalar else list(point)  # type: ignore[list-item]
        names = [f"x{k}" for k in range(len(seq))]
        x0 = [real(v, f"point[{k}]") for k, v in enumerate(seq)]

        def call(fn: Callable[..., Any], xs: Sequence[Any]) -> Any:
            return fn(*xs)
    if not x0:
        raise InputError("point is empty: give at least one coordinate")

    def value_at(xs: Sequence[float]) -> float:
        return _result(call(f, xs), "f's result")

    value_at(x0)  # f must work at the point itself
    claimed = _claimed_gradient(f, grad, call, names, x0, isinstance(point, Mapping))
    rows = []
    for k, name in enumerate(names):
        def along(v: float, k: int = k) -> float:
            moved = list(x0)
            moved[k] = v
            return value_at(moved)

        numeric = difference(along, x0[k], method, h)
        err = abs(claimed[k] - numeric)
        rows.append(GradcheckRow(name, x0[k], claimed[k], numeric, err,
                                 err / abs(numeric) if numeric else err, a + r * abs(numeric)))
    return GradcheckReport(tuple(rows), method)


def _claimed_gradient(f: Callable[..., Any], grad_fn: Callable[..., Any] | None,
                      call: Callable[[Callable[..., Any], Sequence[Any]], Any],
                      names: list[str], x0: list[float], by_name: bool) -> list[float]:
    if grad_fn is None:
        inputs = [Var(v, name=n) for n, v in zip(names, x0, strict=True)]
        try:
            out = call(f, inputs)
        except TypeError as exc:
            raise InputError(f"f could not be called with symgrad Vars ({exc}); write it "
                             "with arithmetic and symgrad's functions (symgrad.exp, "
                             "x.sigmoid(), ...) instead of math's, or pass grad=") from None
        if not isinstance(out, Var):
            raise InputError(f"f returned {type(out).__name__} when called with symgrad "
                             "Vars, so there is no graph to backprop through; pass grad=")
        return list(grad(out, inputs))
    given = call(grad_fn, x0)
    if by_name and isinstance(given, Mapping):
        missing = [n for n in names if n not in given]
        if missing:
            raise InputError(f"grad returned no derivative for {', '.join(missing)}")
        given = [given[n] for n in names]
    elif len(names) == 1 and not isinstance(given, Sequence):
        given = [given]
    if isinstance(given, (str, bytes)) or not isinstance(given, Sequence) \
            or len(given) != len(names):
        raise InputError(f"grad must return {len(names)} number(s), one per coordinate of "
                         f"the point ({', '.join(names)}), got {given!r}")
    return [_result(g, f"grad's derivative for {n}") for n, g in zip(names, given,
                                                                     strict=True)]
