"""Symbolic backprop: the engine's chain rule run on SymPy or SymEngine expressions.

:func:`derivative` and :func:`gradient` run the one chain-rule loop
(:func:`symgrad.backprop.adjoints`) with the op table's *partial* rules on the
expressions of :func:`~symgrad.symbolic.lower.lower`, so a shared subexpression is
differentiated once; :func:`path_terms` multiplies the symbolic local derivatives along
each path.  ``backend="auto"`` (the default) computes with SymEngine when it is
installed and the graph suits it, else with SymPy, the reference; ``"sympy"`` and
``"symengine"`` choose.  (:func:`path_terms` and :func:`symgrad.verify` take SymPy for
``"auto"``: their docstrings say why, with measurements.)  Results are SymPy
expressions either way (:func:`gradient`'s are converted when read): the same
functions, though the raw accumulation may be arranged differently by each backend.

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> derivative((x**2 + 3)**2 + x, x)
4*x*(x**2 + 3) + 1
>>> derivative((x**2 + 3)**2 + x, x, backend="sympy", raw=True)
2*x*(2*x**2 + 6) + 1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from ..backprop import adjoints
from ..graph import check_var
from ..pathsum import DEFAULT_PATH_LIMIT, paths
from ..var import Var
from .backend import Backend, resolve
from .lower import deep_error, lowered, resolve_target
from .partials import Partials, as_sympy
from .tidy import tidy as readable

__all__ = ["Gradient", "derivative", "gradient", "path_terms", "symbolic_adjoints"]

_ZERO = sympy.Integer(0)


def symbolic_adjoints(out: Var, memo: dict[Var, Any], engine: Backend | None = None,
                      order: list[Var] | None = None) -> dict[Var, Any]:
    """d out / d node for every node, as ``engine``'s expressions (SymPy by default)."""
    engine = engine or resolve("sympy")
    try:
        return adjoints(out, engine.one, engine.m, memo.__getitem__, order)
    except RecursionError:
        raise deep_error("differentiating") from None


def derivative(out: Var, wrt: Var | str, *, raw: bool = False, backend: str = "auto"
               ) -> sympy.Expr:
    """d out / d wrt as a SymPy expression, by symbolic backprop over the graph.

    The op table's partial rules run on symbolic expressions and the engine's chain-rule
    loop multiplies them along paths and sums across paths.  ``wrt`` is an input Var,
    its name, or an inner node of the graph (then the result is that node's adjoint).
    A Var the output does not depend on gives 0.  ``backend`` is ``"auto"``,
    ``"sympy"`` or ``"symengine"`` (see the module's description).

    By default the result is tidied into a readable closed form: the candidate with
    the fewest operations among the accumulated form, ``factor_terms`` of it and (for
    expressions of a few hundred nodes at most) ``factor_terms(together(...))``;
    ``simplify`` is not tried, since its time is unpredictable.  ``raw=True`` returns
    the accumulation as the chain rule produced it.

    >>> from symgrad import Var
    >>> x = Var(2.0, name="x")
    >>> derivative((x**2 + 3)**2 + x, x)
    4*x*(x**2 + 3) + 1
    >>> derivative(x.sigmoid(), x)
    exp(x)/(exp(x) + 1)**2
    """
    check_var(out)
    memo, engine, order = lowered(out, backend)
    target = resolve_target(wrt, memo)
    if target is None:
        return _ZERO
    adj = symbolic_adjoints(out, memo, engine, order)
    (d,) = as_sympy(engine, [adj.get(target, engine.zero)])
    return d if raw else readable(d)


