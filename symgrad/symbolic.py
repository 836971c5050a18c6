"""The SymPy bridge: lowering graphs to SymPy, symbolic backprop, and verification.

:data:`SYMPY` is the math namespace in which the op table's rules run on SymPy
expressions.  Applied to symbols, a partial rule gives the formula of an edge's local
derivative:

>>> import sympy
>>> from symgrad.ops import OPS
>>> a, b = sympy.symbols("a b")
>>> OPS["pow"].partials[0](SYMPY, a**b, a, b)
a**(b - 1)*b

Everything else here is built from that one idea, without a second table of rules:

* :func:`to_sympy` lowers a graph with each op's *value* rule run on SymPy;
* :func:`derivative` and :func:`gradient` are symbolic backprop: the engine's one
  chain-rule loop (:func:`symgrad.backprop.adjoints`) run with the *partial* rules on
  SymPy expressions, so a shared subexpression is differentiated once;
* :func:`path_terms` lists the product of the symbolic local derivatives along each
  path; they sum to the derivative;
* :func:`from_sympy` goes back from a SymPy expression to a graph;
* :func:`verify` checks numeric backprop, symbolic backprop, ``sympy.diff`` and finite
  differences against each other.

>>> from symgrad import Var
>>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
>>> z = (x**2 + 3)**2 + y
>>> to_sympy(z)
y + (x**2 + 3)**2
>>> derivative(z, x)
4*x*(x**2 + 3)
>>> derivative(z, "x", raw=True)        # the accumulation as the chain rule left it
2*x*(2*x**2 + 6)

Leaves become plain ``Symbol(name)`` (no assumptions), so expressions print as they
were written.  Nothing here recurses on the depth of a graph; SymPy itself does,
though (its printers, ``subs`` and some constructors), so very deep expressions can
hit Python's recursion limit inside SymPy: that is reported as an
:class:`~symgrad.errors.UnsupportedError`.  Arithmetic chains of 100,000 nodes lower
fine; nesting functions (``sin(sin(...))``) fails in SymPy beyond about 300 levels.
"""

from __future__ import annotations

import html
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import sympy

from .backprop import DEFAULT_PATH_LIMIT, adjoints, grad, paths
from .errors import DomainError, InputError, UnsupportedError, VerificationError
from .finite import numeric_grad
from .graph import check_var, leaf_named, nodes
from .ops import CONST, OPS
from .parse import _leaf_values
from .var import Var, apply, constant

__all__ = [
    "SYMPY", "Gradient", "VerificationReport", "VerificationRow", "derivative",
    "from_sympy", "gradient", "path_terms", "same_function", "to_sympy", "verify",
]


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
SYMPY = SimpleNamespace(
    exp=sympy.exp,
    log=sympy.log,
    sin=sympy.sin,
    cos=sympy.cos,
    tanh=sympy.tanh,
    sqrt=sympy.sqrt,
    sigmoid=lambda a: 1 / (1 + sympy.exp(-a)),
    relu=lambda a: sympy.Max(0, a),
    step=lambda a: sympy.Heaviside(a, 0),
    total=lambda terms: sympy.Add(*terms),
    pow=_pow,
)

_ZERO, _ONE = sympy.Integer(0), sympy.Integer(1)
_POW = OPS["pow"]
#: ``derivative`` tries ``together`` only on expressions of at most this many nodes ...
_TOGETHER_MAX = 400
#: ... and ``factor_terms`` only up to this many; bigger results stay as accumulated.
_FACTOR_MAX = 1500
#: ``verify`` proves symbolic equality with ``cancel`` up to this many nodes ...
_CANCEL_MAX = 1000
#: ... and with ``simplify`` only up to this many (its time is unpredictable).
_SIMPLIFY_MAX = 40


# -- lowering -----------------------------------------------------------------------------

