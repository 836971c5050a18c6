"""From SymPy back to a graph: :func:`from_sympy`.

Sums and products fold left; every op-table entry that can be recognised in a SymPy
expression says so itself (:meth:`symgrad.ops.Op.match`: a call of its symbolic
function, ``Pow(a, 1/2)`` for ``sqrt``, ``Max(0, a)`` for ``relu``, ...), so this
module holds no per-op knowledge beyond ``+ - * / **``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import sympy

from .._check import real, values_for
from ..errors import InputError, UnsupportedError
from ..ops import OPS, by_operator, supported_text
from ..var import Var, apply, constant
from .backend import number
from .lower import deep_error
from .tidy import short

__all__ = ["build", "from_sympy", "symbol_names", "unsupported"]

_ADD, _SUB, _MUL, _DIV, _POW = (by_operator(t) for t in ("+", "-", "*", "/", "**"))
_NEG = by_operator("-", 1)
# The op that is SymPy's Heaviside(a, 0), if the table has one: Heaviside(a, h0) with
# another value at 0 is built from it.
_STEP = next((op for op in OPS.values()
              if op.match(sympy.Heaviside(sympy.Symbol("a"), 0), sympy) is not None), None)
#: Expressions deeper than this are read in SymPy's internal argument order.
_ORDERED_DEPTH = 300


def _supported() -> str:
    return f"numbers, symbols, {supported_text()}"


def unsupported(expr: sympy.Basic, why: str | None = None) -> UnsupportedError:
    name = getattr(expr.func, "__name__", type(expr).__name__)
    why = why or f"{name} is not in symgrad's op table"
    return UnsupportedError(f"cannot build a graph from {short(expr)}: {why} "
                            f"(supported: {_supported()})")

def _as_constant(n: sympy.Expr) -> Var:
    """A SymPy number as a constant node; rationals that floats cannot show exactly
    (1/3) become a division of two constants, so lowering gives them back exactly."""
    if n.is_Rational and not n.is_Integer and number(float(n)) != n:
        return apply(_DIV, _as_constant(sympy.Integer(n.p)),
                     _as_constant(sympy.Integer(n.q)))
    if not (n.is_Number or n.is_NumberSymbol) or not n.is_extended_real:
        raise unsupported(n, f"{short(n)} is not a real number")
    try:
        value = float(n)
    except (OverflowError, TypeError, ValueError):
        value = math.inf
    if not math.isfinite(value):
        raise unsupported(n, f"{short(n)} is not a finite float")
    return constant(value)

def _negative_power(e: sympy.Expr) -> bool:
    power = e.args[1]
    return bool(power.is_Number and power.is_extended_negative)


def _plan(e: sympy.Expr, ordered: bool
          ) -> tuple[list[sympy.Expr], Callable[[list[Var]], Var]]:
    """The operands ``e`` is built from, and how to combine their graphs into ``e``'s.

    With ``ordered``, terms and factors come in printing order (SymPy computes that
    order recursively, so it is skipped for very deep expressions).
    """
    add, sub, mul, div = _ADD, _SUB, _MUL, _DIV
    if e.is_Add:
        terms = list(e.as_ordered_terms() if ordered else e.args)
        signs = [False]
        operands = [terms[0]]
        for t in terms[1:]:
            c, _ = t.as_coeff_Mul()
            negative = bool(c.is_Number and c.is_extended_negative)
            signs.append(negative)
            operands.append(-t if negative else t)

        def combine_add(args: list[Var]) -> Var:
            acc = args[0]
            for negative, a in zip(signs[1:], args[1:], strict=True):
                acc = apply(sub if negative else add, acc, a)
            return acc
        return operands, combine_add
    if e.is_Mul or (e.is_Pow and _negative_power(e)):
        factors = (list(e.as_ordered_factors() if ordered else e.args) if e.is_Mul
                   else [e])
        negative = False
        num: list[sympy.Expr] = []
        den: list[sympy.Expr] = []
        for f in factors:
            if f.is_Number:
                if f.is_extended_negative:
                    negative, f = True, -f
                if f.is_Rational:
                    if f.p != 1:
                        num.append(sympy.Integer(f.p))
                    if f.q != 1:
                        den.append(sympy.Integer(f.q))
                elif f != 1:
                    num.append(f)
            elif f.is_Pow and _negative_power(f):
                base, power = f.args
                den.append(base if power == -1 else sympy.Pow(base, -power))
            else:
                num.append(f)
        if any(f.is_Add for f in num + den):
            return _scaled(num, den, negative)
        n_num = len(num)

        def combine_mul(args: list[Var]) -> Var:
            top = _fold(mul, args[:n_num]) if n_num else constant(1)
            result = apply(div, top, _fold(mul, args[n_num:])) if den else top
            return apply(_NEG, result) if negative else result
        return num + den, combine_mul
    for op in OPS.values():  # every op that can be recognised says how
        found = op.match(e, sympy)
        if found is not None:
            return list(found), lambda args, op=op: apply(op, *args)  # type: ignore[misc]
    if e.is_Pow:
        return list(e.args), lambda args: apply(_POW, args[0], args[1])
    if e.func is sympy.Heaviside and _STEP is not None:
        a = e.args[0]
        h0 = e.args[1] if len(e.args) > 1 else sympy.S.Half
        if not h0.is_Number:
            raise unsupported(e, f"Heaviside's value at 0 ({h0}) is not a number")

        def combine_heaviside(args: list[Var]) -> Var:
            # step(a) + h0*(1 - step(a) - step(-a)): 1 above 0, 0 below, h0 at 0 exactly.
            up, down = apply(_STEP, args[0]), apply(_STEP, args[1])  # type: ignore[arg-type]
            at_zero = apply(sub, apply(sub, constant(1), up), down)
            return apply(add, up, apply(mul, _as_constant(h0), at_zero))
        return [a, -a], combine_heaviside
    raise unsupported(e)

def _scaled(num: list[sympy.Expr], den: list[sympy.Expr], negative: bool
            ) -> tuple[list[sympy.Expr], Callable[[list[Var]], Var]]:
    """A product with a sum among its factors: numbers come in last.

    SymPy distributes a number over a sum it multiplies alone (``2*(x + y)`` is
    ``2*x + 2*y``), so ``2*(x + y)*exp(x)`` built left to right would lower to
    ``(2*x + 2*y)*exp(x)``; built as ``((x + y)*exp(x))*2`` it lowers to itself.
    """
    groups = [[f for f in num if not f.is_Number], [f for f in den if not f.is_Number],
              [f for f in num if f.is_Number], [f for f in den if f.is_Number]]
    if not groups[0]:  # 2/(x + y): the numerator is the number itself
        groups[0], groups[2] = groups[2], []
    sizes = [len(g) for g in groups]

    def combine(args: list[Var]) -> Var:
        parts, start = [], 0
        for size in sizes:
            parts.append(_fold(_MUL, args[start:start + size]) if size else None)
            start += size
        top, below, times, over = parts
        result = top if top is not None else constant(1)
        if below is not None:
            result = apply(_DIV, result, below)
        if times is not None:
            result = apply(_MUL, result, times)
        if over is not None:
            result = apply(_DIV, result, over)
        return apply(_NEG, result) if negative else result
    return [f for g in groups for f in g], combine

def _fold(op: Any, args: list[Var]) -> Var:
    acc = args[0]
    for a in args[1:]:
        acc = apply(op, acc, a)
    return acc

def symbol_names(expr: sympy.Basic) -> list[str]:
    """Names of the symbols of ``expr`` in first-seen order (left to right, pre-order)."""
    names: list[str] = []
    seen_names: set[str] = set()
    seen: set[sympy.Basic] = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen |= {e}
        if e.is_Symbol:
            if e.name not in seen_names:
                seen_names |= {e.name}
                names.append(e.name)
        else:
            stack.extend(reversed(e.args))
    return names

def _depth(expr: sympy.Basic, cap: int) -> int:
    """The depth of ``expr``'s tree, or ``cap`` if it is at least that deep (iterative)."""
    depth: dict[sympy.Basic, int] = {}
    stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
    while stack:
        e, ready = stack.pop()
        if ready:
            d = 1 + max((depth[a] for a in e.args), default=0)
            if d >= cap:
                return cap
            depth[e] = d
        elif e not in depth:
            stack.append((e, True))
            stack.extend((a, False) for a in e.args if a not in depth)
    return depth[expr]


