"""The ``symgrad-graph`` Sphinx directive: computation graphs drawn during the build.

Add ``"symgrad.sphinxext"`` to ``extensions`` in ``conf.py`` and write::

    .. symgrad-graph:: (x**2 + 3)**2 + y
       :at: x=2, y=1
       :wrt: x
       :caption: Two factors along the one path from the output to x.

The expression is read by :func:`symgrad.parse` (never ``eval``), the graph is drawn by
:func:`symgrad.draw` and rendered by the embedded renderer (``graphviz-pure``), so no
system Graphviz is needed.  Each figure is written as SVG and PNG (and PDF when a
system ``dot`` is on PATH) to a cache folder beside the doctrees, under a name made
from a hash of the expression, the options and the symgrad version; the builder picks
the format it prefers (SVG for HTML, PDF or else PNG for LaTeX).  Files are written
atomically, so parallel builds (``-j``) are safe.

A bad expression, an unknown option value or a missing ``:at:`` value is reported
as a Sphinx error at the directive's line (``page.rst:12: ERROR: ...``), never as a
traceback.

Options (those of ``sphinx.ext.graphviz`` that authors already know, plus the drawing
options of :func:`symgrad.draw`):

=================  ==================================================================
``:at:``           values of the variables: ``x=2, y=1`` (every variable needs one)
``:wrt:``          a variable whose paths to the output are drawn in red, with a
                   legend of each path's product and their sum
``:show:``         ``both`` (default), ``formula``, ``number`` or ``none``: what the
                   edges say of their local derivative
``:grads:``        (flag) run backprop first and show every node's ``grad``
``:rankdir:``      ``LR`` (default), ``RL``, ``TB`` or ``BT``
``:constants:``    ``inline`` (default) or ``nodes``
``:digits:``       significant digits of the numbers shown (default 4)
``:output:``       the name the output node and legend use (default ``f``)
``:fold:``         draw scopes as one node each: ``neurons``, a depth (``1``) or scope
                   names separated by commas (an expression's graph has scopes only
                   when built by code; see ``symgrad.draw(..., fold=...)``)
``:focus:``        a variable: keep only the nodes on its paths to the output, with
                   the other inputs of those ops small and dimmed
``:interactive:``  (flag) in HTML builds, the explorer (:func:`symgrad.explore`): step
                   through the values, backprop and forward mode; other builders
                   (LaTeX/PDF) get the static figure
``:caption:``      a caption; the figure becomes a numbered-able ``figure``
``:alt:``          alternative text (default: "computation graph of <expression>")
``:align:``        ``left``, ``center`` or ``right``
``:width:``        the figure's width (``100%``, ``400px``, ...)
``:name:``         a target name, for ``:ref:`` / ``:numref:``
``:class:``        extra CSS classes
=================  ==================================================================

Configuration values: ``symgrad_graph_formats`` (the formats written; default
``None``: SVG and PNG, plus PDF when a system ``dot`` exists) and
``symgrad_graph_png_dpi`` (default 144).

:func:`write_figure` and :func:`image_nodes` are the two halves of the directive, and
are public so that other directives can put generated figures into the same cache.

>>> from symgrad.parse import parse_values        # what :at: is read with
>>> parse_values("x=2, y=-1.5e0")
{'x': 2.0, 'y': -1.5}
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.nodes import Node
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from .errors import InputError, SymgradError

__all__ = [
    "CACHE_FOLDER",
    "FIGURE_OPTIONS",
    "SymgradGraph",
    "image_nodes",
    "setup",
    "write_figure",
]

#: The folder, inside the build's doctree directory, that holds the generated figures.
CACHE_FOLDER = "symgrad-figures"

_MIMES = {"svg", "png", "pdf", "jpg"}
_ALIGN = ("left", "center", "right")


def _version() -> str:
    from . import __version__

    return __version__


def _cache_dir(directive: SphinxDirective) -> Path:
    return Path(directive.env.doctreedir) / CACHE_FOLDER


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so no reader ever sees a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; images are served to readers
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_figure(directive: SphinxDirective, kind: str, key: Mapping[str, Any],
                 makers: Mapping[str, Callable[[], bytes]]) -> str:
    """Write a generated figure in every format of ``makers``; return its image URI.

    ``key`` must hold everything the figure's bytes depend on (it is hashed, with
    the symgrad version, into the file name ``<kind>-<hash>.<format>``); a file that
    already exists under that name is not made again.  ``makers`` maps a format
    (``"svg"``, ``"png"``, ``"pdf"``) to a function returning its bytes.  The URI
    ends in ``.*`` and is relative to the current document, ready for
    :func:`image_nodes`: Sphinx then picks the format its builder prefers.
    """
    if not makers or not set(makers) <= _MIMES:
        raise InputError(f"makers must map formats among {sorted(_MIMES)} to functions, "
                         f"got {sorted(makers)}")
    blob = json.dumps({"kind": kind, "key": key, "version": _version()},
                      sort_keys=True, default=repr)
    digest = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]
    folder = _cache_dir(directive)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-{digest}"
    for fmt, make in makers.items():
        target = folder / f"{stem}.{fmt}"
        if not target.is_file():
            _atomic_write(target, make())
    source_dir = Path(directive.env.doc2path(directive.env.docname)).parent
    return Path(os.path.relpath(folder / stem, source_dir)).as_posix() + ".*"


def image_nodes(directive: SphinxDirective, uri: str, alt: str,
                options: Mapping[str, Any], classes: tuple[str, ...] = ()) -> list[Node]:
    """An ``image`` node for ``uri`` (wrapped in a ``figure`` when there is a caption).

    ``options`` may hold ``caption``, ``align``, ``width``, ``name`` and ``class``
    with the meanings of the ``figure`` directive.
    """
    image = nodes.image(directive.block_text, uri=uri, alt=alt)
    image["classes"] += [*classes, *options.get("class", [])]
    if "width" in options:
        image["width"] = options["width"]
    directive.set_source_info(image)
    caption = options.get("caption")
    if not caption:
        if "align" in options:
            image["align"] = options["align"]
        directive.add_name(image)
        return [image]
    figure = nodes.figure("", image)
    if "align" in options:
        figure["align"] = options["align"]
    directive.set_source_info(figure)
    inline, messages = directive.state.inline_text(caption, directive.lineno)
    caption_node = nodes.caption(caption, "", *inline)
    directive.set_source_info(caption_node)
    figure += caption_node
    directive.add_name(figure)
    return [figure, *messages]


def _align(argument: str) -> str:
    return str(directives.choice(argument, _ALIGN))


#: The options of a figure, as ``sphinx.ext.graphviz`` spells them; :func:`image_nodes`
#: reads them.  Other directives that call :func:`write_figure` can reuse them.
FIGURE_OPTIONS: dict[str, Callable[[str], Any]] = {
    "caption": directives.unchanged,
    "alt": directives.unchanged,
    "align": _align,
    "width": directives.length_or_percentage_or_unitless,
    "name": directives.unchanged,
    "class": directives.class_option,
}


def _choice_of(option: str) -> Callable[[str], str]:
    """A directive option converter accepting the choices of ``DrawOptions.<option>``."""
    from .render.options import CHOICES

    values = [v for v in CHOICES[option] if isinstance(v, str)]

    def convert(argument: str) -> str:
        value = (argument or "").strip()
        for v in values:  # Graphviz's rankdir is upper case; accept any case
            if value.lower() == v.lower():
                return v
        raise ValueError(f'"{argument}" unknown; choose from '
                         + ", ".join(f'"{v}"' for v in values))
    return convert


def _fold(argument: str) -> Any:
    from .render.options import parse_fold

    return parse_fold(argument)


def _digits(argument: str) -> int:
    value = directives.positive_int(argument)
    if value > 17:
        raise ValueError("digits must be from 1 to 17")
    return int(value)


class SymgradGraph(SphinxDirective):
    """``.. symgrad-graph:: expression``: draw an expression's computation graph."""

    has_content = False
    required_arguments = 1
    optional_arguments = 0
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "at": directives.unchanged,
        "wrt": directives.unchanged_required,
        "show": _choice_of("show"),
        "grads": directives.flag,
        "rankdir": _choice_of("rankdir"),
        "constants": _choice_of("constants"),
        "digits": _digits,
        "output": directives.unchanged_required,
        "fold": _fold,
        "focus": directives.unchanged_required,
        "interactive": directives.flag,
        **FIGURE_OPTIONS,
    }

    def run(self) -> list[Node]:
        expression = " ".join(self.arguments[0].split())
        try:
            uri = self._render(expression)
            page = self._explorer(expression) if "interactive" in self.options else None
        except SymgradError as exc:
            raise self.error(f"symgrad-graph {expression!r}: {exc}") from None
        alt = self.options.get("alt") or f"computation graph of {expression}"
        figure = image_nodes(self, uri, alt, self.options, classes=("symgrad-graph",))
        if page is None:
            return figure
        # HTML builds get the explorer; every other builder (LaTeX, PDF...) the figure.
        live = addnodes.only(expr="html")
        live += nodes.raw("", page, format="html")
        still = addnodes.only(expr="not html")
        still.extend(figure)
        return [live, still]

    def _explorer(self, expression: str) -> str:
        """The explorer of the expression, as an iframe for the HTML page."""
        from .explorer import explore
        from .parse import parse, parse_values

        out = parse(expression, **parse_values(self.options.get("at", "")))
        return explore(out, wrt=self.options.get("wrt"), output_name=self.options.get(
            "output", "f"), digits=self.options.get("digits", 4))._repr_html_()

    def _formats(self) -> list[str]:
        configured = self.config.symgrad_graph_formats
        if configured is None:
            from .render.backends import find_dot

            return ["svg", "png"] + (["pdf"] if find_dot() else [])
        formats = [configured] if isinstance(configured, str) else list(configured)
        bad = [f for f in formats if f not in ("svg", "png", "pdf")]
        if bad or not formats:
            raise InputError(f"symgrad_graph_formats in conf.py must list formats among "
                             f"'svg', 'png', 'pdf', got {configured!r}")
        return formats

    def _render(self, expression: str) -> str:
        from .parse import parse, parse_names, parse_values
        from .render.diagram import draw_with
        from .render.options import DrawOptions

        try:
            values = parse_values(self.options.get("at", ""))
        except InputError as exc:
            raise InputError(f":at: {exc}") from None
        names = parse_names(expression)
        missing = [n for n in names if n not in values]
        if missing:
            example = ", ".join(f"{n}={values[n]:g}" if n in values else f"{n}=1"
                                for n in names)
            raise InputError(f"no value for {', '.join(missing)}: give every variable a value "
                             f"with :at: (e.g. :at: {example})")
        for option in ("wrt", "focus"):
            name = self.options.get(option)
            if name is not None and name not in names:
                raise InputError(f":{option}: {name!r} is not a variable of the expression "
                                 f"(its variables: {', '.join(names) or 'none'})")
        wrt = self.options.get("wrt")
        out = parse(expression, **values)
        grads = "grads" in self.options
        if grads:
            out.backward()
        drawing = {
            "show": self.options.get("show", "both"),
            "rankdir": self.options.get("rankdir", "LR"),
            "constants": self.options.get("constants", "inline"),
            "highlight": wrt,
            "grads": grads,
            "digits": self.options.get("digits", 4),
            "output_name": self.options.get("output", "f"),
            "fold": self.options.get("fold"),
            "focus": self.options.get("focus"),
        }
        diagram = draw_with(out, DrawOptions(**drawing))  # type: ignore[arg-type]
        dpi = self.config.symgrad_graph_png_dpi
        makers: dict[str, Callable[[], bytes]] = {
            "svg": lambda: diagram.svg().encode("utf-8"),
            "png": lambda: diagram.png(dpi=dpi),
            "pdf": diagram.pdf,
        }
        formats = self._formats()
        key = {"expression": expression, "at": values, "drawing": drawing, "dpi": dpi,
               "formats": formats}
        return write_figure(self, "symgrad-graph", key, {f: makers[f] for f in formats})


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``symgrad-graph`` directive and its configuration values."""
    app.add_config_value("symgrad_graph_formats", None, "env", types=[type(None), list,
                                                                      tuple, str])
    app.add_config_value("symgrad_graph_png_dpi", 144, "env", types=[int, float])
    app.add_directive("symgrad-graph", SymgradGraph)
    return {"version": _version(), "parallel_read_safe": True, "parallel_write_safe": True}
