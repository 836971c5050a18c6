"""The text of a figure's labels: numbers, op captions and local-derivative formulas.

Nothing here knows DOT; :mod:`symgrad.render.dot` quotes what this module writes.

Formulas are not a second derivative table.  They come from applying the op table's
own partial rule to SymPy symbols (``op.partials[i](SYMPY, out, u, v)``) and printing
the result on one line in Unicode, with ``·`` for products, superscript integer powers,
``−`` for minus and ``√`` for square roots:

>>> from symgrad.ops import OPS
>>> partial_formula(OPS["pow"], 0)                  # d(u**v)/du
'v·u^(v−1)'
>>> partial_formula(OPS["pow"], 0, (None, 2.0))     # with the exponent a constant 2
'2u'
>>> partial_formula(OPS["sigmoid"], 0)
'σ(u)·(1 − σ(u))'
>>> partial_formula(OPS["div"], 1)
'−u/v²'

An op's operands are written ``u`` and ``v`` (the letters of the product rule, (uv)′ =
u′v + uv′), by argument position.  A figure must never let an operand be read as one
of its inputs, so :func:`operand_names` picks, per figure, the first pair in
:data:`OPERAND_CHOICES` that no input is called (a neuron with a bias ``v`` is drawn
with ``p`` and ``q``).
>>> fmt_number(0.7310585786300049), fmt_number(-3.0), fmt_number(1e-7)
('0.7311', '−3', '1e−07')

SymPy is imported on the first formula, never at ``import symgrad``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from fractions import Fraction
from functools import lru_cache
from typing import Any

from ..ops import OPS, Op, namespace

__all__ = [
    "ARG_NAMES",
    "OPERAND_CHOICES",
    "exact_number",
    "fmt_number",
    "format_expr",
    "formula_namespace",
    "fresh",
    "op_caption",
    "operand_names",
    "partial_formula",
]

#: The names of an op's arguments by position, as the edge labels and formulas use them,
#: unless an input of the figure is called that (see :func:`operand_names`).
ARG_NAMES = ("u", "v")
#: The operand names a figure may use, in order of preference.
OPERAND_CHOICES = (ARG_NAMES, ("p", "q"), ("s", "t"), ("α", "β"), ("ξ", "η"))


def _key(name: str) -> str:
    """What a reader could take a name for: case and compatibility forms folded."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def operand_names(names: Iterable[str | None]) -> tuple[str, str]:
    """The operand names for a figure whose inputs are called ``names``: the first pair
    of :data:`OPERAND_CHOICES` that no input is called, or is called with an index
    (compared without case and compatibility forms, so ``V``, ``ｖ``, ``v1``, ``v_2`` and
    ``v₃`` all block ``v``).  Primes are added if every pair is taken, so the result is
    never an input's name.

    >>> operand_names(["x", "y"]), operand_names(["w1", "b", "v"]), operand_names(["U"])
    (('u', 'v'), ('p', 'q'), ('p', 'q'))
    >>> operand_names(["v0", "v1", "c"]), operand_names(["value", "u_max"])
    (('p', 'q'), ('u', 'v'))
    >>> operand_names([a for pair in OPERAND_CHOICES for a in pair])
    ('u′', 'v′')
    """
    taken = {_key(n) for n in names if n}
    indexed = {m.group(1) for t in taken if (m := _INDEXED.fullmatch(t))}
    for pair in OPERAND_CHOICES:
        keys = {_key(a) for a in pair}
        if not (taken | indexed) & keys:
            return pair
    return (fresh(ARG_NAMES[0] + "′", taken), fresh(ARG_NAMES[1] + "′", taken))


# A name that reads as a letter with an index: v1, v_2, v₃ (NFKC makes it v3), v′.
_INDEXED = re.compile(r"([^\W\d_])_?[0-9′]+")