# The op that is SymPy's Heaviside(a, 0), if the table has one: Heaviside(a, h0) with
# another value at 0 is built from it.
_STEP = next((op for op in OPS.values()
              if op.match(sympy.Heaviside(sympy.Symbol("a"), 0), sympy) is not None), None)
#: Expressions deeper than this are read in SymPy's internal argument order.
_ORDERED_DEPTH = 300

def build(expr: sympy.Expr, leaf: Callable[[str], Var]) -> Var:
    """The graph of ``expr``, iteratively; equal subexpressions become one node."""
    ordered = _depth(expr, _ORDERED_DEPTH) < _ORDERED_DEPTH
    memo: dict[sympy.Basic, Var] = {}
    stack: list[tuple[sympy.Expr, Any]] = [(expr, None)]
    while stack:
        e, plan = stack.pop()
        if plan is None:
            if e in memo:
                continue
            if e.is_Symbol:
                memo[e] = leaf(e.name)
                continue
            if e.is_Number or e.is_NumberSymbol:
                memo[e] = _as_constant(e)
                continue
            if not isinstance(e, sympy.Expr) or e.is_Atom:
                raise unsupported(e)
            plan = _plan(e, ordered)
            stack.append((e, plan))
            stack.extend((o, None) for o in reversed(plan[0]) if o not in memo)
        else:
            operands, combine = plan
            memo[e] = combine([memo[o] for o in operands])
    return memo[expr]

