"""Scopes: names for parts of a graph, so figures can fold a neuron or a layer.

Every node built inside ``with scope("h1"):`` is tagged ``"h1"``; scopes nest
(``"layer1/neuron2"``).  The current scope lives in a :class:`contextvars.ContextVar`,
so threads and async tasks each have their own.

>>> from symgrad import Var
>>> with scope("layer1"):
...     with scope("neuron2"):
...         v = Var(1.0) * 2
>>> v.scope, current_scope()
('layer1/neuron2', '')
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from .errors import InputError

__all__ = ["SCOPE", "current_scope", "scope"]

#: The scope new nodes are tagged with (``""`` outside any :func:`scope`).
SCOPE: contextvars.ContextVar[str] = contextvars.ContextVar("symgrad_scope", default="")


def current_scope() -> str:
    """The scope new nodes are tagged with (``""`` outside any :func:`scope`)."""
    return SCOPE.get()


@contextlib.contextmanager
def scope(name: str) -> Iterator[str]:
    """Tag every node built inside with a scope; scopes nest (``"layer1/neuron2"``)."""
    if not isinstance(name, str) or not name or "/" in name or name != name.strip():
        raise InputError(f"a scope name must be a non-empty string without '/' or "
                         f"surrounding spaces, got {name!r}; nest scopes for a path")
    outer = SCOPE.get()
    full = f"{outer}/{name}" if outer else name
    token = SCOPE.set(full)
    try:
        yield full
    finally:
        SCOPE.reset(token)
