"""Lowering graphs to SymPy, and symbolic backprop on them.

:data:`SYMPY` is the math namespace in which the op table's rules run on SymPy
expressions; it is made from the table (each op's ``symbolic`` form), with one
override: powers of numbers to huge exact exponents are computed as Floats.

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> derivative((x**2 + 3)**2 + x, x)
4*x*(x**2 + 3) + 1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from ..backprop import adjoints
from ..errors import InputError, UnsupportedError
from ..graph import check_var, leaf_named, nodes
from ..ops import CONST, namespace
from ..pathsum import DEFAULT_PATH_LIMIT, paths
from ..var import Var
from .tidy import tidy as readable

__all__ = ["SYMPY", "Gradient", "deep_error", "derivative", "gradient", "lower", "number",
           "path_terms", "resolve_target", "symbolic_adjoints", "to_sympy"]

#: Above this exact exponent, a number raised to it is computed as a Float:
#: ``(1001/1000)**700000`` is a fine float but a rational with millions of digits.
_EXACT_POWER_LIMIT = 1000


def _pow(base: Any, power: Any) -> sympy.Expr:
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


#: The SymPy namespace: the op table's rules run on it for symbolic work.
SYMPY = namespace(lambda op: op.symbolic_function(sympy), pow=_pow,
                  total=lambda terms: sympy.Add(*terms))

_ZERO, _ONE = sympy.Integer(0), sympy.Integer(1)


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

def deep_error(what: str) -> UnsupportedError:
    return UnsupportedError(
        f"SymPy hit Python's recursion limit while {what}: the expression is too deeply "
        "nested for SymPy (nested functions beyond a few hundred levels, or a printer "
        "or simplifier on a very deep expression); symgrad's numeric backprop, "
        "symgrad.grad and symgrad.gradcheck have no such limit")

def lower(out: Var) -> dict[Var, sympy.Expr]:
    """Every node of the graph as a SymPy expression, built once each (shared stays shared)."""
    memo: dict[Var, sympy.Expr] = {}
    by_name: dict[str, Var] = {}
    try:
        for node in nodes(out):
            op = node.op
            if op is None:
                name = node.name
                if not isinstance(name, str) or not name:
                    raise InputError(f"the input {node!r} has no name; give every input Var "
                                     "a name to lower it to SymPy")
                other = by_name.setdefault(name, node)
                if other is not node:
                    raise InputError(
                        f"two different input Vars are both named {name!r}, so SymPy "
                        "could not tell them apart; give them distinct names")
                memo[node] = sympy.Symbol(name)
            elif op is CONST:
                memo[node] = number(node.value)
            else:
                memo[node] = op.value(SYMPY, *[memo[a] for a in node.inputs])
    except RecursionError:
        raise deep_error("building the expression") from None
    return memo

def to_sympy(out: Var) -> sympy.Expr:
    """The graph under ``out`` as one SymPy expression, built by the op table's value rules.

    Input Vars become ``Symbol(name)``; constants are exact where they were integers
    or short decimals (``0.1`` becomes ``1/10``) and Floats otherwise.  Every node is
    lowered once, so shared subexpressions are shared in the result too.  Two
    different input Vars with the same name are an :class:`~symgrad.errors.InputError`.

    >>> from symgrad import Var
    >>> x = Var(0.5, name="x")
    >>> to_sympy(x.sigmoid() * 0.1 + x**2 / 3)
    x**2/3 + 1/(10*(1 + exp(-x)))
    """
    check_var(out)
    return lower(out)[out]

def symbolic_adjoints(out: Var, memo: dict[Var, sympy.Expr]) -> dict[Var, Any]:
    try:
        return adjoints(out, _ONE, SYMPY, value_of=memo.__getitem__)
    except RecursionError:
        raise deep_error("differentiating") from None

def resolve_target(wrt: Var | str, memo: dict[Var, sympy.Expr]) -> Var | None:
    """The node to differentiate by: a Var (None when not in the graph) or a leaf name."""
    if isinstance(wrt, str):
        return leaf_named(wrt, memo)
    check_var(wrt, "wrt")
    if wrt.op is CONST:
        raise InputError(f"wrt is a constant ({wrt!r}); differentiate by an input Var")
    return wrt if wrt in memo else None

def derivative(out: Var, wrt: Var | str, *, raw: bool = False) -> sympy.Expr:
    """d out / d wrt as a SymPy expression, by symbolic backprop over the graph.

    The op table's partial rules run on SymPy expressions and the engine's chain-rule
    loop multiplies them along paths and sums across paths.  ``wrt`` is an input Var,
    its name, or an inner node of the graph (then the result is that node's adjoint).
    A Var the output does not depend on gives 0.

    By default the result is tidied into a readable closed form: the candidate with
    the fewest operations among the accumulated form, ``factor_terms`` of it and (for
    expressions of a few hundred nodes at most) ``factor_terms(together(...))``;
    ``simplify`` is not tried, since its time is unpredictable.  ``raw=True`` returns
    the accumulation exactly as the chain rule produced it.

    >>> from symgrad import Var
    >>> x = Var(2.0, name="x")
    >>> derivative((x**2 + 3)**2 + x, x)
    4*x*(x**2 + 3) + 1
    >>> derivative(x.sigmoid(), x)
    exp(x)/(exp(x) + 1)**2
    """
    check_var(out)
    memo = lower(out)
    target = resolve_target(wrt, memo)
    if target is None:
        return _ZERO
    d = symbolic_adjoints(out, memo).get(target, _ZERO)
    return d if raw else readable(d)

def _local(node: Var, i: int, memo: dict[Var, sympy.Expr]) -> sympy.Expr:
    op = node.op
    assert op is not None and op is not CONST
    return sympy.sympify(op.partials[i](SYMPY, memo[node], *[memo[a] for a in node.inputs]))

def path_terms(out: Var, wrt: Var | str, *, limit: int = DEFAULT_PATH_LIMIT
               ) -> list[sympy.Expr]:
    """For each path from ``out`` down to ``wrt``, the product of its symbolic local factors.

    The paths are those of :func:`symgrad.paths`, in the same order, and their terms
    sum to :func:`derivative`.  More than ``limit`` paths raise
    :class:`~symgrad.errors.PathLimitError`.

    >>> from symgrad import Var
    >>> x = Var(2.0, name="x")
    >>> path_terms((x**2 + 3)**2 + x, x)
    [2*x*(2*x**2 + 6), 1]
    """
    check_var(out)
    memo = lower(out)
    target = resolve_target(wrt, memo)
    if target is None:
        return []
    factors: dict[tuple[Var, int], sympy.Expr] = {}
    terms = []
    try:
        for p in paths(out, target, limit=limit):
            product: list[sympy.Expr] = []
            for node, i in zip(p.nodes, p.positions, strict=False):
                f = factors.get((node, i))
                if f is None:
                    f = factors[node, i] = _local(node, i, memo)
                product.append(f)
            terms.append(sympy.Mul(*product))
    except RecursionError:
        raise deep_error("multiplying path factors") from None
    return terms


# -- the gradient ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Gradient:
    """Every partial derivative with common subexpressions pulled out by ``sympy.cse``.

    ``gradient(out, cse=True)`` returns one.  ``replacements`` is a tuple of
    ``(symbol, expression)`` pairs, in order (each may use the symbols before it), and
    ``exprs`` maps each input Var to its partial written with those symbols.
    ``gradient[x]`` (by Var or by name) gives the full partial without replacements.

    >>> from symgrad import Var
    >>> x, y = Var(1.0, name="x"), Var(2.0, name="y")
    >>> g = gradient((x * y).sin(), cse=True)
    >>> g.replacements
    ((t0, cos(x*y)),)
    >>> [str(e) for e in g.exprs.values()]
    ['t0*y', 't0*x']
    >>> g["x"]
    y*cos(x*y)
    >>> print(g)
    t0 = cos(x*y)
    d/dx = t0*y
    d/dy = t0*x
    """

    replacements: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    exprs: dict[Var, sympy.Expr]
    _full: dict[Var, sympy.Expr] = field(repr=False, compare=False)

    def __getitem__(self, leaf: Var | str) -> sympy.Expr:
        if isinstance(leaf, str):
            for v, e in self._full.items():
                if v.name == leaf:
                    return e
            raise KeyError(leaf)
        return self._full[leaf]

    def full(self) -> dict[Var, sympy.Expr]:
        """The partials with every replacement substituted back (as ``gradient()`` gives)."""
        return dict(self._full)

    def count_ops(self) -> int:
        """Operations in the replacements and the partials together (the shared size)."""
        return int(sum(sympy.count_ops(e) for _, e in self.replacements)
                   + sum(sympy.count_ops(e) for e in self.exprs.values()))

    def __str__(self) -> str:
        lines = [f"{s} = {e}" for s, e in self.replacements]
        lines += [f"d/d{v.name} = {e}" for v, e in self.exprs.items()]
        return "\n".join(lines)

def gradient(out: Var, *, cse: bool = False, tidy: bool = False
             ) -> dict[Var, sympy.Expr] | Gradient:
    """d out / d x for every input Var ``x``, from ONE symbolic reverse pass.

    Returns ``{input Var: SymPy expression}`` in the order of :func:`symgrad.leaves`,
    each partial as the chain rule accumulated it (``tidy=True`` tidies each one
    as :func:`derivative` does, which costs time on big graphs).  With ``cse=True`` a
    :class:`Gradient` is returned instead, whose ``replacements`` hold the common
    subexpressions that ``sympy.cse`` found across all partials.

    >>> from symgrad import Var
    >>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
    >>> g = gradient((x**2 + 3)**2 + x * y, tidy=True)
    >>> {v.name: e for v, e in g.items()}
    {'x': 4*x*(x**2 + 3) + y, 'y': x}
    """
    check_var(out)
    memo = lower(out)
    adj = symbolic_adjoints(out, memo)
    result = {v: adj.get(v, _ZERO) for v in memo if v.op is None}
    if tidy:
        result = {v: readable(e) for v, e in result.items()}
    if not cse:
        return result
    prefix = _fresh_prefix({v.name for v in result if v.name})
    try:
        replacements, reduced = sympy.cse(list(result.values()),
                                          symbols=sympy.numbered_symbols(prefix))
    except RecursionError:
        raise deep_error("extracting common subexpressions") from None
    return Gradient(tuple(replacements), dict(zip(result, reduced, strict=True)), result)

def _fresh_prefix(names: set[str]) -> str:
    """A prefix for cse symbols (t0, t1, ...) that no input name could be confused with."""
    for prefix in ("t", "c", "u", "tmp", "cse_t"):
        if not any(n.startswith(prefix) and n[len(prefix):].isdigit() for n in names):
            return prefix
    return "_cse"

