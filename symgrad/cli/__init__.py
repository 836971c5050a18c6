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

import errno
import os
import sys
from collections.abc import Sequence

from ..errors import SymgradError
from ..report import printable
from .commands import EXIT_MISMATCH, EXIT_OK, EXIT_PIPE, EXIT_USAGE
from .parser import Parser, build_parser

__all__ = ["EXIT_MISMATCH", "EXIT_OK", "EXIT_PIPE", "EXIT_USAGE", "build_parser", "main",
           "printable"]

def _expression_first(argv: list[str], parser: Parser) -> list[str]:
    """``argv`` with an expression that starts with ``-`` (``"-x"``, ``"-x**2 + 1"``) kept
    as the expression, where argparse would take it for an option: a leading space
    makes it positional, and the expression parser skips it."""
    command = parser.commands.get(argv[0]) if argv else None
    if command is None:
        return argv
    options = command.option_names
    fixed = list(argv)
    for k in range(1, len(fixed)):
        token = fixed[k]
        if fixed[k - 1] in options and fixed[k - 1] not in ("-h", "--help"):
            continue  # an option's value, such as --lr -0.5
        if token.startswith("-") and not token.startswith("--") and token not in options:
            fixed[k] = " " + token
            break
    return fixed


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    0: done; 1: ``check`` found derivatives that disagree; 2: a user error (one line on
    stderr); 141: the reader of standard output went away (``| head``).
    """
    if sys.stdout is None:  # started with standard output closed (``>&-``)
        print("symgrad: error: standard output is closed; redirect it to a file or a pipe",
              file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    args = parser.parse_args(_expression_first(list(sys.argv[1:] if argv is None else argv),
                                               parser))
    try:
        status = int(args.run(args))
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except SymgradError as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(printable(f"symgrad {args.command}: error: {message}"), file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. `symgrad paths ... | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE
    except OSError as exc:  # e.g. -o into a folder that does not exist
        if exc.errno == errno.EBADF:
            print(f"symgrad {args.command}: error: standard output is closed; redirect it "
                  "to a file or a pipe", file=sys.stderr)
            return EXIT_USAGE
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        print(printable(f"symgrad {args.command}: error: {exc.strerror or exc}{where}"),
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"symgrad {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

