"""``Compiled``: a graph's value and gradient as generated Python, called like a function.

:func:`symgrad.compile` makes one; this module runs it on floats or, through
:meth:`Compiled.batch`, on NumPy arrays (an optional extra: ``symgrad[numpy]``).
"""

from __future__ import annotations

import builtins
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .codegen import clean, primitives
from .errors import DomainError, InputError, SymgradError
from .ops import FLOAT, OPS, Op

__all__ = ["Compiled", "numpy_namespace"]


_FLOATS = frozenset({float})


def _scalar(v: object, name: str) -> float:
    if type(v) is float:
        f = v
    elif isinstance(v, numbers.Real) and not isinstance(v, bool):
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
    else:
        raise InputError(f"input {name!r} must be a real number, got {v!r} "
                         f"({type(v).__name__}); pass an int or a float")
    if f - f != 0.0:
        raise InputError(f"input {name!r} must be finite, got {v!r}")
    return f


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise SymgradError("Compiled.batch needs NumPy: pip install 'symgrad[numpy]'") from None
    return numpy


def numpy_namespace() -> dict[str, Callable[..., Any]]:
    """NumPy functions for the float primitives, by name: the op's own ``array`` form
    where the table gives one (sigmoid, relu, ...), else NumPy's function of that name,
    else the op's symbolic form written with NumPy (``log(1 + exp(a))``)."""
    np = _numpy()
    found = {}
    for name in primitives():
        op = OPS[name]
        f = op.array(np) if op.array is not None else getattr(np, name, None)
        if f is None:
            try:
                f = op.symbolic_function(np)
            except AttributeError:
                f = None
        if not callable(f):
            raise SymgradError(f"NumPy has no {name!r}: give the op table's {name!r} entry "
                               "an array= form")
        found[name] = f
    return found


