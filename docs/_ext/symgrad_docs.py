"""Directives used only by symgrad's own documentation.

``.. symgrad-plot:: NAME``
    Draws one of the plots in :data:`PLOTS` (with matplotlib, from code in this file
    that calls symgrad) during the build and puts it on the page as SVG (PDF for
    LaTeX), through the same figure cache as ``symgrad-graph``
    (:func:`symgrad.sphinxext.write_figure`).  Options: ``:caption:``, ``:alt:``,
    ``:align:``, ``:width:``, ``:name:``, ``:class:``.

``.. symgrad-model:: NAME``
    Draws the graph of one of the models in :data:`MODELS` (a model's loss is built by
    code, so it cannot be written as a ``symgrad-graph`` expression) with
    :func:`symgrad.draw`, through the same figure cache.  Options: ``:fold:`` and
    ``:focus:`` (as ``symgrad-graph`` reads them), ``:grads:`` (run backprop first),
    ``:show:``, ``:rankdir:``, and the figure options.

``.. symgrad-cli::``
    The command-line reference, generated from ``symgrad.cli.build_parser()``: one
    section per sub-command with its description, usage and every option.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.nodes import Node
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

import symgrad
import symgrad.nn
from symgrad import tutorial
from symgrad.render.options import CHOICES, parse_fold
from symgrad.sphinxext import FIGURE_OPTIONS, image_nodes, write_figure

# -- the plots -----------------------------------------------------------------------

_SOURCE_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _figure(width: float = 6.4, height: float = 4.0) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=150)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Any, fmt: str) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    with matplotlib.rc_context({"svg.hashsalt": "symgrad-docs"}):
        fig.savefig(buf, format=fmt, metadata=metadata)
    return buf.getvalue()


# Each plot's data is computed once per build process (the cached helpers below) and
# drawn once per format.

_STEP_METHODS = {"forward": ("-", "O(h)"), "central": ("--", "O(h²)"),
                 "richardson": (":", "O(h⁴)")}
_FLOOR = 1e-17  # an error of exactly 0 cannot go on a log axis


@functools.cache
def _step_errors() -> tuple[list[float], dict[str, tuple[list[float], float, float]]]:
    w = symgrad.Var(0.5, name="w")
    out = symgrad.sigmoid(w * 1.5 - 0.2)
    exact = symgrad.grad(out, w)
    steps = [10.0 ** (-k / 8) for k in range(1, 8 * 15 + 1)]
    curves = {}
    for method in _STEP_METHODS:
        errors = [max(abs(symgrad.numeric_grad(out, w, h=h, method=method) - exact), _FLOOR)
                  for h in steps]
        h0 = symgrad.finite.default_step(w.value, method)
        e0 = max(abs(symgrad.numeric_grad(out, w, method=method) - exact), _FLOOR)
        curves[method] = (errors, h0, e0)
    return steps, curves


def step_size(fmt: str) -> bytes:
    """Error of three finite-difference formulas against backprop, as the step h shrinks.

    The function is the sigmoid neuron's output σ(w·x + b) at w = 0.5, x = 1.5, b = −0.2,
    differentiated by w.  Each formula's error falls with h (truncation error) until
    rounding error, about eps/h, takes over and it rises again.
    """
    steps, curves = _step_errors()
    fig = _figure()
    ax = fig.add_subplot()
    for method, (style, order) in _STEP_METHODS.items():
        errors, h0, e0 = curves[method]
        (line,) = ax.loglog(steps, errors, style, linewidth=1.8,
                            label=f"{method}: truncation {order}")
        ax.loglog([h0], [e0], "o", color=line.get_color(), markersize=6)
    eps = 2.0 ** -52
    ax.loglog(steps, [eps / h for h in steps], color="0.6", linewidth=1,
              label="rounding error ≈ eps / h")
    ax.set_ylim(_FLOOR, 1)
    ax.set_xlabel("step h")
    ax.set_ylabel("|finite difference − backprop|")
    ax.set_title("Finite differences for dσ(1.5w − 0.2)/dw at w = 0.5 (dots: default h)")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    return _save(fig, fmt)


@functools.cache
def _sigmoid_curve() -> tuple[list[float], list[float], list[float]]:
    ts = [-6 + 12 * k / 240 for k in range(241)]
    values, slopes = [], []
    for t in ts:
        v = symgrad.Var(t, name="t")
        s = symgrad.sigmoid(v)
        values.append(s.value)
        slopes.append(symgrad.grad(s, v))
    return ts, values, slopes


def sigmoid(fmt: str) -> bytes:
    """σ(t) and its derivative σ(t)(1 − σ(t)), the derivative taken by backprop."""
    ts, values, slopes = _sigmoid_curve()
    fig = _figure(6.4, 3.4)
    ax = fig.add_subplot()
    ax.plot(ts, values, "-", linewidth=2, label="σ(t) = 1 / (1 + e⁻ᵗ)")
    ax.plot(ts, slopes, "--", linewidth=2, label="σ′(t) = σ(t)·(1 − σ(t)), by backprop")
    ax.axhline(0.5, color="0.7", linewidth=0.8)
    ax.axvline(0, color="0.7", linewidth=0.8)
    ax.set_xlabel("t (the weighted sum)")
    ax.legend(loc="upper left", fontsize=9)
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return _save(fig, fmt)


def _losses(histories: dict[str, list[float]], title: str, fmt: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"loss.{fmt}"
        tutorial.plot_losses(histories, str(path), title=title)
        return path.read_bytes()


@functools.cache
def _and_run() -> tuple[str, dict[str, list[float]]]:
    result = tutorial.demo("and", method="both", steps=2000, echo=None, progress=False)
    return result.description, {m: run.history for m, run in result.runs.items()}


def and_loss(fmt: str) -> bytes:
    """A single sigmoid neuron learning AND, trained both ways from the same start."""
    description, histories = _and_run()
    return _losses(histories, f"AND: {description}, lr 1", fmt)


@functools.cache
def _xor_runs() -> dict[str, list[float]]:
    neuron = tutorial.demo("xor", hidden=0, steps=2000, echo=None, progress=False)
    mlp = tutorial.demo("xor", method="both", hidden=2, steps=2000, echo=None, progress=False)
    histories = {"single neuron, backprop": neuron.history}
    histories.update({f"2-2-1 network, {m}": run.history for m, run in mlp.runs.items()})
    return histories


def xor_loss(fmt: str) -> bytes:
    """XOR: one neuron stalls; a hidden layer of two learns it, by either method."""
    return _losses(_xor_runs(), "XOR: a single neuron against a hidden layer of two", fmt)


#: The plots ``symgrad-plot`` knows, by name: each returns the figure's bytes in a format.
PLOTS: dict[str, Callable[[str], bytes]] = {
    "step-size": step_size,
    "sigmoid": sigmoid,
    "and-loss": and_loss,
    "xor-loss": xor_loss,
}


def _plot_name(argument: str) -> str:
    return str(directives.choice(argument.strip(), tuple(PLOTS)))


class SymgradPlot(SphinxDirective):
    """``.. symgrad-plot:: NAME``: a plot made during the build."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = FIGURE_OPTIONS

    def run(self) -> list[Node]:
        try:
            name = _plot_name(self.arguments[0])
        except ValueError:
            raise self.error(f"symgrad-plot: unknown plot {self.arguments[0]!r} "
                             f"(known: {', '.join(PLOTS)})") from None
        make = PLOTS[name]
        # SVG for HTML, PDF for LaTeX, PNG for the builders that take neither.
        uri = write_figure(self, "symgrad-plot", {"name": name, "code": _SOURCE_HASH},
                           {fmt: functools.partial(make, fmt) for fmt in ("svg", "pdf", "png")})
        alt = self.options.get("alt") or (make.__doc__ or name).split("\n")[0]
        return image_nodes(self, uri, alt, self.options, classes=("symgrad-plot",))


