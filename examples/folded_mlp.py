"""The README's folded network: the XOR network's loss on one row, each neuron one node.

``nn.MLP(2, [2, 1], seed=0)`` on the row (1, 0) with target 1, after backprop, drawn
with ``fold="neurons"``: every neuron is one node showing its output and its ``grad``;
the edges into it carry the composite derivative of its output with respect to each
input (``∂/∂w0 = u₁·σ′(z)``), computed by backprop inside the neuron.  Writes
``folded_mlp.png`` and ``folded_mlp.svg`` into ``docs/figures/`` (or ``--out DIR``).

::

    python examples/folded_mlp.py
    python examples/folded_mlp.py --out /tmp/figs --formats svg png dot
"""

from __future__ import annotations

import argparse
from pathlib import Path

from symgrad import draw, nn
from symgrad.render import Diagram


def folded_mlp() -> Diagram:
    """The 2-2-1 network's squared error on (1, 0) → 1, folded by neurons."""
    model = nn.MLP(2, [2, 1], seed=0)
    loss = nn.loss_graph(model, [([1, 0], 1)])
    loss.backward()
    return draw(loss, fold="neurons", output_name="L")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the README's folded network figure.")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent
                    / "docs" / "figures", help="folder to write into (default docs/figures)")
    ap.add_argument("--formats", nargs="+", default=["svg", "png"],
                    choices=["svg", "png", "pdf", "dot"], help="formats (default svg png)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    diagram = folded_mlp()
    for fmt in args.formats:
        print(f"wrote {diagram.save(args.out / f'folded_mlp.{fmt}')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
