"""The ``symgrad`` command line (also ``python -m symgrad``).

::

    symgrad render "(x**2 + 3)**2 + y" --at x=2,y=1 [--wrt x] [--show both] -o chain_rule.svg
    symgrad diff   "(x**2 + 3)**2 + y" --wrt x [--raw | --latex]
    symgrad paths  "(x**2 + 3)**2 + x" --wrt x --at x=2 [-o paths.svg]
    symgrad check  "(x**2 + 3)**2 + y" --at x=2,y=1
    symgrad explore "(x**2 + 3)**2 + y" --at x=2,y=1 [--wrt x] -o page.html
    symgrad train  xor --method backprop|finite-difference [--steps --lr --seed --plot loss.png]

Every command is a thin face over the library: it parses the text safely
(:func:`symgrad.parse`), calls one library function and prints its result.  A user
error (bad expression, unknown option, missing value, a renderer that is not
installed) is one line on stderr and exit status 2, never a traceback; ``check`` exits
with 1 when the derivatives disagree.

>>> main(["paths", "x*x", "--wrt", "x", "--at", "x=3"])
path 1: ∂out/∂x along × ← x (argument 1): 3 = 3
path 2: ∂out/∂x along × ← x (argument 2): 3 = 3
sum over 2 paths: 6 = backprop's gradient 6
0
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .errors import DomainError, InputError, SymgradError
from .ops import supported_text

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), like every other."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``symgrad`` (the docs' CLI reference is generated from it)."""
    parser = _Parser(prog="symgrad", description="Derivatives you can see and check.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"symgrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)

    def expression(p: argparse.ArgumentParser, at_help: str) -> None:
        p.add_argument("expression", help='the expression, e.g. "(x**2 + 3)**2 + y" '
                       f"(Python syntax; it may use {supported_text()})")
        p.add_argument("--at", default="", metavar="x=2,y=1", help=at_help)

    p = sub.add_parser("render", help="draw the graph with derivative-labelled edges",
                       description="Draw the computation graph: every edge carries its value "
                       "and the local derivative (formula and number).")
    expression(p, "the input values")
    p.add_argument("--wrt", metavar="NAME", help="highlight every path to this input and "
                   "write each path's product and their sum")
    _drawing_flags(p)
    p.add_argument("-o", "--output", metavar="FILE", help="where to write: .svg .png .pdf "
                   "or .dot (default: the DOT text on standard output)")
    p.set_defaults(run=_render)

    p = sub.add_parser("diff", help="print the closed-form derivative (symbolic backprop)",
                       description="Symbolic backprop over the graph: the op table's rules on "
                       "SymPy expressions, multiplied along paths and summed across them.")
    expression(p, "input values (optional; only used to build the graph)")
    p.add_argument("--wrt", required=True, metavar="NAME", help="differentiate by this input")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--raw", action="store_true", help="the unsimplified accumulation")
    form.add_argument("--latex", action="store_true", help="print LaTeX")
    p.set_defaults(run=_diff)

    p = sub.add_parser("paths", help="list every path to an input: factors, products, sum",
                       description="List every path from the output to one input with its "
                       "local derivatives and their product; the products sum to the gradient.")
    expression(p, "the input values")
    p.add_argument("--wrt", required=True, metavar="NAME", help="the input the paths lead to")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="refuse when there are more paths than this (default 10000)")
    p.add_argument("-o", "--output", metavar="FILE", help="also draw the highlighted figure")
    p.set_defaults(run=_paths)

    p = sub.add_parser("explore", help="write an interactive page that steps through backprop",
                       description="Write one self-contained HTML page (it works offline) "
                       "that steps through the values, backprop and forward mode.")
    expression(p, "the input values")
    p.add_argument("--wrt", metavar="NAME", help="the input selected when the page opens")
    p.add_argument("-o", "--output", metavar="FILE.html", required=True,
                   help="where to write the page")
    p.set_defaults(run=_explore)

    p = sub.add_parser("check", help="backprop vs symbolic vs sympy.diff vs finite differences",
                       description="Verify every partial derivative four ways; exit 1 when "
                       "they disagree.")
    expression(p, "the input values")
    p.set_defaults(run=_check)

    p = sub.add_parser("train", help="train a neuron or an MLP on AND or XOR",
                       description="The tutorial: predictions before, training by backprop or "
                       "by finite differences, predictions after.")
    from .nn import FD_METHODS, METHODS, TASKS

    p.add_argument("task", choices=sorted(TASKS))
    p.add_argument("--method", choices=[*METHODS, "both"],
                   default="backprop", help="how the gradient is computed (both: train two "
                   "copies of the same network and compare their cost)")
    p.add_argument("--fd", choices=sorted(FD_METHODS), default="central",
                   help="the finite-difference formula (default: central)")
    p.add_argument("--hidden", type=int, default=None, metavar="N",
                   help="hidden sigmoid neurons (xor default 2; 0 = a single neuron)")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", metavar="FILE.png", help="save the loss curve (needs matplotlib)")
    p.add_argument("--graph", metavar="FILE.svg", help="draw the untrained network's loss "
                   "graph, every node with its gradient (.svg .png .pdf .dot)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=_train)
    return parser


def _drawing_flags(p: argparse.ArgumentParser) -> None:
    """The ``render`` flags, made from :class:`~symgrad.render.options.DrawOptions`."""
    from .render.options import CHOICES, help_text

    for option in ("show", "rankdir", "constants", "renderer"):
        p.add_argument(f"--{option}", choices=CHOICES[option], default=CHOICES[option][0],
                       help=help_text(option))
    p.add_argument("--digits", type=int, default=4, help=help_text("digits"))
    p.add_argument("--output-name", default="f", metavar="NAME",
                   help=help_text("output_name"))


def _graph(args: argparse.Namespace, default: float | None = None):  # type: ignore[no-untyped-def]
    from .parse import parse, parse_values

    try:
        values = parse_values(args.at)
    except InputError as exc:
        raise InputError(f"--at: {exc}") from None
    return parse(args.expression, default=default, **values)


def _leaf(out, name: str):  # type: ignore[no-untyped-def]
    from .graph import leaf_named, nodes

    try:
        return leaf_named(name, nodes(out))
    except InputError as exc:
        raise InputError(f"--wrt {name}: {exc}") from None


def _render(args: argparse.Namespace) -> int:
    from .render.diagram import draw_with
    from .render.options import DrawOptions

    out = _graph(args)
    options = DrawOptions(show=args.show, rankdir=args.rankdir, constants=args.constants,
                          renderer=args.renderer, digits=args.digits,
                          output_name=args.output_name,
                          highlight=_leaf(out, args.wrt) if args.wrt else None)
    diagram = draw_with(out, options)
    if args.output:
        diagram.save(args.output)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(diagram.source)
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    import sympy

    from .symbolic import derivative
    from .symbolic.lower import deep_error

    try:
        out = _graph(args, default=0.5)
    except DomainError as exc:
        if args.at:
            raise
        first = str(exc).splitlines()[0]
        raise InputError(f"{first}; without --at every input is 0.5: pass --at with values "
                         "where the expression is defined") from None
    expr = derivative(out, _leaf(out, args.wrt), raw=args.raw)
    try:
        text = sympy.latex(expr) if args.latex else str(expr)
    except RecursionError:
        raise deep_error("printing the derivative") from None
    print(text)
    return EXIT_OK


def _paths(args: argparse.Namespace) -> int:
    from .analysis import Analysis
    from .pathsum import DEFAULT_PATH_LIMIT

    out = _graph(args)
    an = Analysis(out)
    wrt = _leaf(out, args.wrt)
    found = an.paths(wrt, DEFAULT_PATH_LIMIT if args.limit is None else args.limit)
    for k, path in enumerate(found, 1):
        print(f"path {k}: ∂out/∂{wrt.name} along {_describe(path)}: {path}")
    total = math.fsum(p.product for p in found)
    print(f"sum over {len(found)} paths: {total:g} = backprop's gradient {an.grad(wrt):g}")
    if args.output:
        from .render.diagram import draw_with
        from .render.options import DrawOptions

        draw_with(out, DrawOptions(highlight=wrt), an).save(args.output)
        print(f"wrote {args.output}")
    return EXIT_OK


def _describe(path) -> str:  # type: ignore[no-untyped-def]
    """The nodes of a path from the output down: ops by symbol, inputs by name."""

    def label(node) -> str:  # type: ignore[no-untyped-def]
        return str(node.name) if node.op is None else node.op.symbol

    steps = [label(path.nodes[0])]
    edges = zip(path.nodes[:-1], path.nodes[1:], path.positions, strict=True)
    for parent, child, position in edges:
        text = label(child)
        if parent.inputs.count(child) > 1:  # the two edges of x*x: say which one
            text += f" (argument {position + 1})"
        steps.append(text)
    return " ← ".join(steps)


def _explore(args: argparse.Namespace) -> int:
    from .explorer import explore

    out = _graph(args)
    explore(out, wrt=_leaf(out, args.wrt) if args.wrt else None).save(args.output)
    print(f"wrote {args.output}")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from .symbolic import verify

    report = verify(_graph(args), raise_on_failure=False)
    print(report)
    return EXIT_OK if report.ok else EXIT_MISMATCH


def _train(args: argparse.Namespace) -> int:
    from .tutorial import demo

    demo(args.task, method=args.method, hidden=args.hidden, steps=args.steps, lr=args.lr,
         seed=args.seed, fd=args.fd, plot=args.plot, graph=args.graph,
         progress=False if args.no_progress else None)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except SymgradError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"symgrad {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `symgrad paths ... | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_MISMATCH
    except OSError as exc:  # e.g. -o into a folder that does not exist
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"symgrad {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"symgrad {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