# -- model graphs -------------------------------------------------------------------

#: The graphs ``symgrad-model`` draws, by name: each builds a fresh loss graph.
MODELS: dict[str, Callable[[], symgrad.Var]] = {
    "xor-2-2-1": lambda: symgrad.nn.loss_graph(symgrad.nn.MLP(2, [2, 1], seed=0),
                                               symgrad.nn.XOR),
}


def _model_name(argument: str) -> str:
    return str(directives.choice(argument.strip(), tuple(MODELS)))


def model_diagram(name: str, drawing: dict[str, Any], grads: bool = False) -> Any:
    """The figure ``symgrad-model`` makes of ``MODELS[name]`` (the tests draw it too)."""
    out = MODELS[name]()
    if grads:
        out.backward()
    return symgrad.draw(out, **drawing)


class SymgradModel(SphinxDirective):
    """``.. symgrad-model:: NAME``: a model's graph, drawn during the build."""

    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "fold": parse_fold,
        "focus": directives.unchanged_required,
        "grads": directives.flag,
        "show": lambda a: directives.choice(a, CHOICES["show"]),
        "rankdir": lambda a: directives.choice(a, CHOICES["rankdir"]),
        **FIGURE_OPTIONS,
    }

    def run(self) -> list[Node]:
        try:
            name = _model_name(self.arguments[0])
        except ValueError:
            raise self.error(f"symgrad-model: unknown model {self.arguments[0]!r} "
                             f"(known: {', '.join(MODELS)})") from None
        drawing = {k: self.options[k] for k in ("fold", "focus", "show", "rankdir")
                   if k in self.options}
        grads = "grads" in self.options
        try:
            diagram = model_diagram(name, drawing, grads)
            key = {"name": name, "drawing": drawing, "grads": grads, "code": _SOURCE_HASH}
            uri = write_figure(self, "symgrad-model", key, {
                "svg": lambda: diagram.svg().encode("utf-8"),
                "png": lambda: diagram.png(dpi=self.config.symgrad_graph_png_dpi)})
        except symgrad.SymgradError as exc:
            raise self.error(f"symgrad-model {name}: {exc}") from None
        alt = self.options.get("alt") or f"the graph of the model {name}"
        return image_nodes(self, uri, alt, self.options, classes=("symgrad-model",))


