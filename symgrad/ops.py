"""The op table: one entry per operation, and nothing else.

An :class:`Op` holds everything symgrad knows about an operation: its forward value
rule, its local partial derivatives by argument position, its display symbol, and the
domain its inputs may be drawn from in tests.

Rules are written once, against a small *math namespace* ``m`` (``m.exp``, ``m.log``,
``m.pow`` ...).  The same rule then runs on floats (:data:`FLOAT`), on :class:`~symgrad.Var`
graphs (``create_graph=True``) and on SymPy expressions (symbolic backprop and edge
labels).  A partial rule receives ``(m, out, *args)``, where ``out`` is the op's own
output in the same domain, so ``exp``'s partial is simply ``out``.

Adding an operation means adding one entry to :data:`OPS`.

>>> OPS["pow"].partials[0](FLOAT, 9.0, 3.0, 2.0)   # d(a**b)/da at a=3, b=2
6.0
>>> OPS["sigmoid"].symbol
'σ'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

__all__ = ["CONST", "FLOAT", "FUNCTIONS", "OPS", "Op"]


@dataclass(frozen=True, slots=True)
class Op:
    """One operation: value rule, partials by argument position, display symbol."""

    name: str
    symbol: str
    value: Callable[..., Any]
    partials: tuple[Callable[..., Any], ...]
    #: Per argument, an interval ``(low, high)`` of valid inputs (used by the table tests).
    domain: tuple[tuple[float, float], ...] = ()
    #: What the inputs must satisfy, said in words for error messages.
    requires: str = ""
    #: ``True`` for ops written as function calls: ``exp(x)``, ``x.exp()``.
    function: bool = False

    @property
    def arity(self) -> int:
        return len(self.partials)

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def _sigmoid(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


#: The float namespace the rules run on for numeric work.
FLOAT = SimpleNamespace(
    exp=math.exp,
    log=math.log,
    sin=math.sin,
    cos=math.cos,
    tanh=math.tanh,
    sqrt=math.sqrt,
    sigmoid=_sigmoid,
    relu=lambda a: a if a > 0.0 else 0.0,
    step=lambda a: 1.0 if a > 0.0 else 0.0,
    pow=math.pow,
)


def _zero(m: Any, out: Any, a: Any) -> Any:
    return 0 * a


_table = [
    Op("add", "+", lambda m, a, b: a + b, (lambda m, out, a, b: 1, lambda m, out, a, b: 1),
       domain=((-3, 3), (-3, 3))),
    Op("sub", "−", lambda m, a, b: a - b, (lambda m, out, a, b: 1, lambda m, out, a, b: -1),
       domain=((-3, 3), (-3, 3))),
    Op("mul", "×", lambda m, a, b: a * b,
       (lambda m, out, a, b: b, lambda m, out, a, b: a), domain=((-3, 3), (-3, 3))),
    Op("div", "÷", lambda m, a, b: a / b,
       (lambda m, out, a, b: 1 / b, lambda m, out, a, b: -a / b**2),
       domain=((-3, 3), (0.5, 3)), requires="a nonzero divisor"),
    Op("pow", "^", lambda m, a, b: m.pow(a, b),
       (lambda m, out, a, b: b * m.pow(a, b - 1), lambda m, out, a, b: out * m.log(a)),
       domain=((0.2, 3), (-2, 2)),
       requires="a positive base for a non-integer exponent, a nonzero base for a negative "
                "one, and a positive base to differentiate by the exponent"),
    Op("neg", "−", lambda m, a: -a, (lambda m, out, a: -1,), domain=((-3, 3),)),
    Op("exp", "exp", lambda m, a: m.exp(a), (lambda m, out, a: out,),
       domain=((-3, 3),), requires="an input below about 709 (larger overflows)", function=True),
    Op("log", "log", lambda m, a: m.log(a), (lambda m, out, a: 1 / a,),
       domain=((0.1, 5),), requires="a positive input", function=True),
    Op("sin", "sin", lambda m, a: m.sin(a), (lambda m, out, a: m.cos(a),),
       domain=((-3, 3),), function=True),
    Op("cos", "cos", lambda m, a: m.cos(a), (lambda m, out, a: -m.sin(a),),
       domain=((-3, 3),), function=True),
    Op("tanh", "tanh", lambda m, a: m.tanh(a), (lambda m, out, a: 1 - out**2,),
       domain=((-3, 3),), function=True),
    Op("sigmoid", "σ", lambda m, a: m.sigmoid(a), (lambda m, out, a: out * (1 - out),),
       domain=((-5, 5),), function=True),
    Op("relu", "relu", lambda m, a: m.relu(a), (lambda m, out, a: m.step(a),),
       domain=((-3, 3),), function=True),
    Op("sqrt", "√", lambda m, a: m.sqrt(a), (lambda m, out, a: 1 / (2 * out),),
       domain=((0.1, 5),), requires="a positive input (its derivative is infinite at 0)",
       function=True),
    # The derivative of relu.  Its own derivative is zero wherever it is defined.
    Op("step", "step", lambda m, a: m.step(a), (_zero,), domain=((-3, 3),), function=True),
]

# The engine's reverse pass is unrolled for one and two arguments.
assert all(op.arity in (1, 2) for op in _table), "ops take one or two arguments"

#: Every operation symgrad knows, by name.
OPS: dict[str, Op] = {op.name: op for op in _table}

#: The ops written as function calls (``exp(x)``), by name.
FUNCTIONS: dict[str, Op] = {name: op for name, op in OPS.items() if op.function}

#: Marks a constant node: a plain number that entered a graph.  Not in :data:`OPS`.
CONST = Op("const", "const", lambda m: 0.0, ())
