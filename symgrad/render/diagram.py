"""``draw`` and :class:`Diagram`: a graph's figure as DOT, SVG, PNG or PDF.

>>> from symgrad import Var
>>> x, y = Var(2.0, name="x"), Var(1.0, name="y")
>>> d = draw((x**2 + 3)**2 + y)
>>> d
<Diagram: 6 nodes, 5 edges; .source, .svg(), .png(), .pdf(), .save(path)>
>>> "∂/∂u = 2u = 14" in d.source          # the edge 7 → (u²): d(u²)/du at u = 7
True
>>> d.svg().startswith("<?xml")
True
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from ..analysis import Analysis
from ..errors import InputError, RenderError
from ..fold import Fold
from ..graph import check_var, nodes
from ..ops import CONST
from ..var import Var
from .backends import DEFAULT_TIMEOUT, Renderer, render
from .dot import to_dot
from .fold import Scene, build_scene
from .options import COMPACT_ABOVE, MAX_WORK, DrawOptions

__all__ = ["COMPACT_ABOVE", "MAX_WORK", "PNG_DPI", "SUFFIXES", "Diagram", "draw", "draw_with",
           "layout_work"]
#: The resolution of ``Diagram.png()`` unless ``dpi=`` is given (Graphviz's own is 96).
PNG_DPI = 144
#: The suffixes :meth:`Diagram.save` understands.
SUFFIXES = (".svg", ".png", ".pdf", ".dot")
_NODE_LINE = re.compile(r'^  "[ng]\d+" \[', re.M)


class Diagram:
    """A drawn graph: its DOT ``source`` and the means to render it.

    Rendering happens on demand and is cached.  ``renderer`` and ``timeout`` are those
    given to :func:`draw`; see :mod:`symgrad.render.backends`.
    """

    def __init__(self, source: str, *, renderer: str | Renderer = "auto",
                 timeout: float = DEFAULT_TIMEOUT, compact: bool = False) -> None:
        self.source = source
        self.renderer = renderer
        self.timeout = timeout
        #: True when the figure was drawn in the compact style (no edge labels).
        self.compact = compact
        self._cache: dict[tuple[object, ...], bytes] = {}

    def __repr__(self) -> str:
        n_nodes = len(_NODE_LINE.findall(self.source))
        n_edges = sum(1 for ln in self.source.splitlines() if " -> " in ln)
        style = " (compact)" if self.compact else ""
        return (f"<Diagram{style}: {n_nodes} nodes, {n_edges} edges; .source, .svg(), "
                ".png(), .pdf(), .save(path)>")

    def _render(self, fmt: str, dpi: float | None = None) -> bytes:
        # Keyed by everything that shapes the bytes, so changing .source or .renderer
        # renders afresh.
        r = self.renderer if isinstance(self.renderer, str) else id(self.renderer)
        key = (fmt, dpi, r, self.source)
        if key not in self._cache:
            self._cache[key] = render(self.source, fmt, self.renderer,
                                      timeout=self.timeout, dpi=dpi)
        return self._cache[key]

    def svg(self) -> str:
        """The figure as SVG text."""
        return self._render("svg").decode("utf-8")

    def png(self, dpi: float = PNG_DPI) -> bytes:
        """The figure as PNG bytes, at ``dpi`` dots per inch."""
        if not isinstance(dpi, int | float) or isinstance(dpi, bool) or not 10 <= dpi <= 1200:
            raise InputError(f"dpi must be a number from 10 to 1200, got {dpi!r}")
        return self._render("png", float(dpi))

    def pdf(self) -> bytes:
        """The figure as PDF bytes (needs a system Graphviz ``dot``)."""
        return self._render("pdf")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the figure to ``path``; the suffix picks the format (.svg .png .pdf .dot).

        Returns the path written.
        """
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix not in SUFFIXES:
            raise RenderError(f"cannot save {str(p)!r}: unknown suffix {p.suffix or '(none)'!r} "
                              f"(must be one of {', '.join(SUFFIXES)})")
        if suffix == ".dot":
            data = self.source.encode("utf-8")
        elif suffix == ".png":
            data = self.png()
        else:
            data = self._render(suffix[1:])
        try:
            p.write_bytes(data)
        except OSError as exc:
            raise InputError(f"cannot write the figure to {str(p)!r}: {exc.strerror or exc}; "
                             "check that the folder exists and is writable") from None
        return p

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter's display hook: SVG plus text; never raises, falls back to text."""
        bundle: dict[str, str] = {"text/plain": repr(self)}
        try:
            bundle["image/svg+xml"] = self.svg()
        except Exception as exc:  # a display hook must not raise
            bundle["text/plain"] = f"{self!r}\n(could not render the figure: {exc})"
        return bundle


