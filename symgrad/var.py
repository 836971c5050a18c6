"""``Var``: a node of an expression graph.

A ``Var`` holds a ``value``, a ``grad``, an optional ``name``, the ``op`` that made it
(``None`` for an input, :data:`~symgrad.ops.CONST` for a plain number), its ``inputs``
as an ordered tuple (so ``x * x`` has two edges to ``x``) and the ``scope`` it was built
in (``inputs`` is made from two slots, ``_a`` and ``_b``: a stored tuple was a second
object per node for the garbage collector to scan).  Operators build new nodes; nothing
is differentiated until :meth:`Var.backward` or :func:`symgrad.grad` is called.

Every operator and function method of ``Var``, and every module-level function here
(``exp``, ``sigmoid`` ...), is generated from the op table (:mod:`symgrad.ops`).

>>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
>>> z = (x**2 + 3)**2 + y
>>> z.value
50.0
>>> z.backward()
>>> x.grad, y.grad
(56.0, 1.0)

``Var`` is hashable by identity, like micrograd's ``Value``: ``==`` compares
identity, never values.  ``backward`` and ``zero_grad`` are installed by
:mod:`symgrad.backprop`, which implements them.  Copies (``copy.deepcopy``) and
pickles of a graph are exact and work at any depth: an op node carries its graph as a
flat table, rebuilt without recursion; input Vars keep their identity.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._check import real, shown
from .errors import DomainError, InputError
from .ops import CONST, OPS, Op, op_named
from .scopes import SCOPE

__all__ = ["FUNCTIONS", "SCRATCH", "Var", "apply", "constant", "postorder", "walk"]

Number = int | float
_names = itertools.count(1)
_current = SCOPE.get


class Var:
    """A node: an input (``Var(2.0, name="x")``), a constant, or an op applied to inputs.

    Leaves without a name get a stable automatic one (``v1``, ``v2``, ... in creation
    order).

    >>> a = Var(3.0)
    >>> a.name.startswith("v"), (2 * a).value, (a ** a).value, (1 / a).value
    (True, 6.0, 27.0, 0.3333333333333333)
    >>> a.exp().value == exp(a).value
    True
    """

    __slots__ = ("_a", "_b", "_scratch", "grad", "name", "op", "scope", "value")

    value: float
    grad: float
    name: str | None
    op: Op | None
    scope: str
    # The first and second input (None where absent).  The engine's hot loops
    # (postorder, the reverse and forward passes) read these slots directly.
    _a: Var | None
    _b: Var | None
    # The engine's working slot, used only while SCRATCH is held: a walk's visit mark,
    # then the float reverse pass's adjoint (a dict would be a hash lookup per edge).
    _scratch: Any

    def __init__(self, value: Number, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise InputError(f"a Var's name must be a string, got {name!r}")
        self.value = real(value, "a Var's value")
        self.grad = 0.0
        self.name = name if name else f"v{next(_names)}"
        self.op = None
        self._a = self._b = self._scratch = None
        self.scope = _current()

    @property
    def inputs(self) -> tuple[Var, ...]:
        """The node's inputs in argument order: ``()`` for inputs and constants."""
        a = self._a
        if a is None:
            return ()
        b = self._b
        return (a,) if b is None else (a, b)

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

    def __pos__(self) -> Var:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        if self._a is None:
            return _rebuild_leaf, (self.value, self.grad, self.name, self.op, self.scope)
        leaves, table = _flatten(self)
        return _rebuild, (leaves, table)

    def __deepcopy__(self, memo: dict[int, Any]) -> Var:
        order = postorder(self)
        copies: dict[Var, Var] = {}
        for v in order:
            done = memo.get(id(v))
            if done is None:
                done = _rebuild_leaf(v.value, v.grad, v.name, v.op, v.scope)
                done._a = None if v._a is None else copies[v._a]
                done._b = None if v._b is None else copies[v._b]
                memo[id(v)] = done
            copies[v] = done
        return copies[self]

    if TYPE_CHECKING:  # generated below from the op table
        def __add__(self, other: Operand) -> Var: ...
        def __radd__(self, other: Operand) -> Var: ...
        def __sub__(self, other: Operand) -> Var: ...
        def __rsub__(self, other: Operand) -> Var: ...
        def __mul__(self, other: Operand) -> Var: ...
        def __rmul__(self, other: Operand) -> Var: ...
        def __truediv__(self, other: Operand) -> Var: ...
        def __rtruediv__(self, other: Operand) -> Var: ...
        def __pow__(self, other: Operand) -> Var: ...
        def __rpow__(self, other: Operand) -> Var: ...
        def __neg__(self) -> Var: ...
        def backward(self) -> None: ...
        def zero_grad(self) -> None: ...


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
    t = type(number)
    if t is float or t is int:
        try:
            value = float(number)
        except OverflowError:
            value = float("inf")
        if value - value != 0.0:
            raise InputError(f"a constant must be a finite float, got {shown(number)}")
        node.value = value
    else:
        node.value = real(number, "a constant")
    node.grad = 0.0
    node.name = None
    node.op = CONST
    node._a = node._b = node._scratch = None
    node.scope = _current()
    return node


