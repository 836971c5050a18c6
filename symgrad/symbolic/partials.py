"""The partial derivatives :func:`~symgrad.symbolic.gradient` returns: a read-only
mapping ``{input Var: SymPy expression}`` that converts lazily.

The reverse pass runs on SymEngine when it is installed, and there it is fast (0.016 to
0.018 s for the 337 partials of a 2-16-16-1 sigmoid MLP); turning those SymEngine
expressions into SymPy costs far more (about 0.6 s: SymPy flattens every product and
sum it builds and asks about assumptions on the way).  So :class:`Partials` holds the backend's own
expressions and converts a partial to SymPy only when it is read (``g[x]``,
``values()``, ``items()``, printing, ``==``), converting each shared subexpression once
across all reads.  ``len``, iteration over the inputs and ``in`` convert nothing, and
:attr:`Partials.native` hands out the backend's expressions as they are (SymEngine
objects, for ``symengine.Lambdify``).  With the SymPy backend the values are SymPy
already and nothing is converted.

>>> from symgrad import Var
>>> from symgrad.symbolic import gradient
>>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
>>> g = gradient(x * y.sin())
>>> [v.name for v in g], len(g), "y" in g
(['x', 'y'], 2, True)
>>> g["y"]
x*cos(y)
>>> print(g)
d/dx = sin(y)
d/dy = x*cos(y)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sympy

from ..var import Var
from .backend import Backend, resolve
from .lower import deep_error

__all__ = ["Partials", "as_sympy"]


def as_sympy(engine: Backend, exprs: Sequence[Any], memo: dict[Any, sympy.Expr] | None = None
             ) -> list[sympy.Expr]:
    """``exprs`` converted to SymPy; a recursion in SymPy is an UnsupportedError."""
    try:
        return engine.to_sympy(exprs, memo)
    except RecursionError:
        raise deep_error("converting to SymPy") from None


class Partials(Mapping[Var, sympy.Expr]):
    """``{input Var: d out / d input}`` as SymPy expressions, converted when read.

    Keys are the input Vars in the order of :func:`symgrad.leaves`; ``g[x]`` takes the
    Var or its name.  A partial that SymPy cannot hold raises the
    :class:`~symgrad.errors.UnsupportedError` when it is read, and the others stay
    readable.  :attr:`native` gives the backend's own expressions and :attr:`backend`
    its name.  ``dict(g)`` is a plain dict of SymPy expressions; a pickle or a copy holds
    the SymPy values.

    >>> from symgrad import Var
    >>> from symgrad.symbolic import gradient
    >>> x = Var(0.5, name="x")
    >>> g = gradient((x * x).exp(), backend="sympy")
    >>> g[x], g.backend
    (2*x*exp(x**2), 'sympy')
    >>> import sympy
    >>> g == {x: sympy.diff(sympy.exp(sympy.Symbol("x")**2), "x")}
    True
    >>> g["w"]
    Traceback (most recent call last):
    ...
    KeyError: 'w'
    """

    __slots__ = ("_engine", "_memo", "_names", "_native")

    def __init__(self, engine: Backend, native: Mapping[Var, Any]) -> None:
        self._engine = engine
        self._native = dict(native)
        self._names = {v.name: v for v in self._native}
        #: SymPy forms of the backend's expressions, shared by every read.
        self._memo: dict[Any, sympy.Expr] = {}

    @property
    def backend(self) -> str:
        """The name of the backend that computed the partials: "sympy" or "symengine"."""
        return self._engine.name

    @property
    def native(self) -> dict[Var, Any]:
        """The partials as the backend's own expressions (SymEngine's with
        ``backend="symengine"``), not converted: a new dict each time."""
        return dict(self._native)

    def _leaf(self, key: object) -> Var:
        if isinstance(key, str):
            leaf = self._names.get(key)
            if leaf is not None:
                return leaf
        elif isinstance(key, Var) and key in self._native:
            return key
        raise KeyError(key)

    def __getitem__(self, key: Var | str) -> sympy.Expr:
        (expr,) = as_sympy(self._engine, [self._native[self._leaf(key)]], self._memo)
        return expr

    def __contains__(self, key: object) -> bool:
        try:
            self._leaf(key)
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[Var]:
        return iter(self._native)

    def __len__(self) -> int:
        return len(self._native)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return self.keys() == other.keys() and all(self[v] == other[v] for v in self)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (and copied) as its SymPy values: a backend module does not pickle.
        return _sympy_partials, (dict(self.items()),)

    def __repr__(self) -> str:
        body = ", ".join(f"{v.name!r}: {e}" for v, e in self.items())
        return f"Partials({{{body}}}, backend={self.backend!r})"

    def __str__(self) -> str:
        return "\n".join(f"d/d{v.name} = {e}" for v, e in self.items())


def _sympy_partials(values: dict[Var, sympy.Expr]) -> Partials:
    return Partials(resolve("sympy"), values)