def _number(value: float) -> sympy.Expr:
    """A float as SymPy: exact when it was written as an integer or a short decimal.

    >>> _number(3.0), _number(0.1), _number(-2.5e-05), _number(1/3)
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


def _deep(what: str) -> UnsupportedError:
    return UnsupportedError(
        f"SymPy hit Python's recursion limit while {what}: the expression is too deeply "
        "nested for SymPy (nested functions beyond a few hundred levels, or a printer "
        "or simplifier on a very deep expression); symgrad's numeric backprop, "
        "symgrad.grad and symgrad.gradcheck have no such limit")


def _lower(out: Var) -> dict[Var, sympy.Expr]:
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
                memo[node] = _number(node.value)
            else:
                memo[node] = op.value(SYMPY, *[memo[a] for a in node.inputs])
    except RecursionError:
        raise _deep("building the expression") from None
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
    return _lower(out)[out]


def _symbolic_adjoints(out: Var, memo: dict[Var, sympy.Expr]) -> dict[Var, Any]:
    try:
        return adjoints(out, _ONE, SYMPY, value_of=memo.__getitem__)
    except RecursionError:
        raise _deep("differentiating") from None


def _target(wrt: Var | str, memo: dict[Var, sympy.Expr]) -> Var | None:
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
    memo = _lower(out)
    target = _target(wrt, memo)
    if target is None:
        return _ZERO
    d = _symbolic_adjoints(out, memo).get(target, _ZERO)
    return d if raw else _tidy(d)


def _tree_size(expr: sympy.Basic, cap: int) -> int:
    """Nodes of ``expr`` as a tree (repeats counted), counting no further than ``cap``."""
    count, stack = 0, [expr]
    while stack and count < cap:
        count += 1
        stack.extend(stack.pop().args)
    return count


def _functions(expr: sympy.Basic) -> set[type]:
    """The classes of the functions used in ``expr`` (exp, tanh, Heaviside, ...)."""
    found, stack = set(), [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, sympy.Function):
            found.add(e.func)
        stack.extend(e.args)
    return found


def _tidy(expr: sympy.Expr) -> sympy.Expr:
    """A readable form of ``expr``, in time bounded by its size (see :func:`derivative`).

    Candidates: ``factor_terms`` and ``factor_terms(together(...))`` (the second on
    expressions of at most a few hundred nodes); one that brings in functions the
    expression did not use is dropped.  The fewest ``count_ops`` wins, the first
    among equals; the accumulated form itself is the fallback.  ``simplify`` is not
    used: its time is unpredictable (over 10 s on an 80-node sigmoid/tanh derivative).
    """
    size = _tree_size(expr, _FACTOR_MAX + 1)
    if size > _FACTOR_MAX:
        return expr
    try:
        # sign=False keeps -(b + w*x) from appearing beside -b - w*x in one result
        candidates = [sympy.factor_terms(expr, sign=False)]
        if size <= _TOGETHER_MAX:
            candidates.append(sympy.factor_terms(sympy.together(expr), sign=False))
    except RecursionError:  # pragma: no cover - bounded sizes keep SymPy shallow
        return expr
    allowed = _functions(expr)
    candidates = [c for c in candidates if _functions(c) <= allowed]
    candidates.append(expr)
    return min(candidates, key=sympy.count_ops)  # the first among equals


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
    memo = _lower(out)
    target = _target(wrt, memo)
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
        raise _deep("multiplying path factors") from None
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
    memo = _lower(out)
    adj = _symbolic_adjoints(out, memo)
    result = {v: adj.get(v, _ZERO) for v in memo if v.op is None}
    if tidy:
        result = {v: _tidy(e) for v, e in result.items()}
    if not cse:
        return result
    prefix = _fresh_prefix({v.name for v in result if v.name})
    try:
        replacements, reduced = sympy.cse(list(result.values()),
                                          symbols=sympy.numbered_symbols(prefix))
    except RecursionError:
        raise _deep("extracting common subexpressions") from None
    return Gradient(tuple(replacements), dict(zip(result, reduced, strict=True)), result)


def _fresh_prefix(names: set[str]) -> str:
    """A prefix for cse symbols (t0, t1, ...) that no input name could be confused with."""
    for prefix in ("t", "c", "u", "tmp", "cse_t"):
        if not any(n.startswith(prefix) and n[len(prefix):].isdigit() for n in names):
            return prefix
    return "_cse"


# -- from SymPy -----------------------------------------------------------------------------

_FUNCTION_OPS = {sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos",
                 sympy.tanh: "tanh"}
_SUPPORTED = ("numbers, symbols, + - * / **, exp, log, sin, cos, tanh, sqrt, "
              "Max(0, a) (as relu) and Heaviside(a, H0) (as step)")


def _short(expr: sympy.Basic, limit: int = 60) -> str:
    try:
        text = str(expr)
    except RecursionError:
        text = f"{type(expr).__name__}(...)"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _unsupported(expr: sympy.Basic, why: str | None = None) -> UnsupportedError:
    name = getattr(expr.func, "__name__", type(expr).__name__)
    why = why or f"{name} is not in symgrad's op table"
    return UnsupportedError(f"cannot build a graph from {_short(expr)}: {why} "
                            f"(supported: {_SUPPORTED})")


def _as_constant(n: sympy.Expr) -> Var:
    """A SymPy number as a constant node; rationals that floats cannot show exactly
    (1/3) become a division of two constants, so lowering gives them back exactly."""
    if n.is_Rational and not n.is_Integer and _number(float(n)) != n:
        return apply(OPS["div"], _as_constant(sympy.Integer(n.p)),
                     _as_constant(sympy.Integer(n.q)))
    if not (n.is_Number or n.is_NumberSymbol) or not n.is_extended_real:
        raise _unsupported(n, f"{_short(n)} is not a real number")
    try:
        value = float(n)
    except (OverflowError, TypeError, ValueError):
        value = math.inf
    if not math.isfinite(value):
        raise _unsupported(n, f"{_short(n)} is not a finite float")
    return constant(value)


def _plan(e: sympy.Expr, ordered: bool
          ) -> tuple[list[sympy.Expr], Callable[[list[Var]], Var]]:
    """The operands ``e`` is built from, and how to combine their graphs into ``e``'s.

    With ``ordered``, terms and factors come in printing order (SymPy computes that
    order recursively, so it is skipped for very deep expressions).
    """
    add, sub, mul, div = (OPS[n] for n in ("add", "sub", "mul", "div"))
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
    if e.is_Mul or (e.is_Pow and e.exp.is_Number and e.exp.is_extended_negative):
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
            elif f.is_Pow and f.exp.is_Number and f.exp.is_extended_negative:
                den.append(f.base if f.exp == -1 else sympy.Pow(f.base, -f.exp))
            else:
                num.append(f)
        n_num = len(num)

        def combine_mul(args: list[Var]) -> Var:
            top = _fold(mul, args[:n_num]) if n_num else constant(1)
            result = apply(div, top, _fold(mul, args[n_num:])) if den else top
            return apply(OPS["neg"], result) if negative else result
        return num + den, combine_mul
    if e.is_Pow:
        base, power = e.args
        if power == sympy.S.Half:
            return [base], lambda args: apply(OPS["sqrt"], args[0])
        return [base, power], lambda args: apply(_POW, args[0], args[1])
    func = e.func
    if func in _FUNCTION_OPS and len(e.args) == 1:
        op = OPS[_FUNCTION_OPS[func]]
        return [e.args[0]], lambda args: apply(op, args[0])
    if func is sympy.Max and len(e.args) == 2 and _ZERO in e.args:
        other = e.args[1] if e.args[0] == 0 else e.args[0]
        return [other], lambda args: apply(OPS["relu"], args[0])
    if func is sympy.Heaviside:
        a = e.args[0]
        h0 = e.args[1] if len(e.args) > 1 else sympy.S.Half
        if not h0.is_Number:
            raise _unsupported(e, f"Heaviside's value at 0 ({h0}) is not a number")
        if h0 == 0:
            return [a], lambda args: apply(OPS["step"], args[0])

        def combine_heaviside(args: list[Var]) -> Var:
            # step(a) + h0*(1 - step(a) - step(-a)): 1 above 0, 0 below, h0 at 0 exactly.
            up, down = apply(OPS["step"], args[0]), apply(OPS["step"], args[1])
            at_zero = apply(sub, apply(sub, constant(1), up), down)
            return apply(add, up, apply(mul, _as_constant(h0), at_zero))
        return [a, -a], combine_heaviside
    raise _unsupported(e)


def _fold(op: Any, args: list[Var]) -> Var:
    acc = args[0]
    for a in args[1:]:
        acc = apply(op, acc, a)
    return acc


def _symbol_names(expr: sympy.Basic) -> list[str]:
    """Names of the symbols of ``expr`` in first-seen order (left to right, pre-order)."""
    names: list[str] = []
    seen_names: set[str] = set()
    seen: set[sympy.Basic] = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        if e.is_Symbol:
            if e.name not in seen_names:
                seen_names.add(e.name)
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


#: Expressions deeper than this are read in SymPy's internal argument order.
_ORDERED_DEPTH = 300


def _build(expr: sympy.Expr, leaf: Callable[[str], Var]) -> Var:
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
                raise _unsupported(e)
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
    >>> to_sympy(g)
    x**2*exp(-y) - 1/x
    >>> from_sympy(sympy.tan(x), x=1)
    Traceback (most recent call last):
    ...
    symgrad.errors.UnsupportedError: cannot build a graph from tan(x): tan is not in ...op table...
    """
    expr = _check_expr(expr)
    if default is not None and (isinstance(default, bool) or not isinstance(default, (int, float))):
        raise InputError(f"default must be a real number, got {default!r}")
    names = _symbol_names(expr)
    leaf_values = _leaf_values(names, default, values)
    leaves = {n: Var(v, name=n) for n, v in leaf_values.items()}
    try:
        return _build(expr, leaves.__getitem__)
    except RecursionError:
        raise _deep("reading the expression") from None


