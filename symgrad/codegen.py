"""Source text as a math namespace: the op table's rules, run on it, write Python.

:data:`SOURCE` is the namespace ``m`` that :mod:`symgrad.compile` runs every value and
partial rule on.  ``m.exp(a)`` writes ``exp(a)`` for every primitive :data:`~symgrad.ops.FLOAT`
has, and :class:`Source` objects carry their text, a precedence level and the value
slots they read; their operators (``+ - * / **``, unary minus) add only the parentheses
Python needs.  No op name is written here: the table's rules say what to compute.

>>> a, b = Source("v0", refs={0}), Source("v1", refs={1})
>>> SOURCE.exp(a + b).text
'exp(v0 + v1)'
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from .ops import FLOAT

__all__ = ["ATOM", "BARE", "MUL", "SOURCE", "Source", "as_source", "clean", "literal", "plain",
           "primitives", "wrap"]

_RESERVED = re.compile(r"[vg]\d+|part\d+|ok|s|value_and_grad")
#: A bare value slot, maybe negated: ``v3``, ``-v3``.
BARE = re.compile(r"-?v\d+")

_ADD, MUL, _NEG, _POW, ATOM = range(5)  # Python's precedence levels, loosest first


class Source:
    """The text of a small Python expression, its precedence, the value slots it reads,
    and its number when that is known while building (a constant).

    Operators write text with just the parentheses Python needs, and fold what is known:

    >>> a, b = Source("v0", refs={0}), Source("v1", refs={1})
    >>> (a - (b + 1)).text, (-a * b).text, ((a * b) ** 2).text, (2 * (a - b)).text
    ('v0 - (v1 + 1)', '-v0 * v1', '(v0 * v1) ** 2', '2 * (v0 - v1)')
    >>> (0 * a).text, (a * 1).text, (literal(3.0) - 1).text
    ('0.0', 'v0', '2.0')
    """

    __slots__ = ("num", "prec", "refs", "text")

    def __init__(self, text: str, prec: int = ATOM, refs: Iterable[int] = (),
                 num: float | None = None) -> None:
        self.text, self.prec, self.refs, self.num = text, prec, frozenset(refs), num

    def __add__(self, o: object) -> Source: return _binary("+", self, o)
    def __radd__(self, o: object) -> Source: return _binary("+", o, self)
    def __sub__(self, o: object) -> Source: return _binary("-", self, o)
    def __rsub__(self, o: object) -> Source: return _binary("-", o, self)
    def __mul__(self, o: object) -> Source: return _binary("*", self, o)
    def __rmul__(self, o: object) -> Source: return _binary("*", o, self)
    def __truediv__(self, o: object) -> Source: return _binary("/", self, o)
    def __rtruediv__(self, o: object) -> Source: return _binary("/", o, self)
    def __pow__(self, o: object) -> Source: return _binary("**", self, o)
    def __rpow__(self, o: object) -> Source: return _binary("**", o, self)
    def __pos__(self) -> Source: return self

    def __neg__(self) -> Source:
        if self.num is not None:
            return literal(-self.num)
        return Source(f"-{wrap(self, _POW)}", _NEG, self.refs)

    def __bool__(self) -> bool:
        raise TypeError("a rule branched on a value while writing code; put the branch "
                        "in a primitive of the math namespace (like relu and step)")

    def __repr__(self) -> str:
        return f"Source({self.text!r})"


def literal(x: float) -> Source:
    text = repr(x)
    return Source(text, _NEG if text.startswith("-") else ATOM, (), x)


def plain(x: object) -> bool:
    """A number that can be written as a literal: a finite float or a modest int."""
    return (type(x) is float and math.isfinite(x)) or (type(x) is int and abs(x) <= 2**53)


def as_source(x: object) -> Source:
    if isinstance(x, Source):
        return x
    if plain(x):
        return literal(x)  # type: ignore[arg-type]
    raise TypeError(f"cannot write {x!r} as code")


def wrap(e: Source, prec: int) -> str:
    return e.text if e.prec >= prec else f"({e.text})"


_FOLD: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "**": lambda a, b: a**b}
_PREC = {"+": _ADD, "-": _ADD, "*": MUL, "/": MUL, "**": _POW}


def _binary(sym: str, left: object, right: object) -> Source:
    a, b = as_source(left), as_source(right)
    x, y = a.num, b.num
    if x is not None and y is not None:  # both known: fold when the result is a finite float
        try:
            r = _FOLD[sym](x, y)
        except (ArithmeticError, ValueError):
            r = None
        if plain(r):
            return literal(r)  # type: ignore[arg-type]
    # Exact simplifications.  ``0 * e`` drops e only when e is a bare name or number,
    # so no computation that could fail is skipped.
    if sym == "*" and (x == 1 or y == 1):
        return b if x == 1 else a
    if sym == "*" and ((x == 0 and BARE.fullmatch(b.text)) or
                       (y == 0 and BARE.fullmatch(a.text))):
        return literal(0.0)
    if (sym in "+-" and y == 0) or (sym == "/" and y == 1):
        return a
    if sym in "+-" and x == 0:
        return b if sym == "+" else -b
    p = _PREC[sym]
    lp, rp = (ATOM, _NEG) if sym == "**" else (p, p + 1)
    return Source(f"{wrap(a, lp)} {sym} {wrap(b, rp)}", p, a.refs | b.refs)


def primitives() -> list[str]:
    """The names of the float primitives the rules may call (``exp``, ``log``, ...)."""
    return sorted(n for n in dir(FLOAT) if not n.startswith("_") and n.isidentifier()
                  and not keyword.iskeyword(n) and not _RESERVED.fullmatch(n)
                  and callable(getattr(FLOAT, n)))


class _SourceNamespace:
    """``m`` for writing code: ``m.exp(a)`` is the text ``exp(a)``, for each primitive
    of :data:`~symgrad.ops.FLOAT`."""

    def __getattr__(self, name: str) -> Callable[..., Source]:
        if name not in primitives():
            raise AttributeError(f"{name!r} is not a primitive of symgrad.ops.FLOAT")

        def call(*args: object) -> Source:
            xs = [as_source(a) for a in args]
            return Source(f"{name}({', '.join(x.text for x in xs)})", ATOM,
                          frozenset().union(*(x.refs for x in xs)))

        setattr(self, name, call)  # looked up once per name
        return call


#: The source namespace: the op table's rules, run on it, write Python.
SOURCE: Any = _SourceNamespace()


def clean(text: str, limit: int = 40) -> str:
    """``text`` made safe for a comment: unprintable characters (line breaks included)
    become ``?``; long text is cut."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


