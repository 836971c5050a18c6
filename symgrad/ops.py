"""The op table: one entry per operation, and everything symgrad knows about it.

An :class:`Op` holds an operation's forward value rule, its local partial derivatives
by argument position, its float implementation (``numeric``), its display symbol, the Python
operator it is written with (for the parser and ``Var``'s operators), its symbolic
form (SymPy, SymEngine) and how to recognise it in a SymPy expression, where its
derivative is undefined (its kinks), its caption in a figure where that differs from
the default, and the domain its inputs are drawn from in tests.

Everything per op derives from this table: ``Var``'s operators and methods, the
``symgrad.<fn>`` functions and ``__all__``, the parser's operators and functions, the
SymPy and SymEngine namespaces and the SymPy → graph map, the figures' captions and
formulas, the CLI's help and the table tests.  **Adding an operation means adding one
entry to the table below**, and nothing else.

Rules are written once, against a small *math namespace* ``m`` whose attributes are
the table's primitives (``m.exp``, ``m.pow`` ...).  The same rule then runs on floats
(:data:`FLOAT`), on :class:`~symgrad.Var` graphs (``create_graph=True``), on SymPy
or SymEngine expressions (symbolic backprop and edge labels) and on source text
(:mod:`symgrad.compile`).  A partial rule receives ``(m, out, *args)``, where ``out`` is
the op's own output in the same namespace, so ``exp``'s partial is simply ``out``.

>>> OPS["pow"].partials[0](FLOAT, 9.0, 3.0, 2.0)   # d(a**b)/da at a=3, b=2
6.0
>>> OPS["sigmoid"].symbol, OPS["relu"].kinks, by_operator("*").name
('σ', (0.0,), 'mul')
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

__all__ = ["CONST", "FLOAT", "FUNCTIONS", "OPS", "Op", "by_operator", "namespace", "op_named",
           "supported_text"]

Rule = Callable[..., Any]
#: ``lift(expr, module)``: the operands when ``expr`` (SymPy) is this op, else ``None``.
Lift = Callable[[Any, Any], "Sequence[Any] | None"]

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


@dataclass(frozen=True, slots=True, eq=False)
class Op:
    """One operation: a name, a symbol, a value rule (or ``numeric``) and the partials.

    ``value`` is the value rule ``(m, *args)``; when omitted the op is a *primitive*:
    its value is ``m.<name>(*args)``, so every namespace must provide it (``FLOAT``
    gets ``numeric``; symbolic namespaces get ``symbolic``).
    """

    name: str
    symbol: str
    value: Rule = None  # type: ignore[assignment]  # a default is set in __post_init__
    #: Local partial derivatives by argument position: ``rule(m, out, *args)``.
    partials: tuple[Rule, ...] = ()
    #: The fast float implementation ``numeric(*args) -> float``; by default the value
    #: rule run on :data:`FLOAT`.  A primitive op must give it.
    numeric: Callable[..., float] = None  # type: ignore[assignment]
    #: The Python operator that writes this op (``"+"``, ``"**"``; ``"-"`` with one
    #: argument is negation).  Empty for ops written as calls, ``exp(x)``.
    operator: str = ""
    #: The op's symbolic form: a function name in SymPy/SymEngine (default: ``name``),
    #: or ``module -> function`` where the module spells it otherwise.
    symbolic: str | Callable[[Any], Callable[..., Any]] | None = None
    #: How to find this op in a SymPy expression; default: a call of ``symbolic``.
    lift: Lift | None = None
    #: The op's primitive on NumPy arrays, ``numpy -> function``, where NumPy's function
    #: of the same name is not it (``Compiled.batch``).
    array: Callable[[Any], Callable[..., Any]] | None = None
    #: Points where the derivative is undefined (the rules take a one-sided value).
    kinks: tuple[float, ...] = ()
    #: ``caption(texts, consts)``: a figure's caption when it differs from the default
    #: (``texts`` are the arguments as written: ``"a"`` or a constant's digits).
    caption: Callable[[tuple[str, ...], tuple[float | None, ...]], str | None] | None = None
    #: Per argument, an interval ``(low, high)`` of valid inputs (for the table tests).
    domain: tuple[tuple[float, float], ...] = ()
    #: What the inputs must satisfy, in words, for error messages.
    requires: str = ""
    #: ``False`` for an op users do not call (``step``, relu's derivative).
    public: bool = True
    #: True when namespaces must provide ``m.<name>`` (no value rule was given).
    primitive: bool = field(init=False, repr=False)
    #: The partials, when every one is a number whatever the arguments (``add``:
    #: ``(1, 1)``, ``neg``: ``(-1,)``), else ``None``: the float engine then multiplies
    #: by them instead of calling the rules.  Found by calling the rules on placeholders.
    constant_partials: tuple[float, ...] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "primitive", self.value is None)
        if self.value is None:
            if self.numeric is None:
                raise TypeError(f"op {self.name!r}: give a value rule, or numeric= for a "
                                "primitive")
            name = self.name
            object.__setattr__(self, "value", lambda m, *args: getattr(m, name)(*args))
        elif self.numeric is None:
            rule = self.value
            object.__setattr__(self, "numeric", lambda *args: rule(FLOAT, *args))
        object.__setattr__(self, "constant_partials", _constant_partials(self.partials))

    @property
    def arity(self) -> int:
        return len(self.partials)

    @property
    def function(self) -> bool:
        """True for ops written as calls: ``exp(x)``, ``x.exp()``."""
        return not self.operator

    def symbolic_function(self, module: Any) -> Callable[..., Any]:
        """The op's primitive in a symbolic module (``sympy``, ``symengine``)."""
        if callable(self.symbolic):
            return self.symbolic(module)
        return getattr(module, self.symbolic or self.name)  # type: ignore[no-any-return]

    def match(self, expr: Any, module: Any) -> Sequence[Any] | None:
        """The operands if the SymPy expression ``expr`` is this op, else ``None``."""
        if self.lift is not None:
            return self.lift(expr, module)
        if not self.function or callable(self.symbolic):
            return None
        func = getattr(module, self.symbolic or self.name, None)
        return expr.args if func is not None and expr.func is func \
            and len(expr.args) == self.arity else None

    def label(self, texts: tuple[str, ...], consts: tuple[float | None, ...] = ()) -> str:
        """The caption of an op node whose arguments are written ``texts``."""
        custom = self.caption(texts, consts) if self.caption else None
        if custom is not None:
            return custom
        if self.arity == 2 and texts != ("a", "b"):
            return f"{texts[0]} {self.symbol} {texts[1]}"
        return self.symbol

    # One table entry per name: copies and pickles of a graph refer to the same ops.
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return op_named, (self.name,)

    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Op:
        return self

    def __repr__(self) -> str:
        return f"<op {self.name}>"


