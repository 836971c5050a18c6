"""``Var``: a node of an expression graph.

A ``Var`` holds a ``value``, a ``grad``, an optional ``name``, the ``op`` that made it
(``None`` for an input, :data:`~symgrad.ops.CONST` for a plain number) and its
``inputs`` as an ordered tuple, so ``x * x`` has two edges to ``x``.  Operators build
new nodes; nothing is differentiated until :meth:`Var.backward` or
:func:`symgrad.grad` is called.

>>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
>>> z = (x**2 + 3)**2 + y
>>> z.value
50.0
>>> z.backward()
>>> x.grad, y.grad
(56.0, 1.0)

``Var`` is hashable by identity, like micrograd's ``Value``: ``==`` compares
identity, never values.
"""

from __future__ import annotations

import itertools
import numbers
from types import SimpleNamespace
from typing import Any

from .errors import DomainError, InputError
from .ops import CONST, FLOAT, OPS, Op

__all__ = [
    "VARS",
    "Var",
    "apply",
    "constant",
    "cos",
    "exp",
    "log",
    "relu",
    "sigmoid",
    "sin",
    "sqrt",
    "tanh",
]

Number = int | float
_names = itertools.count(1)


def _as_float(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{what} must be a real number, got {value!r} "
                         f"({type(value).__name__}); pass an int or a float")
    f = float(value)
    if f - f != 0.0:
        raise InputError(f"{what} must be finite, got {f!r}")
    return f