# -- numbers from expressions ---------------------------------------------------------------

def _float_value(expr: sympy.Expr, values: dict[str, float]) -> float:
    """``expr`` evaluated in floats at ``values`` (by symbol name), through a graph.

    Safe where SymPy's exact arithmetic is not (``2**(10**300)`` overflows at once
    instead of building a huge integer).  Falls back to ``evalf`` for functions the op
    table lacks (``DiracDelta`` ...).  Undefined points raise DomainError.
    """
    try:
        return _build(expr, lambda n: Var(values[n], name=n)).value
    except UnsupportedError:
        return _precise_value(expr, values, 30)
    except RecursionError:
        raise _deep("evaluating an expression") from None


def _precise_value(expr: sympy.Expr, values: dict[str, float], digits: int) -> float:
    subs = {s: sympy.Float(values[s.name], digits) for s in expr.free_symbols
            if isinstance(s, sympy.Symbol)}
    try:
        z = complex(expr.evalf(digits, subs=subs))
    except (TypeError, ValueError, RecursionError) as exc:
        raise DomainError(f"{_short(expr)} has no numeric value at {_point(values)} "
                          f"({exc})") from None
    if abs(z.imag) > 1e-12 * max(1.0, abs(z.real)) or not math.isfinite(z.real):
        raise DomainError(f"{_short(expr)} is not a finite real number at {_point(values)}")
    return z.real


