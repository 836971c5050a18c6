"""Readable forms of symbolic results, in time bounded by their size.

:func:`tidy` picks the shortest of a few cheap rewritings (never ``simplify``, whose
time is unpredictable); :func:`short` shortens an expression's text for messages.

>>> import sympy
>>> x = sympy.Symbol("x")
>>> tidy(2*x*(2*x**2 + 6))
4*x*(x**2 + 3)
"""

from __future__ import annotations

import sympy

__all__ = ["FACTOR_MAX", "TOGETHER_MAX", "functions_in", "short", "tidy", "tree_size"]

#: ``tidy`` tries ``together`` only on expressions of at most this many nodes ...
TOGETHER_MAX = 400
#: ... and ``factor_terms`` only up to this many; bigger results stay as accumulated.
FACTOR_MAX = 1500


def tree_size(expr: sympy.Basic, cap: int) -> int:
    """Nodes of ``expr`` as a tree (repeats counted), counting no further than ``cap``."""
    count, stack = 0, [expr]
    while stack and count < cap:
        count += 1
        stack.extend(stack.pop().args)
    return count

def functions_in(expr: sympy.Basic) -> set[type]:
    """The classes of the functions used in ``expr`` (exp, tanh, Heaviside, ...)."""
    found, stack = set(), [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, sympy.Function):
            found |= {e.func}
        stack.extend(e.args)
    return found

def tidy(expr: sympy.Expr) -> sympy.Expr:
    """A readable form of ``expr``, in time bounded by its size (see :func:`derivative`).

    Candidates: ``factor_terms`` and ``factor_terms(together(...))`` (the second on
    expressions of at most a few hundred nodes); one that brings in functions the
    expression did not use is dropped.  The fewest ``count_ops`` wins, the first
    among equals; the accumulated form itself is the fallback.  ``simplify`` is not
    used: its time is unpredictable (over 10 s on an 80-node sigmoid/tanh derivative).
    """
    size = tree_size(expr, FACTOR_MAX + 1)
    if size > FACTOR_MAX:
        return expr
    try:
        # sign=False keeps -(b + w*x) from appearing beside -b - w*x in one result
        candidates = [sympy.factor_terms(expr, sign=False)]
        if size <= TOGETHER_MAX:
            candidates.append(sympy.factor_terms(sympy.together(expr), sign=False))
    except RecursionError:  # pragma: no cover - bounded sizes keep SymPy shallow
        return expr
    allowed = functions_in(expr)
    candidates = [c for c in candidates if functions_in(c) <= allowed]
    candidates.append(expr)
    return min(candidates, key=sympy.count_ops)  # the first among equals

def short(expr: sympy.Basic, limit: int = 60) -> str:
    try:
        text = str(expr)
    except RecursionError:
        text = f"{type(expr).__name__}(...)"
    return text if len(text) <= limit else text[:limit - 3] + "..."