def _sigmoid(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _relu(a: float) -> float:
    return a if a > 0.0 else 0.0


def _step(a: float) -> float:
    return 1.0 if a > 0.0 else 0.0


def _zero(m: Any, out: Any, a: Any) -> Any:
    return 0 * a


def _power_caption(texts: tuple[str, ...], consts: tuple[float | None, ...]) -> str | None:
    """``a²``, ``a⁻¹``: a constant integer exponent is written as a superscript."""
    e = consts[1] if len(consts) > 1 else None
    if consts[:1] in ((), (None,)) and e is not None and e.is_integer() and abs(e) < 1000:
        return texts[0] + str(int(e)).translate(_SUPERSCRIPT)
    return None


def _pow_base(m: Any, out: Any, a: Any, b: Any) -> Any:
    # b·a^(b−1), and exactly 0 when b is 0 (a⁰ is constant wherever a is defined).
    return 0 * a if isinstance(b, (int, float)) and b == 0 else b * m.pow(a, b - 1)


def _array_sigmoid(np: Any) -> Callable[[Any], Any]:
    def sigmoid(a: Any) -> Any:  # exp of -|a| only, so it never overflows
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return sigmoid


def _sqrt_lift(e: Any, s: Any) -> Sequence[Any] | None:
    return (e.base,) if e.is_Pow and e.exp == s.S.Half else None


def _relu_lift(e: Any, s: Any) -> Sequence[Any] | None:
    if e.func is s.Max and len(e.args) == 2 and s.S.Zero in e.args:
        return (e.args[1] if e.args[0] == 0 else e.args[0],)
    return None


def _step_lift(e: Any, s: Any) -> Sequence[Any] | None:
    if e.func is s.Heaviside and len(e.args) == 2 and e.args[1] == 0:
        return e.args[:1]
    return None


def _constant_partials(partials: tuple[Rule, ...]) -> tuple[float, ...] | None:
    """Each rule's result when none of them looks at the namespace, the output or the
    arguments (placeholders that support no operation are passed), else ``None``."""
    placeholder = object()
    found = []
    for rule in partials:
        try:
            c = rule(None, placeholder, *[placeholder] * len(partials))
        except (TypeError, AttributeError):
            return None
        if type(c) not in (int, float):
            return None
        found.append(c)
    return tuple(found)


_table = [
    Op("add", "+", lambda m, a, b: a + b, (lambda m, out, a, b: 1, lambda m, out, a, b: 1),
       operator.add, operator="+", domain=((-3, 3), (-3, 3))),
    Op("sub", "−", lambda m, a, b: a - b, (lambda m, out, a, b: 1, lambda m, out, a, b: -1),
       operator.sub, operator="-", domain=((-3, 3), (-3, 3))),
    Op("mul", "×", lambda m, a, b: a * b, (lambda m, out, a, b: b, lambda m, out, a, b: a),
       operator.mul, operator="*", domain=((-3, 3), (-3, 3))),
    Op("div", "÷", lambda m, a, b: a / b,
       (lambda m, out, a, b: 1 / b, lambda m, out, a, b: -a / b**2), operator.truediv,
       operator="/", domain=((-3, 3), (0.5, 3)), requires="a nonzero divisor"),
    Op("pow", "^", partials=(_pow_base, lambda m, out, a, b: out * m.log(a)),
       numeric=math.pow, operator="**", symbolic=lambda s: lambda a, b: a**b,
       array=lambda np: np.power,
       caption=_power_caption, domain=((0.2, 3), (-2, 2)),
       requires="a positive base for a non-integer exponent, a nonzero base for a negative "
                "one, and a positive base to differentiate by the exponent"),
    Op("neg", "−", lambda m, a: -a, (lambda m, out, a: -1,), operator.neg, operator="-",
       domain=((-3, 3),)),
    Op("exp", "exp", partials=(lambda m, out, a: out,), numeric=math.exp, domain=((-3, 3),),
       requires="an input below about 709 (larger overflows)"),
    Op("log", "log", partials=(lambda m, out, a: 1 / a,), numeric=math.log,
       domain=((0.1, 5),), requires="a positive input"),
    Op("sin", "sin", partials=(lambda m, out, a: m.cos(a),), numeric=math.sin,
       domain=((-3, 3),)),
    Op("cos", "cos", partials=(lambda m, out, a: -m.sin(a),), numeric=math.cos,
       domain=((-3, 3),)),
    Op("tanh", "tanh", partials=(lambda m, out, a: 1 - out**2,), numeric=math.tanh,
       domain=((-3, 3),)),
    Op("sigmoid", "σ", partials=(lambda m, out, a: out * (1 - out),), numeric=_sigmoid,
       symbolic=lambda s: lambda a: 1 / (1 + s.exp(-a)), array=_array_sigmoid,
       domain=((-5, 5),)),
    Op("relu", "relu", partials=(lambda m, out, a: m.step(a),), numeric=_relu,
       symbolic=lambda s: lambda a: s.Max(0, a), lift=_relu_lift, kinks=(0.0,),
       array=lambda np: lambda a: np.where(a > 0.0, a, 0.0),
       domain=((-3, 3),)),
    Op("sqrt", "√", partials=(lambda m, out, a: 1 / (2 * out),), numeric=math.sqrt,
       lift=_sqrt_lift, domain=((0.1, 5),),
       requires="a positive input (its derivative is infinite at 0)"),
    # The derivative of relu.  Its own derivative is zero wherever it is defined.
    Op("step", "step", partials=(_zero,), numeric=_step,
       symbolic=lambda s: lambda a: s.Heaviside(a, 0), lift=_step_lift, kinks=(0.0,),
       array=lambda np: lambda a: np.where(a > 0.0, 1.0, 0.0), domain=((-3, 3),),
       public=False),
]

# The engine's loops are unrolled for one and two arguments.
assert all(op.arity in (1, 2) for op in _table), "ops take one or two arguments"

#: Every operation symgrad knows, by name.
OPS: dict[str, Op] = {op.name: op for op in _table}

#: The ops written as function calls (``exp(x)``), by name.
FUNCTIONS: dict[str, Op] = {name: op for name, op in OPS.items() if op.function}

#: Marks a constant node: a plain number that entered a graph.  Not in :data:`OPS`.
CONST = Op("const", "const", lambda m: 0.0, (), float, public=False)


def op_named(name: str) -> Op:
    """The table's op called ``name`` (or :data:`CONST`); copies and pickles use it."""
    return CONST if name == CONST.name else OPS[name]


def by_operator(token: str, arity: int = 2) -> Op:
    """The op written with the Python operator ``token`` (``"-"`` with ``arity=1``: neg).

    >>> by_operator("-", 1).name, by_operator("**").symbol
    ('neg', '^')
    """
    for op in _table:
        if op.operator == token and op.arity == arity:
            return op
    raise KeyError(f"no op is written {token!r} with {arity} argument(s)")


def namespace(primitive: Callable[[Op], Callable[..., Any]], **extra: Any) -> SimpleNamespace:
    """A math namespace: ``m.<name>`` for every primitive op, from ``primitive(op)``.

    ``extra`` adds or replaces entries (SymPy's ``total`` for n-ary sums, say).

    >>> namespace(lambda op: op.numeric).exp(0.0)
    1.0
    """
    entries = {op.name: primitive(op) for op in _table if op.primitive}
    entries.update(extra)
    return SimpleNamespace(**entries)


def supported_text() -> str:
    """The functions and operators expressions may use, for help texts and messages.

    >>> supported_text()
    '+ - * / ** and cos, exp, log, relu, sigmoid, sin, sqrt, step, tanh'
    """
    operators = " ".join(op.operator for op in _table if op.operator and op.arity == 2)
    return f"{operators} and {', '.join(sorted(FUNCTIONS))}"


#: The float namespace the rules run on for numeric work.
FLOAT = namespace(lambda op: op.numeric)