def path_terms(out: Var, wrt: Var | str, *, limit: int = DEFAULT_PATH_LIMIT,
               backend: str = "auto") -> list[sympy.Expr]:
    """For each path from ``out`` down to ``wrt``, the product of its symbolic local factors.

    The paths are those of :func:`symgrad.paths`, in the same order, and their terms
    sum to :func:`derivative`.  More than ``limit`` paths raise
    :class:`~symgrad.errors.PathLimitError`.  ``backend="auto"`` is SymPy here: every
    term is returned as a SymPy product, and building it in SymEngine first only adds
    the conversion (8,191 paths: 0.61 s with SymPy, 0.74 s through SymEngine).

    >>> from symgrad import Var
    >>> x = Var(2.0, name="x")
    >>> path_terms((x**2 + 3)**2 + x, x)
    [2*x*(2*x**2 + 6), 1]
    """
    check_var(out)
    memo, engine, _ = lowered(out, "sympy" if backend == "auto" else backend)
    target = resolve_target(wrt, memo)
    if target is None:
        return []
    factors: dict[tuple[Var, int], Any] = {}
    terms = []
    product = engine.module.Mul
    try:
        for p in paths(out, target, limit=limit):
            found: list[Any] = []
            for node, i in zip(p.nodes, p.positions, strict=False):
                f = factors.get((node, i))
                if f is None:
                    op = node.op
                    assert op is not None
                    f = factors[node, i] = engine.module.sympify(
                        op.partials[i](engine.m, memo[node], *[memo[a] for a in node.inputs]))
                found.append(f)
            terms.append(product(*found))
    except RecursionError:
        raise deep_error("multiplying path factors") from None
    return as_sympy(engine, terms)


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
    _full: Partials = field(repr=False, compare=False)

    def __getitem__(self, leaf: Var | str) -> sympy.Expr:
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

def gradient(out: Var, *, cse: bool = False, tidy: bool = False, backend: str = "auto"
             ) -> Partials | Gradient:
    """d out / d x for every input Var ``x``, from ONE symbolic reverse pass.

    Returns a :class:`~symgrad.symbolic.Partials`, a read-only mapping
    ``{input Var: SymPy expression}`` in the order of :func:`symgrad.leaves` (``g[x]``
    also takes the name), each partial as the chain rule accumulated it.  ``backend``
    chooses who runs the reverse pass, as for :func:`derivative`: ``"auto"`` is
    SymEngine when it is installed and the graph is shallow enough for it, else SymPy.
    A partial computed by SymEngine is converted to SymPy when it is read, each shared
    subexpression once across all reads, and ``.native`` gives SymEngine's own
    expressions without converting (for ``symengine.Lambdify``).  Measured with
    ``bench/symbolic.py`` on a 337-parameter sigmoid MLP: 0.016-0.018 s on SymEngine
    with nothing read yet, against 0.18 s for SymEngine's ``diff`` once per parameter
    and about a minute (63 s) for ``sympy.diff``; reading all 337 partials as SymPy brings it to
    0.61 s, about what the reverse pass on SymPy alone takes (0.58 s), so the gain is
    in what you do not read, or read with ``.native``.

    ``tidy=True`` tidies each partial as :func:`derivative` does (it converts all of
    them, and costs time on big graphs).  With ``cse=True`` a :class:`Gradient` is
    returned instead, whose ``replacements`` hold the common subexpressions that
    ``sympy.cse`` found across all partials.

    >>> from symgrad import Var
    >>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
    >>> g = gradient((x**2 + 3)**2 + x * y, tidy=True)
    >>> {v.name: e for v, e in g.items()}
    {'x': 4*x*(x**2 + 3) + y, 'y': x}
    >>> gradient(x * y)["x"]
    y
    """
    check_var(out)
    memo, engine, order = lowered(out, backend)
    adj = symbolic_adjoints(out, memo, engine, order)
    zero = engine.zero
    result = Partials(engine, {v: adj.get(v, zero) for v in memo if v.op is None})
    if tidy:
        result = Partials(resolve("sympy"), {v: readable(e) for v, e in result.items()})
    if not cse:
        return result
    full = dict(result.items())
    prefix = _fresh_prefix({v.name for v in full if v.name})
    try:
        replacements, reduced = sympy.cse(list(full.values()),
                                          symbols=sympy.numbered_symbols(prefix))
    except RecursionError:
        raise deep_error("extracting common subexpressions") from None
    return Gradient(tuple(replacements), dict(zip(full, reduced, strict=True)),
                    Partials(resolve("sympy"), full))


def _fresh_prefix(names: set[str]) -> str:
    """A prefix for cse symbols (t0, t1, ...) that no input name could be confused with."""
    for prefix in ("t", "c", "u", "tmp", "cse_t"):
        if not any(n.startswith(prefix) and n[len(prefix):].isdigit() for n in names):
            return prefix
    return "_cse"
