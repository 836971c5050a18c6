"""An interactive page that steps through a graph's values, backprop and forward mode.

``symgrad.explore(out)`` draws the graph with :func:`symgrad.render.draw`, computes every
number a reader will see in Python (values, local partials, each backprop step's
``local × upstream = contribution`` and running sums, forward-mode tangents, the paths
and their products), and writes them into one self-contained HTML page whose small
script only *reveals* them, step by step:

1. ``values``: the forward evaluation, node by node in topological order;
2. ``reverse``: backprop from the output, one node per step, in
   ``reversed(symgrad.nodes(out))`` order;
3. ``forward``: forward mode for one chosen input, tangents flowing up to the output.

>>> from symgrad import Var
>>> x = Var(2.0, name="x")
>>> e = explore((x**2 + 3)**2 + x, wrt="x")
>>> e
<Explorer: 5 nodes, input x selected; .html(), .save(path), inline in Jupyter>
>>> e.data["reverse"]["steps"][-1][1]        # the last backprop step finishes df/dx
57.0
>>> page = e.html()
>>> page.startswith("<!DOCTYPE html>") and 'id="symgrad-data"' in page
True

The page's script exposes ``window.symgrad`` with ``reset()``, ``step()``, ``back()``,
``run()``, ``pass(name)``, ``select(inputName)`` and ``state()``; a URL fragment such as
``#pass=reverse&select=x&run`` sets the state on load.  Nothing is fetched: the page
works offline from ``file://``, in an iframe, or in Jupyter.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from ..analysis import Analysis
from ..errors import InputError, RenderError
from ..graph import check_var
from ..render.diagram import draw_with
from ..render.labels import fmt_number
from ..render.options import DrawOptions
from ..var import Var
from .data import MAX_NODES, build, drawn_nodes
from .page import render_page
from .svg import annotate

__all__ = ["DRAW_OPTIONS", "MAX_NODES", "Explorer", "explore"]

#: The options of :func:`symgrad.draw` that ``explore`` passes on.
DRAW_OPTIONS = ("show", "rankdir", "constants", "compact", "timeout", "max_work", "fold",
                "focus")
_REFUSED = {
    "highlight": "use wrt= to choose the input whose paths are highlighted",
    "grads": "the page writes every gradient itself, step by step",
}


class Explorer:
    """The explorer page of one graph: ``.html()``, ``.save(path)``, inline in Jupyter.

    Made by :func:`explore`; ``data`` is the JSON-able dict of every number on the page
    (see :mod:`symgrad.explorer.data`) and ``svg`` the annotated figure.
    """

    def __init__(self, *, svg: str, data: dict[str, Any], title: str,
                 inputs: list[tuple[int, str]]) -> None:
        self.svg = svg
        self.data = data
        self.title = title
        self._inputs = inputs
        self._html: str | None = None

    def __repr__(self) -> str:
        k = self.data["selected"]
        chosen = f"input {self._inputs[k][1]} selected" if k >= 0 else "no input selected"
        return (f"<Explorer: {len(self.data['nodes'])} nodes, {chosen}; .html(), "
                ".save(path), inline in Jupyter>")

    def html(self) -> str:
        """The page: one complete HTML5 document with everything inlined.

        >>> from symgrad import Var
        >>> x = Var(1.0, name="x")
        >>> page = explore(x * x).html()
        >>> page.startswith("<!DOCTYPE html>"), "https:" in page
        (True, False)
        """
        if self._html is None:
            self._html = render_page(svg=self.svg, data=self.data, title=self.title,
                                     inputs=self._inputs, selected=self.data["selected"])
        return self._html

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (UTF-8) and return the path written.

        A path that cannot be written raises :class:`~symgrad.errors.InputError`.

        >>> import tempfile, pathlib
        >>> from symgrad import Var
        >>> x = Var(1.0, name="x")
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     p = explore(x + 1).save(pathlib.Path(folder) / "page.html")
        ...     p.stat().st_size > 10_000
        True
        """
        try:
            p = Path(path)
        except TypeError:
            raise InputError(f"path must be a str or os.PathLike, got "
                             f"{type(path).__name__}: {path!r}") from None
        try:
            p.write_text(self.html(), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write the explorer page to {str(p)!r}: "
                             f"{exc.strerror or exc}; check that the folder exists and is "
                             "writable") from None
        return p

    def _repr_html_(self) -> str:
        """Jupyter's hook: the page in a sandboxed iframe, so styles and ids cannot clash."""
        doc = html.escape(self.html(), quote=True)
        return (f'<iframe srcdoc="{doc}" sandbox="allow-scripts" title="symgrad explorer" '
                'style="width:100%;height:720px;border:1px solid #d0d7de;border-radius:6px">'
                "</iframe>")