def layout_work(out: Var, *, compact: bool = False,
                constants: Literal["inline", "nodes"] = "inline") -> int:
    """An estimate of Graphviz's work to lay the figure out, in node-sized units.

    Graphviz's ``dot`` puts nodes in ranks, and an edge that spans ``k`` ranks becomes
    ``k − 1`` invisible nodes, on which crossing minimisation then spends its time.
    The estimate ranks each op one above its highest input and each leaf just below its
    lowest consumer, then counts drawn nodes plus invisible ones: ``n + Σ(span − 1)``.
    With edge labels (the full style) every edge also gets a label node and every span
    doubles, and each unit measured about three times as slow, so the full style counts
    ``3·(n + e + 2·Σ(span − 1))``.  Iterative: any depth is fine.

    >>> from symgrad import Var
    >>> x = Var(2.0, name="x")
    >>> layout_work((x**2 + 3)**2 + x, compact=True)     # 5 nodes, the edge x → + spans 3
    8
    """
    order = nodes(check_var(out))
    return _work(order, compact, constants == "inline")[0]


def _work(order: list[Var], compact: bool, inline: bool) -> tuple[int, int, int]:
    """(layout work, drawn nodes, drawn edges) of the unfolded figure of ``order``."""
    drawn = [v for v in order if not (inline and v.op is CONST)] or order[-1:]
    keep = set(drawn)
    return _ranked_work(drawn, lambda v: [a for a in v.inputs if a in keep],
                        lambda v: not v.inputs, compact)


def _scene_work(scene: Scene, compact: bool) -> tuple[int, int, int]:
    """(layout work, drawn nodes, drawn edges) of a scene's figure."""
    tails: dict[Any, list[Any]] = {n: [] for n in scene.nodes}
    for e in scene.edges:
        tails[e.head].append(e.tail)
    return _ranked_work(scene.nodes, tails.__getitem__,
                        lambda n: n.var is not None and not n.var.inputs, compact)


def _ranked_work(drawn: list[Any], inputs: Callable[[Any], Iterable[Hashable]],
                 is_source: Callable[[Any], bool], compact: bool) -> tuple[int, int, int]:
    """Rank every node one above its highest input, each source just below its lowest
    consumer, and count ``n + Σ(span − 1)`` (see :func:`layout_work`)."""
    rank: dict[Any, int] = {}
    low: dict[Any, int] = {}  # a source's lowest consumer rank
    for v in drawn:
        ins = [a for a in inputs(v) if a in rank]
        rank[v] = 1 + max((rank[a] for a in ins), default=-1)
        for a in ins:
            if is_source(a):
                low[a] = min(low.get(a, rank[v]), rank[v])
    for a, r in low.items():
        rank[a] = r - 1
    edges = span = 0
    for v in drawn:
        for a in inputs(v):
            if a in rank:
                edges += 1
                span += rank[v] - rank[a] - 1
    n = len(drawn)
    work = n + span if compact else 3 * (n + edges + 2 * span)
    return work, n, edges