# -- the CLI reference ---------------------------------------------------------------

_RST_SPECIAL = str.maketrans({c: "\\" + c for c in "\\*`|_[]<>"})


def _escape(text: str) -> str:
    return text.translate(_RST_SPECIAL)


def _option_signature(action: argparse.Action) -> str:
    if not action.option_strings:
        return action.metavar if isinstance(action.metavar, str) else action.dest
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    metavar = action.metavar
    if metavar is None:
        metavar = "{" + ",".join(map(str, action.choices)) + "}" if action.choices \
            else action.dest.upper()
    return ", ".join(f"{opt} {metavar}" for opt in action.option_strings)


def _option_help(action: argparse.Action) -> str:
    text = (action.help or "").strip()
    if text and not text.endswith((".", "!", "?", ".)")):
        text += "."  # every help text reads as a sentence
    parts = [_escape(text)]
    if action.choices and (action.metavar is not None or not action.option_strings):
        parts.append("One of " + ", ".join(f"``{c}``" for c in action.choices) + ".")
    if action.option_strings and action.nargs != 0 and action.default not in (
            None, "", argparse.SUPPRESS) and "default" not in (action.help or ""):
        parts.append(f"Default: ``{action.default}``.")
    if action.required and action.option_strings:
        parts.append("Required.")
    return " ".join(p for p in parts if p)


def _usage_lines(parser: argparse.ArgumentParser) -> list[str]:
    return ["", ".. code-block:: text", "",
            *("   " + line for line in parser.format_usage().rstrip().splitlines()), ""]


def _program_lines(parser: argparse.ArgumentParser, title: str | None) -> list[str]:
    lines: list[str] = []
    if title:
        lines += [title, "-" * len(title), ""]
    if parser.description:
        lines += [_escape(parser.description), ""]
    lines += _usage_lines(parser)
    lines += [f".. program:: {parser.prog}", ""]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        lines += [f".. option:: {_option_signature(action)}", ""]
        lines += ["   " + _option_help(action), ""]
    return lines


def cli_reference_rst(parser: argparse.ArgumentParser) -> list[str]:
    """reStructuredText for ``parser`` and each of its sub-commands."""
    lines = _program_lines(parser, None)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                title = f"symgrad {name}"
                block = _program_lines(sub, title)
                if name in helps and not sub.description:
                    block.insert(3, _escape(helps[name] or ""))
                lines += block
    return lines


class SymgradCli(SphinxDirective):
    """``.. symgrad-cli::``: the command-line reference from ``build_parser()``."""

    has_content = False

    def run(self) -> list[Node]:
        from symgrad.cli import build_parser

        lines = cli_reference_rst(build_parser())
        source, _ = self.get_source_info()
        content = StringList(lines, source=f"{source} (generated by symgrad-cli)")
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, content, node)
        return list(node.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("symgrad.sphinxext")
    app.add_directive("symgrad-plot", SymgradPlot)
    app.add_directive("symgrad-model", SymgradModel)
    app.add_directive("symgrad-cli", SymgradCli)
    return {"version": symgrad.__version__, "parallel_read_safe": True,
            "parallel_write_safe": True}
