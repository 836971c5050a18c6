"""The SymPy bridge: lowering graphs to SymPy and symbolic backprop.

:data:`SYMPY` is the math namespace in which the op table's rules run on SymPy
expressions.  Applied to symbols, a partial rule gives the formula of an edge's local
derivative:

>>> import sympy
>>> from symgrad.ops import OPS
>>> a, b = sympy.symbols("a b")
>>> OPS["pow"].partials[0](SYMPY, a**b, a, b)
a**(b - 1)*b
"""

from __future__ import annotations

from types import SimpleNamespace

import sympy

__all__ = ["SYMPY"]


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
    pow=sympy.Pow,
)