def _check_expr(expr: object) -> sympy.Expr:
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        return sympy.Float(expr) if isinstance(expr, float) else sympy.Integer(expr)
    if not isinstance(expr, sympy.Expr):
        hint = "; to read text use symgrad.parse()" if isinstance(expr, str) else ""
        raise InputError(f"from_sympy needs a SymPy expression, got {type(expr).__name__}: "
                         f"{expr!r:.60}{hint}")
    return expr

def from_sympy(expr: sympy.Expr, /, *, default: float | None = None,
               **values: float) -> Var:
    """Build a graph from a SymPy expression; its symbols become input Vars by name.

    Values are given as in :func:`symgrad.parse`: by name, or ``default=`` for every
    symbol without one; a missing value or a value for a name the expression does not
    use is an :class:`~symgrad.errors.InputError`.  Sums and products of many terms
    fold left (a negative term becomes a subtraction, a negative power a division),
    ``Pow(a, 1/2)`` becomes ``sqrt``, ``Max(0, a)`` ``relu`` and ``Heaviside(a, 0)``
    ``step``; anything the op table cannot express is an
    :class:`~symgrad.errors.UnsupportedError` naming it.  Equal subexpressions
    become one shared node.

    >>> import sympy
    >>> x, y = sympy.symbols("x y")
    >>> g = from_sympy(x**2 * sympy.exp(-y) - 1/x, x=2, y=0)
    >>> g.value, g.op.name
    (3.5, 'sub')
    >>> from symgrad import to_sympy
    >>> to_sympy(g)
    x**2*exp(-y) - 1/x
    >>> from_sympy(sympy.tan(x), x=1)
    Traceback (most recent call last):
    ...
    symgrad.errors.UnsupportedError: cannot build a graph from tan(x): tan is not in ...op table...
    """
    expr = _check_expr(expr)
    if default is not None:
        default = real(default, "default")
    names = symbol_names(expr)
    leaf_values = values_for(names, default, values)
    leaves = {n: Var(v, name=n) for n, v in leaf_values.items()}
    try:
        return build(expr, leaves.__getitem__)
    except RecursionError:
        raise deep_error("reading the expression") from None


# -- numbers from expressions ---------------------------------------------------------------
