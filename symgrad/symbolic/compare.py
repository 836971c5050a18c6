"""Are two expressions the same function?  Decided symbolically, else numerically.

Numbers come from building a graph of the expression (never ``subs`` on text) and,
where floats cannot be trusted (values that underflow, overflow or cancel), from
arbitrary precision: every node of the expression rebuilt from SymPy Floats of 30 to
960 digits, each shared subexpression once, iteratively (:func:`exact_values`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence

import mpmath
import sympy

from ..errors import DomainError, UnsupportedError
from ..var import Var
from .lift import build
from .lower import deep_error
from .tidy import short, tree_size

__all__ = ["DIGITS", "agree_at", "close", "exact_values", "float_value", "point_text", "points",
           "precise_value", "same_function"]

#: ``same_function`` proves equality with ``cancel`` up to this many nodes ...
_CANCEL_MAX = 1000
#: ... and with ``simplify`` only up to this many (its time is unpredictable).
_SIMPLIFY_MAX = 40
#: The precisions (decimal digits) a comparison climbs through until it is decided.
DIGITS = (30, 60, 120, 240, 480, 960)
#: Floats below this may be subnormal or the remains of an underflow.
_TINY = 1e-280


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
    """``expr`` at ``values`` computed with ``digits`` digits, as a float."""
    (v,) = exact_values([expr], values, digits)
    f = float(v)
    if not math.isfinite(f):
        raise DomainError(f"{short(expr)} is not a finite float at {point_text(values)}")
    return f

def exact_values(exprs: Sequence[sympy.Expr], values: dict[str, float], digits: int
                 ) -> list[mpmath.mpf]:
    """``exprs`` at ``values`` (by symbol name) with ``digits`` significant digits.

    Each node is rebuilt from the numbers of its arguments (SymPy Floats of ``digits``
    digits; integers and rationals stay exact), once per distinct subexpression, without
    recursion.  Floats of that size never underflow or overflow: ``exp(-800)`` is
    ``3.67e-348``.  A value that is not a finite real number raises DomainError.

    >>> x = sympy.Symbol("x")
    >>> [mpmath.nstr(v, 6) for v in exact_values([sympy.exp(-x), 1 - x], {"x": 800.0}, 30)]
    ['3.66787e-348', '-799.0']
    """
    memo: dict[sympy.Basic, sympy.Expr] = {}
    floats: dict[sympy.Symbol, sympy.Float] = {}
    for root in exprs:
        stack: list[tuple[sympy.Basic, bool]] = [(root, False)]
        while stack:
            e, ready = stack.pop()
            if e in memo:
                continue
            if not ready and e.args and all(isinstance(a, sympy.Expr) for a in e.args):
                stack.append((e, True))
                stack.extend((a, False) for a in e.args if a not in memo)
                continue
            memo[e] = _number(e, [memo[a] for a in e.args] if ready else None, values,
                              digits, floats)
    with mpmath.workdps(digits):
        return [mpmath.mpf(sympy.Float(memo[e], digits)._mpf_) for e in exprs]

def _number(e: sympy.Basic, args: list[sympy.Expr] | None, values: dict[str, float],
            digits: int, floats: dict[sympy.Symbol, sympy.Float]) -> sympy.Expr:
    """The value of one node, from its arguments' values (or evalf for the rest)."""
    if e.is_Symbol:
        if e.name not in values:  # type: ignore[attr-defined]
            raise DomainError(f"no value for {e} at {point_text(values)}")
        return sympy.Float(values[e.name], digits)  # type: ignore[attr-defined]
    if e.is_Number:
        v: sympy.Expr = e  # type: ignore[assignment]
    elif args is not None:
        v = e.func(*args)
    else:  # constants (pi) and nodes with non-expression arguments (Piecewise)
        for s in e.free_symbols:
            floats.setdefault(s, _number(s, None, values, digits, floats))
        v = e.xreplace(floats)
    if not v.is_Number:
        v = v.evalf(digits)
    if not v.is_Number or v.is_extended_real is False or not v.is_finite:
        raise DomainError(f"{short(e)} is not a finite real number at {point_text(values)}")
    return v

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
                  rtol: float = 1e-9, atol: float = 1e-12, *, algebra: bool = True
                  ) -> tuple[bool | None, str]:
    """Whether two expressions are the same function: (verdict, how it was decided).

    Symbolically first (identical, then ``cancel(a - b) == 0``, then ``simplify`` on
    small differences; ``algebra=False`` skips these two); when that is inconclusive,
    numerically at four seeded random points near ``values`` (:func:`agree_at`).  The
    verdict is ``None`` when no point could be evaluated.

    >>> x = sympy.Symbol("x")
    >>> same_function(4*x*(x**2 + 3), 4*x**3 + 12*x, {"x": 2.0})
    (True, 'cancel(a - b) = 0')
    >>> same_function(sympy.sin(x)**2, 1 - sympy.cos(x)**2 + x / 10**6, {"x": 1.0})[0]
    False
    >>> same_function(sympy.exp(-x), -sympy.exp(-x), {"x": 800.0})  # below floats' range
    (False, 'differ at x=677.751: 4.534444871e-295 vs -4.534444871e-295')
    """
    if a == b:
        return True, "identical"
    try:
        difference = a - b
        if difference == 0:
            return True, "identical"
        size = tree_size(difference, _CANCEL_MAX + 1) if algebra else _CANCEL_MAX + 1
        if size <= _CANCEL_MAX and sympy.cancel(sympy.together(difference)) == 0:
            return True, "cancel(a - b) = 0"
        if size <= _SIMPLIFY_MAX and sympy.simplify(difference) == 0:
            return True, "simplify(a - b) = 0"
    except RecursionError:
        pass
    checked = 0
    for point in points(values, 4):
        verdict = agree_at(a, b, point, rtol, atol)
        if verdict is None:
            continue
        if isinstance(verdict, str):
            return False, verdict
        checked += 1
    if checked:
        return True, f"equal at {checked} random points"
    return None, "could not be compared (undefined at every point tried)"

