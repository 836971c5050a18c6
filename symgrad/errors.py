"""Every error a user can cause is a :class:`SymgradError`.

Each subclass also derives from the built-in exception a Python programmer would
expect (``ValueError``, ``ArithmeticError``, ``AssertionError`` ...), so existing
``except`` clauses keep working.  Messages name the thing that is wrong and say how
to fix it.

>>> from symgrad.errors import SymgradError, DomainError
>>> issubclass(DomainError, SymgradError) and issubclass(DomainError, ArithmeticError)
True
"""

from __future__ import annotations

__all__ = [
    "DomainError",
    "GradientMismatchError",
    "InputError",
    "ParseError",
    "PathLimitError",
    "RenderError",
    "SymgradError",
    "UnsupportedError",
    "VerificationError",
]


class SymgradError(Exception):
    """Base class of every error symgrad raises on purpose."""


class InputError(SymgradError, ValueError):
    """An argument has the wrong type or value (not a number, unknown option, ...)."""


class DomainError(SymgradError, ArithmeticError):
    """An operation was applied outside its domain (log of a negative, 1/0, overflow).

    symgrad's policy: a value or a local derivative that would be undefined, complex
    or infinite raises this error at the moment it is computed, naming the operation
    and its arguments.  No NaN or infinity is ever silently stored in a graph.
    """


class PathLimitError(SymgradError):
    """Enumerating the paths of a graph would exceed the requested limit."""


class GradientMismatchError(SymgradError, AssertionError):
    """Backprop and finite differences disagree (raised by :func:`symgrad.gradcheck`)."""


class ParseError(SymgradError, ValueError):
    """Text could not be parsed into an expression graph.

    ``column`` is the 1-based column of the offending character when known.
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


class UnsupportedError(SymgradError, ValueError):
    """A SymPy expression uses something the op table cannot represent."""


class VerificationError(SymgradError, AssertionError):
    """Two ways of computing the same derivative disagree (see :func:`symgrad.verify`)."""


class RenderError(SymgradError, RuntimeError):
    """A figure could not be rendered: missing renderer, bad format or Graphviz error."""