def _point(values: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in values.items())


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def _points(values: dict[str, float], count: int) -> Iterator[dict[str, float]]:
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
        size = _tree_size(difference, _CANCEL_MAX + 1)
        if size <= _CANCEL_MAX and sympy.cancel(sympy.together(difference)) == 0:
            return True, "cancel(a - b) = 0"
        if size <= _SIMPLIFY_MAX and sympy.simplify(difference) == 0:
            return True, "simplify(a - b) = 0"
    except RecursionError:
        pass
    checked = 0
    for point in _points(values, 4):
        try:
            va, vb = _float_value(a, point), _float_value(b, point)
        except DomainError:
            continue
        if not _close(va, vb, rtol, atol):
            # Floats may lose digits to cancellation: confirm with 30-digit arithmetic.
            try:
                va, vb = _precise_value(a, point, 30), _precise_value(b, point, 30)
            except DomainError:
                continue
            if not _close(va, vb, rtol, atol):
                return False, f"differ at {_point(point)}: {va:.10g} vs {vb:.10g}"
        checked += 1
    if checked:
        return True, f"equal at {checked} random points"
    return None, "could not be compared (undefined at every point tried)"


# -- verification ---------------------------------------------------------------------------

@dataclass(frozen=True)
class VerificationRow:
    """One input's line of a :class:`VerificationReport`; ``nan`` where undefined."""

    name: str
    value: float
    backprop: float
    symbolic: float
    sympy_diff: float
    finite: float
    formula: sympy.Expr
    agreement: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