def agree_at(a: sympy.Expr, b: sympy.Expr, point: dict[str, float], rtol: float,
             atol: float) -> bool | str | None:
    """True when ``a`` and ``b`` agree at ``point``; else how they differ (a string), or
    None where either is undefined.

    Floats decide only agreement, and only between values above ``atol`` (and far
    from underflow): within ``atol + rtol·max(|a|, |b|)``.  Everything else (floats
    that differ, overflow, or values so small that ``atol`` would swallow them, where
    ``exp(-x)`` and ``-exp(-x)`` look alike) is decided in arbitrary precision,
    climbing through :data:`DIGITS`: each side's rounding noise is estimated as the
    change from the previous precision, and the two agree when they are within
    ``rtol·max(|a|, |b|)`` plus that noise (plus ``atol`` when they are above it).
    Agreement that rests on noise larger than the values themselves (two sums that
    cancel to zero) is re-checked at the next precision; at the last it stands.
    """
    try:
        fa, fb = float_value(a, point), float_value(b, point)
        if max(abs(fa), abs(fb)) > max(atol, _TINY) and close(fa, fb, rtol, atol):
            return True
    except DomainError:
        pass  # an overflow, say: arbitrary precision decides
    previous = None
    for digits in DIGITS:
        try:
            va, vb = exact_values([a, b], point, digits)
        except DomainError:
            return None
        except RecursionError:
            raise deep_error("evaluating an expression") from None
        if previous is not None:
            noise = abs(va - previous[0]) + abs(vb - previous[1])
            scale = max(abs(va), abs(vb))
            tolerance = rtol * scale + noise + (atol if scale > atol else 0)
            if abs(va - vb) > tolerance:
                return (f"differ at {point_text(point)}: {mpmath.nstr(va, 10)} vs "
                        f"{mpmath.nstr(vb, 10)}")
            if noise <= 1e-3 * scale or digits == DIGITS[-1]:
                return True
        previous = (va, vb)
    return True  # pragma: no cover - the loop returns at the last precision
