"""The symbolic side: lowering graphs, symbolic backprop, and verification.

The modules: :mod:`~symgrad.symbolic.backend` (the SymPy and SymEngine namespaces),
:mod:`~symgrad.symbolic.lower` (graph → expressions, depth checks),
:mod:`~symgrad.symbolic.derive` (symbolic backprop),
:mod:`~symgrad.symbolic.partials` (the lazy mapping of partials),
:mod:`~symgrad.symbolic.tidy`
(readable forms), :mod:`~symgrad.symbolic.lift` (SymPy → graph),
:mod:`~symgrad.symbolic.compare` (same function?) and :mod:`~symgrad.symbolic.verify`
(the four-way check).

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
  symbolic expressions, so a shared subexpression is differentiated once.  They run
  on SymEngine when it is installed (``backend="auto"``; ``"sympy"`` or
  ``"symengine"`` choose) and give SymPy expressions either way: :func:`gradient`
  returns a :class:`Partials` mapping that converts each partial to SymPy when it is
  read, and whose ``.native`` holds the backend's own expressions;
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
>>> derivative(z, "x", raw=True, backend="sympy")   # as SymPy's chain rule left it
2*x*(2*x**2 + 6)

Leaves become plain ``Symbol(name)`` (no assumptions), so expressions print as they
were written.  Nothing here recurses on the depth of a graph; SymPy itself does,
though (its printers, ``subs`` and some constructors), so very deep expressions can
hit Python's recursion limit inside SymPy: that is reported as an
:class:`~symgrad.errors.UnsupportedError`.  Arithmetic chains of 100,000 nodes lower
fine; functions and powers nested deeper than
:func:`~symgrad.symbolic.lower.nesting_limit` (100 levels by default) are refused
before symbolic differentiation starts.
"""

from __future__ import annotations

from .backend import SYMPY
from .compare import same_function
from .derive import Gradient, derivative, gradient, path_terms
from .lift import from_sympy
from .lower import to_sympy
from .partials import Partials
from .verify import VerificationReport, VerificationRow, verify

__all__ = [
    "SYMPY", "Gradient", "Partials", "VerificationReport", "VerificationRow", "derivative",
    "from_sympy", "gradient", "path_terms", "same_function", "to_sympy", "verify",
]