def fresh(name: str, taken: Iterable[str]) -> str:
    """``name``, primed until no name in ``taken`` reads the same.

    >>> fresh("z", ["x", "z", "Z′"])
    'z″'
    """
    keys = {_key(t) for t in taken}
    text = name
    while _key(text) in keys:
        text += "′"
    return text.replace("′′", "″")

def fmt_number(value: float, digits: int = 4) -> str:
    """A number as a figure shows it: ``digits`` significant digits, integers exact.

    A typographic minus sign (``−``) is used, as in the formulas.

    >>> fmt_number(56.0), fmt_number(2.5), fmt_number(1/3, digits=2), fmt_number(-0.0)
    ('56', '2.5', '0.33', '0')
    """
    if value == 0.0:
        return "0"
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = f"{value:.{digits}g}"
    return text.replace("-", "−")


def _sympy() -> Any:
    import sympy

    return sympy


def exact_number(value: float) -> Any:
    """A constant as SymPy sees it in a formula: exact when it is a short decimal."""
    sp = _sympy()
    if value.is_integer() and abs(value) < 1e15:
        return sp.Integer(int(value))
    frac = Fraction(repr(value))
    if frac.denominator <= 1000:
        return sp.Rational(frac.numerator, frac.denominator)
    return sp.Float(value, 4)


@lru_cache(maxsize=1)
def formula_namespace() -> Any:
    """The namespace formulas are written in: SymPy's, except that an op SymPy has no
    single function for stays a named call (``σ(a)``, ``relu(a)``, ``step(a)``), as a
    reader of the figure knows it, instead of SymPy's expansion of it."""
    from ..symbolic import SYMPY

    sp = _sympy()
    opaque = {op.name: sp.Function(op.symbol) for op in OPS.values()
              if op.primitive and op.function and callable(op.symbolic)}
    return namespace(lambda op: opaque.get(op.name) or getattr(SYMPY, op.name),
                     total=SYMPY.total)


def _symbols(op: Op, consts: tuple[float | None, ...],
             names: tuple[str, ...] = ARG_NAMES) -> tuple[Any, Any]:
    """SymPy arguments (symbols, or exact constants) and the op's output in them."""
    sp = _sympy()

    args = tuple(
        sp.Symbol(names[i]) if i >= len(consts) or consts[i] is None
        else exact_number(consts[i])  # type: ignore[arg-type]
        for i in range(op.arity)
    )
    # A function op's output stays opaque, so sigmoid's partial reads σ(a)·(1 − σ(a))
    # rather than SymPy's expansion of 1/(1 + exp(−a)).
    out = sp.Function(op.symbol)(*args) if op.function else op.value(formula_namespace(), *args)
    return args, out


@lru_cache(maxsize=512)
def partial_formula(op: Op, i: int, consts: tuple[float | None, ...] = (),
                    names: tuple[str, ...] = ARG_NAMES) -> str:
    """The formula of d op / d argument ``i``, in the operand names ``names``.

    ``consts[j]`` is the value of argument ``j`` when it is a constant that is
    substituted into the formula (``None`` keeps the symbol).

    >>> from symgrad.ops import OPS
    >>> partial_formula(OPS["mul"], 0), partial_formula(OPS["mul"], 0, (None, 3.0))
    ('v', '3')
    >>> partial_formula(OPS["tanh"], 0), partial_formula(OPS["sqrt"], 0)
    ('1 − tanh(u)²', '1/(2√u)')
    >>> partial_formula(OPS["div"], 1, names=("p", "q"))
    '−p/q²'
    """
    sp = _sympy()
    m = formula_namespace()
    args, out = _symbols(op, consts, names)
    expr = sp.sympify(op.partials[i](m, out, *args))
    if any(c is not None for c in consts) and expr.has(sp.I, sp.zoo, sp.nan, sp.oo):
        # A constant outside the formula's real domain (log(−2) = log 2 + iπ): keep the
        # general formula; the edge's number then says "undefined".
        args, out = _symbols(op, (), names)
        expr = sp.sympify(op.partials[i](m, out, *args))
    return format_expr(expr)


