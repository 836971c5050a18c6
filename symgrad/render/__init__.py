"""Drawing computation graphs: every edge labelled with its local derivative.

:func:`draw` turns a graph into a :class:`Diagram`, whose ``source`` is DOT text and
which renders to SVG, PNG and PDF, or shows itself in Jupyter.  The pieces:

- :mod:`symgrad.render.labels`: label text (numbers, op captions, derivative formulas);
- :mod:`symgrad.render.dot`: graph → DOT, a pure function, all quoting in one place;
- :mod:`symgrad.render.backends`: renderers behind one interface (:data:`RENDERERS`);
- :mod:`symgrad.render.diagram`: :func:`draw` and :class:`Diagram`.

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> d = draw(x * x + 1, show="number")
>>> "∂/∂v = 2" in d.source
True
"""

from __future__ import annotations

from .backends import RENDERERS, Renderer
from .diagram import COMPACT_ABOVE, MAX_WORK, Diagram, draw, layout_work
from .dot import quote, to_dot

__all__ = [
    "COMPACT_ABOVE", "MAX_WORK", "RENDERERS", "Diagram", "Renderer", "draw", "layout_work",
    "quote", "to_dot",
]