def explore(out: Var, *, wrt: Var | str | None = None, output_name: str = "f",
            digits: int = 4, renderer: str = "auto", **draw_options: Any) -> Explorer:
    """An interactive page that steps through the values, backprop and forward mode.

    - ``wrt``: the input (a leaf Var, or its name) selected when the page opens: its
      paths are highlighted and the forward pass follows it.
    - ``output_name``: what the output is called (``f = 50``, ``∂f/∂x``).
    - ``digits``: significant digits of the numbers shown.
    - ``renderer``: as for :func:`symgrad.draw` (the same pipeline draws the figure).
    - ``show``, ``rankdir``, ``constants``, ``compact``, ``timeout``, ``max_work``,
      ``fold``, ``focus``: passed to :func:`symgrad.draw`.  The page's own numbers stay
      unfolded: with ``fold=`` the figure draws each folded scope as one node, and the
      steps inside it are shown in the panels but not on the figure; with ``focus=``
      the steps of nodes left out of the figure are likewise only in the panels.

    Graphs with more than :data:`MAX_NODES` drawn nodes are refused with a
    :class:`~symgrad.errors.RenderError`; bad arguments raise
    :class:`~symgrad.errors.InputError`.

    >>> from symgrad import Var
    >>> a, b = Var(3.0, name="a"), Var(4.0, name="b")
    >>> e = explore(a * b + a, rankdir="TB")
    >>> [s[:2] for s in e.data["reverse"]["steps"]]     # node, its complete grad
    [[3, 1.0], [2, 1.0], [1, 3.0], [0, 5.0]]
    >>> explore(a * b, wrt="c")
    Traceback (most recent call last):
    ...
    symgrad.errors.InputError: wrt='c': the expression has no input named 'c' (its inputs: a, b)
    """
    check_var(out)
    for key in draw_options:
        if key in _REFUSED:
            raise InputError(f"explore() does not take {key}=: {_REFUSED[key]}")
        if key not in DRAW_OPTIONS:
            raise InputError(f"explore() got an unknown option {key}= (it takes wrt, "
                             f"output_name, digits, renderer, {', '.join(DRAW_OPTIONS)})")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise InputError(f"digits must be an integer from 1 to 17, got {digits!r}")
    if not isinstance(output_name, str) or not output_name:
        raise InputError(f"output_name must be a non-empty string, got {output_name!r}")
    an = Analysis(out)
    order = an.order
    selected = an.node(wrt, "wrt", input_only=True)
    constants = draw_options.get("constants", "inline")
    drawn = drawn_nodes(order, out, constants)
    if len(drawn) > MAX_NODES:
        raise RenderError(
            f"the graph has {len(drawn):,} drawn nodes, more than the explorer's "
            f"{MAX_NODES:,}: a page that big is neither quick nor readable. Explore a "
            "smaller graph: a sub-expression (explore(v) for an intermediate Var, such as "
            "one neuron's output), or the model on one sample instead of the whole data "
            "set; for an overview of the whole graph, draw it folded or focused: "
            "symgrad.draw(out, fold='neurons') or symgrad.draw(out, focus=x)")
    options = DrawOptions(grads=False, output_name=output_name, digits=digits,
                          renderer=renderer, **draw_options)
    diagram = draw_with(out, options, an)
    data = build(out, selected=selected, output_name=output_name, digits=digits,
                 constants=constants, analysis=an)
    data["compact"] = diagram.compact
    index = {v: k for k, v in enumerate(drawn)}
    names = {index[v]: str(v.name) for v in drawn if v.op is None}
    edge_keys: dict[tuple[int, int], list[int]] = {}
    for j, (head, _, tail, *_rest) in enumerate(data["edges"]):
        if tail >= 0:
            edge_keys.setdefault((tail, head), []).append(j)
    partial = options.fold is not None or options.focus is not None
    svg = annotate(diagram.svg(), count=len(drawn), names=names, edge_keys=edge_keys,
                   partial=partial)
    title = f"{output_name} = {fmt_number(out.value, digits)}"
    return Explorer(svg=svg, data=data, title=title,
                    inputs=[(k, names[k]) for k in data["inputs"]])