class Var:
    """A node: an input (``Var(2.0, name="x")``), a constant, or an op applied to inputs.

    Leaves without a name get a stable automatic one (``v1``, ``v2``, ... in creation
    order).

    >>> a = Var(3.0)
    >>> a.name.startswith("v"), (2 * a).value, (a ** a).value, (1 / a).value
    (True, 6.0, 27.0, 0.3333333333333333)
    """

    __slots__ = ("grad", "inputs", "name", "op", "value")

    value: float
    grad: float
    name: str | None
    op: Op | None
    inputs: tuple[Var, ...]

    def __init__(self, value: Number, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise InputError(f"a Var's name must be a string, got {name!r}")
        self.value = _as_float(value, "a Var's value")
        self.grad = 0.0
        self.name = name if name else f"v{next(_names)}"
        self.op = None
        self.inputs = ()

    # -- structure -------------------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        """True for an input Var (not a constant, not an op result)."""
        return self.op is None

    @property
    def is_constant(self) -> bool:
        """True for a plain number that entered the graph (``2`` in ``2 * x``)."""
        return self.op is CONST

    def __repr__(self) -> str:
        if self.op is None:
            return f"Var({self.value!r}, name={self.name!r}, grad={self.grad!r})"
        if self.op is CONST:
            return f"constant({self.value!r})"
        return f"<Var {self.op.name} value={self.value!r} grad={self.grad!r}>"

    # -- arithmetic --------------------------------------------------------------
    def __add__(self, other: Operand) -> Var:
        return _binary(_ADD, self, other)

    def __radd__(self, other: Operand) -> Var:
        return _binary(_ADD, other, self)

    def __sub__(self, other: Operand) -> Var:
        return _binary(_SUB, self, other)

    def __rsub__(self, other: Operand) -> Var:
        return _binary(_SUB, other, self)

    def __mul__(self, other: Operand) -> Var:
        return _binary(_MUL, self, other)

    def __rmul__(self, other: Operand) -> Var:
        return _binary(_MUL, other, self)

    def __truediv__(self, other: Operand) -> Var:
        return _binary(_DIV, self, other)

    def __rtruediv__(self, other: Operand) -> Var:
        return _binary(_DIV, other, self)

    def __pow__(self, other: Operand) -> Var:
        return _binary(_POW, self, other)

    def __rpow__(self, other: Operand) -> Var:
        return _binary(_POW, other, self)

    def __neg__(self) -> Var:
        return _unary(_NEG, self)

    def __pos__(self) -> Var:
        return self

    # -- functions -----------------------------------------------------------------
    def exp(self) -> Var:
        return _unary(OPS["exp"], self)

    def log(self) -> Var:
        return _unary(OPS["log"], self)

    def sin(self) -> Var:
        return _unary(OPS["sin"], self)

    def cos(self) -> Var:
        return _unary(OPS["cos"], self)

    def tanh(self) -> Var:
        return _unary(OPS["tanh"], self)

    def sigmoid(self) -> Var:
        return _unary(OPS["sigmoid"], self)

    def relu(self) -> Var:
        return _unary(OPS["relu"], self)

    def sqrt(self) -> Var:
        return _unary(OPS["sqrt"], self)

    # -- differentiation -----------------------------------------------------------
    def backward(self) -> None:
        """Backprop from this node; see :func:`symgrad.backprop.backward`."""
        from .backprop import backward

        backward(self)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on every node of this graph."""
        from .backprop import zero_grad

        zero_grad(self)


Operand = Var | int | float


def constant(number: Number) -> Var:
    """A constant node: it takes part in the graph but is never differentiated.

    Constants have no name; they are shown by value, and lowered to SymPy exactly
    (``2.0`` becomes ``2``, ``0.1`` becomes ``1/10``).

    >>> c = constant(2)
    >>> c.is_constant, c.value, c.name
    (True, 2.0, None)
    """
    node = _new(Var)
    if type(number) is float or type(number) is int:
        value = float(number)
        if value - value != 0.0:
            raise InputError(f"a constant must be finite, got {number!r}")
        node.value = value
    else:
        node.value = _as_float(number, "a constant")
    node.grad = 0.0
    node.name = None
    node.op = CONST
    node.inputs = ()
    return node


_new = object.__new__


def apply(op: Op, *args: Operand) -> Var:
    """Apply ``op`` to Vars or numbers and return the new node.

    Every operator and function of :class:`Var` comes here (or to its one- and
    two-argument fast paths below), so the op table's value rule is the only place a
    forward value is computed.

    >>> apply(OPS["mul"], Var(3.0), 4).value
    12.0
    """
    inputs = tuple([a if isinstance(a, Var) else constant(a) for a in args])
    return _make(op, inputs, forward(op, inputs))


def forward(op: Op, inputs: tuple[Var, ...]) -> float:
    """``op``'s value on the inputs' current values; a :class:`DomainError` if undefined."""
    try:
        value = op.value(FLOAT, *[a.value for a in inputs])
    except (ArithmeticError, ValueError) as exc:
        raise _domain_error(op, inputs, exc) from None
    if value - value != 0.0:  # inf or nan
        raise _domain_error(op, inputs, "the result is not finite")
    return value  # type: ignore[no-any-return]


def _unary(op: Op, a: Var) -> Var:
    try:
        value = op.value(FLOAT, a.value)
    except (ArithmeticError, ValueError) as exc:
        raise _domain_error(op, (a,), exc) from None
    return _make(op, (a,), value)


def _binary(op: Op, a: Operand, b: Operand) -> Var:
    if not isinstance(a, Var):
        a = constant(a)
    if not isinstance(b, Var):
        b = constant(b)
    try:
        value = op.value(FLOAT, a.value, b.value)
    except (ArithmeticError, ValueError) as exc:
        raise _domain_error(op, (a, b), exc) from None
    return _make(op, (a, b), value)


def _make(op: Op, inputs: tuple[Var, ...], value: float) -> Var:
    if value - value != 0.0:  # inf or nan: never stored in a graph
        raise _domain_error(op, inputs, "the result is not finite")
    node = _new(Var)
    node.value = value
    node.grad = 0.0
    node.name = None
    node.op = op
    node.inputs = inputs
    return node


def _domain_error(op: Op, inputs: tuple[Var, ...], why: object) -> DomainError:
    args = ", ".join(f"{a.name}={a.value!r}" if a.op is None else repr(a.value)
                     for a in inputs)
    need = f"; {op.name} needs {op.requires}" if op.requires else ""
    return DomainError(f"{op.name}({args}) is undefined ({why}){need}")


_ADD, _SUB, _MUL, _DIV, _POW, _NEG = (OPS[n] for n in ("add", "sub", "mul", "div", "pow", "neg"))


def _function(op: Op):  # type: ignore[no-untyped-def]
    def f(x: Operand) -> Var:
        return apply(op, x)

    f.__name__ = f.__qualname__ = op.name
    f.__doc__ = f"``{op.name}(x)`` as a graph node; ``x`` may be a Var or a number."
    return f


exp = _function(OPS["exp"])
log = _function(OPS["log"])
sin = _function(OPS["sin"])
cos = _function(OPS["cos"])
tanh = _function(OPS["tanh"])
sigmoid = _function(OPS["sigmoid"])
relu = _function(OPS["relu"])
sqrt = _function(OPS["sqrt"])

#: The Var namespace: the op table's rules run on it to build derivative graphs.
VARS = SimpleNamespace(pow=lambda a, b: a**b,
                       **{name: _function(op) for name, op in OPS.items() if op.function})