_HEAD = ("input", "value", "backprop", "symbolic backprop", "sympy.diff", "finite diff",
         "derivative", "symbolic = sympy.diff", "")


@dataclass(frozen=True)
class VerificationReport:
    """Four ways to one derivative, per input: ``ok``, ``rows``, a table as ``str``.

    In a notebook it shows as an HTML table (``_repr_html_``) or LaTeX
    (``_repr_latex_``).
    """

    expression: sympy.Expr
    rows: tuple[VerificationRow, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def _cells(self, r: VerificationRow) -> tuple[str, ...]:
        formula = _short(r.formula, 40)
        return (r.name, f"{r.value:.6g}", f"{r.backprop:.10g}", f"{r.symbolic:.10g}",
                f"{r.sympy_diff:.10g}", f"{r.finite:.10g}", formula, r.agreement,
                "ok" if r.ok else "MISMATCH")

    def __str__(self) -> str:
        body = [self._cells(r) for r in self.rows]
        widths = [max(len(row[i]) for row in [_HEAD, *body]) for i in range(len(_HEAD))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                 for row in [_HEAD, *body]]
        lines.append(f"f = {_short(self.expression, 200)}")
        if self.ok:
            lines.append(f"all {len(self.rows)} derivatives agree (backprop, symbolic "
                         "backprop, sympy.diff, finite differences)")
        for r in self.rows:
            lines += [f"{r.name}: {p}" for p in r.problems]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<VerificationReport ok={self.ok} inputs={[r.name for r in self.rows]}>"

    def _repr_html_(self) -> str:
        def row(cells: Sequence[str], tag: str) -> str:
            return "<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>"
        verdict = "all derivatives agree" if self.ok else "derivatives DISAGREE"
        problems = "".join(f"<li>{html.escape(f'{r.name}: {p}')}</li>"
                           for r in self.rows for p in r.problems)
        return (f"<table>{row(_HEAD, 'th')}"
                + "".join(row(self._cells(r), "td") for r in self.rows)
                + f"</table><p>{html.escape(verdict)}</p>"
                + (f"<ul>{problems}</ul>" if problems else ""))

    def _repr_latex_(self) -> str:
        head = (r"\text{input} & \text{value} & \text{backprop} & \text{symbolic} & "
                r"\text{sympy.diff} & \text{finite diff} & \text{derivative} & \\ \hline" "\n")
        body = []
        for r in self.rows:
            name = sympy.latex(sympy.Symbol(r.name))
            nums = " & ".join(f"{v:.10g}" for v in (r.value, r.backprop, r.symbolic,
                                                   r.sympy_diff, r.finite))
            status = r"\text{ok}" if r.ok else r"\text{MISMATCH}"
            body.append(f"{name} & {nums} & {sympy.latex(r.formula)} & {status} \\\\")
        return (r"$$\begin{array}{lrrrrrll}" + head + "\n".join(body)
                + r"\end{array}$$")


def verify(out: Var, wrt: Var | str | Sequence[Var | str] | None = None, *,
           rtol: float = 1e-9, atol: float = 1e-12, fd_rtol: float = 1e-6,
           fd_atol: float = 1e-8, raise_on_failure: bool = True) -> VerificationReport:
    """Check d out / d x four ways for each input ``x`` (all inputs, or those in ``wrt``).

    1. numeric backprop (:func:`symgrad.grad`);
    2. symbolic backprop (:func:`gradient`), evaluated at the inputs' values;
    3. ``sympy.diff`` of :func:`to_sympy` ``(out)``, evaluated there too;
    4. finite differences (Richardson extrapolation of central differences).

    Symbolic backprop and ``sympy.diff`` must also be the same *function*: equal as
    written, or their difference cancels to 0 (``cancel(together(a - b))``, or
    ``simplify`` for small expressions), or, when that is inconclusive or the
    expressions are too big, they agree at four seeded random points near the
    inputs' values.  Numbers compare with
    ``|a - b| <= atol + rtol * max(|a|, |b|)``; finite differences, which carry
    truncation and rounding error, with ``fd_rtol``/``fd_atol``.  Any disagreement
    raises :class:`~symgrad.errors.VerificationError` with the table, unless
    ``raise_on_failure=False``; the report is returned either way.

    At a kink (``relu`` at exactly 0) the methods legitimately disagree: backprop
    takes the derivative 0 there, ``sympy.diff`` gives ``Heaviside(0) = 1/2``.

    >>> from symgrad import Var
    >>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
    >>> report = verify((x**2 + 3)**2 + y)
    >>> report.ok, [(r.name, r.backprop, r.formula) for r in report.rows]
    (True, [('x', 56.0, 4*x*(x**2 + 3)), ('y', 1.0, 1)])
    """
    check_var(out)
    memo = _lower(out)
    inputs = [v for v in memo if v.op is None]
    if wrt is None:
        targets = inputs
    else:
        chosen = [wrt] if isinstance(wrt, (Var, str)) else list(wrt)
        targets = []
        for w in chosen:
            t = _target(w, memo)
            if t is not None and t.op is not None:
                raise InputError(f"verify checks derivatives by input Vars; {w!r} is an "
                                 "inner node of the graph")
            if t is None:
                raise InputError(f"{w!r} is not an input of the expression (its inputs: "
                                 f"{', '.join(str(v.name) for v in inputs)})")
            targets.append(t)
    expr = memo[out]
    kinks = any(v.op is not None and v.op.name in ("relu", "step") for v in memo)
    adj = _symbolic_adjoints(out, memo)
    numeric = grad(out, targets) if targets else []
    values = {v.name: v.value for v in inputs if v.name}
    rows = []
    for t, bp in zip(targets, numeric, strict=True):
        raw = adj.get(t, _ZERO)
        try:
            diffed = sympy.diff(expr, sympy.Symbol(t.name))
        except RecursionError:
            raise _deep("running sympy.diff") from None
        problems: list[str] = []

        def number(e: sympy.Expr, what: str) -> float:
            try:
                return _float_value(e, values)
            except DomainError as exc:
                problems.append(f"{what} could not be evaluated: {exc}")  # noqa: B023
                return math.nan

        sym = number(raw, "symbolic backprop")
        sd = number(diffed, "sympy.diff")
        fd = numeric_grad(out, t, method="richardson")
        same, how = same_function(raw, diffed, values, rtol, atol)
        if same is False:
            problems.append(f"symbolic backprop and sympy.diff are different functions: {how}")
        for label, v in (("symbolic backprop", sym), ("sympy.diff", sd)):
            if not math.isnan(v) and not _close(bp, v, rtol, atol):
                problems.append(f"{label} gives {v:.17g} but backprop gives {bp:.17g}")
        if not _close(bp, fd, fd_rtol, fd_atol):
            problems.append(f"finite differences give {fd:.17g} but backprop gives "
                            f"{bp:.17g} (beyond fd_rtol={fd_rtol:g}, fd_atol={fd_atol:g})")
        if problems and kinks:
            problems.append("note: relu/step have a kink at 0, where backprop takes the "
                            "derivative 0 and sympy.diff takes Heaviside(0) = 1/2")
        rows.append(VerificationRow(t.name or "?", t.value, bp, sym, sd, fd, _tidy(raw), how,
                                    tuple(problems)))
    report = VerificationReport(expr, tuple(rows))
    if raise_on_failure and not report.ok:
        raise VerificationError(f"the derivatives disagree:\n{report}")
    return report
