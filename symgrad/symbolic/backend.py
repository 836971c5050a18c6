"""The symbolic backends: SymPy, the reference, and SymEngine, the fast one.

The op table's rules run on either: a backend is a math namespace made from the table
(each op's ``symbolic`` form in that module), how to write a symbol and a number in it,
``diff``, and the way back to SymPy.  Results handed to users are SymPy expressions
whichever backend computed them.

:data:`SYMPY` is the SymPy namespace.  The SymEngine one is made the same way, from
``op.symbolic_function(symengine)``; an op whose form SymEngine lacks (``step`` is
SymPy's ``Heaviside``) becomes an undefined SymEngine function named after the op,
which :func:`Backend.to_sympy` turns back into the op's own SymPy form.  Nothing
here is written per op.

>>> import sympy
>>> x = sympy.Symbol("x")
>>> SYMPY.sigmoid(x)
1/(1 + exp(-x))
>>> chosen = resolve("auto")
>>> chosen.name in ("sympy", "symengine")
True
>>> chosen.to_sympy([chosen.m.sigmoid(chosen.symbol("x"))])
[1/(1 + exp(-x))]
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import sympy

from .._check import choice
from ..errors import UnsupportedError
from ..ops import Op, namespace

__all__ = ["BACKENDS", "SYMPY", "Backend", "available", "number", "resolve"]

#: The values of every ``backend=`` argument.
BACKENDS = ("auto", "sympy", "symengine")

#: Above this exact exponent, a number raised to it is computed as a Float:
#: ``(1001/1000)**700000`` is a fine float but a rational with millions of digits.
_EXACT_POWER_LIMIT = 1000


def number(value: float) -> sympy.Expr:
    """A float as SymPy: exact when it was written as an integer or a short decimal.

    >>> number(3.0), number(0.1), number(-2.5e-05), number(1/3)
    (3, 1/10, -1/40000, 0.333333333333333)
    """
    if value.is_integer() and abs(value) <= 1e15:
        return sympy.Integer(int(value))
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    digits = mantissa.lstrip("-").replace(".", "").strip("0")
    if len(digits) <= 12 and (not exponent or abs(int(exponent)) <= 20):
        return sympy.Rational(text)
    return sympy.Float(value)


def _sympy_pow(base: Any, power: Any) -> sympy.Expr:
    """``sympy.Pow``, except that a number to a huge exact power is computed in Floats.

    SymPy raises a numeric coefficient to the power too (``(c*x)**n`` is
    ``c**n * x**n``), so the coefficient of a product is made a Float as well.
    """
    base, power = sympy.sympify(base), sympy.sympify(power)
    if power.is_Rational and abs(power) > _EXACT_POWER_LIMIT:
        coefficient, rest = base.as_coeff_Mul()
        if coefficient.is_Rational and coefficient not in (-1, 0, 1):
            base = sympy.Float(coefficient) * rest
    return sympy.Pow(base, power)


def _sympy_total(terms: list[Any]) -> Any:
    return terms[0] if len(terms) == 1 else sympy.Add(*terms)


#: The SymPy namespace: the op table's rules run on it for symbolic work.
SYMPY = namespace(lambda op: op.symbolic_function(sympy), pow=_sympy_pow, total=_sympy_total,
                  zero=sympy.S.Zero, one=sympy.S.One)


@dataclass(frozen=True, eq=False)
class Backend:
    """One symbolic module: its math namespace ``m``, symbols, numbers, ``diff`` and
    the conversion of its expressions to SymPy (``to_sympy``)."""

    name: str
    module: Any
    m: SimpleNamespace
    symbol: Callable[[str], Any]
    number: Callable[[float], Any]
    #: Undefined functions standing in for ops the module lacks, by function name.
    standins: dict[str, Op] = field(default_factory=dict)

    @property
    def one(self) -> Any:
        return self.number(1.0)

    @property
    def zero(self) -> Any:
        return self.number(0.0)

    def diff(self, expr: Any, name: str) -> Any:
        return self.module.diff(expr, self.symbol(name))

    def to_sympy(self, exprs: Sequence[Any], memo: dict[Any, sympy.Expr] | None = None
                 ) -> list[sympy.Expr]:
        """The SymPy forms of ``exprs``, converting each shared subexpression once
        (``memo`` carries the conversions over from an earlier call)."""
        if self.module is sympy:
            return list(exprs)
        return _from_symengine(exprs, self.standins, {} if memo is None else memo)


_SYMPY_BACKEND = Backend("sympy", sympy, SYMPY, sympy.Symbol, number)
_CACHE: dict[str, Backend | None] = {}


def _symengine() -> Backend | None:
    """The SymEngine backend, made from the op table on first use; None without it."""
    if "symengine" in _CACHE:
        return _CACHE["symengine"]
    try:
        se = importlib.import_module("symengine")
    except ImportError:
        _CACHE["symengine"] = None
        return None
    standins: dict[str, Op] = {}

    def primitive(op: Op) -> Callable[..., Any]:
        form = op.symbolic_function(se)
        try:
            form(*se.symbols(" ".join(f"a{i}" for i in range(op.arity + 1)))[:op.arity])
        except (AttributeError, TypeError, NotImplementedError, RuntimeError):
            standins[op.name] = op  # SymEngine lacks it: an undefined function
            return se.Function(op.name)  # type: ignore[no-any-return]
        return form

    def to_number(value: float) -> Any:
        n = number(value)
        if n.is_Integer:
            return se.Integer(int(n))
        if n.is_Rational:
            return se.Rational(int(n.p), int(n.q))
        return se.RealDouble(float(n))

    def power(base: Any, exponent: Any) -> Any:
        if isinstance(exponent, se.Rational) \
                and abs(exponent) > _EXACT_POWER_LIMIT:
            factors = base.args if isinstance(base, se.Mul) else (base,)
            base = se.Mul(*[se.RealDouble(float(f)) if isinstance(f, se.Rational)
                            and f not in (-1, 0, 1) else f for f in factors])
        return base**exponent

    def total(terms: list[Any]) -> Any:
        return terms[0] if len(terms) == 1 else se.Add(*terms)

    m = namespace(primitive, pow=power, total=total, zero=se.Integer(0), one=se.Integer(1))
    backend = Backend("symengine", se, m, se.Symbol, to_number, standins)
    _CACHE["symengine"] = backend
    return backend


def available() -> bool:
    """True when SymEngine can be imported (``backend="auto"`` then uses it)."""
    return _symengine() is not None


def resolve(backend: str, *, fast: bool = True) -> Backend:
    """The backend ``backend`` names; ``"auto"`` is SymEngine when it is installed and
    ``fast`` (symgrad passes ``False`` for graphs too deep for it), else SymPy.

    >>> resolve("sympy").name
    'sympy'
    >>> resolve("mathematica")
    Traceback (most recent call last):
    ...
    symgrad.errors.InputError: unknown backend='mathematica' (must be one of 'auto', ...)
    """
    choice("backend", backend, BACKENDS, keyword=True)
    if backend == "sympy":
        return _SYMPY_BACKEND
    engine = _symengine()
    if backend == "auto":
        return engine if engine is not None and fast else _SYMPY_BACKEND
    if engine is None:
        raise UnsupportedError("backend='symengine' needs the symengine package: install it "
                               "(pip install symengine, or symgrad[symengine]) or pass "
                               "backend='sympy' or 'auto'")
    return engine


def _from_symengine(exprs: Sequence[Any], standins: dict[str, Op],
                    memo: dict[Any, sympy.Expr]) -> list[sympy.Expr]:
    """SymEngine expressions as SymPy, iteratively; each distinct node is built once."""
    for root in exprs:
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            e, ready = stack.pop()
            if e in memo:
                continue
            if ready:
                memo[e] = _node(e, [memo[a] for a in e.args], standins)
                continue
            args = e.args
            if not args or e.is_Number:  # SymEngine's zoo has an argument
                memo[e] = _atom(e)
                continue
            stack.append((e, True))
            stack.extend((a, False) for a in args if a not in memo)
    return [memo[e] for e in exprs]


_ARITHMETIC = {"Add": sympy.Add, "Mul": sympy.Mul, "Pow": sympy.Pow}


def _atom(e: Any) -> sympy.Expr:
    kind = type(e).__name__
    if kind == "Symbol":
        return sympy.Symbol(e.name)
    if kind == "RealDouble":
        return sympy.Float(float(e))
    return e._sympy_()  # type: ignore[no-any-return]  # numbers and constants


def _node(e: Any, args: list[sympy.Expr], standins: dict[str, Op]) -> sympy.Expr:
    kind = type(e).__name__
    build = _ARITHMETIC.get(kind)
    if build is not None:
        return build(*args)  # type: ignore[no-any-return]
    if kind == "FunctionSymbol":
        name = e.get_name()
        op = standins.get(name)
        if op is not None:
            return op.symbolic_function(sympy)(*args)  # type: ignore[no-any-return]
        return sympy.Function(name)(*args)  # type: ignore[no-any-return]
    function = getattr(sympy, kind, None)
    if function is None or kind == "Derivative":  # a derivative SymEngine could not do
        raise UnsupportedError(f"cannot convert SymEngine's {kind} to SymPy; pass "
                               "backend='sympy'")
    return function(*args)  # type: ignore[no-any-return]