class Compiled:
    """A graph's value and derivatives as generated Python: call it like a function.

    ``c(x=2, y=1)`` or ``c(2, 1)`` (inputs in :func:`symgrad.leaves` order) returns
    ``(value, {name: derivative})`` for the ``wrt`` inputs; :meth:`batch` does the same
    for arrays of points with NumPy.  ``source`` is the code: the forward pass, a line
    per operation (a value used once is written into the line that uses it, and named
    in that line's comment), then the reverse pass, each derivative written once as a
    sum with a line per edge, each line commented with the op's symbol and the edge it
    serves.  Constants are written in place as ``repr`` of their float.  Known local
    derivatives are simplified: along a 1 the derivative is passed on by name (``# g4
    is g5``, no code), a −1 subtracts, and a 0 leaves only a comment; a node whose value
    is known while building (``w * 0.0``) gets a comment instead of a line.

    >>> from symgrad import Var, compile
    >>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
    >>> c = compile((x**2 + 3)**2 + y)
    >>> c
    <Compiled: 4 operations, 5 edges; inputs x, y; wrt x, y>
    >>> c(x=2, y=1)
    (50.0, {'x': 56.0, 'y': 1.0})
    >>> print(c.source)
    def value_and_grad(v0, v1):
    ...
        g0 = g3 * (2.0 * pow(v0, 1.0))  # ∂(^)/∂a along v2 → v0 (x)
        return v5, (g0, g5), ok

    Inputs outside an op's domain raise :class:`~symgrad.errors.DomainError` naming
    the op, as the engine does; no infinity or NaN is ever returned.
    """

    def __init__(self, pieces: list[str], packed: bool, names: list[str], wrt: list[str],
                 plan: list[tuple[Op, tuple[int | float, ...]]], edges: list[tuple[int, int]],
                 slots: int) -> None:
        #: The generated Python; the input names in parameter order; the names in the result.
        self.source, self.inputs, self.wrt = "\n".join(pieces), tuple(names), tuple(wrt)
        self._packed, self._plan, self._edges, self._slots = packed, plan, edges, slots
        self._index = {name: i for i, name in enumerate(names)}
        self._result: dict[str, float] = dict.fromkeys(wrt, 0.0)
        self._codes = [builtins.compile(p, "<symgrad.compile>", "exec") for p in pieces]
        self._fn = self._load({n: getattr(FLOAT, n) for n in primitives()})
        self._batch_fn: Callable[..., Any] | None = None

    def _load(self, primitives: dict[str, Any]) -> Callable[..., Any]:
        namespace: dict[str, Any] = {"__builtins__": {}, **primitives}
        for code in self._codes:
            exec(code, namespace)
        return namespace["value_and_grad"]  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        def show(names: tuple[str, ...]) -> str:
            return ", ".join([clean(n, 24) for n in names[:6]] + ["…"] * (len(names) > 6))

        return (f"<Compiled: {len(self._plan)} operations, {len(self._edges)} edges; "
                f"inputs {show(self.inputs) or 'none'}; wrt {show(self.wrt) or 'none'}>")

    def _gather(self, args: Sequence[object], named: Mapping[str, object]) -> Sequence[Any]:
        n = len(self.inputs)
        if len(args) > n:
            raise InputError(f"the compiled function takes {n} inputs, got {len(args)} values")
        if not named and len(args) == n:
            return args
        if not args and len(named) == n:  # every input by name: n names, each found
            try:
                return list(map(named.__getitem__, self.inputs))
            except KeyError:
                pass
        values: list[Any] = [*args, *[_scalar] * (n - len(args))]  # _scalar: not given yet
        for key, v in named.items():
            i = self._index.get(key, -1)
            if i < 0 or i < len(args):
                raise InputError(f"unknown input {key!r} (the inputs: "
                                 f"{', '.join(map(repr, self.inputs)) or 'none'})" if i < 0 else
                                 f"input {key!r} is given twice, by position and by name")
            values[i] = v
        missing = [repr(k) for k, v in zip(self.inputs, values, strict=True) if v is _scalar]
        if missing:
            raise InputError(f"missing a value for input {', '.join(missing)}")
        return values

    def __call__(self, *args: float, **values: float) -> tuple[float, dict[str, float]]:
        xs = args if not values and len(args) == len(self.inputs) else self._gather(args, values)
        if not _FLOATS.issuperset(map(type, xs)) or (total := sum(xs)) - total != 0.0:
            xs = [_scalar(v, k) for v, k in zip(xs, self.inputs, strict=True)]  # or raise
        try:
            value, grads, ok = (self._fn([*xs, *[0.0] * (self._slots - len(xs))])
                                if self._packed else self._fn(*xs))
        except (ArithmeticError, ValueError) as exc:
            raise self._diagnose(xs, grads=()) or DomainError(
                f"the compiled code raised {type(exc).__name__}: {exc}") from None
        total = ok + value + sum(grads)
        if total - total != 0.0:
            err = self._diagnose(xs, grads)
            if err is not None:  # else finite values merely summed past the float range
                raise err
        result = self._result.copy()  # the right size already: filled without resizing
        result.update(zip(self.wrt, grads, strict=True))
        return value, result

    def _diagnose(self, xs: Sequence[float], grads: Sequence[float]) -> DomainError | None:
        """Re-run the table's rules on floats, node by node, to say what failed."""
        vals, first = list(xs), len(xs)

        def check(op: Op, rule: Callable[..., Any], args: tuple[int | float, ...],
                  *out: float, what: str = "") -> float:
            got = [vals[a] if isinstance(a, int) else a for a in args]
            try:
                r, why = rule(FLOAT, *out, *got), "the result is not finite"
            except (ArithmeticError, ValueError) as exc:
                r, why = math.nan, str(exc)
            if r - r != 0.0:
                shown = ", ".join(f"{clean(self.inputs[a], 24)}={x!r}"
                                  if isinstance(a, int) and a < first else repr(x)
                                  for a, x in zip(args, got, strict=True))
                need = getattr(op, "requires", "")
                raise DomainError(f"{what}{op.name}({shown}) is undefined ({why})"
                                  + (f"; {op.name} needs {need}" if need else ""))
            return r  # type: ignore[no-any-return]

        try:
            for op, args in self._plan:
                vals.append(check(op, op.value, args))
            for p, i in self._edges:
                op, args = self._plan[p]
                check(op, op.partials[i], args, vals[first + p], what="a local derivative of ")
        except DomainError as err:
            return err
        for name, g in zip(self.wrt, grads, strict=False):  # grads may be ()
            if not math.isfinite(g):
                return DomainError(f"the derivative with respect to {clean(name)!r} is not "
                                   f"finite ({g!r}): a product of local derivatives overflowed")
        return None

    def batch(self, *args: Any, **arrays: Any) -> tuple[Any, dict[str, Any]]:
        """Values and derivatives at many points at once, with NumPy.

        Pass arrays (or numbers, which broadcast) by position or by name; get
        ``(values, {name: derivatives})``, arrays of the broadcast shape.  The same code
        runs with NumPy functions for the primitives (:func:`numpy_namespace`).  A point
        outside an op's domain raises :class:`~symgrad.errors.DomainError` naming the
        point and the op.

        >>> from symgrad import Var, compile
        >>> x = Var(1.0, name="x")
        >>> compile(x * x).batch(x=[1, 2, 3])
        (array([1., 4., 9.]), {'x': array([2., 4., 6.])})
        """
        np = _numpy()
        if self._batch_fn is None:
            self._batch_fn = self._load(numpy_namespace())
        xs = []
        for v, name in zip(self._gather(args, arrays), self.inputs, strict=True):
            try:
                a = np.asarray(v, dtype=float)
            except (TypeError, ValueError):
                raise InputError(f"input {name!r} must be a number or an array of numbers, "
                                 f"got {v!r}") from None
            if not np.isfinite(a).all():
                raise InputError(f"input {name!r} holds a value that is not finite")
            xs.append(a)
        try:
            shape = np.broadcast_shapes(*(a.shape for a in xs))
        except ValueError:
            raise InputError("the inputs' shapes do not broadcast together: " + ", ".join(
                f"{k!r} {a.shape}" for k, a in zip(self.inputs, xs, strict=True))) from None
        with np.errstate(all="ignore"):  # NumPy gives inf or nan; they are checked below
            value, grads, ok = (self._batch_fn([*xs, *[0.0] * (self._slots - len(xs))])
                                if self._packed else self._batch_fn(*xs))
            fine = np.isfinite(ok) & np.isfinite(value)
            for g in grads:
                fine = fine & np.isfinite(g)
        for row in np.argwhere(~np.broadcast_to(fine, shape)):  # name what went wrong
            at = tuple(int(i) for i in row)
            try:
                self(*[float(np.broadcast_to(a, shape)[at]) for a in xs])
            except DomainError as exc:
                raise DomainError(f"at point {at[0] if len(at) == 1 else at}: {exc}") from None
            if not all(np.isfinite(np.broadcast_to(g, shape)[at]) for g in [value, *grads]):
                raise DomainError(f"at point {at}: NumPy's result is not finite where "
                                  "Python's float result is")
        return (np.array(np.broadcast_to(value, shape), dtype=float),
                {k: np.array(np.broadcast_to(g, shape), dtype=float)
                 for k, g in zip(self.wrt, grads, strict=True)})