@lru_cache(maxsize=512)
def op_caption(op: Op, consts: tuple[float | None, ...] = (), digits: int = 4,
               names: tuple[str, ...] = ARG_NAMES) -> str:
    """The text in an op node: the op's symbol, with constant arguments written in.

    Without constants it is the op table's symbol.  With a constant it shows where the
    constant goes, in the operand names the edges use:

    >>> from symgrad.ops import OPS
    >>> op_caption(OPS["mul"]), op_caption(OPS["pow"], (None, 2.0))
    ('×', 'u²')
    >>> op_caption(OPS["pow"], (None, 0.5)), op_caption(OPS["pow"], (2.0, None))
    ('u ^ 0.5', '2 ^ v')
    >>> op_caption(OPS["mul"], (0.5, None)), op_caption(OPS["neg"])
    ('0.5 × v', '−')
    """
    texts = tuple(names[i] if i >= len(consts) or consts[i] is None
                  else fmt_number(consts[i], digits)  # type: ignore[arg-type]
                  for i in range(op.arity))
    if all(c is None for c in consts):  # the symbol alone, or the op's own caption
        return (op.caption(texts, consts) if op.caption else None) or op.symbol
    return op.label(texts, consts)


# -- a one-line Unicode printer for the small expressions partial rules give ----------

_ADD_PREC, _MUL_PREC, _POW_PREC, _ATOM_PREC = 1, 2, 3, 4
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _op_call(expr: Any) -> str | None:
    """``expr`` written as the op table's call (``step(a)`` for Heaviside(a, 0)), if any."""
    for op in OPS.values():
        if op.function:
            operands = op.match(expr, _sympy())
            if operands is not None:
                return f"{op.symbol}({', '.join(_fmt(a)[0] for a in operands)})"
    return None


def format_expr(expr: Any) -> str:
    """One line of Unicode for a SymPy expression: ``b·a^(b−1)``, ``−a/b²``, ``2a``.

    >>> import sympy
    >>> a, b = sympy.symbols("a b")
    >>> format_expr(a**b * sympy.log(a)), format_expr(1 - sympy.tanh(a)**2)
    ('a^b·log(a)', '1 − tanh(a)²')
    >>> format_expr(sympy.Heaviside(a, 0)), format_expr(-(a + b)**3 / 2)
    ('step(a)', '−(a + b)³/2')
    >>> format_expr(sympy.Function("σ′")(a) * b)           # a derivative, by its name
    'b·σ′(a)'
    """
    return _fmt(expr)[0]


def _prec_of(expr: Any) -> int:
    sp = _sympy()
    if expr.is_Add:
        return _ADD_PREC
    if expr.is_Mul or (expr.is_Rational and not expr.is_Integer):
        return _MUL_PREC
    if expr.is_Number and expr.is_negative:
        return _ADD_PREC
    if expr.is_Pow and expr.args[1] != sp.Rational(1, 2):
        return _POW_PREC
    return _ATOM_PREC


def _wrap(expr: Any, above: int) -> str:
    """``expr`` printed, in parentheses when it binds less tightly than ``above``."""
    text, prec = _fmt(expr)
    return f"({text})" if prec < above else text


