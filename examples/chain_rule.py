"""The tutorial's chain-rule figures, as SVG and PNG.

Writes into ``docs/figures/`` (or ``--out DIR``):

- ``chain_rule``: f = (x² + 3)² + y at x = 2, y = 1, every edge labelled with the value it
  carries and its local derivative (formula and number);
- ``two_paths``: g = (x² + 3)² + x at x = 2 with both paths to x in red and the legend
  56 + 1 = 57;
- ``neuron``: one sigmoid neuron y = σ(w1·p + w2·q + b) after backprop, every node showing
  its ``grad``.

::

    python examples/chain_rule.py                  # docs/figures/*.svg, *.png
    python examples/chain_rule.py --out /tmp/figs --formats svg png dot
"""

from __future__ import annotations

import argparse
from pathlib import Path

from symgrad import Var, draw
from symgrad.render import Diagram


def chain_rule() -> Diagram:
    """f = (x² + 3)² + y at x = 2, y = 1: one path from f to x, ∂f/∂x = 56."""
    x, y = Var(2.0, name="x"), Var(1.0, name="y")
    return draw((x**2 + 3) ** 2 + y)


def two_paths() -> Diagram:
    """g = (x² + 3)² + x at x = 2: two paths, 56 + 1 = 57 = ∂g/∂x."""
    x = Var(2.0, name="x")
    return draw((x**2 + 3) ** 2 + x, highlight=x, output_name="g")


def neuron() -> Diagram:
    """σ(w1·p + w2·q + b) with p = 1, q = 0.5, w1 = 2, w2 = −1, b = −0.5, after backprop."""
    w1, w2, b = Var(2.0, name="w1"), Var(-1.0, name="w2"), Var(-0.5, name="b")
    p, q = Var(1.0, name="p"), Var(0.5, name="q")
    out = (w1 * p + w2 * q + b).sigmoid()
    out.backward()
    return draw(out, output_name="y")


FIGURES = {"chain_rule": chain_rule, "two_paths": two_paths, "neuron": neuron}


def main(argv: list[str] | None = None) -> int:
    return write_figures(FIGURES, "Write the tutorial's chain-rule figures.", argv)


def write_figures(figures: dict, description: str, argv: list[str] | None = None) -> int:
    """Draw every figure of ``figures`` ({name: function}) into ``--out`` in ``--formats``."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent
                    / "docs" / "figures", help="folder to write into (default docs/figures)")
    ap.add_argument("--formats", nargs="+", default=["svg", "png"],
                    choices=["svg", "png", "pdf", "dot"], help="formats (default svg png)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, make in figures.items():
        diagram = make()
        for fmt in args.formats:
            path = diagram.save(args.out / f"{name}.{fmt}")
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