def draw(
    out: Var,
    *,
    show: Literal["both", "formula", "number", "none"] = "both",
    rankdir: Literal["LR", "RL", "TB", "BT"] = "LR",
    constants: Literal["inline", "nodes"] = "inline",
    highlight: Var | str | None = None,
    grads: bool | Literal["auto"] = "auto",
    compact: bool | Literal["auto"] = "auto",
    renderer: str | Renderer = "auto",
    timeout: float = DEFAULT_TIMEOUT,
    digits: int = 4,
    output_name: str = "f",
    path_limit: int = 12,
    max_work: int | None = MAX_WORK,
    fold: Fold = None,
    focus: Var | str | None = None,
) -> Diagram:
    """Draw the graph under ``out``: every edge labelled with its local derivative.

    Leaves are boxes (name, value, and ``grad`` once backward has run); each op is an
    ellipse with the op table's symbol and its value; the output is doubly outlined and
    named ``output_name``.  Each edge input → op says the value it carries, named by
    argument position (``a = x = 2``; ``b`` for a second argument), and the local
    derivative of the op with respect to it (``∂/∂a = 2a = 4``).

    Options:

    - ``show``: which part of each local derivative to write: ``"both"`` (formula and
      number), ``"formula"``, ``"number"`` or ``"none"`` (values only).  Formulas come
      from the op table's own rules applied to SymPy symbols.
    - ``rankdir``: ``"LR"`` (inputs on the left), ``"RL"``, ``"TB"`` or ``"BT"``.
    - ``constants``: ``"inline"`` writes numbers into their op (``a²``, and the
      formula ``2a``); ``"nodes"`` gives each constant its own node and keeps formulas
      general (``b·a^(b−1)``).
    - ``highlight``: a Var of the graph or a leaf's name.  Every path from the output
      to it is drawn in red, and the legend lists each path's product of local
      derivatives and their sum, which is the gradient (up to ``path_limit`` paths;
      beyond that, the count and the sum only).
    - ``grads``: show ``grad`` on every node; ``"auto"`` shows it once backward has run
      (when some node has a nonzero ``grad``).
    - ``compact``: the compact style (values only, no edge labels, small nodes, a
      quicker layout); ``"auto"`` uses it above :data:`COMPACT_ABOVE` drawn nodes, or
      when the full style's :func:`layout_work` would exceed ``max_work``.
    - ``renderer``: ``"auto"`` (embedded graphviz-pure for SVG/PNG, system ``dot`` for
      PDF), ``"embedded"``, ``"dot"``, or a :class:`~symgrad.render.backends.Renderer`.
    - ``timeout``: seconds a renderer may run before a ``RenderError``.
    - ``digits``: significant digits of the numbers shown.
    - ``output_name``: what the output is called (``f = 50``, ``∂f/∂x``).
    - ``max_work``: refuse with a ``RenderError`` when :func:`layout_work` exceeds it
      (default :data:`MAX_WORK`, about 10 s); ``None`` never refuses.
    - ``fold``: draw scopes (:func:`symgrad.scope`; :mod:`symgrad.nn` scopes its models)
      as one node each: ``"neurons"``, a depth (``1`` folds ``layer0``, ``layer1`` ...)
      or a list of scope names.  A folded node shows its scope, its output value (and
      ``grad``), with a port per output when it has several; each edge into it carries
      the value and the composite derivative ∂output/∂input, backprop inside the
      scope, with its formula where it is short (``σ′(z)·x0``).  See
      :mod:`symgrad.fold`.  Scopes left unfolded are drawn as clusters.
    - ``focus``: a Var of the graph or a leaf's name: keep only the nodes on the paths
      from the output to it; the other inputs of the ops kept are drawn small and
      dimmed, and the figure's label says how many nodes were left out.

    Bad options raise :class:`~symgrad.errors.InputError`; a figure too big to lay out
    raises :class:`~symgrad.errors.RenderError` saying how to get a smaller one.

    >>> from symgrad import Var
    >>> x = Var(2.0, name="x")
    >>> d = draw((x**2 + 3)**2 + x, highlight="x")
    >>> "sum = 57 = ∂f/∂x" in d.source
    True
    """
    check_var(out)
    options = DrawOptions(show=show, rankdir=rankdir, constants=constants,
                          highlight=highlight, grads=grads, compact=compact,
                          renderer=renderer, timeout=timeout, digits=digits,
                          output_name=output_name, path_limit=path_limit, max_work=max_work,
                          fold=fold, focus=focus)
    return draw_with(out, options)


def draw_with(out: Var, options: DrawOptions, analysis: Analysis | None = None) -> Diagram:
    """:func:`draw` with its options already made (the CLI and Sphinx call this).

    >>> from symgrad import Var
    >>> draw_with(Var(1.0, name="x") * 2, DrawOptions(show="none")).compact
    False
    """
    an = analysis or Analysis(check_var(out))
    target = an.node(options.highlight, "highlight")
    scene = build_scene(an, options)
    full_work, n_drawn, n_edges = _scene_work(scene, False)
    max_work = options.max_work
    if options.compact == "auto":
        small = n_drawn > COMPACT_ABOVE or (max_work is not None and full_work > max_work)
    else:
        small = bool(options.compact)
    if small:
        scene = scene.compacted(keep=target)
    work = _scene_work(scene, True)[0] if small else full_work
    if max_work is not None and work > max_work:
        style = "" if small else "; compact=True (no edge labels) lays it out far quicker"
        raise RenderError(
            f"the figure is too big to lay out in reasonable time: {n_drawn} nodes and "
            f"{n_edges} edges, layout work {work:,} > max_work={max_work:,} (about 10 s "
            "per 25,000). Draw a smaller figure: fold scopes (fold='neurons'), focus on "
            "one input (focus=...), a sub-expression (draw(v) for an intermediate Var, "
            "such as one neuron's output), or the model on one sample"
            f"{style}; or pass max_work=None to try anyway (timeout= still stops it)")
    grads = an.has_grads if options.grads == "auto" else bool(options.grads)
    resolved = replace(options, highlight=target, grads=grads, compact=small)
    return Diagram(to_dot(out, resolved, an, scene), renderer=options.renderer,
                   timeout=float(options.timeout), compact=small)
