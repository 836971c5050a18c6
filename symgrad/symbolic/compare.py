"""Are two expressions the same function?  Decided symbolically, else numerically.

Numbers come from building a graph of the expression (never ``subs`` on text), or,
for functions the op table lacks, from 30-digit ``evalf``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

import sympy

from ..errors import DomainError, UnsupportedError
from ..var import Var
from .lift import build
from .lower import deep_error
from .tidy import short, tree_size

__all__ = ["close", "float_value", "point_text", "points", "precise_value", "same_function"]

#: ``same_function`` proves equality with ``cancel`` up to this many nodes ...
_CANCEL_MAX = 1000
#: ... and with ``simplify`` only up to this many (its time is unpredictable).
_SIMPLIFY_MAX = 40


def float_value(expr: sympy.Expr, values: dict[str, float]) -> float:
    """``expr`` evaluated in floats at ``values`` (by symbol name), through a graph.

    Safe where SymPy's exact arithmetic is not (``2**(10**300)`` overflows at once
    instead of building a huge integer).  Falls back to ``evalf`` for functions the op
    table lacks (``DiracDelta`` ...).  Undefined points raise DomainError.
    """
    try:
        return build(expr, lambda n: Var(values[n], name=n)).value
    except UnsupportedError:
        return precise_value(expr, values, 30)
    except RecursionError:
        raise deep_error("evaluating an expression") from None

def precise_value(expr: sympy.Expr, values: dict[str, float], digits: int) -> float:
    subs = {s: sympy.Float(values[s.name], digits) for s in expr.free_symbols
            if isinstance(s, sympy.Symbol)}
    try:
        z = complex(expr.evalf(digits, subs=subs))
    except (TypeError, ValueError, RecursionError) as exc:
        raise DomainError(f"{short(expr)} has no numeric value at {point_text(values)} "
                          f"({exc})") from None
    if abs(z.imag) > 1e-12 * max(1.0, abs(z.real)) or not math.isfinite(z.real):
        raise DomainError(f"{short(expr)} is not a finite real number at {point_text(values)}")
    return z.real

def point_text(values: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in values.items())

def close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))

def points(values: dict[str, float], count: int) -> Iterator[dict[str, float]]:
    """``count`` seeded random points near ``values`` (random, so off any kink)."""
    rng = random.Random(20240601)
    for _ in range(count):
        yield {k: v * (1 + rng.uniform(-0.2, 0.2)) + rng.uniform(-0.05, 0.05)
               for k, v in values.items()}

def same_function(a: sympy.Expr, b: sympy.Expr, values: dict[str, float],
                  rtol: float = 1e-9, atol: float = 1e-12) -> tuple[bool | None, str]:
    """Whether two expressions are the same function: (verdict, how it was decided).

    Symbolically first (identical, then ``cancel(a - b) == 0``, then ``simplify`` on
    small differences); when that is inconclusive, numerically at four seeded random
    points near ``values``, confirming any float mismatch with 30-digit arithmetic.
    The verdict is ``None`` when no point could be evaluated.

    >>> x = sympy.Symbol("x")
    >>> same_function(4*x*(x**2 + 3), 4*x**3 + 12*x, {"x": 2.0})
    (True, 'cancel(a - b) = 0')
    >>> same_function(sympy.sin(x)**2, 1 - sympy.cos(x)**2 + x / 10**6, {"x": 1.0})[0]
    False
    """
    if a == b:
        return True, "identical"
    try:
        difference = a - b
        if difference == 0:
            return True, "identical"
        size = tree_size(difference, _CANCEL_MAX + 1)
        if size <= _CANCEL_MAX and sympy.cancel(sympy.together(difference)) == 0:
            return True, "cancel(a - b) = 0"
        if size <= _SIMPLIFY_MAX and sympy.simplify(difference) == 0:
            return True, "simplify(a - b) = 0"
    except RecursionError:
        pass
    checked = 0
    for point in points(values, 4):
        try:
            va, vb = float_value(a, point), float_value(b, point)
        except DomainError:
            continue
        if not close(va, vb, rtol, atol):
            # Floats may lose digits to cancellation: confirm with 30-digit arithmetic.
            try:
                va, vb = precise_value(a, point, 30), precise_value(b, point, 30)
            except DomainError:
                continue
            if not close(va, vb, rtol, atol):
                return False, f"differ at {point_text(point)}: {va:.10g} vs {vb:.10g}"
        checked += 1
    if checked:
        return True, f"equal at {checked} random points"
    return None, "could not be compared (undefined at every point tried)"


# -- verification ---------------------------------------------------------------------------
