"""What each ``symgrad`` sub-command does: read the text safely, call one library
function, print its result.  The faces' maths is the library's."""

from __future__ import annotations

import argparse
import math
import sys

from ..errors import DomainError, InputError
from ..report import printable

__all__ = ["EXIT_MISMATCH", "EXIT_OK", "EXIT_PIPE", "EXIT_USAGE", "check", "diff", "explore",
           "paths", "render", "train"]

#: Exit statuses: done; ``check`` found derivatives that disagree; a user error (one
#: line on stderr); the reader of standard output went away (``symgrad paths ... |
#: head``), the status a shell gives a program killed by SIGPIPE.
EXIT_OK, EXIT_MISMATCH, EXIT_USAGE, EXIT_PIPE = 0, 1, 2, 141


def _folding(args: argparse.Namespace, out):  # type: ignore[no-untyped-def]
    """The ``fold`` and ``focus`` of ``args``, checked against the graph ``out``."""
    from ..render.options import parse_fold

    try:
        fold = parse_fold(args.fold) if args.fold is not None else None
    except InputError as exc:
        raise InputError(f"--fold: {exc}") from None
    focus = None
    if args.focus is not None:
        from ..graph import leaf_named, nodes

        try:
            focus = leaf_named(args.focus, nodes(out))
        except InputError as exc:
            raise InputError(f"--focus {args.focus}: {exc}") from None
    return fold, focus


def _graph(args: argparse.Namespace, default: float | None = None):  # type: ignore[no-untyped-def]
    from ..parse import parse, parse_values

    try:
        values = parse_values(args.at)
    except InputError as exc:
        raise InputError(f"--at: {exc}") from None
    return parse(args.expression, default=default, **values)


def _leaf(out, name: str):  # type: ignore[no-untyped-def]
    from ..graph import leaf_named, nodes

    try:
        return leaf_named(name, nodes(out))
    except InputError as exc:
        raise InputError(f"--wrt {name}: {exc}") from None


def render(args: argparse.Namespace) -> int:
    from ..render.diagram import draw_with
    from ..render.options import DrawOptions

    out = _graph(args)
    fold, focus = _folding(args, out)
    options = DrawOptions(show=args.show, rankdir=args.rankdir, constants=args.constants,
                          renderer=args.renderer, digits=args.digits,
                          output_name=args.output_name,
                          highlight=_leaf(out, args.wrt) if args.wrt else None,
                          fold=fold, focus=focus)
    diagram = draw_with(out, options)
    if args.output:
        diagram.save(args.output)
        print(f"wrote {printable(args.output)}")
    else:
        sys.stdout.write(diagram.source)
    return EXIT_OK


def diff(args: argparse.Namespace) -> int:
    import sympy

    from ..symbolic import derivative
    from ..symbolic.lower import deep_error

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


def paths(args: argparse.Namespace) -> int:
    from ..analysis import Analysis
    from ..pathsum import DEFAULT_PATH_LIMIT
    from ..report import elide

    out = _graph(args)
    an = Analysis(out)
    wrt = _leaf(out, args.wrt)
    fold, focus = _folding(args, out)
    found = an.paths(wrt, DEFAULT_PATH_LIMIT if args.limit is None else args.limit, fold)
    for k, path in enumerate(found, 1):
        factors = " · ".join(elide([f"{f:g}" for f in path.factors])) or "1"
        print(printable(f"path {k}: ∂out/∂{wrt.name} along {_describe(path)}: {factors} = "
                        f"{path.product:g}"))
    total = math.fsum(p.product for p in found)
    many = f"{len(found)}{' folded' if fold is not None else ''} path" + (
        "" if len(found) == 1 else "s")
    print(f"sum over {many}: {total:g} = backprop's gradient {an.grad(wrt):g}")
    if args.output:
        from ..render.diagram import draw_with
        from ..render.options import DrawOptions

        draw_with(out, DrawOptions(highlight=wrt, fold=fold, focus=focus),
                  an).save(args.output)
        print(f"wrote {printable(args.output)}")
    return EXIT_OK


def _describe(path) -> str:  # type: ignore[no-untyped-def]
    """The nodes of a path from the output down: ops by symbol, inputs by name, folded
    scopes by name in brackets."""
    from ..report import elide

    scopes = path.folded or ("",) * len(path.nodes)

    def label(node, scope: str) -> str:  # type: ignore[no-untyped-def]
        if scope:
            return f"[{scope}]"
        return str(node.name) if node.op is None else node.op.symbol

    steps = [label(path.nodes[0], scopes[0])]
    edges = zip(path.nodes[:-1], path.nodes[1:], path.positions, scopes[:-1], scopes[1:],
                strict=True)
    for parent, child, position, above, scope in edges:
        text = label(child, scope)
        if not above and parent.inputs.count(child) > 1:  # x*x's two edges: which one
            text += f" (argument {position + 1})"
        steps.append(text)
    return " ← ".join(elide(steps))


def explore(args: argparse.Namespace) -> int:
    from ..explorer import explore

    out = _graph(args)
    explore(out, wrt=_leaf(out, args.wrt) if args.wrt else None).save(args.output)
    print(f"wrote {printable(args.output)}")
    return EXIT_OK


def check(args: argparse.Namespace) -> int:
    from ..symbolic import verify

    report = verify(_graph(args), raise_on_failure=False)
    print(report)
    return EXIT_OK if report.ok else EXIT_MISMATCH


def train(args: argparse.Namespace) -> int:
    from ..tutorial import demo

    demo(args.task, method=args.method, hidden=args.hidden, steps=args.steps, lr=args.lr,
         seed=args.seed, fd=args.fd, plot=args.plot, graph=args.graph,
         progress=False if args.no_progress else None)
    return EXIT_OK