_new = object.__new__


def apply(op: Op, *args: Operand) -> Var:
    """Apply ``op`` to Vars or numbers and return the new node.

    Every operator and function of :class:`Var` comes here (or to the same code,
    unrolled), so the op table's float implementation is the only place a forward
    value is computed.

    >>> apply(OPS["mul"], Var(3.0), 4).value
    12.0
    """
    inputs = tuple([a if isinstance(a, Var) else constant(a) for a in args])
    return _make(op, inputs, forward(op, inputs))


def forward(op: Op, inputs: tuple[Var, ...]) -> float:
    """``op``'s value on the inputs' current values; a :class:`DomainError` if undefined."""
    try:
        value = op.numeric(*[a.value for a in inputs])
    except (ArithmeticError, ValueError) as exc:
        raise domain_error(op, inputs, exc) from None
    if value - value != 0.0:  # inf or nan
        raise domain_error(op, inputs, "the result is not finite")
    return value


def _make(op: Op, inputs: tuple[Var, ...], value: float) -> Var:
    if value - value != 0.0:  # inf or nan: never stored in a graph
        raise domain_error(op, inputs, "the result is not finite")
    node = _new(Var)
    node.value = value
    node.grad = 0.0
    node.name = None
    node.op = op
    node._a = inputs[0]
    node._b = inputs[1] if len(inputs) == 2 else None
    node._scratch = None
    node.scope = _current()
    return node


def domain_error(op: Op, inputs: tuple[Var, ...], why: object) -> DomainError:
    """The :class:`DomainError` for ``op`` undefined at its inputs' values."""
    args = ", ".join(f"{a.name}={a.value!r}" if a.op is None else repr(a.value)
                     for a in inputs)
    need = f"; {op.name} needs {op.requires}" if op.requires else ""
    return DomainError(f"{op.name}({args}) is undefined ({why}){need}")


# -- generated from the op table -----------------------------------------------------------

# Python's operator protocol: (token, arity) -> (method, reflected method).
_PROTOCOL = {("+", 2): ("__add__", "__radd__"), ("-", 2): ("__sub__", "__rsub__"),
             ("*", 2): ("__mul__", "__rmul__"), ("/", 2): ("__truediv__", "__rtruediv__"),
             ("**", 2): ("__pow__", "__rpow__"), ("-", 1): ("__neg__", "")}


def _unary_method(op: Op) -> Callable[[Var], Var]:
    numeric = op.numeric

    def method(self: Var) -> Var:
        try:
            value = numeric(self.value)
        except (ArithmeticError, ValueError) as exc:
            raise domain_error(op, (self,), exc) from None
        if value - value != 0.0:  # inf or nan: never stored in a graph
            raise domain_error(op, (self,), "the result is not finite")
        node = _new(Var)
        node.value = value
        node.grad = 0.0
        node.name = None
        node.op = op
        node._a = self
        node._b = node._scratch = None
        node.scope = _current()
        return node
    return method


def _binary_methods(op: Op) -> tuple[Callable[[Var, Operand], Var], ...]:
    # The hot path of building every graph: one function per operator, no further calls
    # on the way (the value, the domain check and the node are made right here).
    numeric = op.numeric

    def method(self: Var, other: Operand) -> Var:
        if other.__class__ is not Var:
            other = other if isinstance(other, Var) else constant(other)
        try:
            value = numeric(self.value, other.value)
        except (ArithmeticError, ValueError) as exc:
            raise domain_error(op, (self, other), exc) from None
        if value - value != 0.0:
            raise domain_error(op, (self, other), "the result is not finite")
        node = _new(Var)
        node.value = value
        node.grad = 0.0
        node.name = None
        node.op = op
        node._a = self
        node._b = other
        node._scratch = None
        node.scope = _current()
        return node

    def reflected(self: Var, other: Operand) -> Var:
        return method(other if isinstance(other, Var) else constant(other), self)
    return method, reflected


