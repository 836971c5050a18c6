"""symgrad: derivatives you can see and check.

Build an expression from :class:`Var` nodes, then backprop through it, list the
paths whose products sum to the gradient, check it by finite differences, lower it to
SymPy, or draw it with every edge labelled by its local derivative.

>>> import symgrad
>>> x, y = symgrad.Var(2.0, name="x"), symgrad.Var(1.0, name="y")
>>> z = (x**2 + 3)**2 + y
>>> symgrad.grad(z, [x, y])
[56.0, 1.0]

The layers, each using only those before it (see the architecture page of the docs):
core (``ops`` → ``var`` → ``graph`` → ``backprop``, ``forward``, ``finite``,
``diagnose``, ``compile``, ``parse``), then ``symbolic`` (SymPy and SymEngine),
``nn`` and ``render``, then the faces (``cli``, ``sphinxext``, ``testing``,
``tutorial``, ``explore``).
"""

from __future__ import annotations

from . import errors
from .backprop import backward, grad, zero_grad
from .compile import Compiled, compile  # eager: the function must shadow the submodule
from .errors import SymgradError
from .finite import gradcheck, numeric_grad
from .forward import tangents
from .graph import evaluate, leaves, nodes, scope
from .parse import parse  # eager: a lazy attribute would be shadowed by the submodule
from .pathsum import Path, count_paths, paths
from .var import FUNCTIONS, Var, constant

__version__ = "0.1.0"

# The op table's public functions: symgrad.exp, symgrad.sigmoid, ...
globals().update(FUNCTIONS)

# The faces below import SymPy or Graphviz; they load on first use so that
# ``import symgrad`` stays light (the engine alone is pure Python).
_LAZY = {
    "to_sympy": "symgrad.symbolic",
    "from_sympy": "symgrad.symbolic",
    "derivative": "symgrad.symbolic",
    "gradient": "symgrad.symbolic",
    "verify": "symgrad.symbolic",
    "draw": "symgrad.render",
    "Diagram": "symgrad.render",
    "explore": "symgrad.explorer",
    "Explorer": "symgrad.explorer",
}
_SUBMODULES = {"nn", "testing", "symbolic", "render", "cli", "tutorial", "explorer"}


def __getattr__(name: str) -> object:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"symgrad.{name}")
    raise AttributeError(f"module 'symgrad' has no attribute {name!r}")


__all__ = [
    "Var", "constant", *sorted(FUNCTIONS), "leaves", "nodes", "evaluate", "scope",
    "backward", "zero_grad", "grad", "Path", "paths", "count_paths", "numeric_grad",
    "gradcheck", "parse", "errors", "SymgradError", "tangents", "compile", "Compiled",
    *_LAZY,
]
