"""The ``symgrad`` argument parser: sub-commands and their flags.

The drawing flags are made from :class:`~symgrad.render.options.DrawOptions`, so the
command line offers exactly the choices :func:`symgrad.draw` does.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from ..ops import supported_text
from ..report import printable
from . import commands
from .commands import EXIT_USAGE

__all__ = ["Parser", "build_parser"]


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), like every other; it
    also remembers its option strings and sub-commands (for :func:`_expression_first`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.option_names: set[str] = set()  # before argparse adds -h
        self.commands: dict[str, Parser] = {}
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        self.option_names.update(action.option_strings)
        return action

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, printable(f"{self.prog}: error: {message} (see {self.prog} "
                                        "--help)") + "\n")


def build_parser() -> Parser:
    """The argument parser of ``symgrad`` (the docs' CLI reference is generated from it)."""
    parser = Parser(prog="symgrad", description="Derivatives you can see and check.")
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"symgrad {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)

    def command(name: str, **kwargs: Any) -> Parser:
        made: Parser = sub.add_parser(name, **kwargs)
        parser.commands[name] = made
        return made

    def expression(p: argparse.ArgumentParser, at_help: str) -> None:
        p.add_argument("expression", help='the expression, e.g. "(x**2 + 3)**2 + y" '
                       f"(Python syntax; it may use {supported_text()})")
        p.add_argument("--at", default="", metavar="x=2,y=1", help=at_help)

    p = command("render", help="draw the graph with derivative-labelled edges",
                description="Draw the computation graph: every edge carries its value "
                "and the local derivative (formula and number).")
    expression(p, "the input values")
    p.add_argument("--wrt", metavar="NAME", help="highlight every path to this input and "
                   "write each path's product and their sum")
    _drawing_flags(p)
    p.add_argument("-o", "--output", metavar="FILE", help="where to write: .svg .png .pdf "
                   "or .dot (default: the DOT text on standard output)")
    p.set_defaults(run=commands.render)

    p = command("diff", help="print the closed-form derivative (symbolic backprop)",
                description="Symbolic backprop over the graph: the op table's rules on "
                "SymPy expressions, multiplied along paths and summed across them.")
    expression(p, "input values (optional; only used to build the graph)")
    p.add_argument("--wrt", required=True, metavar="NAME", help="differentiate by this input")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--raw", action="store_true", help="the unsimplified accumulation")
    form.add_argument("--latex", action="store_true", help="print LaTeX")
    p.set_defaults(run=commands.diff)

    p = command("paths", help="list every path to an input: factors, products, sum",
                description="List every path from the output to one input with its "
                "local derivatives and their product; the products sum to the gradient.")
    expression(p, "the input values")
    p.add_argument("--wrt", required=True, metavar="NAME", help="the input the paths lead to")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="refuse when there are more paths than this (default 10000)")
    _fold_flags(p)
    p.add_argument("-o", "--output", metavar="FILE", help="also draw the highlighted figure")
    p.set_defaults(run=commands.paths)

    p = command("explore", help="write an interactive page that steps through backprop",
                description="Write one self-contained HTML page (it works offline) "
                "that steps through the values, backprop and forward mode.")
    expression(p, "the input values")
    p.add_argument("--wrt", metavar="NAME", help="the input selected when the page opens")
    p.add_argument("-o", "--output", metavar="FILE.html", required=True,
                   help="where to write the page")
    p.set_defaults(run=commands.explore)

    p = command("check", help="backprop vs symbolic vs sympy.diff vs finite differences",
                description="Verify every partial derivative four ways; exit 1 when "
                "they disagree.")
    expression(p, "the input values")
    p.set_defaults(run=commands.check)

    p = command("train", help="train a neuron or an MLP on AND or XOR",
                description="The tutorial: predictions before, training by backprop or "
                "by finite differences, predictions after.")
    from ..nn import FD_METHODS, METHODS, TASKS

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
    p.set_defaults(run=commands.train)
    return parser


def _drawing_flags(p: argparse.ArgumentParser) -> None:
    """The ``render`` flags, made from :class:`~symgrad.render.options.DrawOptions`."""
    from ..render.options import CHOICES, help_text

    for option in ("show", "rankdir", "constants", "renderer"):
        p.add_argument(f"--{option}", choices=CHOICES[option], default=CHOICES[option][0],
                       help=help_text(option))
    p.add_argument("--digits", type=int, default=4, help=help_text("digits"))
    p.add_argument("--output-name", default="f", metavar="NAME",
                   help=help_text("output_name"))
    _fold_flags(p)


def _fold_flags(p: argparse.ArgumentParser) -> None:
    """``--fold`` and ``--focus``, shared by ``render`` and ``paths``."""
    from ..render.options import help_text

    p.add_argument("--fold", metavar="neurons|DEPTH|SCOPE,...", help=help_text("fold"))
    p.add_argument("--focus", metavar="NAME", help=help_text("focus"))