def _fmt(expr: Any) -> tuple[str, int]:
    """(text, precedence) of ``expr``; walks only the expression, never a graph."""
    sp = _sympy()
    if expr.is_Integer:
        return str(int(expr)).replace("-", "−"), _prec_of(expr)
    if expr.is_Rational:
        return f"{expr.p}/{expr.q}".replace("-", "−"), _prec_of(expr)
    if expr.is_Float:
        return fmt_number(float(expr)), _prec_of(expr)
    if expr.is_Symbol:
        return expr.name, _ATOM_PREC
    if expr.is_Add:
        return _fmt_add(expr), _ADD_PREC
    if expr.is_Mul:
        return _fmt_mul(expr)
    if expr.is_Pow:
        return _fmt_pow(expr)
    if isinstance(expr, sp.Function) or getattr(expr, "is_Function", False):
        known = _op_call(expr)
        if known is not None:
            return known, _ATOM_PREC
        name = getattr(expr.func, "__name__", "f")
        if len(expr.args) == 1 and not name.rstrip("′").isalnum():  # √ reads as prefix
            return name + _wrap(expr.args[0], _ATOM_PREC), _ATOM_PREC
        name = name.lower() if name in ("Max", "Min") else name
        return f"{name}({', '.join(_fmt(a)[0] for a in expr.args)})", _ATOM_PREC
    return str(expr).replace("-", "−").replace("**", "^").replace("*", "·"), _ATOM_PREC


def _fmt_add(expr: Any) -> str:
    out = ""
    for k, term in enumerate(expr.as_ordered_terms()):
        negative = term.could_extract_minus_sign()
        body = _wrap(-term if negative else term, _ADD_PREC + 1)
        if k == 0:
            out = ("−" if negative else "") + body
        else:
            out += (" − " if negative else " + ") + body
    return out


def _factor_key(f: Any) -> int:
    """Numbers first, then symbols, then powers and functions, then sums."""
    if f.is_Number:
        return 0
    if f.is_Symbol:
        return 1
    if f.is_Add:
        return 3
    return 2


def _product(factors: list[Any]) -> str:
    """Factors joined by ``·``, a leading number written next to what follows (``2a``)."""
    factors = sorted(factors, key=_factor_key)
    text = ""
    for k, f in enumerate(factors):
        piece = _wrap(f, _MUL_PREC + 1 if f.is_Add else _MUL_PREC)
        if k == 0:
            text = piece
        elif factors[k - 1].is_Number and not f.is_Number and not piece.startswith("("):
            text += piece
        else:
            text += "·" + piece
    return text


def _fmt_mul(expr: Any) -> tuple[str, int]:
    sp = _sympy()
    negative = expr.could_extract_minus_sign()
    if negative:
        expr = -expr
    num, den = [], []
    for f in expr.as_ordered_factors():
        if f.is_Rational and not f.is_Integer:
            if f.p != 1:
                num.append(sp.Integer(f.p))
            den.append(sp.Integer(f.q))
        elif f.is_Pow and f.args[1].is_number and f.args[1].is_negative:
            den.append(f.args[0] ** (-f.args[1]))
        else:
            num.append(f)
    sign = "−" if negative else ""
    top = _product(num) if num else "1"
    if not den:
        if negative and len(num) == 1:
            return sign + _wrap(num[0], _MUL_PREC), _ADD_PREC
        return sign + top, (_ADD_PREC if negative else _MUL_PREC)
    bottom = _product(den)  # a sum is already in parentheses
    if len(den) > 1:
        bottom = f"({bottom})"
    return f"{sign}{top}/{bottom}", (_ADD_PREC if negative else _MUL_PREC)


def _fmt_pow(expr: Any) -> tuple[str, int]:
    sp = _sympy()
    base, exp = expr.args
    if exp == sp.Rational(1, 2):
        return "√" + _wrap(base, _ATOM_PREC), _ATOM_PREC
    if exp.is_number and exp.is_negative:
        # A reciprocal on its own: 1/b, 1/b².
        return f"1/{_wrap(base ** (-exp), _POW_PREC)}", _MUL_PREC
    base_text = _wrap(base, _ATOM_PREC)
    if exp.is_Integer:
        return base_text + str(int(exp)).translate(_SUPERSCRIPT), _POW_PREC
    # Exponents are set tight, as a reader writes them: a^(b−1).
    return f"{base_text}^{_wrap(exp, _ATOM_PREC).replace(' ', '')}", _POW_PREC
