"""Argument validation, once: every public function checks its arguments with these.

Each check returns the value it accepted (converted where that is the point, e.g. to
``float``) or raises :class:`~symgrad.errors.InputError` naming the argument, what
it got and what it needs.

>>> real(2, "x"), integer(3, "steps", low=1), choice("show", "both", ("both", "none"))
(2.0, 3, 'both')
>>> real(float("nan"), "x")
Traceback (most recent call last):
...
symgrad.errors.InputError: x must be a finite real number, got nan
>>> integer(0, "steps", low=1)
Traceback (most recent call last):
...
symgrad.errors.InputError: steps must be a positive integer, got 0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypeVar

from .errors import InputError

__all__ = ["choice", "integer", "number", "real", "shown", "values_for"]

T = TypeVar("T")


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)``, shortened, and never the digits of a huge integer."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return f"an integer of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def real(value: object, what: str) -> float:
    """``value`` as a finite float; bools, non-numbers, inf, nan and overflow refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{what} must be a finite real number, got {shown(value)} "
                         f"({type(value).__name__}); pass an int or a float")
    try:
        f = float(value)
    except OverflowError:
        raise InputError(f"{what} must be a finite real number, got {shown(value)}, "
                         "which is beyond the largest float (about 1.8e308)") from None
    if not math.isfinite(f):
        raise InputError(f"{what} must be a finite real number, got {f!r}")
    return f


def number(value: object, what: str, *, positive: bool = False,
           optional: bool = False) -> float | None:
    """A finite real number (``> 0`` with ``positive``; ``None`` allowed with ``optional``)."""
    if value is None and optional:
        return None
    if not positive:
        return real(value, what)
    try:
        f = real(value, what)
    except InputError:
        f = math.nan
    if not f > 0:
        extra = " (or None for the default)" if optional else ""
        raise InputError(f"{what} must be a positive finite number{extra}, got "
                         f"{shown(value)}")
    return f


def integer(value: object, what: str, *, low: int | None = None, high: int | None = None,
            optional: bool = False) -> Any:
    """An ``int`` (never a bool) within ``[low, high]``; ``None`` allowed with ``optional``."""
    if value is None and optional:
        return None
    ok = isinstance(value, int) and not isinstance(value, bool)
    if ok and (low is None or value >= low) and (high is None or value <= high):  # type: ignore[operator]
        return value
    if low is not None and high is not None:
        need = f"an integer from {low} to {high}"
    elif low in (0, 1):
        need = "a positive integer" if low == 1 else "a non-negative integer"
    elif low is not None:
        need = f"an integer of at least {low}"
    else:
        need = "an integer"
    raise InputError(f"{what} must be {need}{' or None' if optional else ''}, got "
                     f"{shown(value)}")


def choice(what: str, value: T, choices: Collection[Any], *, keyword: bool = False) -> T:
    """``value`` if it is one of ``choices``, else an error listing them.

    The message reads ``unknown what: 'x'``, or ``unknown what='x'`` for a keyword.
    """
    try:
        ok = value in choices
    except TypeError:  # unhashable
        ok = False
    if not ok:
        listed = ", ".join(repr(c) for c in choices)
        sep = "=" if keyword else ": "
        raise InputError(f"unknown {what}{sep}{shown(value)} (must be one of {listed})")
    return value


def values_for(names: Sequence[str], default: float | None,
               values: Mapping[str, object]) -> dict[str, float]:
    """A finite float for every name: from ``values``, else ``default``.

    A value for a name not in ``names`` (usually a typo) and a missing value without a
    default are errors.

    >>> values_for(["x", "y"], 0.5, {"x": 2})
    {'x': 2.0, 'y': 0.5}
    >>> values_for(["x"], None, {"z": 1})
    Traceback (most recent call last):
    ...
    symgrad.errors.InputError: a value was given for 'z', which the expression does not use ...
    """
    known = set(names)
    unknown = [k for k in values if k not in known]
    if unknown:
        listed = ", ".join(names) if names else "none"
        raise InputError(f"a value was given for {', '.join(map(repr, unknown))}, which the "
                         f"expression does not use (its variables: {listed})")
    out: dict[str, float] = {}
    missing = []
    for name in names:
        if name in values:
            out[name] = real(values[name], f"the value of {name}")
        elif default is not None:
            out[name] = real(default, "default")
        else:
            missing.append(name)
    if missing:
        how = ", ".join(f"{n}=..." for n in missing)
        raise InputError(f"no value for {', '.join(missing)}: pass {how} "
                         "(or default=... for every variable without a value)")
    return out