def _function(op: Op) -> Callable[[Operand], Var]:
    def f(x: Operand) -> Var:
        return apply(op, x)

    f.__name__ = f.__qualname__ = op.name
    f.__doc__ = (f"``{op.name}(x)`` as a graph node (the op table's ``{op.name}``, "
                 f"drawn {op.symbol}); ``x`` may be a Var or a number.")
    return f


for _op in OPS.values():
    if _op.operator:
        names = _PROTOCOL[_op.operator, _op.arity]
        made = _binary_methods(_op) if _op.arity == 2 else (_unary_method(_op),)
        for _name, _method in zip(names, made, strict=False):
            _method.__name__ = _method.__qualname__ = _name
            setattr(Var, _name, _method)
    elif _op.public and _op.arity == 1:
        _method = _unary_method(_op)
        _method.__name__, _method.__qualname__ = _op.name, f"Var.{_op.name}"
        _method.__doc__ = f"``{_op.name}(self)`` as a new node (drawn {_op.symbol})."
        setattr(Var, _op.name, _method)

#: The public functions of the op table (``exp``, ``sigmoid`` ...), by name.
FUNCTIONS: dict[str, Callable[[Operand], Var]] = {
    name: _function(op) for name, op in OPS.items() if op.function and op.public}
globals().update(FUNCTIONS)
__all__ += sorted(FUNCTIONS)


# -- walking, copying and pickling ------------------------------------------------------------

#: Held while a pass uses the nodes' ``_scratch`` slots (a walk's marks, the float
#: reverse pass's adjoints), so that two threads never share them.  Python runs one
#: thread's bytecode at a time anyway, so this costs no parallelism.
SCRATCH = threading.Lock()


def postorder(out: Var) -> list[Var]:
    """Every node under ``out``, inputs before the ops that use them (iterative).

    A depth-first post-order visiting inputs left to right, so the same graph always
    gives the same list.  :func:`symgrad.nodes` is this, with its argument checked.
    """
    with SCRATCH:
        return walk(out)


def walk(out: Var) -> list[Var]:
    """:func:`postorder`, for a caller that holds :data:`SCRATCH`."""
    # Seen nodes hold this walk's token in their scratch slot (a dict of them cost a hash
    # lookup per edge, out of cache by 10^5 nodes).  A node re-scans its inputs when the
    # walk comes back to it (no per-node iterators), and a leaf is emitted at once.
    token = object()  # held by every node it marks, so no later token can be it
    order: list[Var] = []
    out._scratch = token
    stack = [out]
    push, pop, emit = stack.append, stack.pop, order.append
    while stack:
        node = stack[-1]
        a = node._a
        if a is not None and a._scratch is not token:
            a._scratch = token
            if a._a is not None:
                push(a)
                continue
            emit(a)
        b = node._b
        if b is not None and b._scratch is not token:
            b._scratch = token
            if b._a is not None:
                push(b)
                continue
            emit(b)
        pop()
        emit(node)
    return order


def _flatten(out: Var) -> tuple[list[Var], list[tuple[Any, ...]]]:
    order = postorder(out)
    leaves = [v for v in order if v.op is None]
    index = {v: k for k, v in enumerate(order)}
    table = [(None if v.op is None else v.op.name, v.value, v.grad, v.name, v.scope,
              tuple(index[a] for a in v.inputs)) for v in order]
    return leaves, table


def _rebuild_leaf(value: float, grad: float, name: str | None, op: Op | None,
                  scope: str) -> Var:
    node = _new(Var)
    node.value, node.grad, node.name, node.op, node.scope = value, grad, name, op, scope
    node._a = node._b = node._scratch = None
    return node


def _rebuild(leaves: list[Var], table: list[tuple[Any, ...]]) -> Var:
    supply = iter(leaves)
    built: list[Var] = []
    for op_name, value, grad, name, tag, inputs in table:
        if op_name is None:
            built.append(next(supply))
            continue
        node = _rebuild_leaf(value, grad, name, op_named(op_name), tag)
        if inputs:  # not a constant
            node._a, node._b = built[inputs[0]], built[inputs[1]] if inputs[1:] else None
        built.append(node)
    return built[-1]
